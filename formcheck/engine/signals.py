"""Per-frame signal values from a pose, and the declarative conditions on them.

A landmark is *measured* when its visibility reaches the threshold and it lies in
the picture or less than a margin past its edge (MediaPipe still places a landmark
just outside the picture well: ``benchmarks/results/edge_tolerance.md``): the count
reads landmarks further out (``count_edge_margin``) than form checks do
(``edge_margin``, :meth:`SignalEvaluator.restrict`).
An unmeasured landmark is NaN, so any signal that reads it is NaN; a condition on
a NaN signal is unknown (``None``), never true or false. ``change`` signals need
the rep's history and are filled in by the engine.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

from formcheck import kinematics
from formcheck.landmarks import INDEX, resolve
from formcheck.specs.schema import (
    Change,
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


def unmeasured(pose: PoseFrame, visibility_min: float, edge_margin: float) -> np.ndarray:
    """(33,) True where a landmark is not measured: below ``visibility_min``, or
    more than ``edge_margin`` (a fraction of the picture's size) past its edge."""
    xy = pose.image_xyz[:, :2]
    with np.errstate(invalid="ignore"):
        inside = np.all((xy >= -edge_margin) & (xy <= 1.0 + edge_margin), axis=1)
        return ~(inside & (pose.visibility >= visibility_min))


class SignalEvaluator:
    """Evaluates a spec's signals on one pose for one body side.

    A landmark is measured as the spec's ``session.visibility_min`` and
    ``session.count_edge_margin`` say (:func:`unmeasured`); :meth:`restrict` narrows
    the values to what form checks measure.
    """

    def __init__(self, spec: ExerciseSpec) -> None:
        self._signals = spec.signals
        self._visibility_min = spec.session.visibility_min
        self._edge_margin = spec.session.count_edge_margin
        self._indices = {
            side: {
                name: [
                    INDEX[resolve(n, side)] for names in landmark_fields(s).values() for n in names
                ]
                for name, s in spec.signals.items()
                if not isinstance(s, (Extremum, Change))
            }
            for side in SIDES
        }

    def _landmark_signals(self, names: Iterable[str]) -> set[str]:
        """``names`` with each ``min``/``max``/``change`` replaced by the signals it reads."""
        out: set[str] = set()
        todo = list(names)
        while todo:
            name = todo.pop()
            signal = self._signals[name]
            if isinstance(signal, Extremum):
                todo += signal.of
            elif isinstance(signal, Change):
                todo.append(signal.of)
            else:
                out.add(name)
        return out

    def required_landmarks(
        self, sides: Iterable[str], signals: Iterable[str] | None = None
    ) -> set[int]:
        """Indices of the landmarks that ``signals`` (default: every signal) read on
        ``sides``; a ``min``/``max`` or ``change`` signal reads its members' landmarks."""
        names = self._landmark_signals(self._signals if signals is None else signals)
        return {i for side in sides for name in names for i in self._indices[side][name]}

    def view_independent(self, signals: Iterable[str]) -> bool:
        """True when ``signals`` (through the members of a ``min``/``max`` or
        ``change``) are all measured in world space, which does not depend on the
        camera's viewpoint."""
        members = [self._signals[name] for name in self._landmark_signals(signals)]
        return all(s.space == "world" for s in members if not isinstance(s, (Extremum, Change)))

    def evaluate(
        self, pose: PoseFrame, side: str, unseen: np.ndarray | None = None
    ) -> dict[str, float]:
        """Every signal's value on ``pose`` for ``side`` (``change`` signals NaN:
        the engine fills them in); NaN where a landmark is not measured.

        Args:
            unseen: (33,) landmarks to treat as unseen; default :func:`unmeasured`.
        """
        if unseen is None:
            unseen = unmeasured(pose, self._visibility_min, self._edge_margin)
        image = pose.pixel_xy()
        image[unseen] = np.nan
        world = pose.world_xyz.copy()
        world[unseen] = np.nan
        values = self.nan_values()
        for name, signal in self._signals.items():
            if isinstance(signal, (Extremum, Change)):
                continue
            points = image if signal.space == "image" else world
            values[name] = _landmark_value(signal, [points[i] for i in self._indices[side][name]])
        for name, signal in self._signals.items():
            if isinstance(signal, Extremum):
                values[name] = self._extremum(signal, values)
        return values

    def restrict(
        self, values: Mapping[str, float], side: str, unseen: np.ndarray
    ) -> dict[str, float]:
        """``values`` (of :meth:`evaluate` for ``side``, change signals filled in) with
        every signal NaN that reads a landmark in ``unseen``: the same frame as a
        stricter measurement sees it, without measuring it again."""
        out = dict(values)
        for name, signal in self._signals.items():
            if isinstance(signal, (Extremum, Change)):
                continue
            if unseen[self._indices[side][name]].any():
                out[name] = math.nan
        for name, signal in self._signals.items():  # in order: a min/max reads earlier ones
            if isinstance(signal, Extremum):
                out[name] = self._extremum(signal, out)
        for name, signal in self._signals.items():
            if isinstance(signal, Change) and math.isnan(out[signal.of]):
                out[name] = math.nan
        return out

    def placed_value(self, pose: PoseFrame, side: str, name: str) -> float:
        """Signal ``name`` (a landmark signal or a ``min``/``max``) on every landmark
        the model placed, however unsure or far out of the picture: what the
        movement looked like, for "not counted" reports."""
        signal = self._signals[name]
        if isinstance(signal, Extremum):
            members = {m: self.placed_value(pose, side, m) for m in signal.of}
            return self._extremum(signal, members)
        if isinstance(signal, Change):
            raise ValueError(f"{name!r} is a change signal: the engine measures it")
        points = pose.pixel_xy() if signal.space == "image" else pose.world_xyz
        return _landmark_value(signal, [points[i] for i in self._indices[side][name]])

    @staticmethod
    def _extremum(signal: Extremum, values: Mapping[str, float]) -> float:
        members = [values[m] for m in signal.of]
        pick = min if signal.type == "min" else max
        return math.nan if any(math.isnan(v) for v in members) else pick(members)

    def nan_values(self) -> dict[str, float]:
        """Every signal as NaN (a frame without a usable pose)."""
        return dict.fromkeys(self._signals, math.nan)


def check_condition(cond: Condition, value: float) -> bool | None:
    """``cond`` applied to ``value``; None when ``value`` is NaN (True if ``cond`` is
    ``if_seen``: it judges only what is measured)."""
    if math.isnan(value):
        return True if cond.if_seen else None
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
