"""Keyframed motion channels and the script record every exercise produces.

A motion is a handful of scalar channels (a knee angle, the progress of a left
arm reach, ...) keyed in time and eased between keys with a raised cosine, so
velocities are zero at every key: movements start and stop like a person's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from formcheck.synth.skeleton import SIDES, Body, Pose


@dataclass(frozen=True, slots=True)
class Request:
    """What a motion script is asked to perform."""

    body: Body
    fault: str | None
    rng: np.random.Generator
    reps: int
    hold_s: float
    facing: str


@dataclass(frozen=True, slots=True)
class Rep:
    """One scripted repetition (or cycle): when it starts and ends, and its side."""

    start_s: float
    end_s: float
    side: str | None = None


class Timeline:
    """Builds keyframes for named channels by appending timed moves.

    >>> tl = Timeline({"knee": 175.0})
    >>> tl.move(1.0, knee=90.0)
    >>> tl.wait(0.5)
    >>> tl.t
    1.5
    >>> round(float(tl.sample(np.array([0.5]))["knee"][0]), 6)
    132.5
    """

    def __init__(self, initial: dict[str, float]) -> None:
        self.t = 0.0
        self._keys: dict[str, list[tuple[float, float]]] = {
            name: [(0.0, float(value))] for name, value in initial.items()
        }

    def value(self, channel: str) -> float:
        return self._keys[channel][-1][1]

    def move(self, duration_s: float, **targets: float) -> None:
        """Ease the named channels to their targets over ``duration_s``; others hold."""
        for name, target in targets.items():
            keys = self._keys[name]
            if keys[-1][0] < self.t:
                keys.append((self.t, keys[-1][1]))
            keys.append((self.t + duration_s, float(target)))
        self.t += duration_s

    def wait(self, duration_s: float) -> None:
        self.t += duration_s

    def sample(self, t_s: np.ndarray) -> dict[str, np.ndarray]:
        """Every channel at the times ``t_s`` (held constant after its last key)."""
        out: dict[str, np.ndarray] = {}
        for name, keys in self._keys.items():
            times = np.array([k[0] for k in keys])
            values = np.array([k[1] for k in keys])
            i = np.clip(np.searchsorted(times, t_s, side="right") - 1, 0, len(times) - 1)
            j = np.minimum(i + 1, len(times) - 1)
            span = times[j] - times[i]
            u = np.where(span > 0, (t_s - times[i]) / np.where(span > 0, span, 1.0), 0.0)
            u = np.clip(u, 0.0, 1.0)
            ease = 0.5 - 0.5 * np.cos(np.pi * u)
            out[name] = values[i] + (values[j] - values[i]) * ease
        return out


def sway(rng: np.random.Generator, t_s: np.ndarray, components: int = 3) -> np.ndarray:
    """Smooth unit-scale sway (sum of slow sinusoids, 0.08-0.6 Hz), in [-1, 1]."""
    freqs = rng.uniform(0.08, 0.6, components)
    phases = rng.uniform(0.0, 2.0 * np.pi, components)
    weights = rng.uniform(0.5, 1.0, components)
    wave = (weights[:, None] * np.sin(2 * np.pi * freqs[:, None] * t_s + phases[:, None])).sum(0)
    return wave / weights.sum()


@dataclass(slots=True)
class Script:
    """A scripted performance in the canonical scene (the body faces +X).

    Attributes:
        timeline: the keyed channels.
        posture: maps one frame's channel values (plus ``sway_a``/``sway_b`` in
            [-1, 1]) to a ``Pose``.
        reps: the scripted repetitions.
        active: (start_s, end_s) windows of the exercise proper (rep windows or
            the held phase); faults are only reported inside them.
        view: the camera view the exercise is meant for (a ``clip.VIEW_AZIMUTH_DEG`` key).
        handles_facing: True if ``posture`` itself mirrors for ``facing``
            (otherwise the clip is turned 180° about the vertical for "left").
        props: scene props the renderer should draw (e.g. ``{"wall_x": -0.2}``).
    """

    timeline: Timeline
    posture: Callable[[dict[str, float]], Pose]
    reps: list[Rep]
    active: list[tuple[float, float]]
    view: str = "side"
    handles_facing: bool = False
    props: dict[str, float] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return self.timeline.t


def rep(
    tl: Timeline,
    rng: np.random.Generator,
    out: dict[str, float],
    back: dict[str, float],
    *,
    side: str | None = None,
    out_s: tuple[float, float] = (1.0, 1.6),
    hold_s: tuple[float, float] = (0.15, 0.5),
    back_s: tuple[float, float] = (0.9, 1.4),
) -> Rep:
    """One repetition: ease to ``out``, hold, ease back to ``back`` (random tempo)."""
    start = tl.t
    tl.move(float(rng.uniform(*out_s)), **out)
    tl.wait(float(rng.uniform(*hold_s)))
    tl.move(float(rng.uniform(*back_s)), **back)
    return Rep(start, tl.t, side)


def pause_between(tl: Timeline, rng: np.random.Generator, done: int, total: int) -> None:
    """A pause after rep ``done`` of ``total``; a longer rest midway through long sets."""
    if done >= total:
        return
    tl.wait(float(rng.uniform(0.4, 1.2)))
    if total >= 6 and done == total // 2:
        tl.wait(float(rng.uniform(1.5, 3.0)))


def per_side_holds(
    req: Request,
    ease_in_s: tuple[float, float] = (1.5, 2.0),
    ease_out_s: tuple[float, float] = (1.5, 2.0),
    rest_s: tuple[float, float] = (1.0, 1.8),
) -> tuple[Timeline, list[tuple[float, float]]]:
    """Left then right: ease channel ``side`` 0 → 1, hold ``req.hold_s``, ease back,
    rest; durations drawn uniformly from the given ranges. Returns the timeline and
    the hold intervals."""
    rng = req.rng
    tl = Timeline({"left": 0.0, "right": 0.0})
    tl.wait(float(rng.uniform(1.0, 1.5)))
    active: list[tuple[float, float]] = []
    for side in SIDES:
        tl.move(float(rng.uniform(*ease_in_s)), **{side: 1.0})
        start = tl.t
        tl.wait(req.hold_s)
        active.append((start, tl.t))
        tl.move(float(rng.uniform(*ease_out_s)), **{side: 0.0})
        tl.wait(float(rng.uniform(*rest_s)))
    return tl, active
