"""Landmark smoothing: a streaming One Euro filter for live use, a zero-phase
Butterworth low-pass for offline analysis, and a pass-through for comparison.

Both gate low-visibility landmarks: a landmark whose visibility is below the
spec's ``session.visibility_min`` (passed in as ``visibility_min``) becomes NaN
instead of pulling the estimate towards a guess.
"""

from formcheck.filters.butterworth import ButterworthConfig, smooth_offline
from formcheck.filters.one_euro import OneEuroConfig, OneEuroFilter, StreamingSmoother

__all__ = [
    "ButterworthConfig",
    "OneEuroConfig",
    "OneEuroFilter",
    "StreamingSmoother",
    "smooth_offline",
]
