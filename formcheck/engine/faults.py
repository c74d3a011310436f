"""Fault detection: frame rules with persistence, and rep rules judged per rep.

A frame rule becomes a fault once its condition has held for ``min_duration_s``
(the fault then starts at the first offending frame) and ends at the last
offending frame once the condition has been clear for ``clear_s``. Unknown (NaN)
frames neither start nor clear a fault; an unseen stretch longer than the grace
period ends it.
"""

from __future__ import annotations

import math

from formcheck.engine.reps import Attempt
from formcheck.engine.results import FaultSpan
from formcheck.engine.signals import all_of
from formcheck.specs.schema import FaultRule


class FaultTracker:
    """Tracks one frame-scope fault rule on one side.

    Args:
        rule: the fault rule (``scope = "frame"``).
        gap_grace_s: an unseen stretch longer than this ends the fault.
    """

    def __init__(self, rule: FaultRule, gap_grace_s: float) -> None:
        self.rule = rule
        self._side = ""
        self._gap_grace_s = gap_grace_s
        self.active = False
        self._first_true_s = math.nan
        self._last_true_s = math.nan
        self._false_since_s = math.nan

    def _span(self) -> FaultSpan:
        rule = self.rule
        return FaultSpan(
            rule.id, self._first_true_s, self._last_true_s, rule.cue, rule.severity, self._side
        )

    def update(
        self, t_s: float, offending: bool | None, side: str
    ) -> tuple[FaultSpan | None, bool]:
        """Advance by one frame; ``side`` labels a fault that starts tracking now.

        Returns:
            (the fault that ended on this frame or None, whether a fault started).
        """
        tracking = not math.isnan(self._first_true_s)
        if offending is None:
            if tracking and t_s - self._last_true_s > self._gap_grace_s:
                return self._reset(), False
            return None, False
        if offending is False:
            if tracking:
                if math.isnan(self._false_since_s):
                    self._false_since_s = t_s
                if t_s - self._false_since_s >= self.rule.clear_s:
                    return self._reset(), False
            return None, False
        self._false_since_s = math.nan
        if not tracking:
            self._first_true_s = t_s
            self._side = side
        self._last_true_s = t_s
        if not self.active and t_s - self._first_true_s >= self.rule.min_duration_s:
            self.active = True
            return None, True
        return None, False

    def current(self) -> FaultSpan:
        """The active fault so far (call only while ``active``)."""
        return self._span()

    def close(self) -> FaultSpan | None:
        """End tracking; returns the fault if one was active."""
        if math.isnan(self._first_true_s):
            return None
        return self._reset()

    def _reset(self) -> FaultSpan | None:
        span = self._span() if self.active else None
        self.active = False
        self._first_true_s = math.nan
        self._last_true_s = math.nan
        self._false_since_s = math.nan
        return span


def attempt_faults(
    rules: tuple[FaultRule, ...], attempt: Attempt, side: str, peak_hold_s: float
) -> list[FaultSpan]:
    """The rep- and partial-scope faults of one finished attempt (spanning the attempt)."""
    scopes = {"attempt"}
    if attempt.counted:
        scopes.add("rep")
    if not attempt.reached_peak:
        scopes.add("partial")
    metrics = attempt.metrics(peak_hold_s)
    return [
        FaultSpan(rule.id, attempt.start_s, attempt.end_s, rule.cue, rule.severity, side)
        for rule in rules
        if rule.scope in scopes and all_of(rule.when, metrics) is True
    ]
