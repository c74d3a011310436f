"""Rep counting on one signal with a hysteresis band (one counter per body side).

Phases: ``rest`` → ``outbound`` (past the rest threshold) → ``peak`` (past
``enter``) → ``return`` (back past ``exit``) → ``rest`` (back past ``rest``), when
the rep is judged: it counts if its range of motion, duration and peak dwell are
within the rule. Noise smaller than the band between thresholds cannot flip a
phase, so jitter never makes phantom or double counts. A NaN value changes
nothing; a gap longer than the grace period abandons the rep in progress.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from formcheck.specs.schema import RepRule


@dataclass(frozen=True)
class Attempt:
    """A movement that left rest and came back, judged against the rule.

    Values are in the signal's own units; ``counted`` is False for attempts that
    never reached the peak band (``reached_peak`` False) or broke a limit.
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
        gap_grace_s: an unseen stretch longer than this abandons the rep in progress.
    """

    def __init__(self, rule: RepRule, gap_grace_s: float) -> None:
        self._rule = rule
        self._gap_grace_s = gap_grace_s
        # Work in "toward the peak is larger" units: s = value (peak high) or -value.
        self._sign = 1.0 if rule.peak == "high" else -1.0
        self.phase = "rest"
        self.count = 0
        self._baseline = math.inf
        self._last_valid_s = -math.inf
        self._cut = False
        self._reset_rep()

    def _reset_rep(self) -> None:
        self._start_s = math.nan
        self._extreme = -math.inf
        self._peak_enter_s = math.nan
        self._first_peak_s = math.nan
        self._peak_exit_s = math.nan
        self._in_peak_s = 0.0
        self._reached_peak = False

    def abandon(self) -> None:
        """Drop the rep in progress without judging it; the next one starts afresh."""
        self.phase = "rest"
        self._baseline = math.inf
        self._reset_rep()

    def cut(self) -> None:
        """The recording was cut before the next frame. The cut itself never takes a
        rep out of the working position: if the next value is back at rest while the
        rep had not yet left the peak band, it is dropped uncounted. A rep already on
        its way back (it left the peak band, the labelling rule's count) or going on
        across the cut is counted as it is seen."""
        self._cut = True

    def peak_dwell_s(self, t_s: float) -> float | None:
        """Seconds in the peak band so far this rep, or None outside the peak phase."""
        if self.phase != "peak":
            return None
        return self._in_peak_s + (t_s - self._peak_enter_s)

    def update(self, t_s: float, value: float) -> Attempt | None:
        """Advance by one frame; returns the attempt that ended on this frame, if any."""
        rule = self._rule
        if math.isnan(value):
            if self.phase != "rest" and t_s - self._last_valid_s > self._gap_grace_s:
                self.abandon()
            return None
        self._last_valid_s = t_s
        s = self._sign * value
        enter, exit_, rest = (self._sign * x for x in (rule.enter, rule.exit, rule.rest))
        if self._cut:
            self._cut = False
            if self.phase in ("outbound", "peak") and s <= rest:
                self.abandon()
        if self.phase == "rest":
            if s <= rest:
                self._baseline = min(self._baseline, s)
                return None
            self.phase = "outbound"
            self._start_s = t_s
            self._baseline = min(self._baseline, rest)
        if self.phase != "rest":
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
        elif self.phase == "return":
            if s >= enter:
                self.phase = "peak"
                self._peak_enter_s = t_s
            elif s <= rest:
                return self._finish(t_s, s)
        return None

    def _finish(self, t_s: float, s: float) -> Attempt:
        rule = self._rule
        rom = self._extreme - self._baseline
        duration = t_s - self._start_s
        reached = self._reached_peak
        outbound = (self._first_peak_s if reached else t_s) - self._start_s
        back = t_s - self._peak_exit_s if reached else 0.0
        counted = (
            reached
            and rom >= rule.min_rom
            and rule.min_rep_s <= duration <= rule.max_rep_s
            and self._in_peak_s >= rule.min_peak_s
        )
        attempt = Attempt(
            start_s=self._start_s,
            end_s=t_s,
            peak=self._sign * self._extreme,
            rom=rom,
            outbound_s=outbound,
            return_s=back,
            hold_s=self._in_peak_s,
            reached_peak=reached,
            counted=counted,
        )
        self.count += counted
        self.phase = "rest"
        self._baseline = s
        self._reset_rep()
        return attempt
