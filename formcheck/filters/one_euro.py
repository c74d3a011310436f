"""The One Euro filter (Casiez, Roussel, Vogel, CHI 2012) for live landmarks.

A first-order low-pass whose cut-off rises with speed: still landmarks are
smoothed hard (no jitter on a held plank), fast ones follow with little lag.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from formcheck.types import PoseFrame


@dataclass(frozen=True, slots=True)
class OneEuroConfig:
    """Parameters; defaults tuned for normalised landmark coordinates at 15–60 fps.

    Attributes:
        min_cutoff_hz: cut-off when still; lower = smoother, more lag.
        beta: how fast the cut-off rises with speed (per unit/s); higher = less lag.
        d_cutoff_hz: cut-off of the speed estimate.
    """

    min_cutoff_hz: float = 1.0
    beta: float = 5.0
    d_cutoff_hz: float = 1.0

    def __post_init__(self) -> None:
        if self.min_cutoff_hz <= 0 or self.d_cutoff_hz <= 0:
            raise ValueError("One Euro cut-offs must be positive (Hz)")
        if self.beta < 0:
            raise ValueError(f"One Euro beta must be >= 0, got {self.beta}")


def _alpha(cutoff_hz: np.ndarray | float, dt_s: np.ndarray | float) -> np.ndarray:
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff_hz))
    return 1.0 / (1.0 + tau / np.asarray(dt_s))


class OneEuroFilter:
    """One Euro filter over an array of independent values (e.g. 33×3 coordinates).

    NaN inputs give NaN outputs and leave that element's state untouched; when it
    comes back, the gap is simply a longer time step.

    Example:
        >>> f = OneEuroFilter(OneEuroConfig(min_cutoff_hz=1.0, beta=0.0))
        >>> float(f(0.0, np.array([1.0]))[0])
        1.0
    """

    def __init__(self, config: OneEuroConfig | None = None) -> None:
        self.config = config or OneEuroConfig()
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: np.ndarray | None = None

    def reset(self) -> None:
        self._x = self._dx = self._t = None

    def __call__(self, t_s: float, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self._x is None:
            self._x = np.full(x.shape, np.nan)
            self._dx = np.zeros(x.shape)
            self._t = np.full(x.shape, np.nan)
        assert self._dx is not None and self._t is not None
        valid = np.isfinite(x)
        if valid.all() and np.isfinite(self._x).all():
            return self._step_all(t_s, x)
        fresh = valid & ~np.isfinite(self._x)
        update = valid & ~fresh
        out = np.full(x.shape, np.nan)

        self._x[fresh] = x[fresh]
        self._dx[fresh] = 0.0
        self._t[fresh] = t_s
        out[fresh] = x[fresh]

        if np.any(update):
            dt = t_s - self._t[update]
            dt = np.where(dt > 0, dt, 1e-3)  # repeated timestamps: treat as a tiny step
            prev = self._x[update]
            dx = (x[update] - prev) / dt
            cfg = self.config
            dx_hat = self._dx[update] + _alpha(cfg.d_cutoff_hz, dt) * (dx - self._dx[update])
            cutoff = cfg.min_cutoff_hz + cfg.beta * np.abs(dx_hat)
            x_hat = prev + _alpha(cutoff, dt) * (x[update] - prev)
            self._x[update] = x_hat
            self._dx[update] = dx_hat
            self._t[update] = t_s
            out[update] = x_hat
        return out

    def _step_all(self, t_s: float, x: np.ndarray) -> np.ndarray:
        """The same update as ``__call__`` when every element is valid and started
        (the usual live frame), without the per-element masks."""
        assert self._x is not None and self._dx is not None and self._t is not None
        dt = t_s - self._t
        dt = np.where(dt > 0, dt, 1e-3)  # as in __call__
        cfg = self.config
        self._dx += _alpha(cfg.d_cutoff_hz, dt) * ((x - self._x) / dt - self._dx)
        cutoff = cfg.min_cutoff_hz + cfg.beta * np.abs(self._dx)
        self._x += _alpha(cutoff, dt) * (x - self._x)
        self._t[:] = t_s
        return self._x.copy()


class StreamingSmoother:
    """Smooths PoseFrames one at a time for live use (One Euro, or pass-through).

    Args:
        method: ``"one_euro"`` or ``"none"``.
        config: One Euro parameters.
        visibility_min: landmarks less visible than this (the spec's
            ``session.visibility_min``) are gated to NaN, whatever the method.
    """

    def __init__(
        self,
        method: str = "one_euro",
        config: OneEuroConfig | None = None,
        *,
        visibility_min: float,
    ) -> None:
        if method not in ("one_euro", "none"):
            raise ValueError(f"unknown live smoothing method {method!r}: use 'one_euro' or 'none'")
        self.method = method
        self.config = config or OneEuroConfig()
        self.visibility_min = visibility_min
        # One filter over image and world coordinates side by side (33×6): the
        # filter is element-wise, so this is two filters for the price of one call.
        self._filter = OneEuroFilter(self.config)

    def reset(self) -> None:
        self._filter.reset()

    def __call__(self, pose: PoseFrame) -> PoseFrame:
        gated = (pose.visibility < self.visibility_min)[:, None]
        both = np.where(gated, np.nan, np.concatenate((pose.image_xyz, pose.world_xyz), axis=1))
        if self.method == "one_euro" and pose.detected:
            both = self._filter(pose.t_s, both)
        return replace(pose, image_xyz=both[:, :3], world_xyz=both[:, 3:])
