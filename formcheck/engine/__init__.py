"""The exercise engine: one spec, poses in, reps / holds / faults / cues out.

One job per module: ``signals`` (spec signals on a pose, conditions), ``reps``
(hysteresis rep counting), ``holds`` (hold timing with grace), ``faults``
(persistent fault detection), ``cues`` (throttling), ``session`` (session
states and data-quality warnings), ``side`` (which side faces the camera),
``core`` (the :class:`Engine` tying them together), ``results`` (output types).
"""

from formcheck.engine.core import Engine, analyze_poses
from formcheck.engine.results import (
    Cue,
    EngineStatus,
    Event,
    FaultSpan,
    Hold,
    Rep,
    SessionResult,
    StateSpan,
    TargetsResult,
)

__all__ = [
    "Cue",
    "Engine",
    "EngineStatus",
    "Event",
    "FaultSpan",
    "Hold",
    "Rep",
    "SessionResult",
    "StateSpan",
    "TargetsResult",
    "analyze_poses",
]
