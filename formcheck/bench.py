"""CPU latency benchmark: per-stage timing of the frame pipeline and ratios against
naive peers, measured in one run (``formcheck bench``).

Stages, per frame: decode (compressed → decoded frame), preprocess (to RGB array,
resize to the benchmark resolution), inference (pose model), analysis (cut detection,
One Euro smoothing, kinematics, engine: everything between the model and the screen),
overlay (drawing) and encode (H.264). Comparisons:

* the full offline pipeline (``formcheck.pipeline.analyze``, decode on a reader
  thread) against the inference-only floor on the same frames;
* a naive peer loop (OpenCV read → ``mp.solutions.pose`` → per-frame Python angles);
* the Tasks backend against the legacy backend, and any user ``.task`` model;
* input resolution (480p / 720p / 1080p).

Every loop stops after ``max_frames`` frames (after the warm-up); every
measurement is repeated ``repeats`` times and reported as the run with the median
frame rate, with the spread of all runs. A measurement whose runs differ by more
than ``UNSTEADY_SPREAD`` of their median is flagged (the machine was busy), and
the load average is recorded at the start and at the end.

Only light modules are imported at the top (the command line reads the defaults
below for its help); the video, drawing and smoothing libraries are imported by
the functions that time them.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import numpy as np

import formcheck
from formcheck.cpu import auto_threads, available_cores
from formcheck.pose import BACKENDS, DEFAULT_BACKEND, create_estimator
from formcheck.types import FALLBACK_FPS, Frame, PoseFrame

P = ParamSpec("P")
R = TypeVar("R")

STAGES = ("decode", "preprocess", "inference", "analysis", "overlay", "encode")
TARGETS = {
    "analysis_p95_ms": 1.0,
    "pipeline_vs_inference_throughput": 0.9,
}
DEFAULT_RESOLUTIONS: tuple[int, ...] = (480, 720, 1080)
DEFAULT_MAX_FRAMES = 300
DEFAULT_REPEATS = 3
WARMUP_FRAMES = 10  # frames run before timing starts (model load, caches)
UNSTEADY_SPREAD = 0.15  # (max - min) / median of a measurement's frame rates
BenchProgress = Callable[[int, int, str], None]  # (done, total, what starts now)


def latency_stats(samples_s: list[float]) -> dict[str, float]:
    """p50/p95/p99/mean in milliseconds of a list of durations in seconds."""
    if not samples_s:
        return {
            "n": 0,
            "p50_ms": math.nan,
            "p95_ms": math.nan,
            "p99_ms": math.nan,
            "mean_ms": math.nan,
        }
    ms = np.asarray(samples_s) * 1000.0
    return {
        "n": int(ms.size),
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "p99_ms": float(np.percentile(ms, 99)),
        "mean_ms": float(ms.mean()),
    }


def machine_facts() -> dict[str, Any]:
    """CPU, cores, load, library versions and thread settings, for results headers
    (a benchmark run on a loaded machine says so)."""
    import av
    import cv2
    import mediapipe
    import scipy

    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    threads: dict[str, str | int] = {
        k: os.environ[k]
        for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE")
        if k in os.environ
    }
    threads["cv2.getNumThreads"] = cv2.getNumThreads()
    threads["cores available"] = available_cores()
    threads["pose inference threads, auto, at start"] = auto_threads()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_avg_1min": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {
            "formcheck": formcheck.__version__,
            "mediapipe": mediapipe.__version__,
            "numpy": np.__version__,
            "opencv": cv2.__version__,
            "av": av.__version__,
            "scipy": scipy.__version__,
        },
        "threads": threads,
    }


def decoded_frames(path: Path, height: int | None) -> Iterator[tuple[float, float, Frame]]:
    """Yield (decode_s, preprocess_s, frame) for each frame of ``path``."""
    import av
    import cv2

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        first_t = None
        index = 0
        decoder = container.decode(stream)
        while True:
            t0 = time.perf_counter()
            try:
                decoded = next(decoder)
            except StopIteration:
                return
            t1 = time.perf_counter()
            image: np.ndarray = decoded.to_ndarray(format="rgb24")
            if height and image.shape[0] != height:
                width = int(round(image.shape[1] * height / image.shape[0])) // 2 * 2
                image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
            t2 = time.perf_counter()
            t = float(decoded.time or 0.0)
            first_t = t if first_t is None else first_t
            yield t1 - t0, t2 - t1, Frame(image, index, t - first_t)
            index += 1


@dataclass
class StageRun:
    """Per-stage samples of one instrumented pass."""

    samples: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STAGES})
    wall_s: float = 0.0
    cpu_s: float = 0.0
    frames: int = 0

    def summary(self) -> dict[str, Any]:
        stages = {name: latency_stats(values) for name, values in self.samples.items() if values}
        return {
            "frames": self.frames,
            "fps": self.frames / self.wall_s if self.wall_s else math.nan,
            "cpu_utilisation": self.cpu_s / self.wall_s if self.wall_s else math.nan,
            "stages": stages,
        }


def _timed(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> tuple[float, R]:
    """Seconds taken by ``fn(*args, **kwargs)``, and its result."""
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def run_stages(
    video: Path,
    exercise: str,
    *,
    backend: str = DEFAULT_BACKEND,
    model: Path | None = None,
    height: int | None = None,
    warmup: int = WARMUP_FRAMES,
    max_frames: int | None = None,
    draw_and_encode: bool = True,
    tmp_dir: Path | None = None,
) -> StageRun:
    """One instrumented pass over ``video``; the first ``warmup`` frames are not counted."""
    import cv2

    from formcheck.cuts import CutDetector, grey_thumbnail
    from formcheck.engine import Engine
    from formcheck.filters import StreamingSmoother
    from formcheck.render.hud import overlay_state
    from formcheck.render.overlay import annotate
    from formcheck.render.video import VideoWriter
    from formcheck.specs import load_spec

    spec = load_spec(exercise)
    estimator = create_estimator(backend, model=model)
    smoother = StreamingSmoother("one_euro", visibility_min=spec.session.visibility_min)
    engine = Engine(spec)
    cuts = CutDetector()
    run = StageRun()
    writer = None
    out_path = (tmp_dir or Path("/tmp")) / f"formcheck-bench-{os.getpid()}.mp4"

    def analyse(pose: PoseFrame, image: np.ndarray) -> PoseFrame:
        cut_s = cuts.update(pose, grey_thumbnail(image))
        if cut_s is not None:  # as the live loop does
            smoother.reset()
            engine.cut(cut_s)
        smoothed = smoother(pose)
        engine.update(smoothed)
        return smoothed

    def draw(bgr: np.ndarray, pose: PoseFrame) -> np.ndarray:
        return annotate(bgr, pose, overlay_state(spec, engine.status))

    try:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        for i, (decode_s, prep_s, frame) in enumerate(decoded_frames(video, height)):
            if max_frames is not None and i >= max_frames + warmup:
                break
            if i == warmup:
                wall0, cpu0 = time.perf_counter(), time.process_time()
            infer_s, pose = _timed(estimator.process, frame)
            analysis_s, smoothed = _timed(analyse, pose, frame.image)
            times = {
                "decode": decode_s,
                "preprocess": prep_s,
                "inference": infer_s,
                "analysis": analysis_s,
            }
            if draw_and_encode:
                bgr = cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR)
                overlay_s, _ = _timed(draw, bgr, smoothed)
                if writer is None:
                    writer = VideoWriter(out_path, frame.width, frame.height, FALLBACK_FPS)
                encode_s, _ = _timed(writer.write, bgr[..., ::-1], frame.t_s)
                times.update(overlay=overlay_s, encode=encode_s)
            if i >= warmup:
                for name, value in times.items():
                    run.samples[name].append(value)
                run.frames += 1
        run.wall_s = time.perf_counter() - wall0
        run.cpu_s = time.process_time() - cpu0
    finally:
        estimator.close()
        if writer is not None:
            writer.close(keep=False)
    return run


def inference_floor(
    frames: list[Frame],
    backend: str = DEFAULT_BACKEND,
    model: Path | None = None,
    warmup: int = WARMUP_FRAMES,
) -> dict[str, Any]:
    """Pose inference alone on pre-decoded frames: the model's floor."""
    estimator = create_estimator(backend, model=model)
    samples = []
    try:
        for frame in frames[:warmup]:
            estimator.process(frame)
        wall0 = time.perf_counter()
        for frame in frames[warmup:]:
            t, _ = _timed(estimator.process, frame)
            samples.append(t)
        wall = time.perf_counter() - wall0
    finally:
        estimator.close()
    return {"fps": len(samples) / wall if wall else math.nan, **latency_stats(samples)}


def trimmed_copy(video: Path, frames: int, out_path: Path) -> Path:
    """The first ``frames`` frames of ``video`` as an MP4 (so that whole-file loops
    honour ``max_frames``)."""
    from formcheck.render.video import VideoWriter

    writer = None
    try:
        for i, (_, _, frame) in enumerate(decoded_frames(video, None)):
            if i >= frames:
                break
            if writer is None:
                writer = VideoWriter(out_path, frame.width, frame.height, FALLBACK_FPS)
            writer.write(frame.image, frame.t_s)
    finally:
        if writer is not None:
            writer.close()
    return out_path


def full_pipeline_throughput(
    video: Path, exercise: str, backend: str = DEFAULT_BACKEND, warmup: int = WARMUP_FRAMES
) -> dict[str, Any]:
    """Frames per second of the real offline pipeline (reader thread, inference, engine),
    timed from the end of the ``warmup``-th frame like the other loops (model loading
    and warm-up are not in it); the engine's pass over all frames is."""
    from formcheck.pipeline import AnalysisOptions, analyze

    warm: list[tuple[float, float]] = []  # (wall, cpu) when the warm-up ended

    def progress(done: int, total: int | None) -> None:
        if done == warmup:
            warm.append((time.perf_counter(), time.process_time()))

    wall0, cpu0 = time.perf_counter(), time.process_time()
    analysis = analyze(video, exercise, AnalysisOptions(backend=backend), progress=progress)
    wall1, cpu1 = time.perf_counter(), time.process_time()
    timed = len(analysis.poses) - (warmup if warm else 0)
    wall0, cpu0 = warm[0] if warm else (wall0, cpu0)
    wall = wall1 - wall0
    return {
        "frames": timed,
        "fps": timed / wall if wall > 0 else math.nan,
        "cpu_utilisation": (cpu1 - cpu0) / wall if wall > 0 else math.nan,
    }


def naive_peer_loop(
    video: Path, warmup: int = WARMUP_FRAMES, max_frames: int | None = None
) -> dict[str, Any]:
    """The common pattern: OpenCV read → cvtColor → mp.solutions.pose → Python angles."""
    import cv2
    import mediapipe as mp

    from formcheck.pose.native_log import quiet_native_stderr

    with quiet_native_stderr():
        pose = mp.solutions.pose.Pose(model_complexity=1)
    cap = cv2.VideoCapture(str(video))
    samples = []
    i = 0
    try:
        wall0 = time.perf_counter()
        while max_frames is None or i < max_frames + warmup:
            if i == warmup:
                wall0 = time.perf_counter()
            t0 = time.perf_counter()
            ok, bgr = cap.read()
            if not ok:
                break
            with quiet_native_stderr() if i == 0 else contextlib.nullcontext():
                result = pose.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            if result.pose_landmarks:
                lm = result.pose_landmarks.landmark
                a, b, c = lm[23], lm[25], lm[27]  # hip, knee, ankle
                ang = math.degrees(
                    math.atan2(c.y - b.y, c.x - b.x) - math.atan2(a.y - b.y, a.x - b.x)
                )
                _ = abs(ang) if abs(ang) <= 180 else 360 - abs(ang)
            if i >= warmup:
                samples.append(time.perf_counter() - t0)
            i += 1
        wall = time.perf_counter() - wall0
    finally:
        cap.release()
        pose.close()
    return {"fps": len(samples) / wall if wall else math.nan, **latency_stats(samples)}


def _decode_all(video: Path, height: int | None, limit: int | None) -> list[Frame]:
    frames = []
    for _, _, frame in decoded_frames(video, height):
        frames.append(frame)
        if limit is not None and len(frames) >= limit:
            break
    return frames


def _stage_summary(video: Path, exercise: str, **settings: Any) -> dict[str, Any]:
    """:func:`run_stages` summarised."""
    return run_stages(video, exercise, **settings).summary()


def repeated(measure: Callable[[], dict[str, Any]], repeats: int) -> dict[str, Any]:
    """Run ``measure`` ``repeats`` times; the run with the median frame rate, plus
    every run's rate (``fps_runs``), their spread and whether it is too wide."""
    runs = sorted((measure() for _ in range(max(1, repeats))), key=lambda r: r["fps"])
    median = runs[len(runs) // 2]
    rates = [r["fps"] for r in runs]
    spread = (rates[-1] - rates[0]) / median["fps"] if median["fps"] else math.nan
    return {**median, "fps_runs": rates, "fps_spread": spread, "unsteady": spread > UNSTEADY_SPREAD}


def run_benchmark(
    videos: list[Path],
    exercise: str,
    *,
    backends: tuple[str, ...] = BACKENDS,
    model: Path | None = None,
    resolutions: tuple[int, ...] = DEFAULT_RESOLUTIONS,
    max_frames: int | None = DEFAULT_MAX_FRAMES,
    warmup: int = WARMUP_FRAMES,
    repeats: int = DEFAULT_REPEATS,
    progress: BenchProgress | None = None,
    tmp_dir: Path | None = None,
) -> dict[str, Any]:
    """Run every measurement ``repeats`` times and return the results (see module docstring)."""
    started = datetime.now(UTC)
    results: dict[str, Any] = {
        "date_utc": started.isoformat(timespec="seconds"),
        "machine": machine_facts(),
        "settings": {"max_frames": max_frames, "warmup": warmup, "repeats": repeats},
    }
    per_video_steps = 3 + len(backends) + (model is not None)
    total = repeats * (len(videos) * per_video_steps + len(resolutions))
    done = 0

    def measure(what: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        def counted() -> dict[str, Any]:
            nonlocal done
            if progress is not None:
                progress(done, total, what)
            out = fn()
            done += 1
            return out

        return repeated(counted, repeats)

    per_video = []
    with tempfile.TemporaryDirectory(prefix="formcheck-bench-", dir=tmp_dir) as tmp:
        for video in videos:
            name = video.name
            entry: dict[str, Any] = {"video": str(video)}
            limit = None if max_frames is None else max_frames + warmup
            clip = video if limit is None else trimmed_copy(video, limit, Path(tmp) / name)
            entry["stages_native"] = measure(
                f"{name}: stages",
                partial(
                    _stage_summary,
                    video,
                    exercise,
                    max_frames=max_frames,
                    warmup=warmup,
                    tmp_dir=Path(tmp),
                ),
            )
            frames = _decode_all(video, None, limit)
            floors: dict[str, tuple[str, Path | None]] = {b: (b, None) for b in backends}
            if model is not None:
                floors[f"model:{model.name}"] = ("tasks", model)
            entry["inference"] = {
                label: measure(
                    f"{name}: inference {label}",
                    partial(inference_floor, frames, backend, path, warmup),
                )
                for label, (backend, path) in floors.items()
            }
            entry["pipeline"] = measure(
                f"{name}: analyze",
                partial(full_pipeline_throughput, clip, exercise, warmup=warmup),
            )
            entry["naive_peer"] = measure(
                f"{name}: naive peer", partial(naive_peer_loop, video, warmup, max_frames)
            )
            per_video.append(entry)
    results["videos"] = per_video
    first = videos[0]
    results["resolutions"] = {
        f"{h}p": measure(
            f"{first.name}: {h}p",
            partial(
                _stage_summary,
                first,
                exercise,
                height=h,
                max_frames=max_frames,
                warmup=warmup,
                tmp_dir=tmp_dir,
            ),
        )
        for h in resolutions
    }
    if progress is not None:
        progress(done, total, "done")
    results["ratios"] = ratios(results)
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    results["wall_s"] = (datetime.now(UTC) - started).total_seconds()
    results["load_avg_1min_end"] = round(os.getloadavg()[0], 2)
    return results


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    """The headline ratios, each from numbers measured in this run, with their targets."""
    out: dict[str, Any] = {}
    pipe = [v["pipeline"]["fps"] for v in results["videos"]]
    floor = [v["inference"]["tasks"]["fps"] for v in results["videos"] if "tasks" in v["inference"]]
    if floor:
        value = float(np.sum(pipe) / np.sum(floor))
        out["pipeline_vs_inference_throughput"] = {
            "value": value,
            "target": f">= {TARGETS['pipeline_vs_inference_throughput']}",
            "met": value >= TARGETS["pipeline_vs_inference_throughput"],
        }
    analysis = max(v["stages_native"]["stages"]["analysis"]["p95_ms"] for v in results["videos"])
    out["analysis_p95_ms"] = {
        "value": analysis,
        "target": f"<= {TARGETS['analysis_p95_ms']}",
        "met": analysis <= TARGETS["analysis_p95_ms"],
    }
    naive = [v["naive_peer"]["fps"] for v in results["videos"]]
    out["pipeline_vs_naive_peer_throughput"] = {"value": float(np.sum(pipe) / np.sum(naive))}
    legacy = [
        v["inference"]["legacy"]["p50_ms"] for v in results["videos"] if "legacy" in v["inference"]
    ]
    tasks = [
        v["inference"]["tasks"]["p50_ms"] for v in results["videos"] if "tasks" in v["inference"]
    ]
    if legacy and tasks:
        out["tasks_vs_legacy_inference_p50"] = {"value": float(np.sum(tasks) / np.sum(legacy))}
    return out


_LOOP_KEYS = ("fps", "p50_ms", "p95_ms")
_RES_STAGES = ("decode", "preprocess", "inference", "overlay", "encode")


def targets_table(values: dict[str, dict[str, Any]], what: str) -> list[str]:
    """A Markdown table of named values, each with its target and whether it is met
    (``{"value": ..., "target": "<= 1.5", "met": bool}``; target and met optional)."""
    from formcheck.report.markdown import md_row

    lines = [md_row(what, "value", "target", "met"), "|---|---|---|---|"]
    for name, value in values.items():
        met = "" if "met" not in value else ("yes" if value["met"] else "**no**")
        lines.append(md_row(name, f"{value['value']:.3g}", value.get("target", ""), met))
    return lines


def to_markdown(results: dict[str, Any], command: str) -> str:
    """A readable results page (the JSON beside it has every number)."""
    from formcheck.report.markdown import md_row

    m = results["machine"]
    settings = results["settings"]
    unsteady = [name for name, row in _measurements(results) if row.get("unsteady")]
    lines = [
        "# formcheck CPU latency benchmark",
        "",
        f"Measured {results['date_utc']} with `{command}`.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, load average {m['load_avg_1min']} at start "
        f"and {results['load_avg_1min_end']} at the end, Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
        + f"; threads {m['threads']}. Peak RSS {results['peak_rss_mb']:.0f} MB.",
        "",
        f"Each measurement ran {settings['repeats']} times on at most "
        f"{settings['max_frames']} frames after {settings['warmup']} warm-up frames; the run "
        "with the median frame rate is shown, with the spread of all runs "
        f"((max - min) / median). Spread above {UNSTEADY_SPREAD:.0%} is flagged **unsteady**: "
        "the machine was busy, compare those rows with care.",
        "",
        "Unsteady: " + (", ".join(unsteady) if unsteady else "none") + ".",
        "",
        "## Headline ratios (medians)",
        "",
        *targets_table(results["ratios"], "ratio"),
    ]
    for v in results["videos"]:
        lines += [
            "",
            f"## {Path(v['video']).name}",
            "",
            "Per-stage latency (ms, warm-up excluded):",
            "",
            "| stage | p50 | p95 | p99 | mean |",
            "|---|---|---|---|---|",
        ]
        for stage, st in v["stages_native"]["stages"].items():
            lines.append(
                md_row(stage, *(f"{st[k]:.2f}" for k in ("p50_ms", "p95_ms", "p99_ms", "mean_ms")))
            )
        lines += [
            "",
            "| loop | frames/s | spread | p50 ms | p95 ms |",
            "|---|---|---|---|---|",
        ]
        for name, inf in v["inference"].items():
            lines.append(
                md_row(
                    f"inference only: {name}",
                    f"{inf['fps']:.1f}",
                    _spread(inf),
                    *(f"{inf[k]:.1f}" for k in _LOOP_KEYS[1:]),
                )
            )
        pipe = v["pipeline"]
        lines.append(
            md_row("formcheck full pipeline (analyze)", f"{pipe['fps']:.1f}", _spread(pipe), "", "")
        )
        n = v["naive_peer"]
        lines.append(
            md_row(
                "naive peer (cv2, mp.solutions.pose, angles)",
                f"{n['fps']:.1f}",
                _spread(n),
                *(f"{n[k]:.1f}" for k in _LOOP_KEYS[1:]),
            )
        )
        staged = v["stages_native"]
        lines.append(
            md_row(
                f"instrumented stages, CPU use {staged['cpu_utilisation']:.2f} cores",
                f"{staged['fps']:.1f}",
                _spread(staged),
                "",
                "",
            )
        )
    lines += [
        "",
        "## Input resolution (first video, resized)",
        "",
        md_row("resolution", "frames/s", "spread", *(f"{s} p50 ms" for s in _RES_STAGES)),
        "|---|---|---|---|---|---|---|---|",
    ]
    for res, summary in results["resolutions"].items():
        st = summary["stages"]
        lines.append(
            md_row(
                res,
                f"{summary['fps']:.1f}",
                _spread(summary),
                *(f"{st[s]['p50_ms']:.2f}" for s in _RES_STAGES),
            )
        )
    return "\n".join(lines) + "\n"


def _spread(row: dict[str, Any]) -> str:
    text = f"{row['fps_spread']:.0%}"
    return f"{text} **unsteady**" if row["unsteady"] else text


def _measurements(results: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every repeated measurement of a results dict, with a readable name."""
    for v in results["videos"]:
        name = Path(v["video"]).name
        yield f"{name} stages", v["stages_native"]
        for backend, row in v["inference"].items():
            yield f"{name} inference {backend}", row
        yield f"{name} analyze", v["pipeline"]
        yield f"{name} naive peer", v["naive_peer"]
    for res, row in results["resolutions"].items():
        yield f"{res} stages", row


RESULTS_STEM = "latency"


def write_results(results: dict[str, Any], out_dir: Path, command: str) -> tuple[Path, Path]:
    """Write ``out_dir/latency.json`` and ``latency.md`` beside it, atomically."""
    return write_json_and_markdown(out_dir, RESULTS_STEM, results, to_markdown(results, command))


def write_json_and_markdown(
    out_dir: Path, stem: str, results: dict[str, Any], markdown: str
) -> tuple[Path, Path]:
    """Write a benchmark's ``out_dir/<stem>.json`` and ``<stem>.md``, atomically."""
    from formcheck.atomic import write_text_atomic

    json_path = out_dir / f"{stem}.json"
    md_path = out_dir / f"{stem}.md"
    write_text_atomic(json_path, json.dumps(results, indent=2, default=float) + "\n")
    write_text_atomic(md_path, markdown)
    return json_path, md_path
