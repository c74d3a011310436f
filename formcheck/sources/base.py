"""What every frame source offers: a :class:`SourceInfo` and iteration over frames."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from formcheck.bounds import INPUT
from formcheck.errors import SourceError
from formcheck.types import Frame


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Static description of a frame source.

    Attributes:
        path: the file or folder opened, or ``"camera:<index>"`` for a webcam.
        width, height: frame size in pixels as delivered, i.e. after rotation.
        fps: nominal frame rate from the container or device; informative only
            (phone videos have variable frame rate, some report 0 or 1000). Frame
            timestamps never derive from it, except for image folders.
        frame_count: number of frames if the container states it, else ``None``.
        duration_s: duration in seconds if known, else ``None``.
        rotation_deg: counter-clockwise rotation in {0, 90, 180, 270} applied to
            every decoded image so that it comes out upright.
    """

    path: str
    width: int
    height: int
    fps: float
    frame_count: int | None
    duration_s: float | None
    rotation_deg: int = 0


def check_frame_size(name: str, width: int, height: int) -> None:
    """Refuse frames too small to show a person or too big to decode in bounded memory
    (:data:`formcheck.bounds.INPUT`).

    Raises:
        SourceError: with the size found and the limit (exit code 3).
    """
    low, high = int(INPUT["frame side"].low or 0), int(INPUT["frame side"].high or 0)
    most = int(INPUT["frame pixels"].high or 0)
    size = f"{width}x{height} pixels"
    if min(width, height) < low:
        raise SourceError(
            f"{name!r} is too small to analyse: {size}; formcheck needs at least "
            f"{low} pixels on each side"
        )
    if max(width, height) > high or width * height > most:
        raise SourceError(
            f"{name!r} is too large to analyse: {size}; formcheck reads at most "
            f"{high} pixels on a side and {most} pixels a frame (8K): scale it down first"
        )


class LazyFrame(Protocol):
    """A frame whose RGB image is made only when asked for (``to_frame``).

    Lets an analysis skip the colour conversion of frames it does not analyse.
    ``index`` and ``t_s`` are read-only (properties or frozen dataclass fields).
    """

    @property
    def index(self) -> int: ...

    @property
    def t_s(self) -> float: ...

    def to_frame(self) -> Frame: ...


@dataclass(frozen=True, slots=True)
class ReadyFrame:
    """A :class:`LazyFrame` for sources that deliver finished images anyway."""

    frame: Frame

    @property
    def index(self) -> int:
        return self.frame.index

    @property
    def t_s(self) -> float:
        return self.frame.t_s

    def to_frame(self) -> Frame:
        return self.frame


class FrameSource(ABC):
    """A single-pass stream of :class:`~formcheck.types.Frame` objects.

    Use it as a context manager (or call :meth:`close`) to release the file or
    device. Iterating a second time raises ``RuntimeError``.

    Attributes:
        info: the source's :class:`SourceInfo`.
    """

    info: SourceInfo

    def __init__(self) -> None:
        self._iterated = False

    def __iter__(self) -> Iterator[Frame]:
        if self._iterated:
            raise RuntimeError(f"frame source {self.info.path!r} can only be iterated once")
        self._iterated = True
        return self._frames()

    def lazy_frames(self) -> Iterator[LazyFrame]:
        """Iterate like ``iter(source)``, converting each image only on ``to_frame()``."""
        return (ReadyFrame(frame) for frame in self)

    @abstractmethod
    def _frames(self) -> Iterator[Frame]:
        """Yield the frames in order (called once, by ``__iter__``)."""

    @abstractmethod
    def close(self) -> None:
        """Release the underlying file or device; safe to call twice."""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
