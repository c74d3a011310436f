"""The contention benchmark's plumbing: competitors start and stop, targets are checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from formcheck import bench_contention
from formcheck.bench_contention import checks, competitors, to_markdown
from formcheck.cli import main


def test_competitors_run_during_the_block_and_are_killed_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = []
    real_popen = bench_contention.subprocess.Popen

    def recording_popen(*args, **kwargs):
        proc = real_popen(*args, **kwargs)
        started.append(proc)
        return proc

    monkeypatch.setattr(bench_contention.subprocess, "Popen", recording_popen)
    with competitors("busy", 1, list):
        assert started and started[0].poll() is None
    assert started[0].poll() is not None


def _runs(busy: float, pair: float, batch_busy: float, live_ratio: float) -> dict:
    return {
        "analyze this: idle": {"wall_s": 10.0, "fps": 24.0},
        "analyze this: beside 1 busy loop": {"wall_s": busy},
        "analyze this: two at once (slower of the pair)": {"wall_s": pair},
        "batch this: idle": {"wall_s": 10.0, "fps": 48.0},
        "batch this: beside 1 busy loop": {"wall_s": batch_busy},
        "live this: beside 1 busy loop": {
            "p95_over_inference_p95": live_ratio,
            "dropped_rate": 0.05,
        },
        "analyze base: idle": {"wall_s": 9.0, "fps": 25.0},
        "batch base: idle": {"wall_s": 10.0, "fps": 48.0},
    }


def test_checks_compare_each_run_with_its_idle_run() -> None:
    met = checks(_runs(busy=15.0, pair=22.0, batch_busy=20.0, live_ratio=2.0), "this", "base")
    assert all(check.get("met", True) for check in met.values())
    assert met["idle analyze frames/s / today's default"]["value"] == 0.96
    missed = checks(_runs(busy=15.1, pair=22.1, batch_busy=20.1, live_ratio=2.1), "this", None)
    assert [name for name, check in missed.items() if not check["met"]] == [
        "analyze beside a busy loop / idle",
        "two analyses at once (slower) / one alone",
        "2-worker batch beside a busy loop / idle",
        "live beside a busy loop: p95 latency / inference p95",
    ]


def test_contention_takes_one_video(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--contention", "a.mp4", "b.mp4"]) == 2
    assert main(["bench", "--contention", "missing.mp4"]) == 3
    assert "--contention takes one video" in capsys.readouterr().err


def test_markdown_lists_every_check() -> None:
    results = {
        "machine": {"cpu": "cpu", "cores": 2, "python": "3.11"},
        "date_utc": "2026-01-01T00:00:00+00:00",
        "wall_s": 60.0,
        "clip": "clip.mp4",
        "exercise": "bridge",
        "repeats": 1,
        "load_avg_1min_start": 0.1,
        "load_avg_1min_end": 0.2,
        "busy_elsewhere_cores_start": 0.0,
        "checks": checks(_runs(15.0, 22.0, 20.0, 2.0), "this", "base"),
        "runs": {"analyze this: idle": {"wall_s": 10.0, "fps": 24.0, "every_run": [10.0]}},
    }
    text = to_markdown(results, "formcheck bench --contention clip.mp4")
    for name in results["checks"]:
        assert name in text
    assert "| analyze this: idle | 10 | 24 | 10 |" in text


def test_every_run_the_checks_need_is_measured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The whole benchmark with instant fake runs: every check finds its runs."""
    from contextlib import nullcontext

    timed = {"wall_s": 1.0, "frames": 10, "fps": 10.0}
    live = {
        "latency_p50_ms": 30.0,
        "latency_p95_ms": 50.0,
        "inference_p50_ms": 20.0,
        "inference_p95_ms": 30.0,
        "p95_over_inference_p95": 50.0 / 30.0,
        "dropped_rate": 0.0,
        "analysed_fps": 24.0,
        "inference_threads": 1,
        "thread_switches": [],
    }
    bench = bench_contention.Bench
    monkeypatch.setattr(bench, "analyze", lambda self, fc: dict(timed))
    monkeypatch.setattr(bench, "batch", lambda self, fc: dict(timed))
    monkeypatch.setattr(bench, "live", lambda self, fc: dict(live))
    monkeypatch.setattr(bench, "analyses_at_once", lambda self, fc: [dict(timed), dict(timed)])
    monkeypatch.setattr(bench_contention, "competitors", lambda *args: nullcontext())
    monkeypatch.setattr(bench_contention.time, "sleep", lambda seconds: None)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not decoded by the fakes")
    base = bench_contention.Formcheck("base", "python")
    overhead = {
        "clip": "long.mp4",
        "frames": 750,
        "tracker_restart_s": 10.0,
        "wall_s_with_restarts": 10.2,
        "wall_s_without_restarts": 10.0,
        "ratio": 1.02,
    }
    monkeypatch.setattr(bench_contention, "restart_overhead", lambda *args: overhead)
    results = bench_contention.run_contention(
        clip, "bridge", base, repeats=2, log=lambda s: None, restart_clip=(clip, "bird_dog")
    )
    assert len(results["checks"]) == 7
    assert all(check.get("met", True) for check in results["checks"].values())
    text = to_markdown(results, "cmd")
    assert "| live base: beside 1 busy loop |" in text
    assert "live base: beside 2 busy loops" not in text
    assert "10.20 s against 10.00 s without, ratio 1.020" in text
