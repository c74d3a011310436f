"""The exercise engine: PoseFrames in, events and a session result out.

``Engine.update`` takes one (already smoothed) pose at a time and returns the
events of that frame; ``analyze_poses`` feeds a whole recording through the same
engine, so live and offline analysis agree exactly. The engine reads only the
typed spec; it never looks at an exercise's name.

The count and the hold timer run whenever their signal is measured, whatever the
session state, camera view or frame rate: those inform, and withhold only the form
checks they make unreliable (a fault that needs a side view, a persistence the
frame rate cannot show), saying so in the result.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from formcheck.engine.cues import CueThrottle
from formcheck.engine.faults import FaultTracker, attempt_faults
from formcheck.engine.history import SeriesBuffer
from formcheck.engine.holds import HoldInterval, SideHold
from formcheck.engine.neutral import Neutral
from formcheck.engine.reps import NOT_COUNTED_REASONS, Attempt, RepCounter
from formcheck.engine.results import (
    Cue,
    EngineStatus,
    Event,
    FaultSpan,
    FrameRateResult,
    Hold,
    NotCounted,
    Rep,
    SessionResult,
    TargetsResult,
    ViewResult,
)
from formcheck.engine.session import (
    MOSTLY_SHARE,
    WARNING_MIN_SHARE,
    SessionStates,
    judge_frame,
    wrong_view,
)
from formcheck.engine.side import SideSelector
from formcheck.engine.signals import SIDES, SignalEvaluator, all_of, unmeasured
from formcheck.engine.summary import dosage, headline
from formcheck.landmarks import LANDMARK_NAMES
from formcheck.specs.schema import ExerciseSpec, FaultRule, key_signals, other_view_spec
from formcheck.types import PoseFrame


def needed_fps(spec: ExerciseSpec, rule: FaultRule) -> float:
    """Analysed frames per second ``rule`` needs: ``session.judge_frames`` frames
    within its persistence (frame rules) or within the shortest rep (rep rules)."""
    intervals = spec.session.judge_frames - 1
    if rule.scope == "frame":
        shortest = rule.min_duration_s
    else:
        shortest = spec.reps.min_rep_s if spec.reps else 0.0
    return intervals / shortest if shortest > 0 else 0.0


@dataclass
class _Track:
    """The machines of one tracked slot: a body side, or ``"facing"`` (the side
    that faces the camera, followed online)."""

    key: str
    reps: RepCounter | None
    # The same count on every landmark the model placed, however unsure or far out
    # of the picture: a rep it finds that ``reps`` does not was seen but not counted.
    shadow: RepCounter | None
    faults: list[FaultTracker]
    neutral: Neutral
    best_hold_s: float = 0.0
    # Frames of the rep in progress, and how many of them were seen from another view.
    rep_frames: int = 0
    rep_other_view: int = 0
    # Frames of the rep in progress with the spec's posture measured, and outside it.
    rep_posture_seen: int = 0
    rep_out_of_posture: int = 0
    # Unmeasured key landmarks (name, why) while the shadow rep was in progress.
    shadow_missing: Counter[tuple[str, str]] = field(default_factory=Counter)


class Engine:
    """Online exercise analysis for one spec.

    Args:
        spec: the exercise spec.
        side: ``"left"`` or ``"right"`` to analyse that side only; None follows the
            side facing the camera (or tracks both sides when the spec's ``sides``
            is ``both`` / ``alternating``).
        keep_history: record every frame's signal values for plots
            (``SessionResult.t_s`` / ``signals``); live sessions turn it off so
            memory stays flat, and then get empty arrays.

    Example:
        >>> from formcheck.specs import load_spec
        >>> engine = Engine(load_spec("squat"))
        >>> for pose in poses:  # doctest: +SKIP
        ...     for event in engine.update(pose):
        ...         print(event.kind, event.data)
        >>> result = engine.finish()  # doctest: +SKIP
    """

    def __init__(
        self, spec: ExerciseSpec, side: str | None = None, keep_history: bool = True
    ) -> None:
        if side not in (None, *SIDES):
            raise ValueError(f"side must be None, 'left' or 'right', got {side!r}")
        self.spec = spec
        session = spec.session
        fixed = side or (spec.sides if spec.sides in SIDES else None)
        if spec.per_side:
            keys: tuple[str, ...] = (side,) if side else SIDES
        else:
            keys = (fixed,) if fixed else ("facing",)
        self._fixed_side = None if spec.per_side else fixed
        self._selector = SideSelector(self._fixed_side, session.side_switch_s)
        self._evaluator = SignalEvaluator(spec)
        # Seen from the other view: the spec's own measurement there, if it has one.
        self._other_evaluator = SignalEvaluator(other_view_spec(spec))
        self._key_signals = key_signals(spec)
        # The count or hold read in the picture where the spec declares no other measurement.
        self._key_needs_view = bool(self._key_signals) and not (
            self._other_evaluator.view_independent(self._key_signals)
        )
        self._states = SessionStates(session.leave_after_s)
        self._cues = CueThrottle(session.cue_display_s)
        self._view_rules = {
            rule.id
            for rule in spec.faults
            if rule.needs_view
            or not self._other_evaluator.view_independent(
                [c.signal for c in rule.when if c.signal is not None]
                if rule.scope == "frame"
                else self._key_signals
            )
        }
        self._rule_fps = {rule.id: needed_fps(spec, rule) for rule in spec.faults}
        self.needed_fps = max(self._rule_fps.values(), default=0.0)
        frame_rules = [rule for rule in spec.faults if rule.scope == "frame"]
        hold = spec.hold
        self._tracks = [
            _Track(
                key,
                RepCounter(spec.reps, session.gap_grace_s) if spec.reps else None,
                RepCounter(spec.reps, session.gap_grace_s) if spec.reps else None,
                [
                    FaultTracker(rule, session.gap_grace_s)
                    for rule in frame_rules
                    if rule.each_side or index == 0
                ],
                Neutral(spec, session.baseline_s),
            )
            for index, key in enumerate(keys)
        ]
        self._hold = SideHold(hold.grace_s, hold.min_s, bool(hold.together)) if hold else None
        self._key_landmarks = {
            s: sorted(self._evaluator.required_landmarks([s], self._key_signals)) for s in SIDES
        }
        self._reps: list[Rep] = []
        self._holds: list[Hold] = []
        self._faults: list[FaultSpan] = []
        self._cue_log: list[Cue] = []
        self._not_counted: list[NotCounted] = []
        self._unmeasured: list[tuple[Attempt, str, str]] = []  # shadow reps: side, why
        self._cuts: list[float] = []
        self._keep_history = keep_history
        self._t = SeriesBuffer()
        self._first_t = math.nan
        self._last_t = math.nan
        self._values: dict[str, SeriesBuffer] = {}
        self._last_progress_s = math.nan
        self._sides_seen: Counter[str] = Counter()
        # Per frame rule id: exercising frames in the rule's phase, and how many of
        # them it could not judge: a landmark it reads unseen, another camera view,
        # or too few frames a second.
        self._fault_frames: Counter[str] = Counter()
        self._fault_unknown: Counter[str] = Counter()
        self._withheld_view: set[str] = set()
        self._withheld_rate: set[str] = set()
        # Per track key: frames with a person, and how many of them the hold could
        # not be judged in (a side-on camera hides the far leg of a per-side stretch).
        self._hold_frames: Counter[str] = Counter()
        self._hold_unknown: Counter[str] = Counter()
        self._hold_band_seen = False
        self._frames = 0
        self._person_frames = 0
        self._key_frames = 0
        self._other_view_frames = 0
        self._low_rate_frames = 0
        self._recent_t: deque[float] = deque(maxlen=2 * session.judge_frames)
        self.status: EngineStatus
        self._refresh_status(math.nan, {})

    # ----------------------------------------------------------------- helpers
    @property
    def _hold_target_s(self) -> float | None:
        targets = self.spec.targets
        if self.spec.hold and targets.hold_s:
            return targets.hold_s[0]
        if self.spec.reps and self.spec.reps.peak_hold_s > 0:
            return self.spec.reps.peak_hold_s
        return None

    def _track_side(self, track: _Track) -> str | None:
        return self._selector.side if track.key == "facing" else track.key

    def _series_name(self, track: _Track, signal: str) -> str:
        return f"{signal}.{track.key}" if self.spec.per_side else signal

    def _side_counts(self) -> tuple[int | None, int | None]:
        if not self.spec.per_side:
            return None, None
        counts = {t.key: t.reps.count for t in self._tracks if t.reps}
        return counts.get("left", 0), counts.get("right", 0)

    def _counts(self) -> dict[str, int]:
        return {t.key: t.reps.count for t in self._tracks if t.reps}

    def _total_reps(self) -> int:
        return sum(t.reps.count for t in self._tracks if t.reps)

    def _targets_met(self, t_s: float) -> bool | None:
        targets = self.spec.targets
        per_side = targets.per_side and len(self._tracks) > 1
        if targets.reps is not None and self.spec.reps is not None:
            counts = [t.reps.count for t in self._tracks if t.reps]
            if per_side:
                return all(count >= targets.reps[0] for count in counts)
            return sum(counts) >= targets.reps[0]
        if targets.hold_s is not None and self.spec.hold is not None:
            hold = self._hold
            held = {hold.reported_side: hold.held_s(t_s)} if hold else {}
            best = [max(t.best_hold_s, held.get(t.key, 0.0)) for t in self._tracks]
            reached = [b >= targets.hold_s[0] for b in best]
            return all(reached) if per_side else any(reached)
        return None

    def _active_state(self, t_s: float) -> str:
        if self._targets_met(t_s):
            return "set_complete"
        idle = t_s - self._last_progress_s
        return "resting" if idle >= self.spec.session.rest_after_s else "exercising"

    def _phase_matches(self, phase: str, track: _Track) -> bool:
        if phase == "any":
            return True
        if phase == "holding":
            # Not in a wobble out of the posture (knees down between knee taps): form
            # is judged in the posture the hold times.
            hold = self._hold
            return hold is not None and hold.active and hold.in_band(track.key) is not False
        if track.reps is None:
            return False
        if phase == "rep":
            return track.reps.phase != "rest"
        return track.reps.phase == phase

    def _analysed_fps(self) -> float:
        recent = self._recent_t
        if len(recent) < 2 or recent[-1] <= recent[0]:
            return math.nan
        return (len(recent) - 1) / (recent[-1] - recent[0])

    # ------------------------------------------------------------------ update
    def update(self, pose: PoseFrame) -> list[Event]:
        """Analyse one frame; returns the events it caused (in time order)."""
        t = float(pose.t_s)
        events: list[Event] = []
        side = self._selector.update(pose)
        self._recent_t.append(t)
        fps = self._analysed_fps()
        low_rate = fps < self.needed_fps
        other_view = wrong_view(pose, self.spec.camera.view, self.spec.session.side_view_max_width)
        self._frames += 1
        if pose.detected:
            self._person_frames += 1
            self._other_view_frames += other_view
            self._low_rate_frames += low_rate
        if math.isnan(self._first_t):
            self._first_t = t
        per_track = []
        session = self.spec.session
        unseen = unmeasured(pose, session.visibility_min, session.count_edge_margin)
        form_unseen = unmeasured(pose, session.visibility_min, session.edge_margin)
        # Form checks read fewer landmarks past the edge than the count: only then
        # are their values worked out apart.
        narrower = None if np.array_equal(form_unseen, unseen) else form_unseen
        evaluator = self._other_evaluator if other_view else self._evaluator
        for track in self._tracks:
            track_side = self._track_side(track)
            if pose.detected and track_side:
                values = evaluator.evaluate(pose, track_side, unseen)
            else:
                values = self._evaluator.nan_values()
            per_track.append((track, track_side, values))
        key_measured = any(
            all(math.isfinite(values[name]) for name in self._key_signals)
            for _, _, values in per_track
        )
        self._key_frames += key_measured
        was_active = self._states.active
        new_state = self._states.update(t, judge_frame(pose, key_measured), self._active_state(t))
        if self._states.active and not was_active:
            self._last_progress_s = t
        if new_state is not None:
            events.append(Event("state", t, {"state": new_state}))
        if self._states.active and side:
            self._sides_seen[side] += 1
        self._last_t = t
        if self._keep_history:
            self._t.append(t)
        shown: dict[str, float] = {}
        if self.spec.hold is not None:
            bands = {track.key: all_of(self.spec.hold.when, v) for track, _, v in per_track}
            events += self._update_hold(t, bands)
            if pose.detected:
                for key, in_band in bands.items():
                    self._hold_frames[key] += 1
                    self._hold_unknown[key] += in_band is None
                    self._hold_band_seen |= in_band is True
        for track, track_side, values in per_track:
            events += self._update_track(
                track, track_side or "left", t, values, pose, unseen, narrower, other_view, low_rate
            )
            if self._keep_history:
                for name, value in values.items():
                    series = self._series_name(track, name)
                    self._values.setdefault(series, SeriesBuffer()).append(value)
            for name in self._key_signals:
                shown[self._series_name(track, name)] = values[name]
        self._refresh_status(t, shown, fps)
        return events

    def _update_track(
        self,
        track: _Track,
        side: str,
        t: float,
        values: dict[str, float],
        pose: PoseFrame,
        unseen: np.ndarray,
        form_unseen: np.ndarray | None,
        other_view: bool,
        low_rate: bool,
    ) -> list[Event]:
        """Advance one track: its count on ``values``, its form checks on ``values``
        narrowed to the landmarks ``form_unseen`` leaves (None: the same landmarks)."""
        events: list[Event] = []
        spec = self.spec
        if track.reps is not None and spec.reps is not None:
            was_resting = track.reps.phase == "rest"
            attempt = track.reps.update(t, values[spec.reps.signal])
            if track.reps.phase != "rest":
                self._last_progress_s = t
                if was_resting:  # a new rep: the previous rep's cue is stale
                    self._cues.clear()
                    track.rep_frames = track.rep_other_view = 0
                    track.rep_posture_seen = track.rep_out_of_posture = 0
                track.rep_frames += 1
                track.rep_other_view += other_view
                in_posture = all_of(spec.reps.posture, values) if spec.reps.posture else None
                track.rep_posture_seen += in_posture is not None
                track.rep_out_of_posture += in_posture is False
            if attempt is not None:
                events += self._finish_attempt(track, side, attempt)
            self._update_shadow(track, side, t, pose, unseen, values, other_view)
        if track.neutral:
            track.neutral.fill(t, values, track.reps is None or track.reps.phase == "rest")
        form = values
        if form_unseen is not None:
            evaluator = self._other_evaluator if other_view else self._evaluator
            form = evaluator.restrict(values, side, form_unseen)
        active = self._states.active
        for tracker in track.faults:
            rule = tracker.rule
            in_phase = self._phase_matches(rule.phase, track)
            offending: bool | None = False
            if in_phase and active:
                self._fault_frames[rule.id] += 1
                if other_view and rule.id in self._view_rules:
                    self._withheld_view.add(rule.id)
                    offending = None
                elif low_rate and self._rule_fps[rule.id] > 0:
                    self._withheld_rate.add(rule.id)
                    offending = None
                else:
                    offending = all_of(rule.when, form)
                    self._fault_unknown[rule.id] += offending is None
            elif not active:
                offending = None
            label = side if rule.each_side or len(self._tracks) == 1 else "both"
            ended_fault, started = tracker.update(t, offending, label)
            if ended_fault is not None:
                events += self._end_fault(t, ended_fault)
            if started:
                span = tracker.current()
                events.append(Event("fault_start", t, span.to_dict()))
                events += self._offer_cue(t, span, rule.cooldown_s)
        return events

    def _update_shadow(
        self,
        track: _Track,
        side: str,
        t: float,
        pose: PoseFrame,
        unseen: np.ndarray,
        values: dict[str, float],
        other_view: bool,
    ) -> None:
        """Advance the count on every placed landmark; keep the reps it finds with
        why the real count could not see them."""
        assert track.shadow is not None and self.spec.reps is not None
        name = self.spec.reps.signal
        evaluator = self._other_evaluator if other_view else self._evaluator
        raw = evaluator.placed_value(pose, side, name) if pose.detected else math.nan
        if track.shadow.phase != "rest" and math.isnan(values[name]) and math.isfinite(raw):
            for i in self._key_landmarks[side]:
                if unseen[i]:
                    x, y = pose.image_xyz[i, :2]
                    inside = 0.0 <= x <= 1.0 and 0.0 <= y <= 1.0
                    why = "was hidden" if inside else "was out of the picture"
                    track.shadow_missing[(LANDMARK_NAMES[i].replace("_", " "), why)] += 1
        attempt = track.shadow.update(t, raw)
        if attempt is not None:
            self._keep_shadow(track, side, attempt)

    def _keep_shadow(self, track: _Track, side: str, attempt: Attempt) -> None:
        if attempt.counted and track.shadow_missing:
            (landmark, why), _ = track.shadow_missing.most_common(1)[0]
            self._unmeasured.append((attempt, side, f"the {landmark} {why}"))
        track.shadow_missing.clear()

    def _update_hold(self, t: float, bands: dict[str, bool | None]) -> list[Event]:
        """Advance the hold with each track's reading of the posture."""
        hold = self._hold
        assert hold is not None
        events: list[Event] = []
        announced = hold.announced and hold.active
        ended = hold.update(t, bands)
        if ended is not None:
            events += self._end_hold(*ended)
        if hold.active and hold.side is not None:
            self._last_progress_s = t
            if hold.announced and not announced:
                data = {"side": self._hold_side(hold.side), "start_s": hold.start_s}
                events.append(Event("hold_start", t, data))
        return events

    def _hold_side(self, key: str) -> str:
        """The side a hold of track ``key`` is reported on (the side facing the camera
        now for a spec that follows it)."""
        return (self._selector.side or "left") if key == "facing" else key

    def _end_hold(self, key: str, interval: HoldInterval) -> list[Event]:
        target_s = self._hold_target_s or 0.0
        hold = Hold(
            self._hold_side(key), interval.start_s, interval.end_s, interval.duration_s, target_s
        )
        self._holds.append(hold)
        for track in self._tracks:
            if track.key == key:
                track.best_hold_s = max(track.best_hold_s, hold.duration_s)
        return [Event("hold_end", interval.end_s, hold.to_dict())]

    def _unchecked_holds(self) -> list[str]:
        """Warnings for a side (or the body) with no hold timed at all, whose hold
        could not be judged in many frames with a person: "no hold" may then only
        mean "not seen" (a side-on camera hides the far leg of a per-side stretch)."""
        out = []
        held = {hold.side for hold in self._holds}
        for key, frames in self._hold_frames.items():
            share = self._hold_unknown[key] / frames
            if share < WARNING_MIN_SHARE or (held if key == "facing" else key in held):
                continue
            if key in SIDES:
                out.append(
                    f"hold not checked on the {key} side in {share:.0%} of frames with a person "
                    f"(a landmark it needs was hidden: film the {key} side nearer the camera)"
                )
            else:
                out.append(
                    f"hold not checked in {share:.0%} of frames with a person "
                    "(a landmark it needs was hidden)"
                )
        return out

    def _cut_warnings(self) -> list[str]:
        if not self._cuts:
            return []
        where = ", ".join(f"{t:.1f}" for t in self._cuts)
        return [
            f"the recording is cut at {where} s (an edit, or the person lost and found "
            "elsewhere): a movement whose return was not seen there was not counted"
        ]

    def _unchecked_faults(self) -> list[str]:
        """Warnings for frame rules that could not be judged in many exercising frames."""
        out = []
        for rule_id, frames in self._fault_frames.items():
            share = self._fault_unknown[rule_id] / frames
            if share >= WARNING_MIN_SHARE:
                out.append(
                    f"{rule_id} not checked in {share:.0%} of exercising frames "
                    "(a landmark it needs was not visible)"
                )
        return out

    def _end_fault(self, t: float, span: FaultSpan) -> list[Event]:
        self._faults.append(span)
        self._cues.clear(span.id, span.side)
        return [Event("fault_end", t, span.to_dict())]

    def _offer_cue(self, t: float, span: FaultSpan, cooldown_s: float) -> list[Event]:
        cue = self._cues.offer(t, span.id, span.message, span.side, cooldown_s)
        if cue is None:
            return []
        self._cue_log.append(cue)
        return [Event("cue", t, cue.to_dict())]

    def _rep_rules_judged(self, track: _Track, attempt: Attempt) -> set[str]:
        """Rep rules this attempt can be judged on: seen mostly from the spec's view
        (view-dependent rules) and with enough frames for its duration."""
        duration = attempt.end_s - attempt.start_s
        rate = (attempt.frames - 1) / duration if duration > 0 else 0.0
        if attempt.frames < self.spec.session.judge_frames:
            rate = 0.0
        other = track.rep_frames > 0 and track.rep_other_view > MOSTLY_SHARE * track.rep_frames
        judged = set()
        for rule in self.spec.faults:
            if rule.scope == "frame":
                continue
            if other and rule.id in self._view_rules:
                self._withheld_view.add(rule.id)
            elif rate < self._rule_fps[rule.id]:
                self._withheld_rate.add(rule.id)
            else:
                judged.add(rule.id)
        return judged

    def _finish_attempt(self, track: _Track, side: str, attempt: Attempt) -> list[Event]:
        assert self.spec.reps is not None
        assert track.reps is not None  # attempts come from the track's rep counter
        rules = self.spec.faults
        events: list[Event] = []
        if attempt.counted and track.rep_out_of_posture > 0.5 * track.rep_posture_seen:
            attempt = track.reps.reject(attempt, "out_of_posture")
        track.rep_posture_seen = track.rep_out_of_posture = 0  # a turn starts the next rep
        judged = self._rep_rules_judged(track, attempt)
        rep_faults = attempt_faults(
            tuple(rule for rule in rules if rule.id in judged),
            attempt,
            side,
            self.spec.reps.peak_hold_s,
        )
        for span in rep_faults:
            cooldown = next(rule.cooldown_s for rule in rules if rule.id == span.id)
            events.append(Event("fault_start", attempt.end_s, span.to_dict()))
            self._faults.append(span)
            events.append(Event("fault_end", attempt.end_s, span.to_dict()))
            events += self._offer_cue(attempt.end_s, span, cooldown)
        if not attempt.counted:
            if attempt.reason is not None:
                self._not_counted.append(self._not_counted_record(side, attempt, attempt.reason))
            return events
        active = [tr.current() for other in self._tracks for tr in other.faults if tr.active]
        during = [
            f.id
            for f in [*self._faults, *active]
            if f.side in (side, "both")
            and f.start_s <= attempt.end_s
            and f.end_s >= attempt.start_s
        ]
        index = track.reps.count if self.spec.per_side else self._total_reps()
        rep = Rep(
            index=index,
            side=side,
            start_s=attempt.start_s,
            end_s=attempt.end_s,
            peak=attempt.peak,
            rom=attempt.rom,
            outbound_s=attempt.outbound_s,
            return_s=attempt.return_s,
            hold_s=attempt.hold_s,
            faults=tuple(dict.fromkeys(during)),
        )
        self._reps.append(rep)
        events.append(Event("rep", attempt.end_s, rep.to_dict()))
        return events

    def _not_counted_record(self, side: str, attempt: Attempt, reason: str) -> NotCounted:
        assert self.spec.reps is not None
        rule = self.spec.reps
        message = NOT_COUNTED_REASONS[reason].format(
            peak=rule.peak_name,
            min_rom=rule.min_rom,
            min_rep_s=attempt.shortest_s,
            max_rep_s=rule.max_rep_s,
            min_peak_s=rule.min_peak_s,
            gap_grace_s=self.spec.session.gap_grace_s,
        )
        return NotCounted(side, attempt.start_s, attempt.end_s, reason, message)

    def _refresh_status(self, t: float, shown: dict[str, float], fps: float = math.nan) -> None:
        hold_s: float | None = None
        if self._hold is not None and self._hold.active:
            hold_s = self._hold.held_s(t)
        for track in self._tracks:
            dwell = track.reps.peak_dwell_s(t) if track.reps else None
            if dwell is not None and self._hold_target_s:
                hold_s = max(hold_s or 0.0, dwell)
        cue = self._cues.current(t)
        self.status = EngineStatus(
            t_s=t,
            state=self._states.state or "no_person",
            side=self._selector.side,
            reps_total=self._total_reps(),
            reps_left=self._side_counts()[0],
            reps_right=self._side_counts()[1],
            hold_s=hold_s,
            hold_target_s=self._hold_target_s,
            cue=cue.message if cue else None,
            signals=shown,
            analysed_fps=fps,
            needed_fps=self.needed_fps,
        )

    # ------------------------------------------------------- cuts and the end
    def _close_tracks(self, t_s: float, *, cut: bool = False) -> list[Event]:
        """End whatever is in progress at ``t_s``, as at the end of a recording (at a
        ``cut``, a rep not yet out of the working position waits for the next value:
        :meth:`RepCounter.cut`)."""
        events: list[Event] = []
        # A hold goes on across a cut when the posture is held on both sides of it
        # (the timer's grace): an edit changes the shot, not what the person does.
        if self._hold is not None and not cut:
            ended = self._hold.close()
            if ended is not None:
                events += self._end_hold(*ended)
        for track in self._tracks:
            side = self._track_side(track) or "left"
            if track.reps is not None:
                attempt = track.reps.cut(t_s) if cut else track.reps.close(t_s)
                if attempt is not None:
                    events += self._finish_attempt(track, side, attempt)
            if track.shadow is not None:
                attempt = track.shadow.cut(t_s) if cut else track.shadow.close(t_s)
                if attempt is not None:
                    self._keep_shadow(track, side, attempt)
            for tracker in track.faults:
                span = tracker.close()
                if span is not None:
                    events += self._end_fault(t_s, span)
            track.neutral.reset()
        return events

    def cut(self, t_s: float) -> list[Event]:
        """The recording was cut just before ``t_s`` (an edit, or the person lost and
        found elsewhere: :mod:`formcheck.cuts`).

        What was in progress ends as at the end of a recording: a rep back past its
        ``exit`` counts, faults end. A hold goes on when the next shot shows the
        posture within the hold's grace (it ends at its last in-band frame otherwise).
        A rep still in (or on its way into) the
        working position is judged by the next value (:meth:`RepCounter.cut`): back
        at the start position, as at the end of a recording (a jump over its way back
        is no rep); anywhere else the movement goes on across the cut and counts
        once. So a cut neither makes nor loses a rep. The cut is listed in the result
        and its warnings.
        """
        last_t = self._last_t if math.isfinite(self._last_t) else t_s
        events = self._close_tracks(last_t, cut=True)
        self._cuts.append(t_s)
        self._cues.clear()
        self._selector = SideSelector(self._fixed_side, self.spec.session.side_switch_s)
        self._recent_t.clear()
        events.append(Event("cut", t_s, {"t_s": t_s}))
        return events

    def _unmeasured_not_counted(self) -> list[NotCounted]:
        """Reps the count on every placed landmark found where the real count found
        none: seen, but not measured well enough to count."""
        counted = [(rep.side, rep.start_s, rep.end_s) for rep in self._reps]
        out = []
        for attempt, side, why in self._unmeasured:
            if any(
                s == side and start <= attempt.end_s and end >= attempt.start_s
                for s, start, end in counted
            ):
                continue
            out.append(NotCounted(side, attempt.start_s, attempt.end_s, "unmeasured", why))
        return out

    def _not_counted_result(self) -> tuple[NotCounted, ...]:
        unmeasured_reps = self._unmeasured_not_counted()
        kept = [
            item
            for item in self._not_counted
            if not any(
                u.side == item.side and u.start_s <= item.end_s and u.end_s >= item.start_s
                for u in unmeasured_reps
            )
        ]
        return tuple(sorted([*kept, *unmeasured_reps], key=lambda n: (n.start_s, n.side)))

    def _not_counted_warnings(self, items: tuple[NotCounted, ...]) -> list[str]:
        """One line per reason for movements that reached the working position (or
        were lost from sight) but were not counted."""
        reasons = Counter(
            (item.reason, item.message)
            for item in items
            if item.reason not in ("short_of_peak", "ended_early")
        )
        out = []
        for (_, message), n in reasons.items():
            verb = "was" if n == 1 else "were"
            out.append(f"{n} movement{'s' if n != 1 else ''} {verb} not counted because {message}")
        return out

    def _exercise_warning(self) -> list[str]:
        """Warn when the person, seen for long enough, never took the spec's
        starting position: a plank analysed as a bridge should not just say 0."""
        seen_s = self._key_frames * self._frame_interval_s()
        if seen_s < 1.0 or self._reps:
            return []
        title = self.spec.title
        if self.spec.reps is not None:
            if any(t.reps is not None and t.reps.seen_rest for t in self._tracks):
                return []
            return [f"never in the starting position for {title}: is --exercise right?"]
        if self._hold_band_seen or self._faults:
            return []
        return [f"never in the {title} position: is --exercise right?"]

    def _frame_interval_s(self) -> float:
        span = self._last_t - self._first_t
        return span / (self._frames - 1) if self._frames > 1 and span > 0 else 0.0

    def _view_result(self) -> tuple[ViewResult, list[str]]:
        share = self._other_view_frames / self._person_frames if self._person_frames else 0.0
        view = self.spec.camera.view
        withheld = tuple(sorted(self._withheld_view))
        unmeasurable = self.spec.camera.other_view_unmeasurable
        not_measurable = bool(unmeasurable) and share > MOSTLY_SHARE
        warnings = []
        if share >= WARNING_MIN_SHARE:
            where = "not side-on" if view == "side" else "not facing the person"
            text = f"camera is {where} in {share:.0%} of frames"
            unsure = []
            what = "count" if self.spec.reps else "hold time"
            if not_measurable:
                unsure.append(f"the {what} cannot be measured there")
            elif self._key_needs_view and share > MOSTLY_SHARE:
                unsure.append(f"the {what} is read in the picture there and may be wrong")
            if withheld:
                unsure.append(f"{', '.join(withheld)} not judged there")
            if unsure:
                need = "a side-on camera" if view == "side" else "a camera facing the person"
                text += f": {'; '.join(unsure)} (these need {need})"
            if not_measurable:
                text += f"; {unmeasurable}"
            warnings.append(text)
        return ViewResult(view, share, withheld, not_measurable), warnings

    def _frame_rate_result(self) -> tuple[FrameRateResult, list[str]]:
        interval = self._frame_interval_s()
        fps = 1.0 / interval if interval > 0 else math.nan
        share = self._low_rate_frames / self._person_frames if self._person_frames else 0.0
        withheld = tuple(sorted(self._withheld_rate))
        warnings = []
        if share >= WARNING_MIN_SHARE and withheld:
            warnings.append(
                f"too few frames to judge form: {fps:.1f} analysed a second, fewer than the "
                f"{self.needed_fps:.0f} that {', '.join(withheld)} need; not judged in "
                f"{share:.0%} of frames, and reps may have been missed"
            )
        return FrameRateResult(fps, self.needed_fps, share, withheld), warnings

    def finish(self) -> SessionResult:
        """Close open reps, holds and faults and return the session's result."""
        t_end = self._last_t if math.isfinite(self._last_t) else 0.0
        self._close_tracks(t_end)
        targets = self.spec.targets
        left, right = self._side_counts()
        if self.spec.per_side and len(self._tracks) > 1:
            side: str | None = self.spec.sides
        elif self._tracks[0].key != "facing":
            side = self._tracks[0].key
        else:
            side = self._sides_seen.most_common(1)[0][0] if self._sides_seen else None
        not_counted = self._not_counted_result()
        view, view_warnings = self._view_result()
        frame_rate, rate_warnings = self._frame_rate_result()
        holds = tuple(sorted(self._holds, key=lambda h: h.start_s))
        counts = self._counts()
        return SessionResult(
            exercise_id=self.spec.id,
            side=side,
            reps_total=self._total_reps(),
            reps_left=left,
            reps_right=right,
            reps=tuple(self._reps),
            holds=holds,
            faults=tuple(sorted(self._faults, key=lambda f: (f.start_s, f.id))),
            cues=tuple(self._cue_log),
            states=tuple(self._states.spans()),
            warnings=(
                *self._states.warnings(),
                *self._exercise_warning(),
                *self._cut_warnings(),
                *self._not_counted_warnings(not_counted),
                *view_warnings,
                *rate_warnings,
                *self._unchecked_holds(),
                *self._unchecked_faults(),
            ),
            targets=TargetsResult(
                reps=targets.reps,
                hold_s=targets.hold_s,
                sets=targets.sets,
                rest_s=targets.rest_s,
                per_side=targets.per_side,
                source=targets.source,
                met=None if view.not_measurable else self._targets_met(t_end),
            ),
            limitations=self.spec.limitations,
            not_counted=not_counted,
            dosage=dosage(self.spec, self._reps, holds, counts, view.not_measurable),
            headline=headline(self.spec, self._reps, holds, counts, view.not_measurable),
            cuts=tuple(self._cuts),
            view=view,
            frame_rate=frame_rate,
            t_s=self._t.values(),
            signals={name: series.values() for name, series in self._values.items()},
        )


def analyze_poses(
    spec: ExerciseSpec, poses: Iterable[PoseFrame], side: str | None = None
) -> SessionResult:
    """Offline analysis: the same :class:`Engine`, fed frame by frame.

    Args:
        spec: the exercise spec.
        poses: smoothed poses in time order.
        side: as for :class:`Engine`.
    """
    engine = Engine(spec, side)
    for pose in poses:
        engine.update(pose)
    return engine.finish()
