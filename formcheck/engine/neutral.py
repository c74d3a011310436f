"""The person's own neutral for ``change`` signals, and the changes from it.

At rest the neutral is the mean of each base signal over the last ``baseline_s``;
when a rep leaves rest it is kept until the rep ends, so a change signal reads how
far the posture moved from where this person started the rep (a back that rests
tilted by 15° on all fours is their neutral, not a fault).
"""

from __future__ import annotations

import math
from collections import deque

from formcheck.specs.schema import Change, ExerciseSpec


class Neutral:
    """Neutrals of one body side.

    Args:
        spec: the spec (its ``change`` signals).
        baseline_s: the rest window the neutral is the mean of.
    """

    def __init__(self, spec: ExerciseSpec, baseline_s: float) -> None:
        self._bases = {n: s.of for n, s in spec.signals.items() if isinstance(s, Change)}
        self._baseline_s = baseline_s
        self._window: deque[tuple[float, dict[str, float]]] = deque()
        self._held: dict[str, float] = {}

    def __bool__(self) -> bool:
        return bool(self._bases)

    def reset(self) -> None:
        """Forget the neutral (a cut: the next scene may be framed differently)."""
        self._window.clear()
        self._held.clear()

    def _mean(self, base: str) -> float:
        seen = [values[base] for _, values in self._window if math.isfinite(values[base])]
        return sum(seen) / len(seen) if seen else math.nan

    def fill(self, t_s: float, values: dict[str, float], at_rest: bool) -> None:
        """Write each change signal into ``values`` and take this frame into the
        neutral if the person is ``at_rest``."""
        for name, base in self._bases.items():
            neutral = self._held.get(base, math.nan)
            if math.isnan(neutral):  # nothing at rest seen yet: the first measured value
                neutral = self._held[base] = values[base]
            values[name] = values[base] - neutral
        if not at_rest:
            return
        self._window.append((t_s, {base: values[base] for base in self._bases.values()}))
        while t_s - self._window[0][0] > self._baseline_s:
            self._window.popleft()
        for base in self._bases.values():
            mean = self._mean(base)
            if math.isfinite(mean):
                self._held[base] = mean
