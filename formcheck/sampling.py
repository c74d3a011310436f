"""Adaptive analysis rate: run the pose model on fewer frames where nothing happens.

Therapy exercises are slow (2 s holds, 10 s stretches), so most frames of a
recording add nothing to the counts. :class:`AdaptiveSampler` picks the frames to
analyse: a calm rate derived from the spec's own timing (a spec that allows
0.5 s reps needs more samples than a 30 s plank), and **every** frame whenever a
watched signal is near, or could reach before the next sample, one of the spec's
thresholds (rep enter/exit/rest, hold band edges, fault limits, rep-metric
limits such as a squat's depth). The skipped frames are then filled by linear
interpolation of the landmarks (:func:`fill_skipped`), so smoothing and the
engine run on the full timeline exactly as at full rate.

When a change happens between two calm samples anyway (a sudden start from
rest), the frames skipped in between are analysed after the fact by a second
tracker (:meth:`AdaptiveSampler.observe` says when), so the change is still timed
to the frame.

The calm interval is ``min(min_rep_s / 2, frame faults' min_duration_s,
hold grace_s / 2, max_interval_s)``: at least two samples in the shortest rep,
one in the shortest fault, two in a hold's grace period. Between calm samples a
crossing cannot hide: the sampler switches to every frame as soon as a signal's
current speed could carry it to a threshold before the next calm sample.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

import numpy as np

from formcheck.engine.signals import SIDES, SignalEvaluator
from formcheck.kinematics import visible_side
from formcheck.specs import ExerciseSpec
from formcheck.specs.schema import Change, Condition, Extremum
from formcheck.types import PoseFrame


@dataclass(frozen=True)
class SamplingPlan:
    """What the sampler watches for one spec.

    Attributes:
        calm_interval_s: time between analysed frames when nothing is near a threshold.
        thresholds: signal name → values at which the engine's decisions change.
        margins: signal name → how close to a threshold counts as near.
    """

    calm_interval_s: float
    thresholds: dict[str, tuple[float, ...]]
    margins: dict[str, float]


def _condition_values(condition: Condition) -> tuple[float, ...]:
    value = condition.value
    return tuple(value) if isinstance(value, tuple) else (float(value),)


_ANGLE_TYPES = frozenset({"joint_angle", "segment_elevation", "segment_inclination"})


def _margin_floor(spec: ExerciseSpec, name: str) -> float:
    """Smallest margin: 2 degrees for angles, 0.02 for scale-free ratios."""
    signal = spec.signals[name]
    if isinstance(signal, Extremum):
        return max(_margin_floor(spec, member) for member in signal.of)
    if isinstance(signal, Change):
        return _margin_floor(spec, signal.of)
    return 2.0 if signal.type in _ANGLE_TYPES else 0.02


def plan_for(
    spec: ExerciseSpec, max_interval_s: float = 0.5, margin_frac: float = 0.1
) -> SamplingPlan:
    """Derive the sampling plan from the spec's thresholds and timing.

    Args:
        spec: the exercise spec.
        max_interval_s: the calm interval never exceeds this.
        margin_frac: a value within this fraction of the span of the signal's
            thresholds (at least 2 degrees for angles, 0.02 for ratios) of a
            threshold is near it.
    """
    found: dict[str, set[float]] = defaultdict(set)
    intervals = [max_interval_s]
    if spec.reps is not None:
        found[spec.reps.signal] |= {spec.reps.enter, spec.reps.exit, spec.reps.rest}
        intervals.append(spec.reps.min_rep_s / 2.0)
    if spec.hold is not None:
        for condition in spec.hold.when:
            if condition.signal:
                found[condition.signal] |= set(_condition_values(condition))
        intervals.append(spec.hold.grace_s / 2.0)
    for rule in spec.faults:
        for condition in rule.when:
            if condition.signal:
                found[condition.signal] |= set(_condition_values(condition))
            elif condition.metric == "peak" and spec.reps is not None:
                found[spec.reps.signal] |= set(_condition_values(condition))
        if rule.scope == "frame":
            intervals.append(rule.min_duration_s)
    thresholds = {name: tuple(sorted(values)) for name, values in found.items()}
    margins = {
        name: max(margin_frac * (values[-1] - values[0]), _margin_floor(spec, name))
        for name, values in thresholds.items()
    }
    return SamplingPlan(min(intervals), thresholds, margins)


class AdaptiveSampler:
    """Decides, frame by frame, whether the pose model should run.

    Example:
        >>> sampler = AdaptiveSampler(load_spec("plank"))  # doctest: +SKIP
        >>> if sampler.wants(frame.t_s):  # doctest: +SKIP
        ...     sampler.observe(estimator.process(frame))
    """

    def __init__(self, spec: ExerciseSpec, plan: SamplingPlan | None = None) -> None:
        self.plan = plan or plan_for(spec)
        self._evaluator = SignalEvaluator(spec)
        self._per_side = spec.per_side
        self._next_t = -math.inf
        self._last: dict[str, float] = {}
        self._last_t = math.nan
        # Recent analysed values: speeds are measured over about one calm
        # interval, not between adjacent frames, where landmark jitter dominates.
        self._history: deque[tuple[float, dict[str, float]]] = deque()

    def wants(self, t_s: float) -> bool:
        """Should the frame at ``t_s`` be analysed?"""
        return t_s >= self._next_t - 1e-9

    def observe(self, pose: PoseFrame) -> bool:
        """Take an analysed pose into account and schedule the next analysis.

        Returns True when something the engine decides on changed since the
        previous analysed pose (a watched signal crossed one of its thresholds,
        or the person appeared or disappeared): the frames skipped in between
        should then be analysed too, so the change is timed to the frame.
        """
        values = self._values(pose)
        calm = self.plan.calm_interval_s
        while self._history and pose.t_s - self._history[0][0] > calm and len(self._history) > 1:
            self._history.popleft()
        base_t, base = self._history[0] if self._history else (math.nan, {})
        dt = pose.t_s - base_t
        near = any(
            self._near(name, value, base.get(name, math.nan), dt) for name, value in values.items()
        )
        self._history.append((pose.t_s, values))
        crossed = math.isfinite(self._last_t) and (
            bool(values) != bool(self._last)
            or any(
                self._crossed(name, value, self._last.get(name)) for name, value in values.items()
            )
        )
        self._next_t = -math.inf if near else pose.t_s + self.plan.calm_interval_s
        self._last, self._last_t = values, pose.t_s
        return crossed

    def _crossed(self, key: str, value: float, previous: float | None) -> bool:
        if previous is None:
            return True
        low, high = sorted((value, previous))
        return any(low <= t <= high for t in self.plan.thresholds[key.rsplit(".", 1)[0]])

    def _values(self, pose: PoseFrame) -> dict[str, float]:
        """Watched signal values (NaN-free only) on the sides the engine reads: both
        when the spec tracks each side, else the side facing the camera."""
        if not pose.detected:
            return {}
        sides = SIDES if self._per_side else (visible_side(pose.visibility, pose.image_xyz[:, 2]),)
        out = {}
        for side in sides:
            for name, value in self._evaluator.evaluate(pose, side).items():
                if name in self.plan.thresholds and math.isfinite(value):
                    out[f"{name}.{side}"] = value
        return out

    def _near(self, key: str, value: float, earlier: float, dt: float) -> bool:
        name = key.rsplit(".", 1)[0]
        margin = self.plan.margins[name]
        # Where could the signal be by the next calm sample, at its current speed?
        reach = 0.0
        if math.isfinite(earlier) and dt > 0:
            reach = abs(value - earlier) / dt * self.plan.calm_interval_s
        low, high = value - reach - margin, value + reach + margin
        return any(low <= t <= high for t in self.plan.thresholds[name])


class Timed(Protocol):
    """A frame, or anything standing for one, with its position and time."""

    @property
    def index(self) -> int: ...

    @property
    def t_s(self) -> float: ...


F = TypeVar("F", bound=Timed)


def sample_poses(
    frames: Iterable[F],
    sampler: AdaptiveSampler,
    estimate: Callable[[F], PoseFrame],
    refine: Callable[[F], PoseFrame],
) -> list[PoseFrame]:
    """Run ``estimate`` on the frames ``sampler`` wants, in order.

    When the sampler reports a change since the previous analysed frame, the
    frames skipped in between are analysed by ``refine`` (a second tracker: the
    first one has moved on and needs increasing timestamps). The last frame is
    always analysed, so :func:`fill_skipped` has both ends to interpolate from.
    Returns the analysed poses in time order.
    """
    analysed: list[PoseFrame] = []
    skipped: list[F] = []
    for frame in frames:
        if not sampler.wants(frame.t_s):
            skipped.append(frame)
            continue
        pose = estimate(frame)
        if sampler.observe(pose) and skipped:
            analysed += [refine(s) for s in skipped]
        analysed.append(pose)
        skipped = []
    if skipped:
        analysed.append(estimate(skipped[-1]))
    return analysed


def _interpolate(a: PoseFrame, b: PoseFrame, index: int, t_s: float) -> PoseFrame:
    w = (t_s - a.t_s) / (b.t_s - a.t_s) if b.t_s > a.t_s else 0.0
    return replace(
        a,
        index=index,
        t_s=t_s,
        image_xyz=(1 - w) * a.image_xyz + w * b.image_xyz,
        world_xyz=(1 - w) * a.world_xyz + w * b.world_xyz,
        visibility=np.minimum(a.visibility, b.visibility),
        presence=np.minimum(a.presence, b.presence),
        people=max(a.people, b.people),
    )


def fill_skipped(
    analysed: list[PoseFrame], timeline: list[tuple[int, float]], width: int, height: int
) -> list[PoseFrame]:
    """Full-timeline poses: analysed ones as they are, skipped ones interpolated.

    A skipped frame between two detections gets landmarks interpolated linearly
    in time and the lower of the two visibilities; next to a frame without a
    person it gets no person. ``timeline`` lists every frame's (index, t_s).
    """
    by_index = {pose.index: pose for pose in analysed}
    out: list[PoseFrame] = []
    order = sorted(by_index)
    k = 0
    for index, t_s in timeline:
        pose = by_index.get(index)
        if pose is not None:
            out.append(pose)
            continue
        while k + 1 < len(order) and order[k + 1] < index:
            k += 1
        before = by_index[order[k]] if order and order[k] < index else None
        after = by_index[order[k + 1]] if k + 1 < len(order) and order[k + 1] > index else None
        if before is not None and after is not None and before.detected and after.detected:
            out.append(_interpolate(before, after, index, t_s))
        else:
            out.append(PoseFrame.empty(index, t_s, width, height))
    return out


def resample(poses: list[PoseFrame], spec: ExerciseSpec) -> tuple[list[PoseFrame], int]:
    """The sampling policy alone, on poses known for every frame (saved landmarks,
    synthetic poses): the poses the sampler would have analysed, the rest
    interpolated as :func:`fill_skipped` does, and how many were analysed.
    With no pose model in the loop, no tracker state can differ from full rate.
    """
    if not poses:
        return [], 0
    analysed = sample_poses(poses, AdaptiveSampler(spec), lambda p: p, lambda p: p)
    timeline = [(p.index, p.t_s) for p in poses]
    return fill_skipped(analysed, timeline, poses[0].width, poses[0].height), len(analysed)
