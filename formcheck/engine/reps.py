"""Rep counting on one signal with a hysteresis band (one counter per body side).

Phases: ``rest`` → ``outbound`` (past the rest threshold) → ``peak`` (past
``enter``) → ``return`` (back past ``exit``) → ``rest`` (back past ``rest``), when
the rep is judged: it counts if its range of motion, duration and peak dwell are
within the rule. A rep also ends where the person, on the way back, turns into the
working position again after moving ``min_rom`` away from it (fast reps that stop
short of the rest threshold); closer turns are a hover within one rep. Noise smaller
than the band between thresholds cannot flip a phase, so jitter never makes phantom
or double counts. A NaN value changes nothing; a gap longer than the grace period
ends the rep in progress.

Partial reps follow one rule (``exercise_specs/README.md``): a rep counts when the
working position is reached and then left toward the start position. A recording that
starts in the working position counts that rep once it is left; one that ends (or loses
sight of the person) after the working position was left, back from its extreme by
``min_rom``, counts it (:meth:`RepCounter.close`), and one that ends in the working
position does not. A cut (:meth:`RepCounter.cut`) ends the recording in the same way,
except that a rep not yet out of the working position is judged by what follows: back at
the start position, its way back was not seen and it does not count; anywhere else the
movement goes on across the cut. A rep only partly seen (cut by the start or the end of
what was seen) is held to half of ``min_rep_s``: its way out or its way back was seen, and
the few wrong poses a wipe, a title card or a person walking in throws about make no rep.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from formcheck.specs.schema import RepRule

# A rep cut by the start or the end of what was seen is held to this share of min_rep_s.
PARTLY_SEEN_SHARE = 0.5

# Why an attempt did not count (``Attempt.reason``).
NOT_COUNTED_REASONS: dict[str, str] = {
    "short_of_peak": "did not reach the {peak}",
    "small_range": "moved less than the {min_rom:g} the rep needs",
    "too_quick": "took less than {min_rep_s:g} s",
    "too_slow": "took more than {max_rep_s:g} s",
    "brief_peak": "stayed in the {peak} less than {min_peak_s:g} s",
    "ended_in_peak": "the recording ended (or was cut) before the {peak} was left",
    "ended_early": "the recording ended (or was cut) before the {peak} was reached",
    "unseen": "the person was not seen for longer than {gap_grace_s:g} s during it",
    "out_of_posture": "the body was not in the exercise's position for most of it",
}


@dataclass(frozen=True)
class Attempt:
    """A movement that left rest and came back (or was cut short), judged against the rule.

    Values are in the signal's own units; ``counted`` is False for attempts that
    never reached the peak band (``reached_peak`` False) or broke a limit, and
    ``reason`` (a key of ``NOT_COUNTED_REASONS``) then says why. ``frames`` is the
    number of frames with a measured value during the attempt; ``shortest_s`` the
    shortest it was allowed to be (``min_rep_s``, or half of it when only partly seen).
    """

    start_s: float
    end_s: float
    peak: float
    rom: float
    outbound_s: float
    return_s: float
    hold_s: float
    reached_peak: bool
    counted: bool
    shortest_s: float
    reason: str | None = None
    frames: int = 0

    def metrics(self, peak_hold_s: float) -> dict[str, float]:
        """The values rep fault conditions can test (``RepMetric`` names)."""
        return {
            "peak": self.peak,
            "rom": self.rom,
            "duration_s": self.end_s - self.start_s,
            "outbound_s": self.outbound_s,
            "return_s": self.return_s,
            "hold_s": self.hold_s,
            "hold_shortfall_s": max(0.0, peak_hold_s - self.hold_s),
        }


class RepCounter:
    """Counts reps of one side.

    Args:
        rule: the spec's rep rule.
        gap_grace_s: an unseen stretch longer than this ends the rep in progress.

    Attributes:
        phase: the current phase.
        count: reps counted so far.
        seen_rest: True once the signal was seen on the rest side of ``rest``
            (the spec's starting position).
    """

    def __init__(self, rule: RepRule, gap_grace_s: float) -> None:
        self._rule = rule
        self._gap_grace_s = gap_grace_s
        # Work in "toward the peak is larger" units: s = value (peak high) or -value.
        self._sign = 1.0 if rule.peak == "high" else -1.0
        self.phase = "rest"
        self.count = 0
        self.seen_rest = False
        self._baseline = math.inf
        self._last_valid_s = -math.inf
        self._last_s = -math.inf  # the last measured value, in "toward the peak" units
        self._fresh = True  # nothing measured yet since the start (or a cut, or a gap)
        self._reset_rep()

    def _reset_rep(self) -> None:
        self._start_s = math.nan
        self._extreme = -math.inf
        self._peak_enter_s = math.nan
        self._first_peak_s = math.nan
        self._peak_exit_s = math.nan
        self._in_peak_s = 0.0
        self._reached_peak = False
        self._frames = 0
        self._part_unseen = False  # the start or end of what was seen hid part of it
        self._turn_value = math.inf  # the lowest value on the way back, and when
        self._turn_s = math.nan
        self._left_far = False  # the way back came min_rom from the extreme
        self._cut_s = math.nan  # a cut the rep in progress awaits the verdict of

    def reject(self, attempt: Attempt, reason: str) -> Attempt:
        """Take back a rep the counter counted, for a ``reason`` it cannot see itself
        (the body was not in the exercise's position); returns the attempt, not counted."""
        self.count -= attempt.counted
        return replace(attempt, counted=False, reason=reason)

    def peak_dwell_s(self, t_s: float) -> float | None:
        """Seconds in the peak band so far this rep, or None outside the peak phase."""
        if self.phase != "peak":
            return None
        return self._in_peak_s + (t_s - self._peak_enter_s)

    def update(self, t_s: float, value: float) -> Attempt | None:
        """Advance by one frame; returns the attempt that ended on this frame, if any."""
        rule = self._rule
        if math.isnan(value):
            if t_s - self._last_valid_s > self._gap_grace_s:
                if self.phase != "rest":
                    return self.close(self._last_valid_s, unseen=True)
                self._fresh, self._baseline = True, math.inf
            return None
        self._last_valid_s = t_s
        fresh, self._fresh = self._fresh, False
        s = self._sign * value
        enter, exit_, rest = (self._sign * x for x in (rule.enter, rule.exit, rule.rest))
        self.seen_rest |= s <= rest
        if not math.isnan(self._cut_s):
            cut_s, self._cut_s = self._cut_s, math.nan
            if s <= rest:  # back at the start across the cut: judged as at an end
                attempt = self.close(cut_s)
                self._baseline, self._last_s, self._fresh = s, s, False
                return attempt
        self._last_s = s
        if self.phase == "rest":
            if s <= rest:
                self._baseline = min(self._baseline, s)
                return None
            self.phase = "outbound"
            self._start_s = t_s
            self._part_unseen = fresh
            self._baseline = min(self._baseline, rest)
        if self.phase == "return" and s >= enter and self._left_far:
            return self._turn(t_s, s)
        self._frames += 1
        self._extreme = max(self._extreme, s)
        if self.phase == "outbound":
            if s >= enter:
                self.phase = "peak"
                self._reached_peak = True
                self._peak_enter_s = t_s
                self._first_peak_s = t_s
            elif s <= rest:
                return self._finish(t_s, s)
        elif self.phase == "peak":
            if s < exit_:
                self._in_peak_s += t_s - self._peak_enter_s
                self._peak_exit_s = t_s
                self.phase = "return"
                self._turn_value, self._turn_s = s, t_s
        elif self.phase == "return":
            if s >= enter:  # back in the working position before leaving it far: a hover
                self.phase = "peak"
                self._peak_enter_s = t_s
            elif s <= rest:
                return self._finish(t_s, s)
            else:
                self._left_far |= self._extreme - s >= rule.min_rom
                if s < self._turn_value:
                    self._turn_value, self._turn_s = s, t_s
        return None

    def _turn(self, t_s: float, s: float) -> Attempt:
        """The person turned back into the working position after leaving it far
        enough, without reaching rest (fast reps that stop short of the top): the
        rep ends at the turn and the next one starts there, already in the
        working position at ``t_s``."""
        turn_s, turn_value = self._turn_s, self._turn_value
        attempt = self._finish(turn_s, turn_value)
        self.phase = "peak"
        self._start_s = turn_s
        self._frames = 1
        self._extreme = s
        self._reached_peak = True
        self._peak_enter_s = self._first_peak_s = t_s
        return attempt

    def cut(self, t_s: float) -> Attempt | None:
        """The recording was cut after ``t_s``, its last frame before the cut.

        The rule of the end of a recording (:meth:`close`), with what follows the cut
        as its witness: a rep already back past ``exit`` counts here. One still in
        (or on its way into) the working position is decided by the next measured
        value: back at the start position, it is judged as at the end of a
        recording (it counts if it had left the working position by ``min_rom``;
        otherwise the cut jumped over its way back and it does not); anywhere else
        the movement goes on across the cut (a jump cut, or a cut found where there
        is none) and is judged as it is seen, once, held to half of ``min_rep_s``
        (part of it was not seen). The next rep starts afresh; after a cut at the
        start position it is judged whole, ``min_rep_s`` included (that position
        was seen).
        """
        if self.phase == "rest":
            # A few wrong poses while the tracker finds the person in the new shot
            # must not make a rep.
            self._baseline = math.inf
            return None
        if self.phase == "return":
            return self.close(t_s)
        self._cut_s = t_s
        self._part_unseen = True
        return None

    def close(self, t_s: float, unseen: bool = False) -> Attempt | None:
        """End the rep in progress at ``t_s`` (the recording ended or was cut, or
        the person was lost when ``unseen``); None when at rest.

        A rep whose working position was reached and left is judged as if it had
        come back to rest; one still in (or short of) the working position does not
        count. Left means back from the extreme by the rep's ``min_rom`` (a deep
        squat ending on the way up, even still below ``exit``).
        """
        if self.phase == "rest":
            return None
        if self._left_working_position():
            if self.phase == "peak":
                self._in_peak_s += t_s - self._peak_enter_s
                self._peak_exit_s = t_s
            self._part_unseen = True
            self.phase = "return"
            return self._finish(t_s, -math.inf)
        return self._end_unseen(t_s, unseen)

    def _left_working_position(self) -> bool:
        """True when the rep in progress reached the working position and came back
        from its extreme by the rep's ``min_rom`` (a deep squat ending on the way
        up, even still below ``exit``); a value jittering across ``exit`` is not
        a way back."""
        left = self._left_far or self._extreme - self._last_s >= self._rule.min_rom
        return self.phase in ("peak", "return") and left

    def _end_unseen(self, t_s: float, unseen: bool = False) -> Attempt:
        """End at ``t_s`` a rep whose way back was not seen: not counted."""
        if self.phase == "peak":
            self._in_peak_s += t_s - self._peak_enter_s
        reason = "unseen" if unseen else ("ended_in_peak" if self._reached_peak else "ended_early")
        return self._finish(t_s, -math.inf, reason)

    def _shortest_s(self) -> float:
        """The shortest the rep in progress may be: ``min_rep_s`` seen whole, half of it
        only partly seen (cut by the start or the end of what was seen)."""
        return self._rule.min_rep_s * (PARTLY_SEEN_SHARE if self._part_unseen else 1.0)

    def _finish(self, t_s: float, s: float, cut_short: str | None = None) -> Attempt:
        rule = self._rule
        rom = self._extreme - self._baseline
        duration = t_s - self._start_s
        shortest_s = self._shortest_s()
        reached = self._reached_peak
        outbound = (self._first_peak_s if reached else t_s) - self._start_s
        back = t_s - self._peak_exit_s if reached and self.phase == "return" else 0.0
        if cut_short is not None:
            reason: str | None = cut_short
        elif not reached:
            reason = "short_of_peak"
        elif rom < rule.min_rom:
            reason = "small_range"
        elif duration < shortest_s:
            reason = "too_quick"
        elif duration > rule.max_rep_s:
            reason = "too_slow"
        elif self._in_peak_s < rule.min_peak_s:
            reason = "brief_peak"
        else:
            reason = None
        attempt = Attempt(
            start_s=self._start_s,
            end_s=t_s,
            peak=self._sign * self._extreme,
            rom=rom,
            outbound_s=outbound,
            return_s=back,
            hold_s=self._in_peak_s,
            reached_peak=reached,
            counted=reason is None,
            shortest_s=shortest_s,
            reason=reason,
            frames=self._frames,
        )
        self.count += attempt.counted
        self.phase = "rest"
        # A dip back to rest that never reached the working position (jitter at the rest
        # threshold) leaves the person where they stood: the rest seen before it stays
        # the next rep's start, so a rep split by it keeps its full range.
        kept = self._baseline if not reached and cut_short is None else math.inf
        self._baseline = min(kept, s) if math.isfinite(s) else math.inf
        self._fresh = not math.isfinite(s)
        self._reset_rep()
        return attempt
