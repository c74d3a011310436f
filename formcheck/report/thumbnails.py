"""The worst frame of each fault, grabbed from the video and shrunk to a JPEG.

"Worst" is the frame, within the fault's interval, where the fault's first
signal condition is violated by the widest margin (``<``: the lowest value,
``>``: the highest, ``outside``: farthest out, ``between``: deepest in). Rep
faults (conditions on rep metrics) use the frame where the rep's signal peaks.
Without a usable signal the middle of the interval is taken.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np

from formcheck.cpu import helper_threads
from formcheck.engine import FaultSpan
from formcheck.render.overlay import SkeletonAnnotator
from formcheck.report.result import Report
from formcheck.sources import open_source
from formcheck.specs import Condition, ExerciseSpec
from formcheck.types import PoseFrame

THUMB_WIDTH_PX = 360
JPEG_QUALITY = 80


def _badness(cond: Condition, values: np.ndarray) -> np.ndarray:
    """How far each value is into the condition's bad region (larger is worse)."""
    if isinstance(cond.value, tuple):
        low, high = cond.value
        if cond.op == "outside":
            return np.maximum(low - values, values - high)
        return np.minimum(values - low, high - values)
    return cond.value - values if cond.op in ("<", "<=") else values - cond.value


def _signal(signals: Mapping[str, np.ndarray], name: str, side: str | None) -> np.ndarray | None:
    if side and f"{name}.{side}" in signals:
        return signals[f"{name}.{side}"]
    return signals.get(name)


def worst_frame(
    fault: FaultSpan,
    spec: ExerciseSpec,
    t_s: np.ndarray,
    signals: Mapping[str, np.ndarray],
) -> int | None:
    """Index into ``t_s`` of the fault's worst frame; ``None`` if no frame is in its interval."""
    inside = np.flatnonzero((t_s >= fault.start_s) & (t_s <= fault.end_s))
    if inside.size == 0:
        return None
    rule = next((r for r in spec.faults if r.id == fault.id), None)
    side = fault.side
    badness = None
    if rule is not None and rule.scope == "frame":
        cond = next((c for c in rule.when if c.signal is not None), None)
        values = _signal(signals, cond.signal, side) if cond and cond.signal else None
        if cond is not None and values is not None:
            badness = _badness(cond, np.asarray(values, dtype=np.float64)[inside])
    elif spec.reps is not None:
        values = _signal(signals, spec.reps.signal, side)
        if values is not None:
            peak = np.asarray(values, dtype=np.float64)[inside]
            badness = -peak if spec.reps.peak == "low" else peak
    if badness is None or not np.isfinite(badness).any():
        return int(inside[inside.size // 2])
    return int(inside[int(np.nanargmax(badness))])


def grab_frames(
    path: Path, indices: Sequence[int], decoder_threads: int | None = None
) -> dict[int, np.ndarray]:
    """RGB images of the frames with these source indices (decoding stops after the
    last), decoded on ``decoder_threads`` (None: FFmpeg's choice)."""
    wanted = set(indices)
    images: dict[int, np.ndarray] = {}
    if not wanted:
        return images
    last = max(wanted)
    with open_source(path, decoder_threads=decoder_threads) as source:
        for frame in source:
            if frame.index in wanted:
                images[frame.index] = frame.image
            if frame.index >= last:
                break
    return images


def jpeg_thumbnail(
    image_rgb: np.ndarray, pose: PoseFrame | None, skeleton: SkeletonAnnotator | None = None
) -> bytes:
    """A JPEG of ``image_rgb`` (skeleton drawn when ``pose`` is given), ``THUMB_WIDTH_PX`` wide."""
    bgr = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR)
    if pose is not None:
        (skeleton or SkeletonAnnotator()).annotate(bgr, pose)
    scale = THUMB_WIDTH_PX / bgr.shape[1]
    if scale < 1.0:
        size = (THUMB_WIDTH_PX, max(1, round(bgr.shape[0] * scale)))
        bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return data.tobytes()


def fault_thumbnails(path: Path, report: Report, poses: Sequence[PoseFrame]) -> dict[int, bytes]:
    """JPEG of each fault's worst frame, by index into ``report.session.faults``.

    Args:
        path: the video the report was made from.
        report: the report (its spec's fault conditions, the engine's signals).
        poses: the smoothed poses aligned with ``report.session.t_s`` (their
            ``index`` is the source frame).
    """
    session = report.session
    t_s = np.asarray(session.t_s, dtype=np.float64)
    worst = {}
    for i, fault in enumerate(session.faults):
        frame = worst_frame(fault, report.spec, t_s, session.signals)
        if frame is not None:
            worst[i] = frame
    threads = helper_threads(report.analysis.inference_threads)  # as busy as the analysis saw
    images = grab_frames(path, [poses[k].index for k in worst.values()], threads)
    skeleton = SkeletonAnnotator(visibility_min=report.spec.session.visibility_min)
    return {
        i: jpeg_thumbnail(images[poses[k].index], poses[k], skeleton)
        for i, k in worst.items()
        if poses[k].index in images
    }
