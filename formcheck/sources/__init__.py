"""Sources: frames from video files and GIFs (PyAV), image folders and webcams
(OpenCV), and poses from replay files (landmarks saved by an earlier run).

Every frame source yields :class:`~formcheck.types.Frame` objects (RGB uint8 image,
index, presentation time in seconds from 0) and describes itself with a
:class:`SourceInfo`; a :class:`ReplaySource` yields the saved
:class:`~formcheck.types.PoseFrame` objects instead. :class:`ThreadedReader`
decodes ahead on a worker thread. Failures raise
:class:`~formcheck.errors.SourceError` with a one-line message.
"""

from formcheck.sources.base import FrameSource, SourceInfo
from formcheck.sources.camera import CameraSource
from formcheck.sources.factory import open_source
from formcheck.sources.images import ImageFolderSource
from formcheck.sources.replay import REPLAY_SUFFIX, ReplaySource, write_replay
from formcheck.sources.threaded import ThreadedReader
from formcheck.sources.video import VIDEO_EXTENSIONS, VideoSource

__all__ = [
    "REPLAY_SUFFIX",
    "VIDEO_EXTENSIONS",
    "CameraSource",
    "FrameSource",
    "ImageFolderSource",
    "ReplaySource",
    "SourceInfo",
    "ThreadedReader",
    "VideoSource",
    "open_source",
    "write_replay",
]
