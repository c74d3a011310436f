"""Batch real-time factor: how fast ``formcheck batch`` reviews recordings, full rate
against adaptive sampling, and whether the results differ.

1. Builds a long input in a temporary folder: the bundled sample videos and the
   labelled real clips of ``../shared/realclips`` (those with a formcheck spec),
   letterboxed to 640×480 and concatenated per exercise into files of about two
   minutes, at least ``--minutes`` in all (the real clips are never copied into
   the repository).
2. Runs ``formcheck batch`` (the library API, ``--workers`` processes) over it with
   full-rate and with adaptive sampling; real-time factor = video duration / wall
   time; frames decoded and frames analysed.
3. Compares the two runs file by file: rep counts, holds and fault events must be
   identical; timing differences are reported in frames.

    python benchmarks/batch_realtime.py [--minutes 10] [--workers 2]

Writes ``benchmarks/results/batch_realtime.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
from realclips import REALCLIPS, labelled_clips

from formcheck.atomic import write_text_atomic
from formcheck.batch import BatchOptions, local_plan, plan_jobs, run_batch
from formcheck.bench import machine_facts
from formcheck.pipeline import AnalysisOptions
from formcheck.report.markdown import md_table

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"
SIZE = (640, 480)


def _letterbox(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    scale = min(SIZE[0] / w, SIZE[1] / h)
    resized = cv2.resize(image, (int(w * scale) // 2 * 2, int(h * scale) // 2 * 2))
    out = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    y, x = (SIZE[1] - resized.shape[0]) // 2, (SIZE[0] - resized.shape[1]) // 2
    out[y : y + resized.shape[0], x : x + resized.shape[1]] = resized
    return out


def source_clips() -> dict[str, list[Path]]:
    """Exercise id → clips: the samples and the labelled real clips with a spec."""
    clips: dict[str, list[Path]] = defaultdict(list)
    for truth in sorted(SAMPLES.glob("*.truth.json")):
        clips[json.loads(truth.read_text())["exercise"]].append(
            truth.with_name(truth.name.replace(".truth.json", ".mp4"))
        )
    if REALCLIPS.is_dir():
        for job in labelled_clips()[0]:
            clips[job["exercise"]].append(REALCLIPS / job["file"])
    return clips


def build_long_inputs(out_dir: Path, minutes: float, chunk_s: float = 120.0) -> float:
    """Concatenate clips per exercise into ~``chunk_s`` files until ``minutes`` in all."""
    total = 0.0
    groups = source_clips()
    rounds = 0
    while total < minutes * 60 and rounds < 20:
        rounds += 1
        for exercise, clips in sorted(groups.items()):
            path = out_dir / f"p{rounds:02d}__{exercise}__long.mp4"
            with av.open(str(path), "w") as container:
                stream = container.add_stream("libx264", rate=30)
                stream.width, stream.height = SIZE
                stream.pix_fmt = "yuv420p"
                stream.options = {"crf": "23", "preset": "veryfast"}
                offset = 0.0
                for clip in clips * 20:
                    if offset >= chunk_s:
                        break
                    with av.open(str(clip)) as source:
                        last = 0.0
                        first = None
                        for frame in source.decode(video=0):
                            t = float(frame.time or 0.0)
                            first = t if first is None else first
                            last = t - first
                            image = _letterbox(frame.to_ndarray(format="rgb24"))
                            out = av.VideoFrame.from_ndarray(image, format="rgb24")
                            out.pts = int(round((offset + last) * 90000))
                            out.time_base = Fraction(1, 90000)
                            for packet in stream.encode(out):
                                container.mux(packet)
                        offset += last + 1 / 30
                for packet in stream.encode():
                    container.mux(packet)
            total += offset
            if total >= minutes * 60:
                break
    return total


def run(input_dir: Path, out_dir: Path, workers: int, sampling: str) -> dict[str, Any]:
    jobs = plan_jobs(input_dir, out_dir)
    options = BatchOptions(analysis=AnalysisOptions(sampling=sampling), force=True)
    started = time.perf_counter()
    result = run_batch(jobs, out_dir, local_plan(workers), options)
    wall = time.perf_counter() - started
    reports = {}
    for row in result.rows:
        html = out_dir / row.report if row.report else None
        if html is not None and html.with_suffix(".json").is_file():
            reports[row.file] = json.loads(html.with_suffix(".json").read_text())
    duration = sum(r["input"]["duration_s"] for r in reports.values())
    return {
        "sampling": sampling,
        "workers": workers,
        "wall_s": wall,
        "video_s": duration,
        "realtime_factor": duration / wall,
        "frames_decoded": sum(r["input"]["frames"] for r in reports.values()),
        "frames_analysed": sum(
            r["analysis"]["sampling"]["frames_analysed"] for r in reports.values()
        ),
        "exit_code": result.exit_code,
        "reports": reports,
    }


def compare(full: dict[str, Any], fast: dict[str, Any]) -> list[dict[str, Any]]:
    """Per file: are counts, holds and faults identical; timing differences in frames."""
    rows = []
    for rel, a in full["reports"].items():
        b = fast["reports"].get(rel)
        if b is None:
            rows.append({"file": rel, "identical": False, "note": "missing in adaptive run"})
            continue
        decisions = [
            (
                r["reps"]["total"],
                r["reps"]["left"],
                r["reps"]["right"],
                len(r["holds"]),
                sorted(f["id"] for f in r["faults"]),
            )
            for r in (a, b)
        ]
        frame_s = 1.0 / a["input"]["fps"]
        times = [
            [
                t
                for s in r["holds"] + r["faults"] + r["reps"]["details"]
                for t in (s["start_s"], s["end_s"])
            ]
            for r in (a, b)
        ]
        max_frames = (
            float(np.max(np.abs(np.subtract(*times))) / frame_s)
            if len(times[0]) == len(times[1]) and times[0]
            else 0.0
        )
        rows.append(
            {
                "file": rel,
                "identical": decisions[0] == decisions[1],
                "full": decisions[0],
                "adaptive": decisions[1],
                "max_timing_diff_frames": max_frames,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "batch_realtime"
    )
    args = parser.parse_args(argv)
    command = "python benchmarks/batch_realtime.py " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    started = datetime.now(UTC).isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(prefix="formcheck-rtf-") as tmp:
        inputs = Path(tmp) / "input"
        inputs.mkdir()
        video_s = build_long_inputs(inputs, args.minutes)
        full = run(inputs, Path(tmp) / "full", args.workers, "full")
        fast = run(inputs, Path(tmp) / "adaptive", args.workers, "adaptive")
    rows = compare(full, fast)
    results = {
        "date_utc": started,
        "command": command.strip(),
        "machine": machine_facts(),
        "input_minutes": video_s / 60,
        "files": len(full["reports"]),
        "runs": [{k: v for k, v in r.items() if k != "reports"} for r in (full, fast)],
        "comparison": rows,
    }
    write_text_atomic(
        args.out.with_suffix(".json"), json.dumps(results, indent=1, default=float) + "\n"
    )
    write_text_atomic(args.out.with_suffix(".md"), to_markdown(results))
    print(args.out.with_suffix(".md").read_text())
    return 0


def to_markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    runs = [
        (
            r["sampling"],
            r["workers"],
            f"{r['wall_s']:.1f}",
            f"{r['video_s']:.1f}",
            f"{r['realtime_factor']:.2f}×",
            r["frames_decoded"],
            r["frames_analysed"],
        )
        for r in results["runs"]
    ]
    rows = results["comparison"]
    same = sum(row["identical"] for row in rows)
    worst = max((row.get("max_timing_diff_frames", 0.0) for row in rows), default=0.0)
    lines = [
        "# Batch real-time factor",
        "",
        f"Measured {results['date_utc']} with `{results['command']}` "
        f"on {m['cpu']}, {m['cores']} cores.",
        f"Input: {results['files']} files, {results['input_minutes']:.1f} min of video (samples "
        "and labelled real clips, letterboxed to 640×480, concatenated per exercise). Target: "
        "≥ 10× real time with counts, holds and faults identical to full rate.",
        "",
        *md_table(
            [
                "sampling",
                "workers",
                "wall s",
                "video s",
                "real-time factor",
                "frames decoded",
                "frames analysed",
            ],
            runs,
        ),
        "",
        f"Counts, holds and fault ids identical on {same} of {len(rows)} files; "
        f"largest timing difference {worst:.1f} frames.",
        "",
        *md_table(
            [
                "file",
                "identical",
                "full (reps, left, right, holds, faults)",
                "adaptive",
                "timing diff (frames)",
            ],
            (
                (
                    row["file"],
                    "yes" if row["identical"] else "**no**",
                    row.get("full"),
                    row.get("adaptive"),
                    f"{row.get('max_timing_diff_frames', 0.0):.1f}",
                )
                for row in rows
            ),
        ),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
