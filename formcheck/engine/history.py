"""Per-frame signal history for plots, stored compactly.

A Python list of floats costs ~32 bytes a value (a pointer plus a float
object); a growing float64 array costs 8. Live sessions that do not need the
history turn it off (``Engine(keep_history=False)``) so memory stays flat for hours.
"""

from __future__ import annotations

import numpy as np


class SeriesBuffer:
    """An append-only float64 series backed by a numpy array that doubles when full.

    Example:
        >>> buffer = SeriesBuffer(capacity=2)
        >>> for v in (1.0, 2.0, 3.0):
        ...     buffer.append(v)
        >>> buffer.values().tolist()
        [1.0, 2.0, 3.0]
    """

    def __init__(self, capacity: int = 1024) -> None:
        self._data = np.empty(max(1, capacity), dtype=np.float64)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(self, value: float) -> None:
        if self._size == len(self._data):
            self._data = np.concatenate([self._data, np.empty_like(self._data)])
        self._data[self._size] = value
        self._size += 1

    def values(self) -> np.ndarray:
        """A copy of the values appended so far."""
        return self._data[: self._size].copy()
