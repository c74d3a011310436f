"""The report in a few plain lines: the terminal summary of ``analyze`` and of each
live set, and the phrases the HTML report shares with it."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from formcheck.engine import FaultSpan, TargetsResult
from formcheck.engine.summary import side_words
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


def headline_lines(report: Report) -> list[str]:
    """The engine's headline, fitted to the exercise ("Reps: 5, good form on all 5",
    "Hold: 6.5 s of 30 s", "Cycles: 3 (form not assessed)"), then the dosage in
    words (dosage is not form: "top held 0.9 s of the 2 s target ...")."""
    session = report.session
    return [session.headline.text, *(f"Dosage: {note}" for note in session.dosage.notes)]


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
    """What the analysis found: the recording, the headline and dosage, holds, where
    the video was cut, the target, faults with their cue, cues given and data-quality
    warnings."""
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
    lines += headline_lines(report)
    for hold in session.holds:
        side = f" {side_words(spec, hold.side)}".rstrip()
        target = f" of {hold.target_s:g} s" if hold.target_s else ""
        lines.append(
            f"Hold{side}: {hold.duration_s:.1f} s{target} ({span_text(hold.start_s, hold.end_s)})"
        )
    if session.cuts:
        lines.append("Video cut at " + ", ".join(f"{t:.1f} s" for t in session.cuts))
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
