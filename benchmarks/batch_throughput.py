"""Batch throughput: frames per second of ``formcheck batch`` against a naive loop.

The naive baseline is what a script would do: per clip, OpenCV reads frames,
a legacy ``mp.solutions.pose.Pose(model_complexity=1)`` (created per clip)
estimates each one, and two joint angles are computed in Python. ``formcheck
batch`` runs with 1 and N spawned workers, for the ``tasks`` (default) and
``legacy`` backends; its wall time includes worker start-up, model loading,
smoothing, the engine, thumbnails and writing every report. For ``tasks`` the
model's own threads are set against process-level parallelism: one worker with
one inference thread, one worker with every core, N workers sharing the cores
(the default split).

Usage::

    python benchmarks/batch_throughput.py CLIP:EXERCISE [CLIP:EXERCISE ...] [--workers N]

Writes ``benchmarks/results/batch_throughput.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import cv2
import mediapipe as mp

from formcheck.batch import BatchOptions, default_workers, local_plan, plan_jobs, run_batch
from formcheck.bench import machine_facts
from formcheck.pipeline import AnalysisOptions

RESULTS = Path(__file__).parent / "results"


def _angle(a, b, c) -> float:
    """Interior angle at ``b`` in degrees (pure Python, as a naive script would)."""
    v1 = (a.x - b.x, a.y - b.y)
    v2 = (c.x - b.x, c.y - b.y)
    norm = math.hypot(*v1) * math.hypot(*v2)
    if norm == 0:
        return float("nan")
    cos = max(-1.0, min(1.0, (v1[0] * v2[0] + v1[1] * v2[1]) / norm))
    return math.degrees(math.acos(cos))


def naive_loop(clips: list[Path]) -> tuple[int, float]:
    """Frames processed and seconds taken by the naive single-process loop."""
    landmark = mp.solutions.pose.PoseLandmark
    frames = 0
    started = time.perf_counter()
    for clip in clips:
        capture = cv2.VideoCapture(str(clip))
        with mp.solutions.pose.Pose(model_complexity=1) as pose:
            while True:
                ok, bgr = capture.read()
                if not ok:
                    break
                frames += 1
                result = pose.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
                if result.pose_landmarks:
                    p = result.pose_landmarks.landmark
                    _angle(p[landmark.LEFT_SHOULDER], p[landmark.LEFT_HIP], p[landmark.LEFT_KNEE])
                    _angle(p[landmark.LEFT_HIP], p[landmark.LEFT_KNEE], p[landmark.LEFT_ANKLE])
        capture.release()
    return frames, time.perf_counter() - started


def batch_run(
    folder: Path, workers: int, backend: str, threads: int | None = None
) -> tuple[int, float]:
    """Frames analysed and seconds taken by ``run_batch`` into a fresh report folder;
    ``threads=None`` is the default split of the cores between the workers."""
    with tempfile.TemporaryDirectory(prefix="formcheck-bench-out-") as out:
        out_dir = Path(out)
        jobs = plan_jobs(folder, out_dir)
        options = BatchOptions(analysis=AnalysisOptions(backend=backend, threads=threads))
        started = time.perf_counter()
        result = run_batch(jobs, out_dir, local_plan(workers), options)
        seconds = time.perf_counter() - started
        if result.exit_code != 0:
            failed = [(r["file"], r["error"]) for r in result.rows if r["status"] != "ok"]
            raise SystemExit(f"batch failed: {failed}")
        state = json.loads((out_dir / "batch-state.json").read_text())
        frames = sum(entry["frames"] for entry in state["videos"].values())
    return frames, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="+", metavar="CLIP:EXERCISE")
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args(argv)
    pairs = [item.rsplit(":", 1) for item in args.clips]
    clips = [Path(path) for path, _ in pairs]
    with tempfile.TemporaryDirectory(prefix="formcheck-bench-in-") as tmp:
        folder = Path(tmp)
        for i, (path, exercise) in enumerate(pairs):
            shutil.copy(path, folder / f"c{i}__{exercise}__{Path(path).name}")
        runs: dict[str, tuple[int, float]] = {"naive loop (legacy, 1 process)": naive_loop(clips)}
        cores = default_workers()
        runs["formcheck batch tasks, 1 worker, 1 inference thread"] = batch_run(
            folder, 1, "tasks", threads=1
        )
        for workers in sorted({1, args.workers}):
            threads = max(1, cores // workers)
            runs[f"formcheck batch tasks, {workers} worker(s), {threads} inference thread(s)"] = (
                batch_run(folder, workers, "tasks")
            )
        for workers in sorted({1, args.workers}):
            runs[f"formcheck batch legacy, {workers} worker(s)"] = batch_run(
                folder, workers, "legacy"
            )
    baseline = runs["naive loop (legacy, 1 process)"]
    base_fps = baseline[0] / baseline[1]
    rows = [
        {
            "run": name,
            "frames": f,
            "seconds": round(s, 2),
            "fps": round(f / s, 2),
            "vs_naive": round(f / s / base_fps, 2),
        }
        for name, (f, s) in runs.items()
    ]
    record = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine_facts(),
        "clips": args.clips,
        "note": "one run; the load average at start is in the machine line",
        "results": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "batch_throughput.json").write_text(json.dumps(record, indent=2) + "\n")
    lines = [
        "# Batch throughput",
        "",
        f"Date: {record['date']}  ",
        f"Command: `{record['command']}`  ",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in record["machine"].items()) + "  ",
        f"Clips: {', '.join(args.clips)}  ",
        f"Note: {record['note']}.",
        "",
        "| run | frames | seconds | frames/s | × naive |",
        "|---|---|---|---|---|",
        *(
            f"| {r['run']} | {r['frames']} | {r['seconds']} | {r['fps']} | {r['vs_naive']} |"
            for r in rows
        ),
        "",
    ]
    (RESULTS / "batch_throughput.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("GLOG_minloglevel", "2")
    sys.exit(main())
