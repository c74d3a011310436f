"""Pick the frame source that fits a command-line input."""

from __future__ import annotations

from pathlib import Path

from formcheck.errors import SourceError
from formcheck.sources.base import FrameSource
from formcheck.sources.camera import CameraSource
from formcheck.sources.images import IMAGE_SUFFIXES, ImageFolderSource
from formcheck.sources.video import VideoSource
from formcheck.types import FALLBACK_FPS


def open_source(
    spec: str | int | Path, fps: float = FALLBACK_FPS, decoder_threads: int | None = None
) -> FrameSource:
    """Open a video file, an image folder or a webcam.

    Args:
        spec: a webcam index (an ``int``, or a string of digits that is not an
            existing path), a directory of images, or a video/GIF file.
        fps: frame rate for image folders, which carry no timing; ignored otherwise.
        decoder_threads: FFmpeg decoder threads for a video file (``None``: FFmpeg's
            choice, about one per core).

    Returns:
        An open :class:`FrameSource`; close it (or use ``with``) when done.

    Raises:
        SourceError: the input does not exist or cannot be read.

    Example:
        >>> with open_source("squat.mp4") as video:  # doctest: +SKIP
        ...     print(video.info.width, video.info.height, video.info.rotation_deg)
    """
    if isinstance(spec, int):
        return CameraSource(spec)
    path = Path(spec)
    if isinstance(spec, str) and spec.isdigit() and not path.exists():
        return CameraSource(int(spec))
    if path.is_dir():
        return ImageFolderSource(path, fps=fps)
    if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
        raise SourceError(
            f"{str(path)!r} is a single image: there is no movement to analyse; "
            "give a video, or a folder of images taken in sequence"
        )
    return VideoSource(path, threads=decoder_threads)
