"""Pose estimation: MediaPipe backends behind one protocol.

:func:`create_estimator` returns a :class:`PoseEstimator` whose ``process(frame)``
gives a :class:`~formcheck.types.PoseFrame`. The MediaPipe backends live in
``formcheck.pose.tasks`` and ``formcheck.pose.legacy`` and are imported on demand.
Saved landmarks are a source of poses (:mod:`formcheck.sources.replay`).
"""

from formcheck.pose.base import PoseEstimator, available_cores
from formcheck.pose.factory import BACKENDS, DEFAULT_BACKEND, create_estimator

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "PoseEstimator",
    "available_cores",
    "create_estimator",
]
