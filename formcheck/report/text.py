"""The report in a few plain lines: the terminal summary of ``analyze`` and of each
live set, and the phrases the HTML report shares with it."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from formcheck.engine import FaultSpan, TargetsResult
from formcheck.report.result import DISCLAIMER, Report


def span_text(start_s: float, end_s: float) -> str:
    """``"3.1–4.0 s"``."""
    return f"{start_s:.1f}–{end_s:.1f} s"


def range_text(low: float, high: float, unit: str = "") -> str:
    """``"8–12"``, or ``"8"`` when both ends are equal.

    >>> range_text(8, 12), range_text(30.0, 30.0, " s")
    ('8–12', '30 s')
    """
    return f"{low:g}{unit}" if low == high else f"{low:g}–{high:g}{unit}"


def targets_text(targets: TargetsResult) -> str:
    """The prescription in words ("8–12 reps, 2 sets, each side"); "" when there is none."""
    parts = []
    if targets.reps:
        parts.append(f"{range_text(*targets.reps)} reps")
    if targets.hold_s:
        parts.append(f"hold {range_text(*targets.hold_s, ' s')}")
    if parts and targets.sets > 1:
        parts.append(f"{targets.sets} sets")
    if parts and targets.per_side:
        parts.append("each side")
    return ", ".join(parts)


def verdict_text(met: bool | None) -> str:
    """``"met"``, ``"not met"`` or ``"not measurable"``."""
    return {True: "met", False: "not met", None: "not measurable"}[met]


def reps_text(report: Report) -> str | None:
    """``"Reps: 9 (left 5, right 4), 8 with good form"``; None for an exercise
    without reps that counted none."""
    session = report.session
    if report.spec.reps is None and not session.reps_total:
        return None
    sides = ""
    if session.reps_left is not None:
        sides = f" (left {session.reps_left}, right {session.reps_right})"
    return f"Reps: {session.reps_total}{sides}, {report.reps_good} with good form"


def fault_groups(faults: tuple[FaultSpan, ...]) -> dict[str, list[FaultSpan]]:
    """Fault spans by fault id, in order of first occurrence."""
    groups: dict[str, list[FaultSpan]] = defaultdict(list)
    for fault in faults:
        groups[fault.id].append(fault)
    return dict(groups)


def fault_title(fault_id: str) -> str:
    """A fault id in words: ``"incomplete_lift"`` → ``"incomplete lift"``."""
    return fault_id.replace("_", " ")


def summary_lines(report: Report) -> list[str]:
    """What the analysis found: the recording, reps against the target, holds,
    faults with their cue, cues given and data-quality warnings."""
    spec, session, stats = report.spec, report.session, report.stats
    if report.live is not None:
        live = report.live
        done = "" if live.complete else " (not completed)"
        lines = [f"{spec.title}, set {live.set} of {live.sets}{done}: {stats.duration_s:.0f} s"]
    else:
        lines = [
            f"{spec.title} ({spec.id}) — {Path(report.source.path).name}: "
            f"{stats.duration_s:.1f} s, {stats.frames} frames"
        ]
    reps = reps_text(report)
    if reps is not None:
        lines.append(reps)
    for hold in session.holds:
        side = f" {hold.side}" if spec.per_side else ""
        target = f" of {hold.target_s:g} s" if hold.target_s else ""
        lines.append(
            f"Hold{side}: {hold.duration_s:.1f} s{target} ({span_text(hold.start_s, hold.end_s)})"
        )
    wanted = targets_text(session.targets)
    if wanted:
        lines.append(f"Target: {wanted} — {verdict_text(session.targets.met)}")
    for fault_id, spans in fault_groups(session.faults).items():
        times = ", ".join(span_text(f.start_s, f.end_s) for f in spans)
        lines.append(f"Fault {fault_title(fault_id)} ({times}): {spans[0].message}")
    if report.live is not None and session.cues:
        lines.append(f"Cues given: {len(session.cues)}")
    lines.extend(f"Warning: {w}" for w in report.warnings)
    return lines


def closing_lines(report: Report) -> list[str]:
    """What one camera cannot measure for this exercise, and the disclaimer."""
    return [f"Limitations: {report.session.limitations}", DISCLAIMER]
