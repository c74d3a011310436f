"""Offline smoothing of a whole recording: gate, reject outliers, fill short gaps,
then a zero-phase Butterworth low-pass (``scipy.signal.sosfiltfilt``).

Zero phase matters offline: a causal filter would shift every rep boundary and
hold start later by its group delay.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from formcheck.types import FALLBACK_FPS, PoseFrame


@dataclass(frozen=True, slots=True)
class ButterworthConfig:
    """Parameters of the offline smoother.

    Attributes:
        cutoff_hz: low-pass cut-off. Therapy movements live below ~2 Hz; 4 Hz keeps
            their peaks while removing landmark jitter. Clamped below Nyquist.
        order: filter order (applied forwards and backwards: effective 2×).
        max_gap_s: gaps (undetected or gated frames) up to this long are filled by
            linear interpolation; longer gaps stay NaN (unknown, not guessed).
        outlier_window: frames in the running median used for outlier rejection.
        outlier_threshold: a sample further than this many robust standard
            deviations (1.4826 × MAD) from the running median is rejected.
        outlier_floor: minimum deviation (in coordinate units) before anything is
            called an outlier, so a perfectly still landmark is not rejected for
            a pixel of noise.
        enabled: False passes landmarks through with gating only.
    """

    cutoff_hz: float = 4.0
    order: int = 2
    max_gap_s: float = 0.3
    outlier_window: int = 9
    outlier_threshold: float = 5.0
    outlier_floor: float = 0.05
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.cutoff_hz <= 0:
            raise ValueError(f"cutoff_hz must be positive, got {self.cutoff_hz}")
        if self.order < 1:
            raise ValueError(f"order must be >= 1, got {self.order}")
        if self.outlier_window < 3 or self.outlier_window % 2 == 0:
            raise ValueError(f"outlier_window must be odd and >= 3, got {self.outlier_window}")


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index ranges where the boolean ``mask`` is True."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def reject_outliers(x: np.ndarray, window: int, threshold: float, floor: float) -> np.ndarray:
    """Replace spikes with NaN (a Hampel filter along axis 0). NaNs stay NaN.

    >>> reject_outliers(np.array([0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0]), 5, 3.0, 0.1)[3]
    nan
    """
    finite = np.isfinite(x)
    if finite.sum() < window:
        return x.copy()
    # Median over the finite samples only: fill NaNs from the nearest sample first.
    idx = np.arange(len(x))
    filled = np.interp(idx, idx[finite], x[finite])
    from scipy.ndimage import median_filter  # scipy loads in ~1 s: only when smoothing

    med = median_filter(filled, size=window, mode="nearest")
    mad = median_filter(np.abs(filled - med), size=window, mode="nearest")
    limit = np.maximum(threshold * 1.4826 * mad, floor)
    out = x.copy()
    out[np.abs(x - med) > limit] = np.nan
    return out


def fill_gaps(t_s: np.ndarray, x: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Linearly interpolate NaN gaps no longer than ``max_gap_s`` between two samples."""
    out = x.copy()
    finite = np.isfinite(x)
    for start, stop in _runs(~finite):
        if start == 0 or stop == len(x):
            continue  # no sample on one side: extrapolating would be a guess
        if t_s[stop] - t_s[start - 1] <= max_gap_s + 1e-9:
            out[start:stop] = np.interp(
                t_s[start:stop], t_s[[start - 1, stop]], x[[start - 1, stop]]
            )
    return out


@functools.lru_cache(maxsize=16)
def _lowpass_sos(order: int, cutoff_hz: float, fs_hz: float) -> np.ndarray:
    """The filter design, made once per recording rather than once per coordinate
    series (it took 40% of the smoothing time). Shared: callers copy it."""
    from scipy import signal

    return signal.butter(order, cutoff_hz, btype="low", fs=fs_hz, output="sos")


def lowpass_zero_phase(x: np.ndarray, fs_hz: float, cutoff_hz: float, order: int) -> np.ndarray:
    """Zero-phase Butterworth low-pass of each NaN-free run of ``x`` (1-D).

    Runs too short for the filter's padding are left as they are.
    """
    from scipy.signal import sosfiltfilt

    sos = _lowpass_sos(order, min(cutoff_hz, 0.45 * fs_hz), fs_hz).copy()
    out = x.copy()
    min_len = 3 * (2 * len(sos) + 1)
    for start, stop in _runs(np.isfinite(x)):
        if stop - start > min_len:
            out[start:stop] = sosfiltfilt(sos, x[start:stop])
    return out


def smooth_series(t_s: np.ndarray, x: np.ndarray, config: ButterworthConfig) -> np.ndarray:
    """Outlier rejection, gap filling and low-pass of one coordinate series."""
    if len(x) < 2:
        return x.copy()
    dt = np.diff(t_s)
    fs_hz = 1.0 / float(np.median(dt[dt > 0])) if np.any(dt > 0) else FALLBACK_FPS
    cleaned = reject_outliers(
        x, config.outlier_window, config.outlier_threshold, config.outlier_floor
    )
    filled = fill_gaps(t_s, cleaned, config.max_gap_s)
    return lowpass_zero_phase(filled, fs_hz, config.cutoff_hz, config.order)


def smooth_offline(
    poses: list[PoseFrame],
    config: ButterworthConfig | None = None,
    cuts: Sequence[int] = (),
    *,
    visibility_min: float,
) -> list[PoseFrame]:
    """Smooth a whole recording of PoseFrames; returns new PoseFrames.

    Frames are assumed in time order. Landmarks less visible than ``visibility_min``
    (the spec's ``session.visibility_min``) are gated: NaN before filtering, so they
    never pull the estimate towards a guess. Image and world coordinates are
    smoothed independently; visibility is kept as measured. ``cuts`` are positions
    where a new shot starts (:func:`formcheck.cuts.find_cuts`): each shot is
    smoothed on its own, so no jump is smeared across a cut.
    """
    config = config or ButterworthConfig()
    if cuts:
        bounds = [0, *cuts, len(poses)]
        return [
            p
            for a, b in itertools.pairwise(bounds)
            for p in smooth_offline(poses[a:b], config, visibility_min=visibility_min)
        ]
    if not poses:
        return []
    t_s = np.array([p.t_s for p in poses])
    visible = np.stack([p.visibility for p in poses]) >= visibility_min
    smoothed = {}
    for attr in ("image_xyz", "world_xyz"):
        raw = np.stack([getattr(p, attr) for p in poses])  # (T, 33, 3)
        raw = np.where(visible[..., None], raw, np.nan)
        if config.enabled:
            # Outlier floor is in normalised image units; world coordinates are
            # metres at a similar scale for a person filling the frame.
            flat = raw.reshape(len(poses), -1)
            out = np.stack(
                [smooth_series(t_s, flat[:, k], config) for k in range(flat.shape[1])], axis=1
            )
            raw = out.reshape(raw.shape)
        smoothed[attr] = raw
    return [
        replace(p, image_xyz=smoothed["image_xyz"][i], world_xyz=smoothed["world_xyz"][i])
        for i, p in enumerate(poses)
    ]
