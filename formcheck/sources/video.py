"""Video files and animated GIFs decoded with PyAV.

Each :class:`~formcheck.types.Frame` carries the container's presentation time
(``frame.time``) relative to the first frame, so variable-frame-rate phone videos
keep their real timing; the nominal fps is never used for timestamps. Display
rotation metadata is applied, so portrait phone videos come out upright. GIFs go
through the same decoder; their per-frame delays become the timestamps.

Truncated files: the frames that decode are yielded, then :class:`SourceError` is
raised, so a caller can keep (or discard) a partial analysis knowingly. A file is
truncated when its frame index (MP4/MOV) points past the end of the file, or when
the container states a frame count (AVI) and fewer frames are present. A truncated
MP4 that lost its index entirely (``moov`` atom written last) cannot be opened at
all. Formats without a frame count or index (Matroska/WebM, MPEG-TS) simply end
early: their truncation is not detectable.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import av.container
import av.video
import numpy as np

from formcheck.errors import SourceError
from formcheck.sources.base import FrameSource, LazyFrame, SourceInfo
from formcheck.types import FALLBACK_FPS, Frame

# File extensions taken for videos where a folder is searched (batch, analyze FOLDER).
VIDEO_EXTENSIONS: frozenset[str] = frozenset({".mp4", ".mov", ".avi", ".mkv", ".webm", ".gif"})


def _upright_quarter_turns(rotation: float) -> int:
    """Counter-clockwise quarter turns (0-3) that make a frame with ``rotation`` upright."""
    return round(rotation / 90.0) % 4


@dataclass(frozen=True, slots=True)
class _DecodedFrame:
    """A decoded (YUV) frame; ``to_frame`` converts it to an upright RGB Frame."""

    index: int
    t_s: float
    decoded: av.VideoFrame
    turns: int

    def to_frame(self) -> Frame:
        image: np.ndarray = self.decoded.to_ndarray(format="rgb24")
        if self.turns:
            image = np.ascontiguousarray(np.rot90(image, self.turns))
        return Frame(image=image, index=self.index, t_s=self.t_s)


def _open_container(path: Path) -> av.container.InputContainer:
    """Open ``path`` with PyAV, turning every failure into a specific SourceError."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SourceError(f"cannot open {str(path)!r}: no such file or directory") from None
    except OSError as error:
        raise SourceError(f"cannot open {str(path)!r}: {error.strerror}") from None
    if size == 0:
        raise SourceError(f"cannot read video {str(path)!r}: file is empty (0 bytes)")
    try:
        return av.open(str(path), mode="r")
    except av.FFmpegError as error:
        with path.open("rb") as handle:
            head = handle.read(12)
        if head[4:8] == b"ftyp":
            raise SourceError(
                f"video {str(path)!r} is damaged, probably truncated: "
                f"its MP4/MOV index cannot be read ({error.strerror})"
            ) from None
        raise SourceError(
            f"{str(path)!r} is not a video: FFmpeg cannot read it ({error.strerror})"
        ) from None


class VideoSource(FrameSource):
    """Frames of a video file or animated GIF, with container timestamps.

    Args:
        path: the file to decode.

    Raises:
        SourceError: the file is missing, empty, not a video, has no video stream
            or no decodable frame.

    Example:
        >>> with VideoSource(Path("squat.mp4")) as video:  # doctest: +SKIP
        ...     for frame in video:
        ...         print(frame.index, frame.t_s, frame.image.shape)
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._path = path
        self._container = _open_container(path)
        if not self._container.streams.video:
            self._container.close()
            raise SourceError(f"{str(path)!r} is not a video: no video stream found")
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        self._packets = 0
        self._decoder = self._decode()
        try:
            self._first = next(self._decoder)
        except StopIteration:
            self.close()
            raise SourceError(
                f"cannot read video {str(path)!r}: no frame could be decoded"
            ) from None
        except av.FFmpegError as error:
            self.close()
            raise SourceError(
                f"cannot read video {str(path)!r}: the first frame does not decode "
                f"({error.strerror})"
            ) from None
        self._turns = _upright_quarter_turns(self._first.rotation)
        self.info = self._describe()

    def _describe(self) -> SourceInfo:
        stream = self._stream
        rate = stream.average_rate or stream.guessed_rate
        duration_s: float | None = None
        if stream.duration and stream.time_base:
            duration_s = float(stream.duration * stream.time_base)
        elif self._container.duration:
            duration_s = self._container.duration / av.time_base
        width, height = self._first.width, self._first.height
        if self._turns % 2:
            width, height = height, width
        return SourceInfo(
            path=str(self._path),
            width=width,
            height=height,
            fps=float(rate) if rate else 0.0,
            frame_count=stream.frames or None,
            duration_s=duration_s,
            rotation_deg=90 * self._turns,
        )

    def _decode(self) -> Generator[av.VideoFrame, None, None]:
        """Decoded frames in presentation order; counts the demuxed packets."""
        for packet in self._container.demux(self._stream):
            if packet.size:
                self._packets += 1
            yield from packet.decode()

    def _is_truncated(self) -> bool:
        expected = self._stream.frames
        entries = self._stream.index_entries
        if expected and len(entries) >= expected:
            size = self._path.stat().st_size
            return any(entry.pos + entry.size > size for entry in entries)
        return bool(expected) and self._packets < expected

    def lazy_frames(self) -> Iterator[LazyFrame]:
        """Decoded frames whose RGB conversion (and rotation) waits for ``to_frame()``."""
        if self._iterated:
            raise RuntimeError(f"frame source {self.info.path!r} can only be iterated once")
        self._iterated = True
        return self._decoded()

    def _frames(self) -> Iterator[Frame]:
        return (decoded.to_frame() for decoded in self._decoded())

    def _decoded(self) -> Iterator[_DecodedFrame]:
        name = str(self._path)
        of_total = f" of {self.info.frame_count}" if self.info.frame_count else ""
        start = self._first.time or 0.0
        step = 1.0 / (self.info.fps or FALLBACK_FPS)
        t_s = -step
        index = 0
        decoded = self._first
        while True:
            t_s = decoded.time - start if decoded.time is not None else t_s + step
            yield _DecodedFrame(index, t_s, decoded, self._turns)
            index += 1
            try:
                decoded = next(self._decoder)
            except StopIteration:
                break
            except av.FFmpegError as error:
                raise SourceError(
                    f"video {name!r} is damaged: decoding failed after frame {index}{of_total} "
                    f"({error.strerror})"
                ) from None
        if self._is_truncated():
            raise SourceError(
                f"video {name!r} is truncated: decoding stopped after frame {index}{of_total}"
            )

    def close(self) -> None:
        self._decoder.close()
        self._container.close()
