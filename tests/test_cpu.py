"""formcheck.cpu: the thread choice from the load, and the slowdown watch, on made-up numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import write_video

from formcheck import cpu
from formcheck.cpu import CpuMeter, CpuSnapshot, SlowdownWatch, busy_elsewhere, threads_for
from formcheck.pipeline import AnalysisOptions, analyze
from formcheck.sources import VideoSource
from formcheck.types import Frame, PoseFrame


@pytest.mark.parametrize(
    ("busy_cores", "cores", "cap", "threads"),
    [
        (0.0, 1, None, 1),  # one core: one thread
        (0.0, 2, None, 2),  # idle: every core
        (0.2, 2, None, 2),  # a browser tab is idle enough
        (0.3, 2, None, 1),  # more is not
        (1.0, 2, None, 1),  # a busy loop on 2 cores
        (2.0, 2, None, 1),  # never fewer than one
        (5.0, 2, None, 1),  # more load than cores
        (0.0, 8, 2, 2),  # a batch worker's share
        (3.0, 8, None, 5),
        (0.0, 2, 4, 2),  # a cap above the cores changes nothing
    ],
)
def test_threads_for(busy_cores: float, cores: int, cap: int | None, threads: int) -> None:
    assert threads_for(busy_cores, cores, cap) == threads


@pytest.mark.parametrize(
    ("before", "after", "busy"),
    [
        (CpuSnapshot(0.0, 0.0, 0.0), CpuSnapshot(0.0, 5.0, 0.0), 0.0),  # no time passed
        (CpuSnapshot(0.0, 0.0, 0.0), CpuSnapshot(1.0, 1.0, 0.0), 1.0),  # a busy loop
        (CpuSnapshot(0.0, 0.0, 0.0), CpuSnapshot(1.0, 1.0, 1.0), 0.0),  # that was us
        (CpuSnapshot(10.0, 4.0, 2.0), CpuSnapshot(10.5, 5.5, 2.5), 2.0),  # two others
        (CpuSnapshot(0.0, 0.0, 0.0), CpuSnapshot(1.0, 0.98, 1.0), 0.0),  # tick rounding
    ],
)
def test_busy_elsewhere(before: CpuSnapshot, after: CpuSnapshot, busy: float) -> None:
    assert busy_elsewhere(before, after) == pytest.approx(busy)


class FakeCounters:
    """/proc/stat as a script: other programs keep ``others`` cores busy, we one."""

    def __init__(self, others: float) -> None:
        self.others = others
        self.now = CpuSnapshot(0.0, 0.0, 0.0)
        self.slept: list[float] = []

    def advance(self, seconds: float) -> None:
        t_s, busy_s, own_s = self.now.t_s, self.now.busy_s, self.now.own_s
        self.now = CpuSnapshot(t_s + seconds, busy_s + (1 + self.others) * seconds, own_s + seconds)

    def snapshot(self) -> CpuSnapshot:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)


def test_meter_waits_only_for_the_rest_of_its_window() -> None:
    counters = FakeCounters(others=1.0)
    meter = CpuMeter(counters.snapshot, counters.sleep)
    counters.advance(2.0)  # imports and model loading took 2 s: no waiting
    assert meter.busy_cores() == pytest.approx(1.0)
    assert counters.slept == []
    counters.advance(0.04)  # asked again soon after: waits for the rest of the window
    assert meter.busy_cores(min_window_s=0.1) == pytest.approx(1.0)
    assert counters.slept == [pytest.approx(0.06)]


def test_meter_measures_since_its_previous_look() -> None:
    counters = FakeCounters(others=0.0)
    meter = CpuMeter(counters.snapshot, counters.sleep)
    counters.advance(1.0)
    assert meter.busy_cores() == 0.0
    counters.others = 1.0  # a competitor starts: the next window sees it whole
    counters.advance(1.0)
    assert meter.busy_cores() == pytest.approx(1.0)
    counters.others = 0.0  # and stops: half the next window was busy
    counters.advance(1.0)
    counters.others = 1.0
    counters.advance(1.0)
    assert meter.busy_cores() == pytest.approx(0.5)


def test_unmeasurable_load_gives_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cpu, "available_cores", lambda: 2)
    assert cpu.auto_threads(meter=CpuMeter(lambda: None)) == 1
    counters = FakeCounters(others=0.0)
    meter = CpuMeter(counters.snapshot, counters.sleep)
    counters.advance(1.0)
    assert cpu.auto_threads(meter=meter) == 2
    counters.advance(1.0)
    assert cpu.auto_threads(cap=1, meter=meter) == 1
    counters.others = 1.0
    counters.advance(1.0)
    assert cpu.auto_threads(meter=meter) == 1


def test_real_counters_are_read() -> None:
    """On Linux the counters exist and only go up."""
    first = cpu.take_snapshot()
    if first is None:
        pytest.skip("no /proc/stat on this system")
    sum(i * i for i in range(200_000))
    second = cpu.take_snapshot()
    assert second is not None
    assert second.t_s > first.t_s and second.busy_s >= first.busy_s
    assert second.own_s >= first.own_s > 0


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize(
    ("files", "quota"),
    [
        ({}, None),
        ({"cpu.max": "max 100000\n"}, None),
        ({"cpu.max": "150000 100000\n"}, 1.5),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({"cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 2.0),
        ({"cpu.max": "garbage\n"}, None),
    ],
)
def test_cgroup_quota(tmp_path: Path, files: dict[str, str], quota: float | None) -> None:
    for name, text in files.items():
        write(tmp_path / name, text)
    assert cpu.cgroup_quota_cores(tmp_path) == quota


def test_available_cores_honours_a_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cpu.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(cpu, "cgroup_quota_cores", lambda: 1.5)
    assert cpu.available_cores() == 2
    monkeypatch.setattr(cpu, "cgroup_quota_cores", lambda: None)
    assert cpu.available_cores() == 4


def test_watch_fires_when_the_median_balloons() -> None:
    watch = SlowdownWatch(window=5, factor=1.5)
    fired = [watch.add(s) for s in [0.013] * 10]
    assert not any(fired) and watch.reference_s == 0.013
    # single slow frames (a GC pause, a detection) do not move the median
    assert not any(watch.add(s) for s in [0.013, 0.200, 0.013, 0.013, 0.150, 0.013])
    # a competitor takes a core: the median passes 1.5 x 13 ms
    fired = [watch.add(s) for s in [0.040] * 5]
    assert fired == [False, True, True, True, True]  # (the 150 ms frame is still in)


def test_watch_reference_is_the_best_median_seen() -> None:
    """A slow start (first frames, caches) does not become the reference."""
    watch = SlowdownWatch(window=3, factor=1.5)
    assert not any(watch.add(s) for s in [0.030, 0.030, 0.030, 0.013, 0.013, 0.013])
    assert watch.reference_s == 0.013
    assert [watch.add(s) for s in [0.019, 0.020, 0.020]] == [False, False, True]
    watch.restart()
    assert watch.reference_s == float("inf")
    assert not any(watch.add(s) for s in [0.021] * 6)  # a new reference after restart


@pytest.mark.parametrize(("window", "factor"), [(0, 1.5), (5, 1.0), (5, 0.5)])
def test_watch_rejects_bad_settings(window: int, factor: float) -> None:
    with pytest.raises(ValueError, match="need window"):
        SlowdownWatch(window, factor)


class _Nobody:
    """No person in any frame: enough to run the pipeline's reading loop."""

    name = "nobody"

    def process(self, frame: Frame) -> PoseFrame:
        return PoseFrame.empty(frame.index, frame.t_s, frame.image.shape[1], frame.image.shape[0])

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("threads", "helpers"), [(1, 1), (2, None)])
def test_decoder_and_opencv_pools_follow_the_inference_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads: int, helpers: int | None
) -> None:
    """FFmpeg's and OpenCV's own pools default to one thread per core, idle or not:
    where the pose model gets one thread (a busy machine) they get one too (issue 14)."""
    import cv2

    from formcheck.sources import factory

    opened: list[int | None] = []
    real_source = factory.VideoSource

    def recording_source(path: Path, threads: int | None = None) -> VideoSource:
        opened.append(threads)
        return real_source(path, threads=threads)

    monkeypatch.setattr(factory, "VideoSource", recording_source)
    cv2.setNumThreads(-1)
    opencv_default = cv2.getNumThreads()
    cv2.setNumThreads(opencv_default + 2)  # neither the default nor 1
    try:
        options = AnalysisOptions(threads=threads)
        analyze(write_video(tmp_path / "v.mp4", frames=12), "squat", options, None, _Nobody())
        assert opened == [helpers]
        assert cv2.getNumThreads() == (opencv_default if helpers is None else helpers)
    finally:
        cv2.setNumThreads(-1)  # OpenCV's default for the rest of the suite
