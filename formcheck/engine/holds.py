"""Hold timing: the timer runs while the posture is in its band (:class:`HoldTimer`),
on whichever side holds it (:class:`SideHold`).

A hold starts on the first in-band frame and ends at the last in-band frame before
a stretch out of band (or unseen) longer than the grace period. Brief wobbles out
of the band inside a hold are not counted as held time; unseen frames (NaN) inside
a hold are, since the posture most likely continued.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class HoldInterval:
    """A finished hold: first and last in-band frame times and the time held."""

    start_s: float
    end_s: float
    duration_s: float


class HoldTimer:
    """Times holds of one side.

    Args:
        grace_s: out-of-band or unseen stretches up to this long do not end a hold.
        min_s: holds shorter than this are dropped (a pass through the band).
    """

    def __init__(self, grace_s: float, min_s: float) -> None:
        self._grace_s = grace_s
        self._min_s = min_s
        self.active = False
        self.announced = False
        # The last frame's reading: in the band, out of it, or unseen (None).
        self.in_band: bool | None = None
        self._start_s = math.nan
        self._last_in_s = math.nan
        self._prev_s = math.nan
        self._wobble_s = 0.0
        self._pending_wobble_s = 0.0

    @property
    def start_s(self) -> float:
        """Start of the current hold (NaN when not holding)."""
        return self._start_s if self.active else math.nan

    def held_s(self, t_s: float) -> float:
        """Seconds held so far in the current hold (0 when not holding)."""
        if not self.active:
            return 0.0
        return max(0.0, t_s - self._start_s - self._wobble_s - self._pending_wobble_s)

    def update(self, t_s: float, in_band: bool | None) -> HoldInterval | None:
        """Advance by one frame (``in_band`` None: unseen); returns a hold that ended."""
        dt = 0.0 if math.isnan(self._prev_s) else t_s - self._prev_s
        self._prev_s = t_s
        self.in_band = in_band
        ended = None
        if self.active and t_s - self._last_in_s > self._grace_s:
            ended = self.close()
        if in_band is True:
            if not self.active:
                self.active = True
                self.announced = False
                self._start_s = t_s
                self._wobble_s = 0.0
            self._wobble_s += self._pending_wobble_s
            self._pending_wobble_s = 0.0
            self._last_in_s = t_s
            if not self.announced and self.held_s(t_s) >= self._min_s:
                self.announced = True
        elif in_band is False and self.active:
            self._pending_wobble_s += dt
        return ended

    def close(self) -> HoldInterval | None:
        """End the current hold (at its last in-band frame); None if it was too short."""
        if not self.active:
            return None
        self.active = False
        self._pending_wobble_s = 0.0
        duration = self._last_in_s - self._start_s - self._wobble_s
        if duration < self._min_s:
            return None
        return HoldInterval(self._start_s, self._last_in_s, duration)


class SideHold:
    """Times one hold across the tracked sides, credited to the side that started it.

    A per-side stretch is held by one leg at a time, and nobody changes legs without
    leaving the posture (a foot goes down before the other comes up). Seen side-on,
    the pose model names the legs the wrong way round for seconds at a time, and may
    draw the hidden leg in the posture too: the posture then passes from one side's
    signals to the other's without a break. So the hold runs while any side is in
    the posture and ends only when none has been, past the grace; a real change of
    legs outlasts the grace and starts a new hold.

    Where a spec names a variant done with both sides at once (``together``: both
    knees hugged to the chest), a hold in which every side reads in the posture on at
    least half of its frames with every side seen is that variant: it is reported on
    side ``"both"`` and credited to neither. Half, because the model draws a hidden leg
    in the posture for a few seconds of a one-sided hold (3 s of a 29.5 s quad
    stretch), not for most of it; a side unseen says nothing either way.

    Args:
        grace_s, min_s: as :class:`HoldTimer`.
        together: report holds of both sides at once as ``"both"``.
    """

    def __init__(self, grace_s: float, min_s: float, together: bool = False) -> None:
        self._timer = HoldTimer(grace_s, min_s)
        self._together = together
        self.side: str | None = None
        self._bands: dict[str, bool | None] = {}
        self._seen_frames = 0  # frames of this hold with every side seen
        self._all_frames = 0  # ... and in the posture

    @property
    def active(self) -> bool:
        return self._timer.active

    @property
    def announced(self) -> bool:
        return self._timer.announced

    @property
    def start_s(self) -> float:
        return self._timer.start_s

    def held_s(self, t_s: float) -> float:
        return self._timer.held_s(t_s)

    def in_band(self, side: str) -> bool | None:
        """The last frame's reading of ``side``'s posture (None: unseen)."""
        return self._bands.get(side)

    def update(self, t_s: float, bands: dict[str, bool | None]) -> tuple[str, HoldInterval] | None:
        """Advance by one frame with each side's reading (True: in the posture,
        False: out of it, None: unseen); returns a hold that ended, with its side."""
        self._bands = dict(bands)
        readings = bands.values()
        if True in readings:
            in_band: bool | None = True
        elif self.side is not None:  # out of the posture or unseen: as its own side reads
            in_band = bands.get(self.side)
        else:
            in_band = False if False in readings else None
        side = self.reported_side
        ended = self._timer.update(t_s, in_band)
        if not self._timer.active:
            self.side = None
        elif self._timer.start_s == t_s:  # a hold starts on this frame
            self.side = next(s for s, band in bands.items() if band is True)
            self._seen_frames = self._all_frames = 0
        if self._timer.active and len(bands) > 1 and None not in readings:
            self._seen_frames += 1
            self._all_frames += all(band is True for band in readings)
        return (side, ended) if ended is not None and side is not None else None

    def close(self) -> tuple[str, HoldInterval] | None:
        """End the hold in progress; None if none, or too short."""
        side, self.side = self.reported_side, None
        ended = self._timer.close()
        return (side, ended) if ended is not None and side is not None else None

    @property
    def reported_side(self) -> str | None:
        """The side the hold in progress is credited to so far (``"both"``: neither)."""
        together = self._seen_frames and 2 * self._all_frames >= self._seen_frames
        if self._together and self.side is not None and together:
            return "both"
        return self.side
