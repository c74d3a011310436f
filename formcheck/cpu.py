"""How much CPU this process can use now: cores, other programs' load, thread choice.

Speed figures measured on an idle machine mislead on a real one: a patient's laptop
runs a browser and a video call, a clinic runs several analyses at once. The pose
model's thread pool (XNNPACK) waits at every operator for all its threads, so when
another program takes one of their cores every frame pays for it: on 2 cores, an
analysis beside a single-threaded busy loop took 11.0 s with 2 threads and 7.2 s
with 1 (5.6 s idle), and two 2-thread analyses at once took 155 s against 18.6 s
(issue 14). Hence the policy here: more than one inference thread only on cores
that other programs leave idle *now*, measured from ``/proc/stat`` over a short
window (this process's own CPU time subtracted), and a watch on the per-frame
inference time (:class:`SlowdownWatch`) that asks for fewer threads when it
balloons mid-run.

Everything that measures is a thin function around a pure one
(:func:`busy_elsewhere`, :func:`threads_for`), which the tests drive with made-up
numbers.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

# Another program using at most this many cores still counts as "idle": a browser
# tab, an editor, a terminal. A single-threaded busy loop uses 1.0.
IDLE_TOLERANCE_CORES = 0.25
# Measure other programs' CPU use over at least this long (``/proc/stat`` counts in
# 10 ms ticks: 0.1 s on 2 cores is 20 ticks).
MIN_WINDOW_S = 0.1

_PROC_STAT = Path("/proc/stat")
_CGROUP_ROOT = Path("/sys/fs/cgroup")
_TICK_S = 1.0 / (os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100)
# /proc/stat per-CPU columns: user nice system idle iowait irq softirq steal ...;
# idle and iowait are time the core was free, everything else (steal included: a
# hypervisor gave the core to another machine) was not.
_IDLE_COLUMNS = (3, 4)
_COUNTED_COLUMNS = 8


def _quota_cores(cgroup_dir: Path) -> float | None:
    """A cgroup's CPU quota in cores (v2 ``cpu.max``, v1 ``cfs_quota_us``), or None."""
    try:
        fields = (cgroup_dir / "cpu.max").read_text().split()
        if fields and fields[0] != "max":
            return int(fields[0]) / int(fields[1])
    except (OSError, ValueError, IndexError):
        pass
    try:
        quota = int((cgroup_dir / "cpu.cfs_quota_us").read_text())
        period = int((cgroup_dir / "cpu.cfs_period_us").read_text())
        if quota > 0 and period > 0:
            return quota / period
    except (OSError, ValueError):
        pass
    return None


def cgroup_quota_cores(root: Path = _CGROUP_ROOT) -> float | None:
    """The CPU quota of this process's cgroup in cores (a container's ``--cpus``), or None."""
    candidates = [root, root / "cpu"]
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            hierarchy, controllers, path = line.split(":", 2)
            if hierarchy == "0" or "cpu" in controllers.split(","):
                relative = path.lstrip("/")
                candidates += [root / relative, root / "cpu" / relative]
    except (OSError, ValueError):
        pass
    quotas = [q for q in (_quota_cores(c) for c in candidates) if q is not None]
    return min(quotas) if quotas else None


def available_cores() -> int:
    """The CPU cores this process may use: its affinity mask, capped by a cgroup quota
    (a container limited to 1.5 CPUs on a 16-core host gets 2, not 16)."""
    if hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:
        cores = os.cpu_count() or 1
    quota = cgroup_quota_cores()
    if quota is not None:
        cores = min(cores, max(1, math.ceil(quota)))
    return cores


@dataclass(frozen=True, slots=True)
class CpuSnapshot:
    """Cumulative CPU counters at one moment.

    Attributes:
        t_s: monotonic clock, seconds.
        busy_s: CPU-seconds the cores this process may use have been busy since boot.
        own_s: CPU-seconds this process has used (all its threads).
    """

    t_s: float
    busy_s: float
    own_s: float


def busy_elsewhere(before: CpuSnapshot, after: CpuSnapshot) -> float:
    """Cores kept busy by other programs between two snapshots (never below 0)."""
    window_s = after.t_s - before.t_s
    if window_s <= 0:
        return 0.0
    others_s = (after.busy_s - before.busy_s) - (after.own_s - before.own_s)
    return max(0.0, others_s / window_s)


def threads_for(busy_cores: float, cores: int, cap: int | None = None) -> int:
    """Inference threads for a machine with ``cores`` of which other programs keep
    ``busy_cores`` busy: one, plus one per core that is idle (up to
    :data:`IDLE_TOLERANCE_CORES` of load tolerated), at most ``cap``.

    >>> threads_for(0.1, 2), threads_for(1.0, 2), threads_for(0.4, 2), threads_for(1.0, 8, cap=4)
    (2, 1, 1, 4)
    """
    spare = cores - busy_cores
    threads = math.floor(spare + IDLE_TOLERANCE_CORES)
    return max(1, min(threads, cores, cap if cap is not None else cores))


def _read_busy_s(cpus: Iterable[int]) -> float | None:
    """Busy CPU-seconds since boot of ``cpus`` from ``/proc/stat``; None when unreadable."""
    wanted = {f"cpu{index}" for index in cpus}
    busy_ticks = 0
    try:
        lines = _PROC_STAT.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        name, _, rest = line.partition(" ")
        if name not in wanted:
            continue
        values = [int(v) for v in rest.split()[:_COUNTED_COLUMNS]]
        busy_ticks += sum(v for i, v in enumerate(values) if i not in _IDLE_COLUMNS)
    return busy_ticks * _TICK_S


def take_snapshot(clock: Callable[[], float] = time.monotonic) -> CpuSnapshot | None:
    """The counters now, or None where ``/proc/stat`` cannot be read (not Linux)."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    busy_s = _read_busy_s(os.sched_getaffinity(0))
    if busy_s is None:
        return None
    own = os.times()
    return CpuSnapshot(clock(), busy_s, own.user + own.system)


class CpuMeter:
    """Other programs' CPU use since the previous look.

    Created at import (a ``/proc/stat`` read), so the first measurement covers the
    imports and model loading that precede it and costs no waiting; later ones cover
    the time since the one before (a batch worker: the previous video).

    Args:
        snapshot: reads the counters (injectable for tests).
        sleep: waits (injectable for tests).
    """

    def __init__(
        self,
        snapshot: Callable[[], CpuSnapshot | None] = take_snapshot,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._snapshot = snapshot
        self._sleep = sleep
        self._last = snapshot()

    def busy_cores(self, min_window_s: float = MIN_WINDOW_S) -> float | None:
        """Cores other programs kept busy since the previous look (waiting until the
        window is ``min_window_s`` long); None when it cannot be measured."""
        before = self._last
        if before is None:
            return None
        now = self._snapshot()
        if now is not None and now.t_s - before.t_s < min_window_s:
            self._sleep(min_window_s - (now.t_s - before.t_s))
            now = self._snapshot()
        if now is None:
            return None
        self._last = now
        return busy_elsewhere(before, now)


_METER = CpuMeter()


def auto_threads(cap: int | None = None, meter: CpuMeter | None = None) -> int:
    """Inference threads for now (:func:`threads_for` on the measured load); one where
    the load cannot be measured, since one thread never collapses."""
    busy = (meter or _METER).busy_cores()
    if busy is None:
        return 1
    return threads_for(busy, available_cores(), cap)


class SlowdownWatch:
    """Notices per-frame inference time ballooning against its own running median.

    The reference is the lowest median of ``window`` consecutive frames seen so far
    (the speed this thread count reaches when it has the cores); the watch fires when
    the median of the latest ``window`` frames exceeds ``factor`` times it. With a
    factor of 1.5 it fires before the break-even of 2 → 1 threads (one thread is
    1.7× slower than two on an idle machine, measured 22 vs 13 ms) and long before a
    collapse (2–10× on a shared core). A median ignores single slow frames (a
    garbage collection, a page fault).

    Args:
        window: frames per median.
        factor: how much slower than the reference counts as ballooning.
    """

    def __init__(self, window: int = 15, factor: float = 1.5) -> None:
        if window < 1 or factor <= 1.0:
            raise ValueError(f"need window >= 1 and factor > 1, got {window} and {factor}")
        self.window = window
        self.factor = factor
        self._recent: deque[float] = deque(maxlen=window)
        self.reference_s = math.inf

    def add(self, seconds: float) -> bool:
        """Count one frame's inference time; True when inference has ballooned."""
        self._recent.append(seconds)
        if len(self._recent) < self.window:
            return False
        median = statistics.median(self._recent)
        self.reference_s = min(self.reference_s, median)
        return median > self.factor * self.reference_s

    def restart(self) -> None:
        """Forget everything (the thread count changed: a new reference applies)."""
        self._recent.clear()
        self.reference_s = math.inf


def helper_threads(inference_threads: int | None = None, cap: int | None = None) -> int | None:
    """Threads for FFmpeg's decoder and OpenCV's pool (thumbnails, overlays): their
    own default (``None``: about one per core) when the pose model gets more than one
    thread (``inference_threads``, else :func:`auto_threads` now), else one, so that
    on a busy machine they do not compete with it for the same cores.

    >>> helper_threads(1), helper_threads(2)
    (1, None)
    """
    threads = inference_threads if inference_threads is not None else auto_threads(cap)
    return None if threads > 1 else 1


def limit_helper_threads(threads: int | None) -> None:
    """OpenCV's pool for this process: ``threads``, or its default (one per core)."""
    import cv2

    cv2.setNumThreads(-1 if threads is None else threads)
