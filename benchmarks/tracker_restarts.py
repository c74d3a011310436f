"""What tracker restarts in offline analysis would change: every real clip longer than
one restart interval, analysed with restarts every ``RESTART_INTERVAL_S`` and with
continuous tracking (``tracker_restart_s=None``, the default), compared decision by
decision (rep counts, holds, fault ids) and landmark by landmark.

Restarts would make a fallback to fewer inference threads, which needs a new
landmarker, change no landmark (see ``formcheck/pose/tasks.py``); this is their
price in results. Their price in time is in ``results/contention.md``.

Against the labels made by eye (``benchmarks/realclip_labels.csv``), every labelled
clip with a spec and a rep count is counted both ways: counts exact and within one,
with and without restarts. A clip no longer than one restart interval has no restart
(the first is ``RESTART_INTERVAL_S`` after its first frame), so its one analysis
serves both.

Usage::

    flock -s /work/cpu.lock python benchmarks/tracker_restarts.py [--work DIR] [--cache DIR]

``--work`` keeps each clip's landmarks and comparison, so an interrupted run goes on
where it stopped. ``--cache`` reads the continuous-tracking landmarks from a folder of
replay files (``<folder>/<stem>.npz``, e.g. ``/work/cache/lm``) instead of computing
them. Landmarks stay outside the repository. Writes
``benchmarks/results/tracker_restarts.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import av
import numpy as np
from realclips import REAL_SPEC, REALCLIPS

from formcheck.atomic import write_text_atomic
from formcheck.bench import machine_facts
from formcheck.bench_contention import RESTART_INTERVAL_S
from formcheck.pipeline import AnalysisOptions, analyze
from formcheck.report.markdown import md_row
from formcheck.sources import ReplaySource, write_replay

RESULTS = Path(__file__).parent / "results"
LABELS = Path(__file__).parent / "realclip_labels.csv"
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".webm", ".gif")


def duration_s(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.duration and stream.time_base:
            return float(stream.duration * stream.time_base)
        return (container.duration or 0) / av.time_base


def long_clips(min_s: float) -> list[tuple[str, str]]:
    """(clip relative to realclips, spec id) of every clip with a spec longer than ``min_s``."""
    clips = []
    for path in sorted(REALCLIPS.rglob("*")):
        rel = path.relative_to(REALCLIPS).as_posix()
        spec = REAL_SPEC.get(rel.split("/")[0])
        if path.suffix.lower() in VIDEO_SUFFIXES and spec and duration_s(path) > min_s:
            clips.append((rel, spec))
    return clips


def decisions(report: dict[str, Any]) -> dict[str, Any]:
    reps = report["reps"]
    return {
        "reps": [reps["total"], reps.get("left"), reps.get("right")],
        "holds": [[h.get("side"), round(h["duration_s"], 1)] for h in report["holds"]],
        "faults": sorted(f["id"] for f in report["faults"]),
    }


def landmarks(rel: str, spec: str, work: Path, restart_s: float | None, cache: Path | None) -> Path:
    """The replay file of ``rel`` analysed with ``restart_s``, made once."""
    stem = Path(rel).with_suffix(".npz")
    if restart_s is None and cache is not None and (cache / stem).is_file():
        return cache / stem
    out = work / ("restarts" if restart_s else "continuous") / stem
    if not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        options = AnalysisOptions(threads=1, tracker_restart_s=restart_s)
        analysis = analyze(REALCLIPS / rel, spec, options)
        write_replay(out, analysis.poses, source_path=rel, backend=options.backend_name)
    return out


def compare(rel: str, spec: str, work: Path, cache: Path | None) -> dict[str, Any]:
    restart_s = RESTART_INTERVAL_S
    files = {
        "continuous": landmarks(rel, spec, work, None, cache),
        "restarts": landmarks(rel, spec, work, restart_s, cache),
    }
    reports = {
        name: decisions(analyze(path, spec).report.to_dict()) for name, path in files.items()
    }
    poses = {name: list(ReplaySource(path)) for name, path in files.items()}
    pairs = list(zip(poses["continuous"], poses["restarts"], strict=True))
    both = [(a, b) for a, b in pairs if a.detected and b.detected]
    deltas = [float(np.abs(a.image_xyz[:, :2] - b.image_xyz[:, :2]).mean()) for a, b in both]
    return {
        "clip": rel,
        "spec": spec,
        "frames": len(pairs),
        "frames_identical": sum(np.array_equal(a.image_xyz, b.image_xyz) for a, b in pairs),
        "mean_abs_dxy": float(np.mean(deltas)) if deltas else None,
        **reports,
        "same_decisions": reports["continuous"] == reports["restarts"],
    }


def labelled_counts() -> list[tuple[str, str, int]]:
    """(clip, spec id, reps counted by eye) of every labelled clip with a spec and a count."""
    with LABELS.open(encoding="utf-8") as handle:
        return [
            (row["file"], row["spec"], int(row["reps"]))
            for row in csv.DictReader(handle)
            if row["spec"] != "-" and row["reps"] != ""
        ]


def restarts_happen(path: Path, restart_s: float) -> bool:
    """Whether a tracker restart falls inside the recording of these landmarks (the
    first comes ``restart_s`` after the first frame)."""
    times = [pose.t_s for pose in ReplaySource(path)]
    return bool(times) and times[-1] - times[0] >= restart_s


def count_row(
    rel: str, spec: str, truth: int, work: Path, restart_s: float, cache: Path | None
) -> dict[str, Any]:
    """Reps counted on one labelled clip with continuous tracking and with restarts."""
    continuous = landmarks(rel, spec, work, None, cache)
    files = {"continuous": continuous, "restarts": continuous}
    if restarts_happen(continuous, restart_s):
        files["restarts"] = landmarks(rel, spec, work, restart_s, cache)
    counts = {name: analyze(path, spec).session.reps_total for name, path in files.items()}
    return {"clip": rel, "spec": spec, "truth": truth, **counts}


def count_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts exact and within one of the labels, each way, over the same clips."""
    summary: dict[str, Any] = {"clips": len(rows)}
    for name in ("continuous", "restarts"):
        errors = np.array([row[name] - row["truth"] for row in rows])
        summary[name] = {
            "exact": int(np.sum(errors == 0)),
            "within_one": int(np.sum(np.abs(errors) <= 1)),
        }
    summary["count_changed"] = [row for row in rows if row["continuous"] != row["restarts"]]
    return summary


def _cached(path: Path, make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``make()``'s result, kept in ``path`` so an interrupted run goes on where it stopped."""
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, json.dumps(make()))
    return json.loads(path.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/formcheck-tracker-restarts"))
    parser.add_argument("--cache", type=Path, help="continuous-tracking replay files")
    args = parser.parse_args(argv)
    restart_s = RESTART_INTERVAL_S
    assert restart_s is not None, "nothing to compare: restarts are off by default"
    started = datetime.datetime.now()
    rows = []
    for rel, spec in long_clips(restart_s):
        done = args.work / "compared" / Path(rel).with_suffix(".json")
        rows.append(_cached(done, partial(compare, rel, spec, args.work, args.cache)))
        print(rel, "same" if rows[-1]["same_decisions"] else "DIFFERENT", flush=True)
    count_rows = []
    for rel, spec, truth in labelled_counts():
        done = args.work / "counted" / Path(rel).with_suffix(".json")
        make = partial(count_row, rel, spec, truth, args.work, restart_s, args.cache)
        count_rows.append(_cached(done, make))
        row = count_rows[-1]
        print(rel, f"truth {truth}: {row['continuous']} / {row['restarts']}", flush=True)
    counts = count_summary(count_rows)
    changed = [row for row in rows if not row["same_decisions"]]
    record = {
        "date": started.isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine_facts(),
        "tracker_restart_s": restart_s,
        "clips": len(rows),
        "same_decisions": len(rows) - len(changed),
        "same_rep_counts": sum(r["continuous"]["reps"] == r["restarts"]["reps"] for r in rows),
        "same_fault_ids": sum(r["continuous"]["faults"] == r["restarts"]["faults"] for r in rows),
        "frames": sum(r["frames"] for r in rows),
        "frames_identical": sum(r["frames_identical"] for r in rows),
        "median_clip_mean_abs_dxy": float(np.median([r["mean_abs_dxy"] for r in rows])),
        "rows": rows,
        "labelled_counts": {**counts, "rows": count_rows},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_text_atomic(RESULTS / "tracker_restarts.json", json.dumps(record, indent=2) + "\n")
    lines = [
        "# Tracker restarts against continuous tracking",
        "",
        f"Measured {record['date']} with `{record['command']}`; machine "
        f"{record['machine']['cpu']}, load average {record['machine']['load_avg_1min']} "
        "at start (timings play no part here).",
        "",
        f"Every real clip with a spec longer than {restart_s:g} s: {record['clips']} clips, "
        f"{record['frames']} frames. Decisions (rep counts, per-side reps, holds to 0.1 s, "
        f"fault ids) identical on {record['same_decisions']}/{record['clips']}; rep counts "
        f"on {record['same_rep_counts']}, fault ids on {record['same_fault_ids']}. "
        f"Landmarks bit-identical on {record['frames_identical']} frames (those before "
        "the first restart); median over clips of the mean |Δx,y| (normalised image "
        f"coordinates) {record['median_clip_mean_abs_dxy']:.4f}.",
        "",
        f"Against the rep counts made by eye ({LABELS.name}: {counts['clips']} clips with a "
        f"spec and a count): exact {counts['continuous']['exact']}/{counts['clips']} with "
        f"continuous tracking, {counts['restarts']['exact']}/{counts['clips']} with restarts; "
        f"within one {counts['continuous']['within_one']} and "
        f"{counts['restarts']['within_one']}. Counts that differ: "
        + (
            ", ".join(
                f"{r['clip']} (truth {r['truth']}: {r['continuous']} -> {r['restarts']})"
                for r in counts["count_changed"]
            )
            or "none"
        )
        + ".",
        "",
        md_row("clip", "continuous", "with restarts", "mean abs Δx,y"),
        "|---|---|---|---|",
    ]
    for row in changed:
        lines.append(
            md_row(
                row["clip"],
                json.dumps(row["continuous"]),
                json.dumps(row["restarts"]),
                f"{row['mean_abs_dxy']:.4f}",
            )
        )
    write_text_atomic(RESULTS / "tracker_restarts.md", "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
