"""Latest-frame capture: a reader thread that never lets frames queue behind inference.

The reader iterates a frame source (a :class:`~formcheck.sources.CameraSource`, or
a video file played in real time) on its own thread and keeps exactly one frame,
the newest, in a one-slot mailbox. A frame that is replaced before the consumer
takes it is dropped and counted. Each frame is stamped with the monotonic clock
when it becomes available, the start of the end-to-end latency.

With ``realtime=True`` the reader releases each frame at its timestamp
(``Frame.t_s``) against the wall clock, so a file behaves like a webcam: if the
consumer is slower than the frame rate, frames are dropped exactly as they
would be from a camera.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from formcheck.types import Frame

Clock = Callable[[], float]
_JOIN_TIMEOUT_S = 2.0
_POLL_S = 0.05


@dataclass(frozen=True, slots=True)
class Captured:
    """A frame and the monotonic time it became available (seconds, ``clock()``)."""

    frame: Frame
    captured_at: float


class LatestFrameReader:
    """Read ``frames`` on a worker thread, keeping only the newest unread frame.

    Use it as a context manager (or call :meth:`start` and :meth:`close`). The
    reader does not close the source; its owner does, after :meth:`close`.

    Args:
        frames: any iterable of frames, typically a :class:`~formcheck.sources.FrameSource`.
        realtime: release each frame at ``start + frame.t_s`` on ``clock`` (a file
            played like a camera) instead of as soon as it is read.
        lossless: wait until the consumer took the previous frame instead of
            replacing it (a file analysed frame by frame; nothing is dropped).
        clock: monotonic clock in seconds (injectable for tests).

    Attributes:
        captured: frames released by the source so far.
        dropped: frames replaced by a newer one before they were taken.
        error: the exception that ended the source early, if any (e.g. a
            :class:`~formcheck.errors.SourceError` from a camera that stopped).

    Example:
        >>> with open_source(0) as camera, LatestFrameReader(camera) as reader:  # doctest: +SKIP
        ...     item = reader.take(timeout_s=1.0)
    """

    def __init__(
        self,
        frames: Iterable[Frame],
        realtime: bool = False,
        lossless: bool = False,
        clock: Clock = time.monotonic,
    ) -> None:
        if realtime and lossless:
            raise ValueError("a reader is either real-time (drops late frames) or lossless")
        self._frames = frames
        self._realtime = realtime
        self._lossless = lossless
        self._clock = clock
        self._cond = threading.Condition()
        self._slot: Captured | None = None
        self._stop = threading.Event()
        self._done = False
        self._thread: threading.Thread | None = None
        self.captured = 0
        self.dropped = 0
        self.error: BaseException | None = None

    def start(self) -> LatestFrameReader:
        """Start the worker thread (once); returns ``self``."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="formcheck-live-reader", daemon=True
            )
            self._thread.start()
        return self

    @property
    def finished(self) -> bool:
        """True once the source has ended (or failed) and the last frame was taken."""
        with self._cond:
            return self._done and self._slot is None

    def take(self, timeout_s: float) -> Captured | None:
        """The newest frame not yet taken, waiting up to ``timeout_s`` for one.

        Returns None on timeout or when the source has ended (see :attr:`finished`).
        """
        with self._cond:
            self._cond.wait_for(lambda: self._slot is not None or self._done, timeout_s)
            item, self._slot = self._slot, None
            self._cond.notify_all()
            return item

    def _publish(self, frame: Frame) -> None:
        with self._cond:
            if self._lossless:
                while self._slot is not None and not self._stop.is_set():
                    self._cond.wait(_POLL_S)
            if self._slot is not None:
                self.dropped += 1
            self._slot = Captured(frame, self._clock())
            self.captured += 1
            self._cond.notify_all()

    def _run(self) -> None:
        start: float | None = None
        try:
            for frame in self._frames:
                if self._realtime:
                    start = self._clock() - frame.t_s if start is None else start
                    wait_s = start + frame.t_s - self._clock()
                    if wait_s > 0 and self._stop.wait(wait_s):
                        return
                if self._stop.is_set():
                    return
                self._publish(frame)
        except BaseException as error:  # handed to the consumer through .error
            self.error = error
        finally:
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def close(self) -> None:
        """Stop the worker and wait for it (it finishes the read in progress)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(_JOIN_TIMEOUT_S)

    def __enter__(self) -> LatestFrameReader:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
