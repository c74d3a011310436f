"""A folder of still images played back as a video at a fixed frame rate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from formcheck.errors import SourceError
from formcheck.sources.base import FrameSource, SourceInfo
from formcheck.types import FALLBACK_FPS, Frame

IMAGE_SUFFIXES: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
)


def _read_rgb(path: Path) -> np.ndarray:
    """Read one image file as an (H, W, 3) RGB uint8 array."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SourceError(f"cannot read image {str(path)!r}: not a readable image file")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


class ImageFolderSource(FrameSource):
    """The images of a folder, sorted by file name, as frames ``i / fps`` seconds apart.

    Files whose suffix is not an image suffix (``IMAGE_SUFFIXES``, any case) are
    ignored. Images are not resized: every image should have the first one's size.

    Args:
        folder: directory holding the images.
        fps: frame rate used for the timestamps (the folder has no timing).

    Raises:
        SourceError: the folder holds no image, ``fps`` is not positive, or an
            image cannot be read (raised while iterating) or changes size.
    """

    def __init__(self, folder: Path, fps: float = FALLBACK_FPS) -> None:
        super().__init__()
        if fps <= 0:
            raise SourceError(f"image folder {str(folder)!r}: fps must be positive, got {fps}")
        self._files = sorted(
            (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
            key=lambda p: p.name,
        )
        if not self._files:
            raise SourceError(
                f"cannot use folder {str(folder)!r}: it contains no images "
                f"({', '.join(sorted(IMAGE_SUFFIXES))})"
            )
        self._fps = fps
        first = _read_rgb(self._files[0])
        self.info = SourceInfo(
            path=str(folder),
            width=int(first.shape[1]),
            height=int(first.shape[0]),
            fps=fps,
            frame_count=len(self._files),
            duration_s=len(self._files) / fps,
        )

    def _frames(self) -> Iterator[Frame]:
        size = (self.info.height, self.info.width)
        for index, path in enumerate(self._files):
            image = _read_rgb(path)
            if image.shape[:2] != size:
                raise SourceError(
                    f"image {str(path)!r} is {image.shape[1]}x{image.shape[0]}, but the "
                    f"folder's first image is {size[1]}x{size[0]}"
                )
            yield Frame(image=image, index=index, t_s=index / self._fps)

    def close(self) -> None:
        """Nothing to release: each image is read and closed when it is yielded."""
