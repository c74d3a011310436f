"""Per-frame signal values from a pose, and the declarative conditions on them.

A landmark below the visibility threshold is NaN, so any signal that reads it is
NaN; a condition on a NaN signal is unknown (``None``), never true or false.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

from formcheck import kinematics
from formcheck.landmarks import INDEX, resolve
from formcheck.specs.schema import (
    Condition,
    ExerciseSpec,
    Extremum,
    ForwardOffset,
    JointAngle,
    LandmarkSignal,
    LineOffset,
    NormalisedDistance,
    SegmentElevation,
    SegmentInclination,
    landmark_fields,
)
from formcheck.types import PoseFrame

SIDES: tuple[str, str] = ("left", "right")


def _landmark_value(signal: LandmarkSignal, p: list[np.ndarray]) -> float:
    """One signal from its landmark points ``p`` (in ``landmark_fields`` order)."""
    if isinstance(signal, JointAngle):
        angle = kinematics.joint_angle(p[0], p[1], p[2])
        if signal.past_straight and kinematics.line_offset(p[1], p[0], p[2]) > 0:
            angle = 360.0 - angle
        return float(angle)
    if isinstance(signal, SegmentElevation):
        return float(kinematics.segment_elevation(p[0], p[1]))
    if isinstance(signal, SegmentInclination):
        return float(kinematics.segment_inclination(p[0], p[1]))
    if isinstance(signal, LineOffset):
        return float(kinematics.line_offset(p[0], p[1], p[2]))
    if isinstance(signal, NormalisedDistance):
        return float(kinematics.normalised_distance(p[0], p[1], p[2], p[3]))
    if isinstance(signal, ForwardOffset):
        return float(kinematics.forward_offset(p[0], p[1], p[2], p[3], p[4], p[5]))
    raise TypeError(f"not a landmark signal: {signal!r}")


class SignalEvaluator:
    """Evaluates a spec's signals on one pose for one body side.

    Args:
        spec: the exercise spec.
        visibility_min: landmarks below this visibility count as unseen.
    """

    def __init__(self, spec: ExerciseSpec, visibility_min: float) -> None:
        self._signals = spec.signals
        self._visibility_min = visibility_min
        self._indices = {
            side: {
                name: [
                    INDEX[resolve(n, side)] for names in landmark_fields(s).values() for n in names
                ]
                for name, s in spec.signals.items()
                if not isinstance(s, Extremum)
            }
            for side in SIDES
        }

    def required_landmarks(
        self, sides: Iterable[str], signals: Iterable[str] | None = None
    ) -> set[int]:
        """Indices of the landmarks that ``signals`` (default: every signal) read on
        ``sides``; a ``min``/``max`` signal reads its members' landmarks."""
        names = set(self._signals if signals is None else signals)
        for name in list(names):
            signal = self._signals[name]
            if isinstance(signal, Extremum):
                names.discard(name)
                names.update(signal.of)
        return {i for side in sides for name in names for i in self._indices[side][name]}

    def view_independent(self, signals: Iterable[str]) -> bool:
        """True when ``signals`` (a ``min``/``max`` through its members) are all
        measured in world space, which does not depend on the camera's viewpoint."""
        names = list(signals)
        while names:
            signal = self._signals[names.pop()]
            if isinstance(signal, Extremum):
                names += signal.of
            elif signal.space != "world":
                return False
        return True

    def evaluate(self, pose: PoseFrame, side: str) -> dict[str, float]:
        """Every signal's value on ``pose`` for ``side``; NaN where a landmark is unseen."""
        unseen = ~(pose.visibility >= self._visibility_min)
        image = pose.pixel_xy()
        image[unseen] = np.nan
        world = pose.world_xyz.copy()
        world[unseen] = np.nan
        values: dict[str, float] = {}
        for name, signal in self._signals.items():
            if isinstance(signal, Extremum):
                continue
            points = image if signal.space == "image" else world
            values[name] = _landmark_value(signal, [points[i] for i in self._indices[side][name]])
        for name, signal in self._signals.items():
            if isinstance(signal, Extremum):
                members = [values[m] for m in signal.of]
                pick = min if signal.type == "min" else max
                values[name] = math.nan if any(math.isnan(v) for v in members) else pick(members)
        return values

    def nan_values(self) -> dict[str, float]:
        """Every signal as NaN (a frame without a usable pose)."""
        return dict.fromkeys(self._signals, math.nan)


def check_condition(cond: Condition, value: float) -> bool | None:
    """``cond`` applied to ``value``; None when ``value`` is NaN."""
    if math.isnan(value):
        return None
    if isinstance(cond.value, tuple):
        low, high = cond.value
        inside = low <= value <= high
        return inside if cond.op == "between" else not inside
    threshold = cond.value
    if cond.op == "<":
        return value < threshold
    if cond.op == "<=":
        return value <= threshold
    if cond.op == ">":
        return value > threshold
    return value >= threshold


def all_of(conditions: Iterable[Condition], values: Mapping[str, float]) -> bool | None:
    """True if every condition holds, False if one fails, None if unknown otherwise.

    Each condition reads ``values[cond.signal]`` or ``values[cond.metric]``.
    """
    unknown = False
    for cond in conditions:
        key = cond.signal if cond.signal is not None else cond.metric
        result = check_condition(cond, values[str(key)])
        if result is False:
            return False
        unknown |= result is None
    return None if unknown else True
