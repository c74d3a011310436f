"""Constant-memory bookkeeping for long live sessions.

A live session can run for hours, so nothing here grows with the number of
frames: latencies go into a fixed histogram (1 ms bins), and the poses kept for
the report's data-quality warnings are decimated to a bounded sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.types import PoseFrame


class LatencyHistogram:
    """Latencies in fixed bins; percentiles exact to one bin width.

    Args:
        bin_ms: bin width in milliseconds.
        max_ms: latencies at or above this go into the last (overflow) bin.

    Example:
        >>> h = LatencyHistogram()
        >>> for ms in (10.2, 20.7, 30.1):
        ...     h.add(ms / 1000.0)
        >>> h.percentile_ms(50)
        21.0
    """

    def __init__(self, bin_ms: float = 1.0, max_ms: float = 10_000.0) -> None:
        if bin_ms <= 0 or max_ms <= bin_ms:
            raise ValueError(f"need 0 < bin_ms < max_ms, got {bin_ms} and {max_ms}")
        self.bin_ms = bin_ms
        self.counts = np.zeros(int(np.ceil(max_ms / bin_ms)) + 1, dtype=np.int64)
        self.max_s = 0.0

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def add(self, seconds: float) -> None:
        """Count one latency (negative values count as 0)."""
        ms = max(0.0, seconds * 1000.0)
        self.counts[min(int(ms / self.bin_ms), self.counts.size - 1)] += 1
        self.max_s = max(self.max_s, seconds)

    def merge(self, other: LatencyHistogram) -> None:
        """Add the counts of ``other`` (same bins) to this histogram."""
        self.counts += other.counts
        self.max_s = max(self.max_s, other.max_s)

    def percentile_ms(self, q: float) -> float | None:
        """Upper edge of the bin holding the ``q``-th percentile; None when empty."""
        total = self.total
        if total == 0:
            return None
        rank = max(1, int(np.ceil(q / 100.0 * total)))
        index = int(np.searchsorted(np.cumsum(self.counts), rank))
        return round((index + 1) * self.bin_ms, 3)

    def summary(self) -> dict[str, float | None]:
        """``{"p50_ms", "p95_ms", "max_ms"}`` for reports."""
        return {
            "p50_ms": self.percentile_ms(50),
            "p95_ms": self.percentile_ms(95),
            "max_ms": round(self.max_s * 1000.0, 3) if self.total else None,
        }


class PoseSample:
    """Every frame's pose until ``capacity``, then a uniformly decimated sample.

    When full, every other kept pose is discarded and the stride doubles, so the
    sample always spans the whole set at most ``capacity`` poses long. Exact
    frame counts and times are kept separately.

    Args:
        capacity: most poses kept (memory: about 2.5 kB each).

    Attributes:
        frames: poses offered so far. detected: how many had a person.
        first_t_s, last_t_s: times of the first and last pose offered.
    """

    def __init__(self, capacity: int = 1024) -> None:
        if capacity < 2:
            raise ValueError(f"PoseSample capacity must be >= 2, got {capacity}")
        self.capacity = capacity
        self.stride = 1
        self._poses: list[PoseFrame] = []
        self.frames = 0
        self.detected = 0
        self.first_t_s = float("nan")
        self.last_t_s = float("nan")

    def add(self, pose: PoseFrame) -> None:
        if self.frames == 0:
            self.first_t_s = pose.t_s
        self.last_t_s = pose.t_s
        if self.frames % self.stride == 0:
            if len(self._poses) == self.capacity:
                del self._poses[1::2]
                self.stride *= 2
            if self.frames % self.stride == 0:
                self._poses.append(pose)
        self.frames += 1
        self.detected += pose.detected

    def rate_fps(self) -> float | None:
        """Poses offered per second of their timestamps (the analysed-frame rate);
        None before two poses at distinct times."""
        span_s = self.last_t_s - self.first_t_s
        return (self.frames - 1) / span_s if self.frames > 1 and span_s > 0 else None

    def poses(self) -> list[PoseFrame]:
        """The kept poses, in time order."""
        return list(self._poses)

    def __len__(self) -> int:
        return len(self._poses)


@dataclass(frozen=True, slots=True)
class CaptureCounts:
    """Frame counters of a live session (or one set of it).

    Attributes:
        captured: frames the camera (or real-time file) delivered.
        processed: frames run through pose estimation.
        dropped: frames replaced by a newer one before the loop could take them.
        paused: frames taken while paused (shown, not analysed).
    """

    captured: int = 0
    processed: int = 0
    dropped: int = 0
    paused: int = 0

    def __sub__(self, other: CaptureCounts) -> CaptureCounts:
        return CaptureCounts(
            self.captured - other.captured,
            self.processed - other.processed,
            self.dropped - other.dropped,
            self.paused - other.paused,
        )

    def to_dict(self) -> dict[str, int | float | None]:
        rate = self.dropped / self.captured if self.captured else None
        return {
            "frames_captured": self.captured,
            "frames_processed": self.processed,
            "frames_dropped": self.dropped,
            "frames_paused": self.paused,
            "dropped_rate": round(rate, 4) if rate is not None else None,
        }
