"""A webcam read with OpenCV, timestamped with the monotonic clock at grab time.

The source yields every frame the device delivers, in order; dropping stale frames
for live feedback is the consumer's job. OpenCV's own log lines about the device
("can't open camera by index", V4L2 and obsensor warnings) are silenced while the
camera is open: formcheck says what went wrong in one line of its own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import cv2

from formcheck.errors import SourceError
from formcheck.sources.base import FrameSource, SourceInfo
from formcheck.types import Frame

_OPENCV_LOG_SILENT = 0  # cv2.setLogLevel: 0 silent, 3 warnings (the default)


class CameraSource(FrameSource):
    """Frames from the webcam at ``index`` (``cv2.VideoCapture(index)``).

    ``t_s`` is ``time.monotonic()`` taken just after each grab, relative to the
    first grab. Iteration ends when the source is closed; a camera that stops
    delivering frames while open raises :class:`SourceError`.

    Args:
        index: OpenCV device index (0 is usually the built-in camera).

    Raises:
        SourceError: the camera cannot be opened.
    """

    def __init__(self, index: int) -> None:
        super().__init__()
        self._index = index
        self._log_level = cv2.getLogLevel()
        cv2.setLogLevel(_OPENCV_LOG_SILENT)
        self._capture = cv2.VideoCapture(index)
        if not self._capture.isOpened():
            self._capture.release()
            cv2.setLogLevel(self._log_level)
            raise SourceError(
                f"cannot open camera {index}: no such device, or it is in use by another program"
            )
        self.info = SourceInfo(
            path=f"camera:{index}",
            width=int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            height=int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            fps=float(self._capture.get(cv2.CAP_PROP_FPS)),
            frame_count=None,
            duration_s=None,
        )

    def _frames(self) -> Iterator[Frame]:
        start: float | None = None
        index = 0
        while self._capture.isOpened():
            grabbed = self._capture.grab()
            grabbed_at = time.monotonic()
            ok, bgr = self._capture.retrieve() if grabbed else (False, None)
            if not ok or bgr is None:
                if not self._capture.isOpened():
                    return
                raise SourceError(
                    f"camera {self._index} stopped delivering frames after frame {index}"
                )
            start = grabbed_at if start is None else start
            image = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            yield Frame(image=image, index=index, t_s=grabbed_at - start)
            index += 1

    def close(self) -> None:
        self._capture.release()
        cv2.setLogLevel(self._log_level)
