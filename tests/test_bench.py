"""The latency benchmark's bookkeeping: repeated measurements with their spread,
unsteady ones flagged, whole-file loops cut to ``max_frames``."""

from __future__ import annotations

import time
from itertools import count
from pathlib import Path

import av
import pytest
from builders import write_video

from formcheck.bench import UNSTEADY_SPREAD, repeated, trimmed_copy


@pytest.mark.parametrize(
    ("rates", "median", "unsteady"),
    [([50.0], 50.0, False), ([48.0, 50.0, 52.0], 50.0, False), ([30.0, 50.0, 52.0], 50.0, True)],
)
def test_repeated_keeps_the_median_run_and_flags_a_wide_spread(rates, median, unsteady):
    runs = iter(rates)
    calls = count()
    result = repeated(lambda: {"fps": next(runs), "run": next(calls)}, len(rates))
    assert result["fps"] == median and result["fps_runs"] == sorted(rates)
    assert result["fps_spread"] == pytest.approx((max(rates) - min(rates)) / median)
    assert result["unsteady"] == unsteady == (result["fps_spread"] > UNSTEADY_SPREAD)


def test_trimmed_copy_keeps_the_first_frames_only(tmp_path):
    video = write_video(tmp_path / "long.mp4", frames=40)
    short = trimmed_copy(video, 12, tmp_path / "short.mp4")
    with av.open(str(short)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 12


@pytest.mark.mediapipe
def test_naive_peer_loop_times_max_frames_after_the_warm_up(tmp_path):
    """Like every other loop: exactly ``max_frames`` frames timed after ``warmup``."""
    from formcheck.bench import naive_peer_loop

    video = write_video(tmp_path / "clip.mp4", frames=12)
    assert naive_peer_loop(video, warmup=2, max_frames=5)["n"] == 5


def test_full_pipeline_is_timed_after_the_warm_up(monkeypatch):
    """Loading the model and the warm-up frames are not in the pipeline's rate: of 15
    frames with a 10-frame warm-up, 5 are timed, and a slow start does not count."""
    import types

    from formcheck import bench, pipeline

    def slow_start_analyze(video, exercise, options, progress):
        for done in range(1, 16):
            time.sleep(0.05 if done <= 10 else 0.001)  # model load and warm-up: slow
            progress(done, 15)
        return types.SimpleNamespace(poses=[None] * 15)

    monkeypatch.setattr(pipeline, "analyze", slow_start_analyze)
    result = bench.full_pipeline_throughput(Path("clip.mp4"), "bridge", warmup=10)
    assert result["frames"] == 5 and result["fps"] > 100


def test_every_loop_stops_after_max_frames(monkeypatch, tmp_path):
    """Each measured loop is given ``max_frames`` (the resolution comparison too),
    and the loops over pre-decoded or copied frames get ``max_frames`` + warm-up."""
    from formcheck import bench

    seen: dict[str, list[int | None]] = {}

    def record(loop: str, frames: int | None, returned: object = None) -> object:
        seen.setdefault(loop, []).append(frames)
        return {"fps": 1.0} if returned is None else returned

    monkeypatch.setattr(
        bench, "_stage_summary", lambda v, e, **s: record("stages", s["max_frames"])
    )
    monkeypatch.setattr(bench, "_decode_all", lambda v, h, limit: record("decoded", limit, []))
    monkeypatch.setattr(bench, "inference_floor", lambda *a: {"fps": 1.0})
    monkeypatch.setattr(bench, "trimmed_copy", lambda v, n, out: record("copied", n, out))
    monkeypatch.setattr(bench, "full_pipeline_throughput", lambda *a, **k: {"fps": 1.0})
    monkeypatch.setattr(bench, "naive_peer_loop", lambda v, w, n: record("naive peer", n))
    monkeypatch.setattr(bench, "ratios", lambda results: {})
    bench.run_benchmark(
        [Path("clip.mp4")],
        "bridge",
        backends=("tasks",),
        resolutions=(240, 480),
        max_frames=200,
        warmup=3,
        repeats=1,
        tmp_dir=tmp_path,
    )
    assert seen == {
        "stages": [200, 200, 200],
        "decoded": [203],
        "copied": [203],
        "naive peer": [200],
    }
