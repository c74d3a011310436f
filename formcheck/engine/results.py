"""What the engine emits: live ``Event``s and ``EngineStatus``, and the ``SessionResult``.

All times are seconds on the input's clock (``PoseFrame.t_s``). ``side`` is
``"left"`` / ``"right"`` for the body side a record belongs to.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

EventKind = Literal[
    "state", "rep", "hold_start", "hold_end", "fault_start", "fault_end", "cue", "cut"
]
State = Literal["no_person", "positioning", "exercising", "resting", "set_complete"]
ACTIVE_STATES: frozenset[str] = frozenset({"exercising", "resting", "set_complete"})


@dataclass(frozen=True)
class Event:
    """Something that happened at ``t_s``; ``data`` is JSON-friendly."""

    kind: EventKind
    t_s: float
    data: dict[str, Any]


@dataclass(frozen=True)
class Rep:
    """One counted rep (or cycle).

    Attributes:
        index: 1-based count on its side (alternating) or overall.
        peak: the primary signal's most extreme value toward the peak band.
        rom: range of motion, the primary signal's travel from rest to peak.
        outbound_s: time from leaving rest to reaching the peak band.
        return_s: time from leaving the peak band to reaching rest.
        hold_s: time in the peak band (the hold at the top/bottom).
        faults: ids of form faults during the rep.
        good: True when no form fault was flagged during the rep (a hold shorter
            than prescribed is dosage, not form: see :class:`Dosage`).
    """

    index: int
    side: str
    start_s: float
    end_s: float
    peak: float
    rom: float
    outbound_s: float
    return_s: float
    hold_s: float
    faults: tuple[str, ...] = ()

    @property
    def good(self) -> bool:
        return not self.faults

    def to_dict(self) -> dict[str, Any]:
        return {**_plain(self), "faults": list(self.faults), "good": self.good}


@dataclass(frozen=True)
class Hold:
    """One held posture: from its first to its last in-band frame.

    ``duration_s`` excludes brief wobbles out of the band (unseen frames count as held).
    """

    side: str
    start_s: float
    end_s: float
    duration_s: float
    target_s: float

    @property
    def target_met(self) -> bool:
        return self.duration_s >= self.target_s

    def to_dict(self) -> dict[str, Any]:
        return {**_plain(self), "target_met": self.target_met}


@dataclass(frozen=True)
class FaultSpan:
    """A form fault from its first to its last offending frame (rep faults: the rep)."""

    id: str
    start_s: float
    end_s: float
    message: str
    severity: str
    side: str

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class Cue:
    """A coaching cue shown to the patient."""

    t_s: float
    fault_id: str
    message: str
    side: str

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class StateSpan:
    """The session was in ``state`` from ``start_s`` to ``end_s``."""

    state: str
    start_s: float
    end_s: float

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class NotCounted:
    """A movement that was seen but not counted as a rep.

    Attributes:
        reason: a key of ``formcheck.engine.reps.NOT_COUNTED_REASONS``, or
            ``"unmeasured"`` (the landmarks the count reads were out of the
            picture or hidden, while the model still placed them).
        message: why, in words.
    """

    side: str
    start_s: float
    end_s: float
    reason: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class Dosage:
    """How much was done against the prescription. Dosage is not form: a short
    hold or too few reps never make a rep's form bad.

    Attributes:
        reps_done: reps counted (None for holds, and where the camera view could not
            measure the count).
        reps_target: the prescribed ``[min, max]`` reps, per side when ``per_side``.
        peak_name: what the spec calls its working position ("top").
        peak_hold_target_s: the prescribed hold in the working position per rep.
        peak_holds_s: each counted rep's time in the working position.
        reps_held: counted reps that held it long enough (None: no hold prescribed).
        hold_target_s: the prescribed ``[min, max]`` hold (hold exercises).
        best_hold_s: the longest hold (per side: the shortest of the sides' longest).
        total_hold_s: all holds together.
        notes: the dosage in words, one sentence each.
    """

    reps_done: int | None
    reps_target: tuple[int, int] | None
    per_side: bool
    peak_name: str
    peak_hold_target_s: float | None
    peak_holds_s: tuple[float, ...]
    reps_held: int | None
    hold_target_s: tuple[float, float] | None
    best_hold_s: float | None
    total_hold_s: float | None
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class Headline:
    """The one line that sums a session up, fitted to the exercise.

    Attributes:
        kind: ``"reps"``, ``"cycles"`` (counted only) or ``"hold"``.
        text: e.g. "Reps: 5, good form on all 5", "Cycles: 3 (form not
            assessed)", "Hold: 6.5 s of 30 s".
        form_assessed: False when the spec checks no form fault.
    """

    kind: str
    text: str
    form_assessed: bool

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class ViewResult:
    """The camera view: the one the spec needs, how often another one was seen,
    the faults not judged in those frames (they need the spec's view), and
    whether the count or hold went unmeasured because the session was seen
    mostly from a view where the spec says it cannot be measured."""

    expected: str
    other_share: float
    withheld: tuple[str, ...]
    not_measurable: bool

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class FrameRateResult:
    """Whether enough frames were analysed to judge form.

    Attributes:
        analysed_fps: median analysed frames per second.
        needed_fps: what the spec's shortest timed form check needs
            (``session.judge_frames`` frames within it).
        low_share: share of frames analysed below ``needed_fps``.
        withheld: form checks not judged at that rate.
    """

    analysed_fps: float
    needed_fps: float
    low_share: float
    withheld: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class EngineStatus:
    """A snapshot for live display, updated every frame.

    Attributes:
        hold_s: seconds of the current hold (hold exercises) or of the current
            dwell in the peak band (reps with a required hold); None when not holding.
        hold_target_s: the hold to reach, or None.
        cue: the cue on screen, or None.
        signals: current values of the key signals (NaN when unseen).
        analysed_fps: frames analysed per second lately (NaN before two frames).
        needed_fps: what the spec's form checks need; below it they are withheld.
    """

    t_s: float
    state: str
    side: str | None
    reps_total: int
    reps_left: int | None
    reps_right: int | None
    hold_s: float | None
    hold_target_s: float | None
    cue: str | None
    signals: dict[str, float]
    analysed_fps: float = math.nan
    needed_fps: float = 0.0

    @property
    def too_few_frames(self) -> bool:
        """True while frames come too slowly to judge form."""
        return self.analysed_fps < self.needed_fps


@dataclass(frozen=True)
class TargetsResult:
    """The prescription, and whether this session met it (None: not measurable)."""

    reps: tuple[int, int] | None
    hold_s: tuple[float, float] | None
    sets: int
    rest_s: float | None
    per_side: bool
    source: str
    met: bool | None

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class SessionResult:
    """Everything one session produced.

    Attributes:
        side: the side analysed (``"left"``/``"right"``), or the spec's ``sides``
            (``"both"``/``"alternating"``) when each side was tracked.
        reps_left, reps_right: per-side counts; None unless sides are tracked separately.
        not_counted: movements seen but not counted, with why.
        dosage: reps and holds against the prescription.
        headline: the session in one line.
        cuts: times where the video was cut (:meth:`Engine.cut`); a cut never
            completes a rep by itself.
        view: the camera view and the faults withheld outside the spec's view.
        frame_rate: whether enough frames were analysed to judge form.
        t_s: (T,) frame times. signals: name → (T,) values for plots; per-side
            signals are named ``"<signal>.<side>"``.
    """

    exercise_id: str
    side: str | None
    reps_total: int
    reps_left: int | None
    reps_right: int | None
    reps: tuple[Rep, ...]
    holds: tuple[Hold, ...]
    faults: tuple[FaultSpan, ...]
    cues: tuple[Cue, ...]
    states: tuple[StateSpan, ...]
    warnings: tuple[str, ...]
    targets: TargetsResult
    limitations: str
    not_counted: tuple[NotCounted, ...]
    dosage: Dosage
    headline: Headline
    cuts: tuple[float, ...]
    view: ViewResult
    frame_rate: FrameRateResult
    t_s: np.ndarray = field(repr=False)
    signals: dict[str, np.ndarray] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (NaN stays NaN; the report writer maps it to null)."""
        return {
            "exercise_id": self.exercise_id,
            "side": self.side,
            "reps": {
                "total": self.reps_total,
                "left": self.reps_left,
                "right": self.reps_right,
                "details": [rep.to_dict() for rep in self.reps],
            },
            "holds": [hold.to_dict() for hold in self.holds],
            "faults": [fault.to_dict() for fault in self.faults],
            "cues": [cue.to_dict() for cue in self.cues],
            "states": [span.to_dict() for span in self.states],
            "warnings": list(self.warnings),
            "targets": self.targets.to_dict(),
            "limitations": self.limitations,
            "not_counted": [item.to_dict() for item in self.not_counted],
            "dosage": self.dosage.to_dict(),
            "headline": self.headline.to_dict(),
            "cuts": list(self.cuts),
            "view": self.view.to_dict(),
            "frame_rate": self.frame_rate.to_dict(),
            "t_s": self.t_s.tolist(),
            "signals": {name: values.tolist() for name, values in self.signals.items()},
        }


def _plain(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out
