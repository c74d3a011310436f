"""Pose estimation: MediaPipe backends and replayed landmarks behind one protocol.

:func:`create_estimator` returns a :class:`PoseEstimator` whose ``process(frame)``
gives a :class:`~formcheck.types.PoseFrame`. The MediaPipe backends live in
``formcheck.pose.tasks`` and ``formcheck.pose.legacy`` and are imported on demand;
:class:`LandmarkRecorder` and :class:`ReplayEstimator` need only NumPy.
"""

from formcheck.pose.base import PoseEstimator
from formcheck.pose.factory import BACKENDS, create_estimator
from formcheck.pose.replay import FORMAT_VERSION, LandmarkRecorder, ReplayEstimator

__all__ = [
    "BACKENDS",
    "FORMAT_VERSION",
    "LandmarkRecorder",
    "PoseEstimator",
    "ReplayEstimator",
    "create_estimator",
]
