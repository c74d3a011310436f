"""Speed on a busy computer: the same clip idle and beside competing CPU-bound processes.

``formcheck bench --contention CLIP -e EXERCISE`` (or ``python
benchmarks/contention.py``) runs, as a user would, ``formcheck analyze``, a 2-worker
``formcheck batch`` and ``formcheck live --source --realtime`` on one clip, each
idle and beside 1 and 2 competitors it starts and stops itself (on this machine
only): a single-threaded busy loop, or a second ``formcheck analyze`` with its own
defaults, run over and over. Every loaded/idle ratio is measured in this run.
With ``--base-python``, another formcheck (today's default, e.g. a checkout of
``main`` in its own venv) is timed too: idle (interleaved with this one's idle
runs), beside one busy loop, two at once, and live beside one busy loop.

Reported: wall time (the whole command, start-up included, as a user waits for
it), frames/s, live end-to-end latency p50/p95 with the live loop's own inference
p95, dropped frames and analysed frames/s, the inference threads used; the load
average at the start and the end. Targets (issue 14, 2 cores): beside the busy
loop ``analyze`` ≤ 1.5× its idle time; two default analyses started at once both
within 2.2× one alone; a 2-worker batch beside the busy loop ≤ 2.0× idle; live
beside the busy loop p95 latency ≤ 2× its inference p95 and ≤ 10% frames dropped;
idle ``analyze`` throughput ≥ 0.95× today's default.

Timings matter: run it alone (``flock -x /work/cpu.lock ...`` on the shared CI
machine).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.bench import targets_table, write_json_and_markdown
from formcheck.cpu import CpuMeter

BUSY_LOOP = "while True: pass"
RESULTS_STEM = "contention"
RESTART_INTERVAL_S = 10.0  # the tracker restart interval whose idle cost is measured
TARGETS = {
    "analyze_beside_busy_loop_over_idle": 1.5,
    "two_analyses_at_once_over_one_alone": 2.2,
    "batch_beside_busy_loop_over_idle": 2.0,
    "live_p95_latency_over_inference_p95": 2.0,
    "live_dropped_rate": 0.10,
    "idle_fps_over_base_idle_fps": 0.95,
}
_SETTLE_S = {"busy": 0.5, "analysis": 3.0}  # competitor start-up before timing
# A bundled clip long enough for tracker restarts (25 s: two), and its exercise.
_RESTART_CLIP = Path(__file__).resolve().parents[1] / "sample_videos" / "bird_dog.mp4"
_RESTART_EXERCISE = "bird_dog"


def sample_restart_clip() -> tuple[Path, str] | None:
    """The bundled clip that times the tracker restarts, where there is a checkout."""
    return (_RESTART_CLIP, _RESTART_EXERCISE) if _RESTART_CLIP.is_file() else None


@dataclass(frozen=True)
class Formcheck:
    """One formcheck installation: a label and the Python that runs it."""

    label: str
    python: str

    def command(self, *args: str) -> list[str]:
        return [self.python, "-m", "formcheck", *args]


@contextmanager
def competitors(kind: str, count: int, make_analysis: Callable[[], list[str]]) -> Iterator[None]:
    """``count`` competing processes for the duration of the block, then killed.

    ``kind`` is ``"busy"`` (a single-threaded Python busy loop) or ``"analysis"``
    (``make_analysis()`` run over and over in a shell loop).
    """
    procs = []
    try:
        for _ in range(count):
            if kind == "busy":
                argv = [sys.executable, "-c", BUSY_LOOP]
            else:
                command = " ".join(f"'{part}'" for part in make_analysis())
                argv = ["/bin/sh", "-c", f"while :; do {command} >/dev/null 2>&1; done"]
            procs.append(subprocess.Popen(argv, start_new_session=True))
        if procs:
            time.sleep(_SETTLE_S[kind])
        yield
    finally:
        for proc in procs:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _run(argv: Sequence[str], timeout_s: float = 1800.0) -> float:
    """Wall seconds of one command, which must succeed (stdout and stderr discarded)."""
    started = time.perf_counter()
    done = subprocess.run(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout_s, check=False
    )
    wall_s = time.perf_counter() - started
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {' | '.join(tail)}")
    return wall_s


class Bench:
    """The runs of one benchmark, in one scratch folder."""

    def __init__(self, clip: Path, exercise: str, work: Path) -> None:
        self.clip = clip
        self.exercise = exercise
        self.work = work
        self.batch_in = work / "batch_in"
        self.batch_in.mkdir()
        for name in ("p1__x__a", "p2__x__b"):
            shutil.copyfile(clip, self.batch_in / f"{name}{clip.suffix}")
        self._count = 0

    def _out(self) -> Path:
        self._count += 1
        return self.work / f"run{self._count}"

    def analyze_command(self, formcheck: Formcheck, out: Path | None = None) -> list[str]:
        out = out or self.work / "competitor"
        return formcheck.command("analyze", str(self.clip), "-e", self.exercise, "--out", str(out))

    def analyze(self, formcheck: Formcheck) -> dict[str, Any]:
        out = self._out()
        wall_s = _run(self.analyze_command(formcheck, out))
        report = json.loads(next(out.glob("*.json")).read_text())
        frames = report["input"]["frames"]
        return {"wall_s": wall_s, "frames": frames, "fps": frames / wall_s}

    def analyses_at_once(self, formcheck: Formcheck, count: int = 2) -> list[dict[str, Any]]:
        """``count`` analyses started together; each one's wall time."""
        outs = [self._out() for _ in range(count)]
        started = time.perf_counter()
        procs = [
            subprocess.Popen(
                self.analyze_command(formcheck, out),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for out in outs
        ]
        walls = []
        for proc in procs:
            if proc.wait() != 0:
                raise RuntimeError(f"a concurrent {formcheck.label} analysis failed")
            walls.append(time.perf_counter() - started)
        frames = json.loads(next(outs[0].glob("*.json")).read_text())["input"]["frames"]
        return [{"wall_s": w, "frames": frames, "fps": frames / w} for w in walls]

    def batch(self, formcheck: Formcheck) -> dict[str, Any]:
        out = self._out()
        argv = formcheck.command(
            "batch", str(self.batch_in), "--out", str(out), "-e", self.exercise, "--workers", "2"
        )
        wall_s = _run(argv)
        reports = sorted((out / "videos").rglob("*.json"))
        if len(reports) != len(list(self.batch_in.iterdir())):
            raise RuntimeError(f"the batch wrote {len(reports)} reports in {out}")
        frames = sum(json.loads(path.read_text())["input"]["frames"] for path in reports)
        return {"wall_s": wall_s, "frames": frames, "fps": frames / wall_s}

    def live(self, formcheck: Formcheck) -> dict[str, Any]:
        out = self._out()
        argv = formcheck.command(
            "live",
            "--source",
            str(self.clip),
            "--realtime",
            "-e",
            self.exercise,
            "--no-window",
            "--mute",
            "--out",
            str(out),
        )
        wall_s = _run(argv)
        live = json.loads((out / "session.json").read_text())["live"]
        latency, inference = live["latency"], live["inference"]
        return {
            "wall_s": wall_s,
            "latency_p50_ms": latency["p50_ms"],
            "latency_p95_ms": latency["p95_ms"],
            "inference_p50_ms": inference["p50_ms"],
            "inference_p95_ms": inference["p95_ms"],
            "p95_over_inference_p95": latency["p95_ms"] / inference["p95_ms"],
            "dropped_rate": live["dropped_rate"],
            "frames_captured": live["frames_captured"],
            "analysed_fps": live.get("analysed_fps"),
            "inference_threads": live.get("inference_threads"),
            "thread_switches": live.get("thread_switches"),
        }


def restart_overhead(
    clip: Path, exercise: str, repeats: int, log: Callable[[str], None]
) -> dict[str, Any]:
    """What the tracker restarts that would keep a thread fallback invisible cost on an
    idle machine: ``analyze`` in this process restarting every
    :data:`RESTART_INTERVAL_S` against never (the default), interleaved, on a clip
    long enough to have restarts."""
    from formcheck.pipeline import AnalysisOptions, analyze

    default = RESTART_INTERVAL_S
    walls: dict[str, list[float]] = {"restarts": [], "no restarts": []}
    frames = 0
    analyze(clip, exercise, AnalysisOptions())  # warm-up
    for i in range(repeats):
        for name, restart_s in (("restarts", default), ("no restarts", None)):
            log(f"restart overhead: {name} ({i + 1}/{repeats})")
            started = time.perf_counter()
            frames = len(
                analyze(clip, exercise, AnalysisOptions(tracker_restart_s=restart_s)).poses
            )
            walls[name].append(time.perf_counter() - started)
    with_s, without_s = (float(np.median(walls[k])) for k in ("restarts", "no restarts"))
    return {
        "clip": str(clip),
        "exercise": exercise,
        "frames": frames,
        "tracker_restart_s": default,
        "wall_s_with_restarts": with_s,
        "wall_s_without_restarts": without_s,
        "every_run": walls,
        "ratio": with_s / without_s,
    }


def _loops(count: int) -> str:
    return "idle" if count == 0 else f"beside {count} busy loop{'s' * (count > 1)}"


def _median_run(runs: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The run with the median ``key`` (all runs are kept beside it)."""
    ordered = sorted(runs, key=lambda run: run[key])
    return {**ordered[len(ordered) // 2], "every_run": [round(run[key], 3) for run in runs]}


def run_contention(
    clip: Path,
    exercise: str,
    base: Formcheck | None = None,
    repeats: int = 3,
    this: Formcheck | None = None,
    log: Callable[[str], None] = print,
    restart_clip: tuple[Path, str] | None = None,
) -> dict[str, Any]:
    """Every measurement of the benchmark (see the module docstring)."""
    from formcheck.bench import machine_facts

    this = this or Formcheck("this formcheck", sys.executable)
    meter = CpuMeter()
    started = datetime.now(UTC)
    results: dict[str, Any] = {
        "date_utc": started.isoformat(timespec="seconds"),
        "machine": machine_facts(),
        "clip": str(clip),
        "exercise": exercise,
        "repeats": repeats,
        "load_avg_1min_start": round(os.getloadavg()[0], 2),
    }
    time.sleep(1.0)
    results["busy_elsewhere_cores_start"] = meter.busy_cores()
    runners = [this] + ([base] if base is not None else [])
    with tempfile.TemporaryDirectory(prefix="formcheck-contention-") as tmp:
        bench = Bench(clip, exercise, Path(tmp))
        results["runs"] = runs = {}

        def measure(name: str, fn: Callable[[], dict[str, Any]], key: str) -> None:
            samples = []
            for i in range(repeats):
                log(f"{name} ({i + 1}/{repeats})")
                samples.append(fn())
            runs[name] = _median_run(samples, key)

        for fc in runners:
            log(f"warm-up: {fc.label}")
            bench.analyze(fc)  # file caches, the model bundle
        idle: dict[str, list[dict[str, Any]]] = {fc.label: [] for fc in runners}
        for i in range(repeats):  # interleaved: the idle comparison sees the same machine
            for fc in runners:
                log(f"analyze {fc.label}: idle ({i + 1}/{repeats})")
                idle[fc.label].append(bench.analyze(fc))
        for fc in runners:
            runs[f"analyze {fc.label}: idle"] = _median_run(idle[fc.label], "wall_s")
        for fc in runners:
            # today's default only where the comparison matters (it can take minutes)
            full = fc is this
            if full:
                with competitors("analysis", 1, partial(bench.analyze_command, fc)):
                    measure(
                        f"analyze {fc.label}: beside a looping analysis",
                        partial(bench.analyze, fc),
                        "wall_s",
                    )
            pairs = []
            for i in range(repeats):
                log(f"two {fc.label} analyses at once ({i + 1}/{repeats})")
                pairs.append(bench.analyses_at_once(fc))
            slowest = [max(pair, key=lambda run: run["wall_s"]) for pair in pairs]
            runs[f"analyze {fc.label}: two at once (slower of the pair)"] = _median_run(
                slowest, "wall_s"
            )
            rows = (
                ("analyze", bench.analyze, "wall_s", (1, 2) if full else (1,)),
                ("batch", bench.batch, "wall_s", (0, 1, 2) if full else (0, 1)),
                ("live", bench.live, "p95_over_inference_p95", (0, 1, 2) if full else (1,)),
            )
            for command, run, key, counts in rows:
                for count in counts:
                    with competitors("busy", count, list):
                        measure(f"{command} {fc.label}: {_loops(count)}", partial(run, fc), key)
    if restart_clip is not None:
        results["restart_overhead"] = restart_overhead(*restart_clip, repeats, log)
    results["load_avg_1min_end"] = round(os.getloadavg()[0], 2)
    results["wall_s"] = (datetime.now(UTC) - started).total_seconds()
    results["checks"] = checks(runs, this.label, base.label if base else None)
    return results


def _check(value: float, target: float, at_most: bool = True) -> dict[str, Any]:
    met = value <= target if at_most else value >= target
    return {"value": round(value, 3), "target": f"{'<=' if at_most else '>='} {target}", "met": met}


def checks(runs: dict[str, Any], this: str, base: str | None) -> dict[str, Any]:
    """The issue's targets, each from runs of this benchmark."""
    idle = runs[f"analyze {this}: idle"]["wall_s"]
    out = {
        "analyze beside a busy loop / idle": _check(
            runs[f"analyze {this}: beside 1 busy loop"]["wall_s"] / idle,
            TARGETS["analyze_beside_busy_loop_over_idle"],
        ),
        "two analyses at once (slower) / one alone": _check(
            runs[f"analyze {this}: two at once (slower of the pair)"]["wall_s"] / idle,
            TARGETS["two_analyses_at_once_over_one_alone"],
        ),
        "2-worker batch beside a busy loop / idle": _check(
            runs[f"batch {this}: beside 1 busy loop"]["wall_s"]
            / runs[f"batch {this}: idle"]["wall_s"],
            TARGETS["batch_beside_busy_loop_over_idle"],
        ),
        "live beside a busy loop: p95 latency / inference p95": _check(
            runs[f"live {this}: beside 1 busy loop"]["p95_over_inference_p95"],
            TARGETS["live_p95_latency_over_inference_p95"],
        ),
        "live beside a busy loop: dropped frames": _check(
            runs[f"live {this}: beside 1 busy loop"]["dropped_rate"],
            TARGETS["live_dropped_rate"],
        ),
    }
    if base is not None:
        out["idle analyze frames/s / today's default"] = _check(
            runs[f"analyze {this}: idle"]["fps"] / runs[f"analyze {base}: idle"]["fps"],
            TARGETS["idle_fps_over_base_idle_fps"],
            at_most=False,
        )
        out["idle batch frames/s / today's default"] = {
            "value": round(
                runs[f"batch {this}: idle"]["fps"] / runs[f"batch {base}: idle"]["fps"], 3
            )
        }
    return out


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return "–" if value is None else str(value)


def to_markdown(results: dict[str, Any], command: str) -> str:
    """The results page (every number is also in the JSON beside it)."""
    m = results["machine"]
    lines = [
        "# Speed on a busy computer (contention benchmark)",
        "",
        f"Measured {results['date_utc']} with `{command}` ({results['wall_s'] / 60:.1f} min), "
        f"clip `{results['clip']}`, exercise `{results['exercise']}`, median of "
        f"{results['repeats']} runs per row (every run in the JSON).",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}; "
        f"load average {results['load_avg_1min_start']} at start, "
        f"{results['load_avg_1min_end']} at end; other programs' CPU use at start "
        f"{_cell(results['busy_elsewhere_cores_start'])} cores.",
        "",
        "## Targets (ratios from this run)",
        "",
        *targets_table(results["checks"], "check"),
    ]
    lines += [
        "",
        "## analyze and batch",
        "",
        "| run | wall s | frames/s | every run (wall s) |",
        "|---|---|---|---|",
    ]
    for name, run in results["runs"].items():
        if name.startswith("live"):
            continue
        every = ", ".join(_cell(v) for v in run.get("every_run", []))
        lines.append(f"| {name} | {_cell(run['wall_s'])} | {_cell(run['fps'])} | {every} |")
    overhead = results.get("restart_overhead")
    if overhead:
        lines += [
            "",
            f"Tracker restarts every {overhead['tracker_restart_s']} s (what keeps a thread "
            f"fallback from changing any landmark), idle, `{overhead['clip']}` "
            f"({overhead['frames']} frames): {overhead['wall_s_with_restarts']:.2f} s against "
            f"{overhead['wall_s_without_restarts']:.2f} s without, ratio "
            f"{overhead['ratio']:.3f} (every run in the JSON).",
        ]
    lines += [
        "",
        "## live --source --realtime",
        "",
        "| run | latency p50 / p95 ms | inference p50 / p95 ms | p95 / inference p95 "
        "| dropped | analysed fps | threads (switches) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, run in results["runs"].items():
        if not name.startswith("live"):
            continue
        lines.append(
            f"| {name} | {_cell(run['latency_p50_ms'])} / {_cell(run['latency_p95_ms'])} "
            f"| {_cell(run['inference_p50_ms'])} / {_cell(run['inference_p95_ms'])} "
            f"| {_cell(run['p95_over_inference_p95'])} | {run['dropped_rate']:.1%} "
            f"| {_cell(run['analysed_fps'])} | {_cell(run['inference_threads'])} "
            f"({_cell(run['thread_switches'])}) |"
        )
    return "\n".join(lines) + "\n"


def write_results(results: dict[str, Any], out_dir: Path, command: str) -> tuple[Path, Path]:
    """Write ``out_dir/contention.json`` and ``contention.md`` beside it, atomically."""
    return write_json_and_markdown(
        out_dir, RESULTS_STEM, {**results, "command": command}, to_markdown(results, command)
    )
