"""The exercise engine: PoseFrames in, events and a session result out.

``Engine.update`` takes one (already smoothed) pose at a time and returns the
events of that frame; ``analyze_poses`` feeds a whole recording through the same
engine, so live and offline analysis agree exactly. The engine reads only the
typed spec; it never looks at an exercise's name.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from formcheck.engine.cues import CueThrottle
from formcheck.engine.faults import FaultTracker, attempt_faults
from formcheck.engine.history import SeriesBuffer
from formcheck.engine.holds import HoldTimer
from formcheck.engine.reps import Attempt, RepCounter
from formcheck.engine.results import (
    Cue,
    EngineStatus,
    Event,
    FaultSpan,
    Hold,
    Rep,
    SessionResult,
    TargetsResult,
)
from formcheck.engine.session import WARNING_MIN_SHARE, SessionStates, judge_frame
from formcheck.engine.side import SideSelector
from formcheck.engine.signals import SIDES, SignalEvaluator, all_of
from formcheck.landmarks import LANDMARK_NAMES
from formcheck.specs.schema import ExerciseSpec
from formcheck.types import PoseFrame


def judged_landmarks(required: set[int], view: str, near_side: str | None) -> set[int]:
    """The landmarks a frame must show to be judged in frame.

    Side-on, the far side's limbs are always occluded, so a side-view spec needs
    only the landmarks of the side facing the camera (``near_side``) and the
    midline; a front view sees both sides and needs every landmark it reads.
    """
    if view != "side" or near_side is None:
        return required
    far = "right_" if near_side == "left" else "left_"
    return {i for i in required if not LANDMARK_NAMES[i].startswith(far)}


@dataclass
class _Track:
    """The machines of one tracked slot: a body side, or ``"facing"`` (the side
    that faces the camera, followed online)."""

    key: str
    reps: RepCounter | None
    hold: HoldTimer | None
    faults: list[FaultTracker]
    best_hold_s: float = 0.0


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
        self._selector = SideSelector(None if spec.per_side else fixed, session.side_switch_s)
        self._evaluator = SignalEvaluator(spec, session.visibility_min)
        self._key_signals = self._pick_key_signals()
        self._states = SessionStates(
            session.leave_after_s, not self._evaluator.view_independent(self._key_signals)
        )
        self._cues = CueThrottle(session.cue_display_s)
        frame_rules = [rule for rule in spec.faults if rule.scope == "frame"]
        hold = spec.hold
        self._tracks = [
            _Track(
                key,
                RepCounter(spec.reps, session.gap_grace_s) if spec.reps else None,
                HoldTimer(hold.grace_s, hold.min_s) if hold else None,
                [
                    FaultTracker(rule, session.gap_grace_s)
                    for rule in frame_rules
                    if rule.each_side or index == 0
                ],
            )
            for index, key in enumerate(keys)
        ]
        self._reps: list[Rep] = []
        self._holds: list[Hold] = []
        self._faults: list[FaultSpan] = []
        self._cue_log: list[Cue] = []
        self._cuts: list[float] = []
        self._keep_history = keep_history
        self._t = SeriesBuffer()
        self._last_t = math.nan
        self._values: dict[str, SeriesBuffer] = {}
        self._last_progress_s = math.nan
        self._sides_seen: Counter[str] = Counter()
        # Per frame rule id: exercising frames in the rule's phase, and how many of
        # them it could not judge (a landmark it reads unseen).
        self._fault_frames: Counter[str] = Counter()
        self._fault_unknown: Counter[str] = Counter()
        # Per track key: frames with a person, and how many of them the hold could
        # not be judged in (a side-on camera hides the far leg of a per-side stretch).
        self._hold_frames: Counter[str] = Counter()
        self._hold_unknown: Counter[str] = Counter()
        self.status: EngineStatus
        self._refresh_status(math.nan, {})

    # ----------------------------------------------------------------- helpers
    def _pick_key_signals(self) -> list[str]:
        # Condition.signal is None only in a hold the spec validator rejects.
        names: list[str | None] = [self.spec.reps.signal] if self.spec.reps else []
        if self.spec.hold:
            names += [c.signal for c in self.spec.hold.when if c.signal not in names]
        return [str(name) for name in names]

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
            best = [max(t.best_hold_s, t.hold.held_s(t_s) if t.hold else 0.0) for t in self._tracks]
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
            return track.hold is not None and track.hold.active
        if track.reps is None:
            return False
        if phase == "rep":
            return track.reps.phase != "rest"
        return track.reps.phase == phase

    # ------------------------------------------------------------------ update
    def update(self, pose: PoseFrame) -> list[Event]:
        """Analyse one frame; returns the events it caused (in time order)."""
        t = float(pose.t_s)
        events: list[Event] = []
        side = self._selector.update(pose)
        sides = [s for s in (self._track_side(track) for track in self._tracks) if s]
        judgement = judge_frame(
            pose,
            judged_landmarks(
                self._evaluator.required_landmarks(sides, self._key_signals),
                self.spec.camera.view,
                side,
            ),
            self.spec.camera.view,
            self.spec.session.visibility_min,
            self.spec.session.side_view_max_width,
        )
        was_active = self._states.active
        new_state = self._states.update(t, judgement, self._active_state(t))
        if self._states.active and not was_active:
            self._last_progress_s = t
        if new_state is not None:
            events.append(Event("state", t, {"state": new_state}))
        feeding = self._states.active
        if feeding and side:
            self._sides_seen[side] += 1
        self._last_t = t
        if self._keep_history:
            self._t.append(t)
        shown: dict[str, float] = {}
        for track in self._tracks:
            track_side = self._track_side(track)
            if pose.detected and track_side:
                values = self._evaluator.evaluate(pose, track_side)
            else:
                values = self._evaluator.nan_values()
            if self._keep_history:
                for name, value in values.items():
                    series = self._series_name(track, name)
                    self._values.setdefault(series, SeriesBuffer()).append(value)
            for name in self._key_signals:
                shown[self._series_name(track, name)] = values[name]
            if self.spec.hold is not None and judgement != "no_person":
                self._hold_frames[track.key] += 1
                self._hold_unknown[track.key] += all_of(self.spec.hold.when, values) is None
            if not feeding:
                values = self._evaluator.nan_values()
            events += self._update_track(track, track_side or "left", t, values)
        self._refresh_status(t, shown)
        return events

    def _update_track(
        self, track: _Track, side: str, t: float, values: dict[str, float]
    ) -> list[Event]:
        events: list[Event] = []
        spec = self.spec
        if track.reps is not None and spec.reps is not None:
            attempt = track.reps.update(t, values[spec.reps.signal])
            if track.reps.phase != "rest":
                self._last_progress_s = t
            if attempt is not None:
                events += self._finish_attempt(track, side, attempt)
        if track.hold is not None and spec.hold is not None:
            announced = track.hold.announced and track.hold.active
            ended = track.hold.update(t, all_of(spec.hold.when, values))
            if ended is not None:
                target = self._hold_target_s or 0.0
                hold = Hold(side, ended.start_s, ended.end_s, ended.duration_s, target)
                self._holds.append(hold)
                track.best_hold_s = max(track.best_hold_s, hold.duration_s)
                events.append(Event("hold_end", t, hold.to_dict()))
            if track.hold.active:
                self._last_progress_s = t
                if track.hold.announced and not announced:
                    data = {"side": side, "start_s": track.hold.start_s}
                    events.append(Event("hold_start", t, data))
        for tracker in track.faults:
            rule = tracker.rule
            in_phase = self._phase_matches(rule.phase, track)
            offending = all_of(rule.when, values) if in_phase else False
            if in_phase and self._states.active:
                self._fault_frames[rule.id] += 1
                self._fault_unknown[rule.id] += offending is None
            label = side if rule.each_side or len(self._tracks) == 1 else "both"
            ended_fault, started = tracker.update(t, offending, label)
            if ended_fault is not None:
                events += self._end_fault(t, ended_fault)
            if started:
                span = tracker.current()
                events.append(Event("fault_start", t, span.to_dict()))
                events += self._offer_cue(t, span, rule.cooldown_s)
        return events

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
        return [Event("fault_end", t, span.to_dict())]

    def _offer_cue(self, t: float, span: FaultSpan, cooldown_s: float) -> list[Event]:
        cue = self._cues.offer(t, span.id, span.message, span.side, cooldown_s)
        if cue is None:
            return []
        self._cue_log.append(cue)
        return [Event("cue", t, cue.to_dict())]

    def _finish_attempt(self, track: _Track, side: str, attempt: Attempt) -> list[Event]:
        assert self.spec.reps is not None
        assert track.reps is not None  # attempts come from the track's rep counter
        rules = self.spec.faults
        events: list[Event] = []
        rep_faults = attempt_faults(rules, attempt, side, self.spec.reps.peak_hold_s)
        for span in rep_faults:
            cooldown = next(rule.cooldown_s for rule in rules if rule.id == span.id)
            events.append(Event("fault_start", attempt.end_s, span.to_dict()))
            events += self._end_fault(attempt.end_s, span)
            events += self._offer_cue(attempt.end_s, span, cooldown)
        if not attempt.counted:
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

    def _refresh_status(self, t: float, shown: dict[str, float]) -> None:
        hold_s: float | None = None
        for track in self._tracks:
            if track.hold is not None and track.hold.active:
                hold_s = max(hold_s or 0.0, track.hold.held_s(t))
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
        )

    # -------------------------------------------------------------- cuts, finish
    def _close_tracks(self, t_s: float) -> None:
        """End the holds and faults in progress (they are kept)."""
        for track in self._tracks:
            track_side = self._track_side(track) or "left"
            if track.hold is not None:
                ended = track.hold.close()
                if ended is not None:
                    target = self._hold_target_s or 0.0
                    hold = Hold(track_side, ended.start_s, ended.end_s, ended.duration_s, target)
                    self._holds.append(hold)
                    track.best_hold_s = max(track.best_hold_s, hold.duration_s)
            for tracker in track.faults:
                span = tracker.close()
                if span is not None:
                    self._end_fault(t_s, span)

    def mark_cut(self, t_s: float) -> None:
        """The recording was cut just before ``t_s`` (an edit, or the person lost and
        found elsewhere): the cut cannot complete a rep (:meth:`RepCounter.cut`), holds
        and faults end there, and the cut is reported."""
        self._close_tracks(t_s)
        for track in self._tracks:
            if track.reps is not None:
                track.reps.cut()
        self._cuts.append(t_s)

    def finish(self) -> SessionResult:
        """Close open holds and faults and return the session's result."""
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
        return SessionResult(
            exercise_id=self.spec.id,
            side=side,
            reps_total=self._total_reps(),
            reps_left=left,
            reps_right=right,
            reps=tuple(self._reps),
            holds=tuple(sorted(self._holds, key=lambda h: h.start_s)),
            faults=tuple(sorted(self._faults, key=lambda f: (f.start_s, f.id))),
            cues=tuple(self._cue_log),
            states=tuple(self._states.spans()),
            warnings=(
                *self._states.warnings(self.spec.camera.view),
                *self._cut_warnings(),
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
                met=self._targets_met(t_end),
            ),
            limitations=self.spec.limitations,
            cuts=tuple(self._cuts),
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
