"""Adaptive sampling against full rate on the accuracy benchmark's clips.

For every clip of the accuracy benchmark (the generated synthetic evaluation set,
the bundled samples and the labelled clips of ``../shared/realclips``):

1. full-rate analysis, with its landmarks saved;
2. adaptive analysis, for real: the pose model tracks the person only on the
   frames the sampler picks;
3. the same sampler replayed on the full-rate landmarks (``sample_poses`` with
   the saved poses standing in for the model). This isolates the sampling policy
   from the tracker: MediaPipe crops each frame around the previous frame's pose,
   so its landmarks on a frame depend on which frames it saw before.

Rep counts, holds and fault ids must be identical; event times (rep, hold and
fault starts and ends) within one frame interval. A tracker probe on the samples
measures how far landmarks tracked on every 4th frame are from full-rate tracking
on the same frames, and how fast the difference fades once every frame is
analysed again.

    python benchmarks/sampling_equivalence.py [--n 40] [--workers 2] [--skip-real]

Writes ``benchmarks/results/sampling_equivalence.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from realclips import REALCLIPS, add_clip_set_arguments, labelled_clips

from formcheck.atomic import write_text_atomic
from formcheck.report.markdown import md_table

if TYPE_CHECKING:
    from formcheck.pipeline import Analysis

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"
RESULTS = ROOT / "benchmarks" / "results"


def decisions(report: dict[str, Any]) -> tuple[tuple[Any, ...], list[float]]:
    """What must be identical (counts, holds, fault ids) and the event times."""
    faults = sorted(report["faults"], key=lambda f: f["start_s"])
    counts = (
        report["reps"]["total"],
        report["reps"]["left"],
        report["reps"]["right"],
        len(report["holds"]),
        tuple(f["id"] for f in faults),
    )
    spans = report["holds"] + faults + report["reps"]["details"]
    return counts, [t for span in spans for t in (span["start_s"], span["end_s"])]


def compare(full: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """Counts identical? Largest event-time difference in frames (None: not comparable)."""
    (a, ta), (b, tb) = decisions(full), decisions(other)
    frame_s = 1.0 / full["input"]["fps"]
    timing = (
        max((abs(x - y) / frame_s for x, y in zip(ta, tb, strict=True)), default=0.0)
        if a == b
        else None
    )
    return {
        "counts_identical": a == b,
        "timing_frames": timing,
        "identical": a == b and timing is not None and timing <= 1.0 + 1e-6,
        "full": repr(a),
        "other": repr(b),
    }


def replayed_report(full: Analysis) -> tuple[dict[str, Any], int]:
    """The adaptive report with the full-rate poses in place of the model."""
    from formcheck.pipeline import AnalysisOptions, analysis_from_poses
    from formcheck.sampling import resample

    spec = full.report.spec
    filled, analysed = resample(full.poses, spec)
    options = AnalysisOptions(sampling="adaptive")
    analysis = analysis_from_poses(filled, spec, full.report.source, options, "replay", analysed)
    return analysis.report.to_dict(), analysed


def clip_result(job: tuple[str, str, str, str]) -> dict[str, Any]:
    """Full rate, adaptive and replayed adaptive analysis of one clip."""
    from formcheck.pipeline import AnalysisOptions, analyze

    group, name, video, exercise = job
    row: dict[str, Any] = {"group": group, "clip": name, "exercise": exercise}
    try:
        started = time.perf_counter()
        full = analyze(video, exercise, AnalysisOptions(threads=1))
        row["full_s"] = time.perf_counter() - started
        started = time.perf_counter()
        fast = analyze(video, exercise, AnalysisOptions(sampling="adaptive", threads=1))
        row["adaptive_s"] = time.perf_counter() - started
        replayed, replayed_analysed = replayed_report(full)
    except Exception as error:  # a failed clip is a result, not the end of the benchmark
        row["error"] = f"{type(error).__name__}: {error}"
        return row
    full_report, fast_report = full.report.to_dict(), fast.report.to_dict()
    row["frames"] = full_report["input"]["frames"]
    row["adaptive_analysed"] = fast_report["analysis"]["sampling"]["frames_analysed"]
    row["replayed_analysed"] = replayed_analysed
    row["adaptive"] = compare(full_report, fast_report)
    row["replayed"] = compare(full_report, replayed)
    return row


def clip_jobs(n: int, clips_dir: Path, skip_real: bool) -> list[tuple[str, str, str, str]]:
    """(group, name, video, exercise) for every clip of the accuracy benchmark."""
    from formcheck.synth.evalset import generate_evalset

    jobs = []
    for video in generate_evalset(clips_dir, n):
        truth = json.loads(video.with_suffix(".truth.json").read_text())
        jobs.append(("synthetic", video.name, str(video), truth["exercise"]))
    for truth_path in sorted(SAMPLES.glob("*.truth.json")):
        video = truth_path.with_name(truth_path.name.replace(".truth.json", ".mp4"))
        exercise = json.loads(truth_path.read_text())["exercise"]
        jobs.append(("samples", video.name, str(video), exercise))
    if not skip_real and REALCLIPS.is_dir():
        for clip in labelled_clips()[0]:
            jobs.append(("real", clip["file"], str(REALCLIPS / clip["file"]), clip["exercise"]))
    return jobs


def tracker_probe(video: Path, step: int = 4, switch: int = 100, dense: int = 12) -> dict[str, Any]:
    """Mean |Δ| of normalised image landmarks: tracking every ``step``-th frame against
    tracking every frame (same frames), and, after tracking every ``step``-th frame up
    to ``switch``, at each of the next ``dense`` frames analysed one by one."""
    from formcheck.pose import create_estimator
    from formcheck.sources import open_source

    with open_source(video) as source:
        frames = list(source)

    def track(chosen: list[int]) -> dict[int, np.ndarray]:
        estimator = create_estimator("tasks", threads=1, people_probe_s=None)
        try:
            return {i: estimator.process(frames[i]).image_xyz[:, :2] for i in chosen}
        finally:
            estimator.close()

    full = track(list(range(len(frames))))
    sparse = track(list(range(0, len(frames), step)))
    switch = min(switch, max(0, len(frames) - dense))
    resumed = track([*range(0, switch, step), *range(switch, min(len(frames), switch + dense))])

    def gap(other: dict[int, np.ndarray], i: int) -> float:
        return float(np.nanmean(np.abs(other[i] - full[i])))

    return {
        "video": video.name,
        "sparse_mean": float(np.nanmean([gap(sparse, i) for i in sparse])),
        "resumed": [gap(resumed, i) for i in range(switch, min(len(frames), switch + dense))],
    }


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for group in ("synthetic", "samples", "real", "all"):
        chosen = [r for r in rows if "error" not in r and group in (r["group"], "all")]
        if not chosen:
            continue
        frames = sum(r["frames"] for r in chosen)
        out.append(
            {
                "group": group,
                "clips": len(chosen),
                "frames": frames,
                **{
                    f"{kind}_{key}": sum(r[kind][key] for r in chosen)
                    for kind in ("adaptive", "replayed")
                    for key in ("counts_identical", "identical")
                },
                "adaptive_fraction": sum(r["adaptive_analysed"] for r in chosen) / frames,
                "replayed_fraction": sum(r["replayed_analysed"] for r in chosen) / frames,
            }
        )
    return out


def to_markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        "# Adaptive sampling against full rate, clip by clip",
        "",
        f"Measured {results['date_utc']} with `{results['command']}` on {m['cpu']}, "
        f"{m['cores']} cores ({results['minutes']:.0f} min). Identical = rep counts, holds "
        "and fault ids identical **and** every event time within one frame interval.",
        "",
        *md_table(
            [
                "clips",
                "n",
                "frames",
                "adaptive: counts identical",
                "adaptive: identical",
                "adaptive: frames analysed",
                "replayed: counts identical",
                "replayed: identical",
                "replayed: frames analysed",
            ],
            (
                (
                    s["group"],
                    s["clips"],
                    s["frames"],
                    s["adaptive_counts_identical"],
                    s["adaptive_identical"],
                    f"{s['adaptive_fraction']:.1%}",
                    s["replayed_counts_identical"],
                    s["replayed_identical"],
                    f"{s['replayed_fraction']:.1%}",
                )
                for s in results["summary"]
            ),
        ),
        "",
        "*adaptive*: the pose model runs only on the frames the sampler picks (what "
        "`--sampling adaptive` does). *replayed*: the same sampler on the full-rate "
        "landmarks, which isolates the sampling policy from the tracker.",
        "",
        "## Tracker state",
        "",
        "Mean |Δ| of normalised image landmarks against full-rate tracking on the same frames "
        "(0.001 is 0.5 px at 480 p): tracking every 4th frame; then, after switching back to "
        "every frame at frame 100, at the 1st, 4th, 8th and 12th frame.",
        "",
        *md_table(
            ["video", "every 4th frame", "+1", "+4", "+8", "+12"],
            (
                (
                    p["video"],
                    f"{p['sparse_mean']:.4f}",
                    *(f"{p['resumed'][i]:.4f}" for i in (0, 3, 7, 11) if i < len(p["resumed"])),
                )
                for p in results["tracker"]
            ),
        ),
        "",
        "## Clips that differ",
        "",
        *md_table(
            ["clip", "exercise", "run", "full (reps, left, right, holds, faults)", "other", "Δt"],
            (
                (
                    r["clip"],
                    r["exercise"],
                    kind,
                    r[kind]["full"],
                    r[kind]["other"],
                    "counts differ"
                    if r[kind]["timing_frames"] is None
                    else f"{r[kind]['timing_frames']:.1f} frames",
                )
                for r in results["clips"]
                if "error" not in r
                for kind in ("adaptive", "replayed")
                if not r[kind]["identical"]
            ),
        ),
    ]
    errors = [r for r in results["clips"] if "error" in r]
    if errors:
        lines += ["", "## Clips that failed", ""]
        lines += [f"- {r['clip']}: {r['error']}" for r in errors]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_clip_set_arguments(parser)
    parser.add_argument("--out", type=Path, default=RESULTS / "sampling_equivalence")
    args = parser.parse_args(argv)
    from formcheck.bench import machine_facts

    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="formcheck-evalset-") as tmp:
        jobs = clip_jobs(args.n, Path(tmp), args.skip_real)
        with ProcessPoolExecutor(args.workers) as pool:
            rows = list(pool.map(clip_result, jobs))
            tracker = list(pool.map(tracker_probe, sorted(SAMPLES.glob("*.mp4"))))
    results = {
        "date_utc": started,
        "command": "python benchmarks/sampling_equivalence.py "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": machine_facts(),
        "minutes": (time.perf_counter() - t0) / 60,
        "summary": summarise(rows),
        "tracker": tracker,
        "clips": rows,
    }
    write_text_atomic(args.out.with_suffix(".json"), json.dumps(results, indent=1) + "\n")
    write_text_atomic(args.out.with_suffix(".md"), to_markdown(results))
    print(args.out.with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
