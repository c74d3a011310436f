"""Live latency: the live loop on a video played at its real frame rate.

Three measurements:

1. **Inference only**: the Tasks backend on every frame of the clip, one after
   another (``PoseEstimator.process`` time per frame).
2. **Live**: ``formcheck.live.LiveLoop`` with the Tasks backend, the clip released
   at its own timestamps by the latest-frame reader (like a webcam), the overlay
   drawn on every processed frame and handed to a presenter that discards it (no
   display here), speech off. End-to-end latency runs from a frame's release to
   the end of its presentation; also frames dropped and process CPU time / wall.
Measurements 1 and 2 run back to back as a pair, ``--repeats`` times (default 3):
this shared machine's speed drifts by a third from minute to minute, so each pair
gives its own ratio, measured under the same conditions, and the headline is the
median pair (its numbers are the ones in the table).

3. **Memory**: a long synthetic session (a canned pose from the clip's first
   frame replayed at 30 fps, no inference, no drawing) with resident memory
   sampled as it runs; reported as growth per hour of session.

Usage::

    python benchmarks/live_latency.py CLIP EXERCISE [--repeats 3] [--memory-frames N]

Writes ``benchmarks/results/live_latency.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from formcheck.bench import machine_facts
from formcheck.live import LatestFrameReader, LiveLoop, ProgramRunner
from formcheck.live.stats import LatencyHistogram
from formcheck.pose import create_estimator
from formcheck.sources import SourceInfo, open_source
from formcheck.specs import load_spec
from formcheck.types import Frame, PoseFrame

RESULTS = Path(__file__).parent / "results"
_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    """Resident set size of this process in MiB (Linux ``/proc``)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * _PAGE / 2**20


def inference_only(clip: Path) -> tuple[dict[str, float | None], PoseFrame]:
    """Per-frame ``process`` time over the whole clip, and the first frame's pose."""
    histogram = LatencyHistogram()
    first: PoseFrame | None = None
    estimator = create_estimator("tasks")
    try:
        with open_source(clip) as source:
            for frame in source:
                started = time.perf_counter()
                pose = estimator.process(frame)
                histogram.add(time.perf_counter() - started)
                first = first or pose
    finally:
        estimator.close()
    assert first is not None
    return {**histogram.summary(), "frames": histogram.total}, first


def live_run(clip: Path, exercise: str) -> dict[str, object]:
    """The live loop on ``clip`` at real-time rate; its ``live`` section and the set's reps."""
    estimator = create_estimator("tasks")
    try:
        with open_source(clip) as source, tempfile.TemporaryDirectory() as out:
            loop = LiveLoop(
                ProgramRunner([load_spec(exercise)]),
                estimator,
                LatestFrameReader(source, realtime=True),
                source.info,
                "tasks",
                present=lambda image: None,
                out_dir=Path(out),
                say=lambda text: None,
            )
            result = loop.run()
    finally:
        estimator.close()
    return {
        **result.live_section(),
        "cpu_share": round(result.cpu_s / result.wall_s, 3),
        "reps": [saved.report.session.reps_total for saved in result.sets],
    }


class CannedEstimator:
    """Returns one pose with each frame's index and time (no inference)."""

    name = "canned"

    def __init__(self, pose: PoseFrame) -> None:
        self._pose = pose

    def process(self, frame: Frame) -> PoseFrame:
        return dataclasses.replace(self._pose, index=frame.index, t_s=frame.t_s)

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


def memory_run(pose: PoseFrame, exercise: str, frames: int, fps: float = 30.0) -> dict:
    """RSS while a synthetic session of ``frames`` frames runs (one set that never ends)."""
    image = np.zeros((8, 8, 3), dtype=np.uint8)
    every = max(1, frames // 10)
    samples: list[tuple[int, float]] = []

    def stream() -> Iterator[Frame]:
        for i in range(frames):
            if i % every == 0:
                samples.append((i, rss_mb()))
            yield Frame(image, i, i / fps)

    info = SourceInfo("synthetic", pose.width, pose.height, fps, frames, frames / fps)
    loop = LiveLoop(
        ProgramRunner([load_spec(exercise)]),
        CannedEstimator(pose),
        LatestFrameReader(stream(), lossless=True),
        info,
        "canned",
        say=lambda text: None,
    )
    loop.run()
    after = rss_mb()
    (f0, m0), (f1, m1) = samples[1], samples[-1]  # from the first sample after start-up
    hours = (f1 - f0) / fps / 3600.0
    return {
        "frames": frames,
        "session_minutes": round(frames / fps / 60.0, 1),
        "rss_mb_while_running": [[f, round(m, 1)] for f, m in samples],
        "rss_mb_after_report": round(after, 1),
        "growth_mb_per_session_hour": round((m1 - m0) / hours, 2) if hours > 0 else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", type=Path)
    parser.add_argument("exercise")
    parser.add_argument("--repeats", type=int, default=3, help="inference/live pairs")
    parser.add_argument("--memory-frames", type=int, default=36_000)
    args = parser.parse_args(argv)
    facts = machine_facts()
    with open_source(args.clip) as source:
        info = source.info
    pairs = []
    for _ in range(max(1, args.repeats)):
        inference, first_pose = inference_only(args.clip)
        live = live_run(args.clip, args.exercise)
        pairs.append((live["latency"]["p95_ms"] / inference["p95_ms"], inference, live))
    ratios = [round(ratio, 2) for ratio, _, _ in pairs]
    ratio, inference, live = sorted(pairs, key=lambda pair: pair[0])[len(pairs) // 2]
    memory = memory_run(first_pose, args.exercise, args.memory_frames)
    record = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": facts,
        "clip": {
            "path": str(args.clip),
            "width": info.width,
            "height": info.height,
            "fps": round(info.fps, 3),
            "frames": info.frame_count,
        },
        "note": (
            f"the median of {len(pairs)} inference/live pairs run back to back; "
            "the load average at start is in the machine line"
        ),
        "inference_only_ms": inference,
        "live": live,
        "live_p95_over_inference_p95": round(ratio, 2),
        "live_p95_over_inference_p95_every_pair": ratios,
        "memory": memory,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "live_latency.json").write_text(json.dumps(record, indent=2) + "\n")
    lat, inf = live["latency"], inference
    lines = [
        "# Live latency",
        "",
        f"Date: {record['date']}  ",
        f"Command: `{record['command']}`  ",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in facts.items()) + "  ",
        f"Clip: {args.clip} ({info.width}x{info.height}, {info.fps:.2f} fps, "
        f"{info.frame_count} frames), exercise {args.exercise}  ",
        f"Note: {record['note']}.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| live end-to-end latency p50 / p95 / max (ms) | {lat['p50_ms']} / {lat['p95_ms']} / "
        f"{lat['max_ms']} |",
        f"| inference only p50 / p95 (ms) | {inf['p50_ms']} / {inf['p95_ms']} |",
        f"| live p95 / inference p95 | {record['live_p95_over_inference_p95']} "
        f"(every pair: {', '.join(map(str, ratios))}) |",
        f"| frames captured / processed / dropped | {live['frames_captured']} / "
        f"{live['frames_processed']} / {live['frames_dropped']} |",
        f"| dropped-frame rate | {live['dropped_rate']} |",
        f"| CPU use (process CPU time / wall) | {live['cpu_share']} |",
        f"| reps counted (live) | {live['reps']} |",
        f"| memory: synthetic session of {memory['session_minutes']} min, RSS growth "
        f"(MiB per session hour) | {memory['growth_mb_per_session_hour']} |",
        "",
        "Latencies are bin upper edges of a 1 ms histogram. RSS while running (frame: MiB): "
        + ", ".join(f"{f}: {m}" for f, m in memory["rss_mb_while_running"])
        + f"; after the set's report was built: {memory['rss_mb_after_report']} MiB.",
        "",
    ]
    (RESULTS / "live_latency.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("GLOG_minloglevel", "2")
    sys.exit(main())
