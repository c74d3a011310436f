"""MP4 writing (H.264 through PyAV) with the source's own timestamps."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO

import av
import numpy as np

from formcheck.atomic import AtomicFile
from formcheck.types import FALLBACK_FPS

if TYPE_CHECKING:
    from formcheck.pipeline import Analysis


class VideoWriter:
    """Writes RGB frames to an H.264 MP4, atomically (the file appears on close).

    Args:
        path: output ``.mp4``, or a seekable binary stream (``io.BytesIO``) to write
            the video to memory, leaving no file anywhere.
        width, height: frame size; odd sizes are cropped by one pixel (yuv420p).
        fps: nominal rate, used for the stream's time base.
        crf: x264 quality (lower is better, bigger).

    Frames are written with their own timestamps (``write(image, t_s)``), so a
    variable-frame-rate source keeps its timing.
    """

    def __init__(
        self, path: str | Path | BinaryIO, width: int, height: int, fps: float, crf: int = 26
    ):
        self._file = AtomicFile(path) if isinstance(path, (str, Path)) else None
        target = str(self._file.path) if self._file is not None else path
        self._container = av.open(target, mode="w", format="mp4")
        self._closed = False
        rate = Fraction(fps if fps > 0 else FALLBACK_FPS).limit_denominator(1001)
        self._stream = self._container.add_stream("libx264", rate=rate)
        self._stream.width = width - width % 2
        self._stream.height = height - height % 2
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": str(crf), "preset": "veryfast"}
        self._stream.codec_context.time_base = Fraction(1, 90000)
        self._last_pts = -1

    def write(self, image_rgb: np.ndarray, t_s: float) -> None:
        h, w = self._stream.height, self._stream.width
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image_rgb[:h, :w]), format="rgb24")
        pts = max(int(round(t_s * 90000)), self._last_pts + 1)
        frame.pts = pts
        frame.time_base = Fraction(1, 90000)
        self._last_pts = pts
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self, keep: bool = True) -> None:
        if self._closed:
            return
        try:
            for packet in self._stream.encode():
                self._container.mux(packet)
        finally:
            self._container.close()
            self._closed = True
        if self._file is None:
            return
        if keep:
            self._file.commit()
        else:
            self._file.discard()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(keep=exc_type is None)


def write_annotated(source_path: Path, analysis: Analysis, out_path: Path | BinaryIO) -> None:
    """Re-read ``source_path`` and write it with skeleton, angles and counters drawn.

    Args:
        source_path: the analysed video.
        analysis: its analysis (smoothed poses and per-frame engine statuses, in
            frame order; the report's spec for titles, targets and angles).
        out_path: the MP4 to write, or a binary stream (see :class:`VideoWriter`).
    """
    import cv2

    from formcheck.cpu import helper_threads
    from formcheck.render.hud import overlay_state
    from formcheck.render.overlay import SkeletonAnnotator, annotate
    from formcheck.sources import open_source

    spec = analysis.report.spec
    skeleton = SkeletonAnnotator(visibility_min=spec.session.visibility_min)
    by_index = {pose.index: i for i, pose in enumerate(analysis.smoothed)}
    threads = helper_threads(analysis.report.analysis.inference_threads)
    with open_source(source_path, decoder_threads=threads) as source:
        info = source.info
        fps = analysis.report.stats.fps or info.fps
        with VideoWriter(out_path, info.width, info.height, fps) as writer:
            for frame in source:
                i = by_index.get(frame.index)
                bgr = cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR)
                if i is not None:
                    state = overlay_state(spec, analysis.statuses[i])
                    annotate(bgr, analysis.smoothed[i], state, skeleton)
                writer.write(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), frame.t_s)
