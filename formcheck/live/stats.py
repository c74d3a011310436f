"""Constant-memory bookkeeping for long live sessions.

A live session can run for hours, so nothing here grows with the number of
frames: latencies go into a fixed histogram (1 ms bins), and the signal values
kept for the report's plots are decimated to a bounded sample.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


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


class SignalHistory:
    """Every frame's key signal values until ``capacity`` frames, then a uniformly
    decimated sample, for the plots of a live set's report.

    When full, every other kept frame is discarded and the stride doubles, so the
    sample always spans the whole set in at most ``capacity`` frames.

    Args:
        capacity: most frames kept (memory: 8 bytes per signal and frame).

    Example:
        >>> history = SignalHistory(capacity=4)
        >>> for i in range(10):
        ...     history.add(float(i), {"knee": 90.0 + i})
        >>> t_s, signals = history.arrays()
        >>> t_s.tolist(), signals["knee"].tolist()
        ([0.0, 4.0, 8.0], [90.0, 94.0, 98.0])
    """

    def __init__(self, capacity: int = 2048) -> None:
        if capacity < 2:
            raise ValueError(f"SignalHistory capacity must be >= 2, got {capacity}")
        self.capacity = capacity
        self.stride = 1
        self.frames = 0
        self._names: tuple[str, ...] = ()
        self._rows: list[tuple[float, ...]] = []

    def add(self, t_s: float, values: Mapping[str, float]) -> None:
        if self.frames == 0:
            self._names = tuple(values)
        if self.frames % self.stride == 0:
            if len(self._rows) == self.capacity:
                del self._rows[1::2]
                self.stride *= 2
            if self.frames % self.stride == 0:
                self._rows.append((t_s, *(values.get(name, np.nan) for name in self._names)))
        self.frames += 1

    def arrays(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Times (T,) and each signal's values (T,), in time order."""
        table = np.array(self._rows, dtype=np.float64).reshape(-1, len(self._names) + 1)
        return table[:, 0].copy(), {name: table[:, i + 1] for i, name in enumerate(self._names)}

    def __len__(self) -> int:
        return len(self._rows)


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
