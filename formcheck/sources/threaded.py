"""Decode frames on a background thread so decoding overlaps pose inference."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

T = TypeVar("T")

_POLL_S = 0.05


@dataclass(frozen=True, slots=True)
class _Failed:
    error: BaseException


_DONE = object()


class ThreadedReader(Generic[T]):
    """Iterate ``source`` on a worker thread through a bounded queue.

    The worker reads at most ``maxsize`` frames ahead. An exception raised by the
    source (e.g. :class:`~formcheck.errors.SourceError` for a truncated video) is
    re-raised in the consumer after the frames read before it. Leaving the loop
    early (``break``, an exception, or closing the iterator) stops the worker: it
    finishes the frame it is decoding and exits, and the iterator joins it before
    returning, so the source can be closed safely afterwards. The reader does not
    close ``source``; its owner does.

    Args:
        source: any iterable of frames, typically a :class:`FrameSource` or its
            ``lazy_frames()``.
        maxsize: queue capacity in frames (memory bound: frames are full images).

    Example:
        >>> with open_source("squat.mp4") as video:  # doctest: +SKIP
        ...     for frame in ThreadedReader(video):
        ...         pose = estimator.process(frame)
    """

    def __init__(self, source: Iterable[T], maxsize: int = 8) -> None:
        if maxsize < 1:
            raise ValueError(f"ThreadedReader maxsize must be >= 1, got {maxsize}")
        self._source = source
        self._maxsize = maxsize

    def __iter__(self) -> Iterator[T]:
        items: queue.Queue[object] = queue.Queue(maxsize=self._maxsize)
        stop = threading.Event()
        worker = threading.Thread(
            target=self._produce, args=(items, stop), name="formcheck-reader", daemon=True
        )
        worker.start()
        try:
            while True:
                item = items.get()
                if item is _DONE:
                    return
                if isinstance(item, _Failed):
                    raise item.error
                yield cast(T, item)
        finally:
            stop.set()
            worker.join()

    def _produce(self, items: queue.Queue[object], stop: threading.Event) -> None:
        """Worker: put frames, then ``_DONE`` or the failure; give up once ``stop`` is set."""
        try:
            for frame in self._source:
                if not _put(items, frame, stop):
                    return
        except BaseException as error:  # handed to the consumer, which re-raises it
            _put(items, _Failed(error), stop)
            return
        _put(items, _DONE, stop)


def _put(items: queue.Queue[object], item: object, stop: threading.Event) -> bool:
    """Put ``item`` unless ``stop`` gets set while the queue is full; True if put."""
    while not stop.is_set():
        try:
            items.put(item, timeout=_POLL_S)
        except queue.Full:
            continue
        return True
    return False
