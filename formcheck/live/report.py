"""Live set reports (the ``formcheck analyze`` JSON contract plus a ``live`` section)
and the end-of-session summary."""

from __future__ import annotations

from typing import Any

from formcheck.filters import OneEuroConfig
from formcheck.live.program_runner import FinishedSet
from formcheck.live.stats import PoseSample
from formcheck.pipeline import AnalysisOptions, InputStats, build_report, quality_warnings
from formcheck.sources import SourceInfo


def set_report(
    finished: FinishedSet,
    info: SourceInfo,
    sample: PoseSample,
    backend: str,
    smoothing: OneEuroConfig | None,
    live: dict[str, Any],
) -> dict[str, Any]:
    """The JSON report of one live set.

    ``pipeline.build_report`` makes it, so live and offline reports share one
    contract. Its data-quality warnings come from ``sample`` (every frame of a set
    up to the sample's capacity, a uniform sample beyond); frame counts, duration,
    frame rate and ``frames_with_person`` come from the exact counts, and
    ``analysis.smoothing`` describes the live One Euro filter.

    Args:
        finished: the set, with the engine's result.
        info: the camera or file the frames came from.
        sample: the set's poses (raw, before smoothing) and exact counts.
        backend: pose backend name.
        smoothing: the One Euro settings, or None when unsmoothed.
        live: the ``live`` section (frame counters, latencies, set position).
    """
    duration_s = sample.last_t_s - sample.first_t_s if sample.frames > 1 else 0.0
    if sample.frames > 1:
        duration_s *= sample.frames / (sample.frames - 1)
    stats = InputStats(
        frames=sample.frames,
        duration_s=duration_s,
        fps=sample.frames / duration_s if duration_s > 0 else float(info.fps),
        frames_with_person=sample.detected,
        warnings=tuple(quality_warnings(sample.poses(), AnalysisOptions().min_visibility)),
    )
    description = (
        {
            "method": "one_euro",
            "min_cutoff_hz": smoothing.min_cutoff_hz,
            "beta": smoothing.beta,
            "d_cutoff_hz": smoothing.d_cutoff_hz,
        }
        if smoothing
        else {"method": "none"}
    )
    report = build_report(finished.plan.spec, info, stats, finished.result, backend, description)
    report["live"] = live
    return report


def summary_lines(report: dict[str, Any]) -> list[str]:
    """A few lines on one set: its headline and dosage, faults, cues and warnings."""
    live = report["live"]
    lines = [
        f"{report['exercise']['title']}, set {live['set']} of {live['sets']}"
        f"{'' if live['complete'] else ' (not completed)'}: "
        f"{report['input']['duration_s']:.0f} s"
    ]
    lines.append(f"  {report['headline']['text']}")
    lines += [f"  {note}" for note in report["dosage"]["notes"]]
    counts: dict[str, int] = {}
    for fault in report["faults"]:
        counts[fault["id"]] = counts.get(fault["id"], 0) + 1
    for fault_id, count in counts.items():
        message = next(f["message"] for f in report["faults"] if f["id"] == fault_id)
        lines.append(f"  fault {fault_id} x{count}: {message}")
    if report["cues"]:
        lines.append(f"  cues given: {len(report['cues'])}")
    lines += [f"  warning: {warning}" for warning in report["warnings"]]
    return lines
