"""Frame sources: video files and GIFs (PyAV), image folders and webcams (OpenCV).

Every source yields :class:`~formcheck.types.Frame` objects (RGB uint8 image,
index, presentation time in seconds from 0) and describes itself with a
:class:`SourceInfo`. :class:`ThreadedReader` decodes ahead on a worker thread.
Failures raise :class:`~formcheck.errors.SourceError` with a one-line message.
"""

from formcheck.sources.base import FrameSource, SourceInfo
from formcheck.sources.camera import CameraSource
from formcheck.sources.factory import open_source
from formcheck.sources.images import ImageFolderSource
from formcheck.sources.threaded import ThreadedReader
from formcheck.sources.video import VideoSource

__all__ = [
    "CameraSource",
    "FrameSource",
    "ImageFolderSource",
    "SourceInfo",
    "ThreadedReader",
    "VideoSource",
    "open_source",
]
