"""A home session: exercises in order, each for its sets, with rests between.

The runner owns one :class:`~formcheck.engine.Engine` per set. A set ends when
the engine reports ``set_complete`` (the lower bound of the target reached),
then the spec's ``targets.rest_s`` counts down on the session clock before the
next set starts with a fresh engine. The patient can skip to the next exercise
(``n``) or restart the current set (``r``); quitting keeps the set in progress.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from formcheck.engine import Engine, Event, SessionResult
from formcheck.specs import ExerciseSpec
from formcheck.types import PoseFrame

Phase = Literal["exercise", "rest", "done"]


@dataclass(frozen=True, slots=True)
class SetPlan:
    """One set of one exercise in the session.

    Attributes:
        spec: the exercise (program overrides already applied).
        exercise_index: 0-based position of the exercise in the program.
        set_number: 1-based set of the exercise; ``sets`` how many it has.
        rest_s: rest after this set (0 after the program's last set, or when
            the spec prescribes none).
    """

    spec: ExerciseSpec
    exercise_index: int
    set_number: int
    sets: int
    rest_s: float

    @property
    def label(self) -> str:
        return f"{self.spec.title}, set {self.set_number} of {self.sets}"


def plan_sets(specs: Sequence[ExerciseSpec]) -> list[SetPlan]:
    """Every set of ``specs`` in order, with the rest that follows each."""
    plans = [
        SetPlan(spec, i, n, spec.targets.sets, spec.targets.rest_s or 0.0)
        for i, spec in enumerate(specs)
        for n in range(1, spec.targets.sets + 1)
    ]
    if plans:
        plans[-1] = replace(plans[-1], rest_s=0.0)
    return plans


@dataclass(frozen=True, slots=True)
class FinishedSet:
    """A set that ended: its plan, the engine's result and whether it was completed."""

    plan: SetPlan
    result: SessionResult
    complete: bool


@dataclass
class RunnerStep:
    """What one frame did to the session.

    Attributes:
        events: the engine's events for the frame (none while resting).
        finished: the set that ended on this frame, if any.
        announcements: phrases for the patient ("Set complete. Rest 60 seconds").
    """

    events: list[Event] = field(default_factory=list)
    finished: FinishedSet | None = None
    announcements: list[str] = field(default_factory=list)


class ProgramRunner:
    """Steps through the sets of a session as poses arrive.

    Args:
        specs: the exercises in order (at least one).

    Attributes:
        phase: ``"exercise"``, ``"rest"`` or ``"done"``.
        set_id: increases each time a new set (a new engine) starts.
    """

    def __init__(self, specs: Sequence[ExerciseSpec]) -> None:
        self.plans = plan_sets(specs)
        if not self.plans:
            raise ValueError("a session needs at least one exercise")
        self._index = 0
        self.phase: Phase = "exercise"
        self.set_id = 0
        self.engine = Engine(self.plan.spec, keep_history=False)
        self._frames = 0
        self._rest_ends_s = math.nan

    @property
    def plan(self) -> SetPlan:
        """The current set, or during a rest the set that comes next."""
        return self.plans[min(self._index, len(self.plans) - 1)]

    def rest_left_s(self, t_s: float) -> float:
        """Seconds of rest left at ``t_s`` (0 outside a rest)."""
        return max(0.0, self._rest_ends_s - t_s) if self.phase == "rest" else 0.0

    def _start(self, index: int, t_s: float, rest_s: float) -> list[str]:
        self._index = index
        if index >= len(self.plans):
            self.phase = "done"
            return ["Session complete. Well done."]
        self.engine = Engine(self.plan.spec, keep_history=False)
        self.set_id += 1
        self._frames = 0
        if rest_s > 0:
            self.phase = "rest"
            self._rest_ends_s = t_s + rest_s
            return [f"Rest {rest_s:.0f} seconds. Next: {self.plan.label}."]
        self.phase = "exercise"
        return [f"Next: {self.plan.label}."]

    def _finish(self, complete: bool) -> FinishedSet | None:
        if self._frames == 0:
            return None
        return FinishedSet(self.plan, self.engine.finish(), complete)

    def update(self, pose: PoseFrame) -> RunnerStep:
        """Feed one smoothed pose (its ``t_s`` is the session clock)."""
        step = RunnerStep()
        if self.phase == "rest" and pose.t_s >= self._rest_ends_s:
            self.phase = "exercise"
            step.announcements.append(f"Start {self.plan.label}.")
        if self.phase != "exercise":
            return step
        step.events = self.engine.update(pose)
        self._frames += 1
        if self.engine.status.state == "set_complete":
            step.finished = self._finish(complete=True)
            step.announcements.append("Set complete.")
            step.announcements += self._start(self._index + 1, pose.t_s, self.plan.rest_s)
        return step

    def next_exercise(self, t_s: float) -> RunnerStep:
        """End the current set (kept if it saw frames) and go to the next exercise's
        first set at once; after the last exercise the session is done. During a
        rest before an exercise's first set, that set starts at once."""
        step = RunnerStep()
        if self.phase == "done":
            return step
        if self.phase == "rest" and self.plan.set_number == 1:
            self.phase = "exercise"
            step.announcements.append(f"Start {self.plan.label}.")
            return step
        if self.phase == "exercise":
            step.finished = self._finish(complete=False)
        current = self.plan.exercise_index
        following = next(
            (i for i, p in enumerate(self.plans) if p.exercise_index > current), len(self.plans)
        )
        step.announcements += self._start(following, t_s, 0.0)
        return step

    def reset_set(self) -> None:
        """Start the current set again with a fresh engine (nothing while resting)."""
        if self.phase == "exercise":
            self.engine = Engine(self.plan.spec, keep_history=False)
            self.set_id += 1
            self._frames = 0

    def finish(self) -> FinishedSet | None:
        """End the session: the set in progress, if it saw frames."""
        finished = self._finish(complete=False) if self.phase == "exercise" else None
        self.phase = "done"
        return finished
