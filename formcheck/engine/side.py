"""Which body side faces the camera, chosen online with hysteresis."""

from __future__ import annotations

import math

from formcheck.kinematics import visible_side
from formcheck.types import PoseFrame


class SideSelector:
    """Follows the side nearer the camera; switches only when the other side has
    been nearer for ``switch_s`` without interruption.

    Args:
        fixed: a side given by the caller or the spec; never switches.
        switch_s: hysteresis time in seconds.
    """

    def __init__(self, fixed: str | None, switch_s: float) -> None:
        self.side: str | None = fixed
        self._fixed = fixed is not None
        self._switch_s = switch_s
        self._other_since_s = math.nan

    def update(self, pose: PoseFrame) -> str | None:
        """Advance by one frame; returns the current side (None until first seen)."""
        if self._fixed or not pose.detected:
            return self.side
        seen = visible_side(pose.visibility, pose.image_xyz[:, 2])
        if self.side is None:
            self.side = seen
        elif seen == self.side:
            self._other_since_s = math.nan
        elif math.isnan(self._other_since_s):
            self._other_since_s = pose.t_s
        elif pose.t_s - self._other_since_s >= self._switch_s:
            self.side = seen
            self._other_since_s = math.nan
        return self.side
