"""Camera placement guidance read from the pose itself.

Per frame, in order of priority: nobody in view; part of the body the exercise
needs is outside the image (and at which edge); the person is too small in the
image (too far away) for reliable landmarks; the camera view is wrong for the
exercise (side-on needed, or facing). Also which way the person faces in the
image. The session's debounced state stays the engine's; this only says *what*
to fix while the engine reports ``positioning`` or ``no_person``.

``TOO_FAR_SIZE`` was measured with ``benchmarks/live_placement.py`` (Tasks backend
of commit c01b8b8): two side-view squat clips (``realclips/squat/eti_squat1_side.mp4``,
``carlos_squat_side.mp4``), 12 frames each, shrunk onto a grey canvas of the
original size. Size is the larger extent of the body-core landmarks and the nose
over the image's larger side (:func:`body_size`). At sizes 0.18-0.31 every frame
was detected and the knee angle stayed within a median 0.6-2.0° (max 6.8°) of
the full-size frame; at 0.15 one frame was off by 15.6°; at 0.12 only 6 of 12
frames were detected (max error 61°) on one clip, and one scale step further
nobody was detected on either clip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from formcheck.engine.session import view_width_ratio
from formcheck.engine.signals import SIDES, SignalEvaluator
from formcheck.kinematics import facing_direction
from formcheck.landmarks import BODY_CORE, INDEX
from formcheck.specs import ExerciseSpec
from formcheck.types import PoseFrame

TOO_FAR_SIZE = 0.2

_SIZE_POINTS = [INDEX[name] for name in (*BODY_CORE, "nose")]
_EDGES = ("left", "right", "top", "bottom")


def body_size(pose: PoseFrame) -> float:
    """Larger extent of the body-core landmarks and the nose, over the image's
    larger side (NaN with fewer than two of them seen)."""
    xy = pose.pixel_xy()[_SIZE_POINTS]
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    if len(xy) < 2:
        return math.nan
    extent = xy.max(axis=0) - xy.min(axis=0)
    return float(extent.max() / max(pose.width, pose.height))


@dataclass(frozen=True, slots=True)
class Placement:
    """What the camera sees of the person in one frame.

    Attributes:
        problem: ``None`` when the placement is fine, else ``"no_person"``,
            ``"out_of_frame"``, ``"too_far"`` or ``"wrong_view"``.
        message: what to tell the patient ("" when fine).
        facing: ``"left"`` / ``"right"`` (the way the person faces in the image),
            or None when unknown.
        size: body extent over the image's larger side (NaN without a person).
        cut_off: image edges the needed landmarks cross, e.g. ``("bottom",)``.
    """

    problem: str | None
    message: str
    facing: str | None
    size: float
    cut_off: tuple[str, ...] = ()


class PlacementJudge:
    """Judges camera placement for one exercise spec.

    Args:
        spec: the exercise (its landmarks, camera view and side-view threshold).
        too_far_size: smallest acceptable body size (see ``TOO_FAR_SIZE``).

    Example:
        >>> judge = PlacementJudge(load_spec("squat"))  # doctest: +SKIP
        >>> judge.judge(pose).message  # doctest: +SKIP
        'Turn side-on to the camera'
    """

    def __init__(self, spec: ExerciseSpec, too_far_size: float = TOO_FAR_SIZE) -> None:
        self.spec = spec
        self.too_far_size = too_far_size
        evaluator = SignalEvaluator(spec)
        self._needed = sorted(evaluator.required_landmarks(SIDES) | set(_SIZE_POINTS))

    def judge(self, pose: PoseFrame) -> Placement:
        """The placement seen in ``pose`` (a raw, unsmoothed pose)."""
        if not pose.detected:
            return Placement("no_person", "No person in view", None, math.nan)
        direction = float(facing_direction(pose.image_xyz))
        facing = {1.0: "right", -1.0: "left"}.get(direction)
        xy = pose.image_xyz[self._needed, :2]
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        if xy.size == 0:
            return Placement("no_person", "No person in view", None, math.nan)
        size = body_size(pose)
        outside = (xy[:, 0] < 0, xy[:, 0] > 1, xy[:, 1] < 0, xy[:, 1] > 1)
        cut_off = tuple(edge for edge, mask in zip(_EDGES, outside, strict=True) if mask.any())
        if cut_off:
            where = " and ".join(cut_off)
            message = f"Step back into view (cut off at the {where})"
            return Placement("out_of_frame", message, facing, size, cut_off)
        if size < self.too_far_size:
            return Placement("too_far", "Come closer to the camera", facing, size)
        ratio = view_width_ratio(pose)
        side_on = ratio <= self.spec.session.side_view_max_width
        if not math.isnan(ratio) and side_on != (self.spec.view == "side"):
            side = self.spec.view == "side"
            message = "Turn side-on to the camera" if side else "Face the camera"
            return Placement("wrong_view", message, facing, size)
        return Placement(None, "", facing, size)
