"""The exercise spec schema: frozen dataclasses, their defaults, and the checks.

Every default of a spec lives here, once. ``exercise_specs/README.md`` documents
the TOML form of these types. The range and upper bound of every field are in
:data:`formcheck.bounds.SPEC_FIELDS`, checked while parsing; :func:`check_spec`
adds the rules a type cannot express (landmark names exist, thresholds lie in
their signal's range, hysteresis bands are ordered, references between fields
resolve).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Literal, Union

from formcheck.landmarks import VISIBILITY_MIN, is_known
from formcheck.specs.parse import Invalid, collect, join

Space = Literal["image", "world"]
Op = Literal["<", "<=", ">", ">=", "between", "outside"]
Kind = Literal["reps", "alternating_reps", "cycles", "hold"]
Sides = Literal["facing", "left", "right", "both", "alternating"]
Phase = Literal["any", "holding", "rep", "rest", "outbound", "peak", "return"]
RepMetric = Literal[
    "peak", "rom", "duration_s", "outbound_s", "return_s", "hold_s", "hold_shortfall_s"
]
Severity = Literal["info", "warning", "critical"]

REP_KINDS: frozenset[str] = frozenset({"reps", "alternating_reps", "cycles"})
REP_PHASES: frozenset[str] = frozenset({"rep", "rest", "outbound", "peak", "return"})
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class JointAngle:
    """Interior angle at ``points[1]``, degrees; 180 is straight.

    With ``past_straight`` the angle continues past 180 (up to 360) when the
    middle point lies above the line ``points[0]–points[2]`` (a backbend).
    """

    type: Literal["joint_angle"]
    points: tuple[str, str, str]
    space: Space = "image"
    past_straight: bool = False


@dataclass(frozen=True)
class SegmentElevation:
    """Angle of ``segment[0]→segment[1]`` above the horizontal, degrees in [-90, 90]."""

    type: Literal["segment_elevation"]
    segment: tuple[str, str]
    space: Space = "image"


@dataclass(frozen=True)
class SegmentInclination:
    """Angle of ``segment[0]→segment[1]`` from the upward vertical, degrees in [0, 180]."""

    type: Literal["segment_inclination"]
    segment: tuple[str, str]
    space: Space = "image"


@dataclass(frozen=True)
class LineOffset:
    """Signed distance of ``point`` from the line ``line``, as a fraction of its length."""

    type: Literal["line_offset"]
    point: str
    line: tuple[str, str]
    space: Space = "image"


@dataclass(frozen=True)
class NormalisedDistance:
    """Distance ``between[0]–between[1]`` over the distance ``reference[0]–reference[1]``."""

    type: Literal["normalised_distance"]
    between: tuple[str, str]
    reference: tuple[str, str]
    space: Space = "image"


@dataclass(frozen=True)
class ForwardOffset:
    """Horizontal distance of ``point`` ahead of ``origin`` along ``direction``, over
    the length of ``reference``."""

    type: Literal["forward_offset"]
    point: str
    origin: str
    direction: tuple[str, str]
    reference: tuple[str, str]
    space: Space = "image"


@dataclass(frozen=True)
class Change:
    """How far signal ``of`` has moved from the person's own neutral: its value now
    minus its mean over the last ``session.baseline_s`` at rest before the current
    rep left rest (``since = "rep_start"``). Between reps it reads the change from
    the recent rest. For handouts that ask to keep a posture ("keep your back
    level"), not to reach an absolute one that normal bodies may not sit in."""

    type: Literal["change"]
    of: str
    since: Literal["rep_start"] = "rep_start"


@dataclass(frozen=True)
class Extremum:
    """The smallest (``min``) or largest (``max``) of other signals of the spec."""

    type: Literal["min", "max"]
    of: tuple[str, ...]


Signal = Union[  # noqa: UP007 (the parser reads the members of this union)
    JointAngle,
    SegmentElevation,
    SegmentInclination,
    LineOffset,
    NormalisedDistance,
    ForwardOffset,
    Extremum,
    Change,
]
LandmarkSignal = Union[  # noqa: UP007
    JointAngle, SegmentElevation, SegmentInclination, LineOffset, NormalisedDistance, ForwardOffset
]


@dataclass(frozen=True)
class Condition:
    """``signal`` (frame rules, hold bands) or rep ``metric`` (rep rules) compared to ``value``.

    ``value`` is a number for ``<``, ``<=``, ``>``, ``>=`` and a ``[low, high]`` pair
    for ``between`` / ``outside`` (bounds inclusive for ``between``).
    ``if_seen`` (hold conditions only) checks the condition only where its signal is
    measured: it ends a hold on what is seen, and an unseen signal (a foot past the
    picture's edge) neither ends nor stops one.
    """

    op: Op
    value: float | tuple[float, float]
    signal: str | None = None
    metric: RepMetric | None = None
    if_seen: bool = False


@dataclass(frozen=True)
class Camera:
    """The view the exercise needs and how to place the camera (shown to the patient).

    ``other_view`` measures some signals differently when the camera sees the person
    from the other view (front-on for a side-view spec): same meaning and
    thresholds, another measurement (a knee angle in 3D where the image plane
    flattens it). Declared here, the count and the hold use it there; faults
    whose signals are then view-independent are judged there too.

    ``other_view_unmeasurable`` says why the count (or the hold) cannot be measured
    from the other view at all: a session seen mostly from there reports it not
    measured, with this reason, instead of a count of 0 and a target not met.
    """

    view: Literal["side", "front"]
    placement: str
    other_view: dict[str, Signal] = field(default_factory=dict)
    other_view_unmeasurable: str = ""


@dataclass(frozen=True)
class Targets:
    """The handout's prescription, with its source.

    ``reps`` and ``hold_s`` are ``[min, max]`` ranges (equal numbers for a fixed
    target); the lower bound is what completes a set. ``per_side`` means each side
    must reach the target.
    """

    source: str
    reps: tuple[int, int] | None = None
    hold_s: tuple[float, float] | None = None
    sets: int = 1
    rest_s: float | None = None
    per_side: bool = False


@dataclass(frozen=True)
class RepRule:
    """Rep counting on one signal with a hysteresis band.

    ``peak`` says which end of the signal is the working position (``"low"``: a
    squat's bottom; ``"high"``: a bridge's top). A rep leaves ``rest``, reaches the
    peak band by crossing ``enter``, leaves it again by crossing ``exit`` and ends
    back past ``rest``. ``peak_name`` names the working position in reports
    ("top held 0.9 s of the 2 s target"). ``posture`` is the body position the
    exercise is done in (a push-up's trunk is not upright): a movement of the
    signal made outside it for most of its measured frames (kneeling arm swings,
    walking up to the camera) is not a rep.
    """

    signal: str
    peak: Literal["low", "high"]
    enter: float
    exit: float
    rest: float
    min_rom: float
    min_peak_s: float = 0.0
    peak_hold_s: float = 0.0
    min_rep_s: float = 0.4
    max_rep_s: float = 20.0
    peak_name: str = "working position"
    posture: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class HoldRule:
    """A held posture: all of ``when`` true; out-of-band or unseen stretches shorter
    than ``grace_s`` do not end the hold; holds shorter than ``min_s`` are ignored.
    ``together`` names the variant done with both sides at once (per-side specs), which
    is timed as side ``"both"`` and credited to neither side."""

    when: tuple[Condition, ...]
    grace_s: float = 1.0
    min_s: float = 1.0
    together: str = ""


@dataclass(frozen=True)
class FaultRule:
    """A form fault: all of ``when`` true.

    ``scope = "frame"`` tests signals frame by frame within ``phase`` and needs
    ``min_duration_s`` of persistence (it ends after ``clear_s`` clear);
    ``scope = "rep"`` tests each counted rep's metrics when it ends,
    ``scope = "partial"`` each attempt that left rest but never reached the peak,
    and ``scope = "attempt"`` both. When sides are tracked separately a frame rule
    runs on each side, or once for the whole body with ``each_side = false``
    (a sagging plank during shoulder taps is one fault, not two). ``needs_view``
    judges it only from the spec's camera view, even where its signals are read
    in 3D: a fine depth judgement read along the camera's axis (a front-on squat's
    3D knee at parallel) is not measured there.
    """

    id: str
    cue: str
    when: tuple[Condition, ...]
    scope: Literal["frame", "rep", "partial", "attempt"] = "frame"
    each_side: bool = True
    phase: Phase = "any"
    min_duration_s: float = 0.5
    clear_s: float = 0.3
    severity: Severity = "warning"
    cooldown_s: float = 10.0
    needs_view: bool = False


@dataclass(frozen=True)
class SessionRule:
    """Tracking settings shared by every exercise (override per spec when needed).

    Attributes:
        visibility_min: landmarks below this visibility are treated as unseen (NaN).
        edge_margin: for form checks, landmarks up to this far past the picture's
            edge (a fraction of its width or height) are still measured; further out
            they are unseen. Up to 0.05 past the edge, joint angles are as accurate as
            just inside it (``benchmarks/results/edge_tolerance.md``).
        count_edge_margin: the same for the count, the hold timer and the checks of
            a rep's range, which only need to know which side of two thresholds
            20-35 deg apart an angle lies: up to 0.2 past the edge the angles are off
            by 12 deg (median) and the model still gives most such landmarks a
            visibility over 0.5; a close camera cuts off the hands or feet at the end
            of their travel there.
        gap_grace_s: unseen stretches shorter than this keep a rep or fault going.
        leave_after_s: how long a person must be missing or out of position before
            the session leaves the exercising state.
        rest_after_s: no rep or hold progress for this long means resting.
        side_switch_s: the other side must face the camera this long to switch side.
        side_view_max_width: (shoulder + hip width) / (2 × torso length) at most this
            for a side view; more for a front view.
        cue_display_s: a cue is shown this long; no other cue meanwhile.
        baseline_s: a ``change`` signal's neutral is the mean over this long at rest.
        judge_frames: a timed check (a fault's ``min_duration_s``, a rep's
            ``min_rep_s``) must span at least this many analysed frames; at a lower
            analysed frame rate the checks it cannot support are withheld.
    """

    visibility_min: float = VISIBILITY_MIN
    edge_margin: float = 0.05
    count_edge_margin: float = 0.2
    gap_grace_s: float = 1.0
    leave_after_s: float = 0.5
    rest_after_s: float = 5.0
    side_switch_s: float = 1.0
    side_view_max_width: float = 0.4
    cue_display_s: float = 3.0
    baseline_s: float = 0.5
    judge_frames: int = 3


@dataclass(frozen=True)
class ExerciseSpec:
    """One exercise: what to measure, how to count or time it, what faults to cue."""

    id: str
    title: str
    kind: Kind
    sides: Sides
    instructions: tuple[str, ...]
    limitations: str
    camera: Camera
    targets: Targets
    signals: dict[str, Signal]
    reps: RepRule | None = None
    hold: HoldRule | None = None
    faults: tuple[FaultRule, ...] = ()
    session: SessionRule = field(default_factory=SessionRule)

    @property
    def view(self) -> str:
        """The camera view the exercise needs, ``"side"`` or ``"front"``."""
        return self.camera.view

    @property
    def per_side(self) -> bool:
        """True when each body side is tracked separately (``both`` / ``alternating``)."""
        return self.sides in ("both", "alternating")


def landmark_fields(signal: LandmarkSignal) -> dict[str, tuple[str, ...]]:
    """The landmark names a signal reads, by field name."""
    if isinstance(signal, JointAngle):
        return {"points": signal.points}
    if isinstance(signal, (SegmentElevation, SegmentInclination)):
        return {"segment": signal.segment}
    if isinstance(signal, LineOffset):
        return {"point": (signal.point,), "line": signal.line}
    if isinstance(signal, NormalisedDistance):
        return {"between": signal.between, "reference": signal.reference}
    return {
        "point": (signal.point,),
        "origin": (signal.origin,),
        "direction": signal.direction,
        "reference": signal.reference,
    }


def signal_range(spec: ExerciseSpec, name: str) -> tuple[float, float]:
    """The values signal ``name`` can take (thresholds outside it can never trigger)."""
    signal = spec.signals[name]
    if isinstance(signal, Change):
        low, high = signal_range(spec, signal.of)
        return low - high, high - low
    if isinstance(signal, Extremum):
        ranges = [signal_range(spec, member) for member in signal.of]
        return min(r[0] for r in ranges), max(r[1] for r in ranges)
    if isinstance(signal, JointAngle):
        return (0.0, 360.0 if signal.past_straight else 180.0)
    if isinstance(signal, SegmentElevation):
        return (-90.0, 90.0)
    if isinstance(signal, SegmentInclination):
        return (0.0, 180.0)
    if isinstance(signal, NormalisedDistance):
        return (0.0, float("inf"))
    return (float("-inf"), float("inf"))


def key_signals(spec: ExerciseSpec) -> list[str]:
    """The signals the count and the hold read (a hold's ``if_seen`` conditions are
    checks where seen, not what the hold is timed on)."""
    # Condition.signal is None only in a hold the spec validator rejects.
    names: list[str | None] = [spec.reps.signal] if spec.reps else []
    if spec.hold:
        names += [c.signal for c in spec.hold.when if c.signal not in names and not c.if_seen]
    return [str(name) for name in names]


def other_view_spec(spec: ExerciseSpec) -> ExerciseSpec:
    """``spec`` with its signals measured as ``camera.other_view`` says (the same
    spec when it declares none)."""
    if not spec.camera.other_view:
        return spec
    return replace(spec, signals={**spec.signals, **spec.camera.other_view})


def _check_other_view(spec: ExerciseSpec) -> None:
    for name, signal in spec.camera.other_view.items():
        path = join("camera.other_view", name)
        original = spec.signals.get(name)
        if original is None:
            raise Invalid(path, f"unknown signal {name!r} (it replaces one of [signals])")
        if isinstance(signal, (Extremum, Change)) or type(signal) is not type(original):
            raise Invalid(path, f"must be a landmark signal of the same type ({original.type!r})")
    _check_signals(other_view_spec(spec), "camera.other_view")
    if spec.camera.other_view_unmeasurable:
        remeasured = sorted(set(key_signals(spec)) & set(spec.camera.other_view))
        if remeasured:
            raise Invalid(
                "camera.other_view_unmeasurable",
                f"contradicts [camera.other_view.{remeasured[0]}], which measures it there",
            )


def _check_signals(spec: ExerciseSpec, where: str = "signals") -> None:
    if not spec.signals:
        raise Invalid("signals", "at least one signal is required")
    defined: set[str] = set()
    for name, signal in spec.signals.items():
        path = join(where, name)
        if not _ID.match(name):
            raise Invalid(path, "signal names are lower_snake_case")
        if isinstance(signal, Extremum):
            if len(signal.of) < 2:
                raise Invalid(join(path, "of"), "needs at least two signals")
            for i, member in enumerate(signal.of):
                if member not in spec.signals:
                    raise Invalid(join(join(path, "of"), i), f"unknown signal {member!r}")
                if isinstance(spec.signals[member], Change):
                    raise Invalid(join(join(path, "of"), i), "cannot refer to a change")
                if isinstance(spec.signals[member], Extremum) and member not in defined:
                    # evaluated in file order: a min/max reads only those before it
                    raise Invalid(
                        join(join(path, "of"), i), f"min/max {member!r} must be defined before it"
                    )
            defined.add(name)
            continue
        if isinstance(signal, Change):
            if signal.of not in spec.signals:
                raise Invalid(join(path, "of"), f"unknown signal {signal.of!r}")
            if isinstance(spec.signals[signal.of], Change):
                raise Invalid(join(path, "of"), "cannot refer to another change")
            if spec.kind not in REP_KINDS:
                raise Invalid(join(path, "since"), f"kind {spec.kind!r} has no reps")
            continue
        for key, names in landmark_fields(signal).items():
            for i, landmark in enumerate(names):
                field = (
                    join(path, key)
                    if len(names) == 1 and key in ("point", "origin")
                    else (join(join(path, key), i))
                )
                if not is_known(landmark):
                    raise Invalid(field, f"unknown landmark {landmark!r}")


def _check_condition(
    spec: ExerciseSpec, cond: Condition, path: str, *, metric: bool, hold: bool = False
) -> None:
    if cond.if_seen and not hold:
        raise Invalid(join(path, "if_seen"), "only a hold condition ([hold] when) can be if_seen")
    if metric:
        if cond.metric is None or cond.signal is not None:
            raise Invalid(path, "a rep condition names a 'metric' (and no 'signal')")
        low, high = float("-inf"), float("inf")
    else:
        if cond.signal is None or cond.metric is not None:
            raise Invalid(path, "a condition names a 'signal' (and no 'metric')")
        if cond.signal not in spec.signals:
            raise Invalid(join(path, "signal"), f"unknown signal {cond.signal!r}")
        low, high = signal_range(spec, cond.signal)
    value_path = join(path, "value")
    values: tuple[float, ...]
    if cond.op in ("between", "outside"):
        if not isinstance(cond.value, tuple):
            raise Invalid(value_path, f"op {cond.op!r} needs a [low, high] pair")
        values = cond.value
        if values[0] >= values[1]:
            raise Invalid(value_path, f"inverted band: low {values[0]} >= high {values[1]}")
    else:
        if isinstance(cond.value, tuple):
            raise Invalid(value_path, f"op {cond.op!r} needs a single number")
        values = (cond.value,)
    for v in values:
        if not low <= v <= high:
            raise Invalid(value_path, f"threshold {v} out of range [{low}, {high}]")


def _check_reps(spec: ExerciseSpec) -> None:
    rule = spec.reps
    if spec.kind not in REP_KINDS:
        if rule is not None:
            raise Invalid("reps", f"kind {spec.kind!r} has no [reps] section")
        return
    if rule is None:
        raise Invalid("reps", f"missing section (kind {spec.kind!r} counts reps)")
    if rule.signal not in spec.signals:
        raise Invalid("reps.signal", f"unknown signal {rule.signal!r}")
    if isinstance(spec.signals[rule.signal], Change):
        raise Invalid("reps.signal", "a change signal cannot count reps (it is measured from one)")
    low, high = signal_range(spec, rule.signal)
    for key in ("enter", "exit", "rest"):
        value = getattr(rule, key)
        if not low <= value <= high:
            raise Invalid(join("reps", key), f"threshold {value} out of range [{low}, {high}]")
    sign = 1.0 if rule.peak == "low" else -1.0
    if sign * rule.enter > sign * rule.exit:
        band = f"enter {rule.enter}, exit {rule.exit}"
        raise Invalid("reps.exit", f"inverted hysteresis band: {band} (peak {rule.peak!r})")
    if sign * rule.exit >= sign * rule.rest:
        band = f"exit {rule.exit}, rest {rule.rest}"
        raise Invalid("reps.rest", f"inverted hysteresis band: {band} (peak {rule.peak!r})")
    if rule.max_rep_s <= max(rule.min_rep_s, rule.peak_hold_s):
        raise Invalid("reps.max_rep_s", "must exceed min_rep_s and peak_hold_s")
    for i, cond in enumerate(rule.posture):
        _check_condition(spec, cond, join("reps.posture", i), metric=False)


def _check_hold(spec: ExerciseSpec) -> None:
    rule = spec.hold
    if spec.kind != "hold":
        if rule is not None:
            raise Invalid("hold", f"kind {spec.kind!r} has no [hold] section")
        return
    if rule is None:
        raise Invalid("hold", "missing section (kind 'hold')")
    if not rule.when:
        raise Invalid("hold.when", "at least one condition is required")
    if rule.together and not spec.per_side:
        raise Invalid("hold.together", "needs sides 'both' (a hold of both sides at once)")
    for i, cond in enumerate(rule.when):
        _check_condition(spec, cond, join("hold.when", i), metric=False, hold=True)
    if all(cond.if_seen for cond in rule.when):
        raise Invalid("hold.when", "at least one condition must not be if_seen (it times the hold)")


def _check_faults(spec: ExerciseSpec) -> None:
    seen: set[str] = set()
    for i, rule in enumerate(spec.faults):
        path = join("faults", i)
        if not _ID.match(rule.id):
            raise Invalid(join(path, "id"), "fault ids are lower_snake_case")
        if rule.id in seen:
            raise Invalid(join(path, "id"), f"duplicate fault id {rule.id!r}")
        seen.add(rule.id)
        if not rule.cue.strip():
            raise Invalid(join(path, "cue"), "must not be empty")
        if not rule.when:
            raise Invalid(join(path, "when"), "at least one condition is required")
        is_rep_scope = rule.scope != "frame"
        if not rule.each_side and (is_rep_scope or not spec.per_side):
            raise Invalid(join(path, "each_side"), "only for frame rules of per-side exercises")
        if is_rep_scope and spec.kind not in REP_KINDS:
            raise Invalid(join(path, "scope"), f"kind {spec.kind!r} has no reps")
        if rule.phase in REP_PHASES and spec.kind not in REP_KINDS:
            raise Invalid(join(path, "phase"), f"kind {spec.kind!r} has no rep phases")
        if rule.phase == "holding" and spec.kind != "hold":
            raise Invalid(join(path, "phase"), "'holding' needs kind 'hold'")
        for j, cond in enumerate(rule.when):
            _check_condition(spec, cond, join(join(path, "when"), j), metric=is_rep_scope)


def _check_targets(spec: ExerciseSpec) -> None:
    targets = spec.targets
    if not targets.source.strip():
        raise Invalid("targets.source", "cite where the numbers come from")
    if spec.kind in REP_KINDS and targets.reps is None:
        raise Invalid("targets.reps", f"missing field (kind {spec.kind!r})")
    if spec.kind == "hold" and targets.hold_s is None:
        raise Invalid("targets.hold_s", "missing field (kind 'hold')")
    for key in ("reps", "hold_s"):
        low_high = getattr(targets, key)
        if low_high is not None and low_high[0] > low_high[1]:
            raise Invalid(join("targets", key), f"expected min <= max, got {list(low_high)}")
    if targets.per_side and not spec.per_side:
        raise Invalid("targets.per_side", "needs sides 'both' or 'alternating'")


def _check_texts(spec: ExerciseSpec) -> None:
    if not _ID.match(spec.id):
        raise Invalid("id", f"expected lower_snake_case, got {spec.id!r}")
    for key in ("title", "limitations"):
        if not getattr(spec, key).strip():
            raise Invalid(key, "must not be empty")
    if not spec.instructions or not all(text.strip() for text in spec.instructions):
        raise Invalid("instructions", "give at least one non-empty cue text")
    if not spec.camera.placement.strip():
        raise Invalid("camera.placement", "must not be empty")
    if (spec.kind == "alternating_reps") != (spec.sides == "alternating"):
        raise Invalid("sides", "kind 'alternating_reps' goes with sides 'alternating' (only)")


def check_spec(spec: ExerciseSpec) -> None:
    """Raise :class:`~formcheck.specs.parse.Invalid` if ``spec`` breaks a rule the
    types cannot express. Each part of the spec is checked and the problems of all
    of them are raised together; the rules that refer to signals are checked once
    the signals themselves are valid."""
    found: list[Invalid] = []

    def passes(*checks: Callable[[ExerciseSpec], None]) -> bool:
        try:
            collect(partial(check, spec) for check in checks)
        except Invalid as problem:
            found.append(problem)
            return False
        return True

    passes(_check_texts)
    if passes(_check_signals):
        passes(_check_other_view, _check_reps, _check_hold, _check_faults)
    passes(_check_targets)
    if found:
        raise Invalid.of(found)
