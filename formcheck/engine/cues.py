"""Cue throttling: one cue on screen at a time, and a cooldown per fault.

A cue leaves the screen after ``display_s``, or earlier when it goes stale: its
fault's condition cleared, or a new rep started (:meth:`CueThrottle.clear`).
"""

from __future__ import annotations

import math

from formcheck.engine.results import Cue


class CueThrottle:
    """Decides which fault cues are shown.

    Args:
        display_s: how long a cue stays on screen; no other cue meanwhile.
    """

    def __init__(self, display_s: float) -> None:
        self._display_s = display_s
        self._shown: Cue | None = None
        self._last_by_fault: dict[str, float] = {}

    def offer(
        self, t_s: float, fault_id: str, message: str, side: str, cooldown_s: float
    ) -> Cue | None:
        """Show a cue for ``fault_id`` unless another cue is on screen or it is cooling down."""
        if self.current(t_s) is not None:
            return None
        if t_s - self._last_by_fault.get(fault_id, -math.inf) < cooldown_s:
            return None
        self._last_by_fault[fault_id] = t_s
        self._shown = Cue(t_s, fault_id, message, side)
        return self._shown

    def clear(self, fault_id: str | None = None, side: str | None = None) -> None:
        """Take the cue on screen down: any cue, or only ``fault_id``'s on ``side``."""
        shown = self._shown
        if shown is None:
            return
        if fault_id is None or (shown.fault_id, shown.side) == (fault_id, side):
            self._shown = None

    def current(self, t_s: float) -> Cue | None:
        """The cue on screen at ``t_s``, if any."""
        if self._shown is not None and t_s - self._shown.t_s < self._display_s:
            return self._shown
        return None
