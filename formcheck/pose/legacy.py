"""MediaPipe legacy ``solutions.pose`` backend (the graph mediapipe ships models for).

Only ``model_complexity=1`` (the full model) works offline: mediapipe downloads
the lite (0) and heavy (2) models on first use, so they are rejected. Landmarks
are not smoothed (``smooth_landmarks=False``): filtering is formcheck's job.

The legacy graph does not output landmark presence; ``PoseFrame.presence`` is a
copy of visibility, a lower bound (a visible landmark is in the image), so checks
on presence err towards "absent". At most one person is reported (``people`` is 0
or 1). MediaPipe's Python API exposes no thread-count option, so there is none here.
"""

from __future__ import annotations

import contextlib

import mediapipe as mp
import numpy as np

from formcheck.errors import ModelError
from formcheck.pose.base import pose_frame
from formcheck.pose.native_log import quiet_native_stderr
from formcheck.types import Frame, PoseFrame

OFFLINE_COMPLEXITY = 1


class LegacyEstimator:
    """Pose from ``mediapipe.solutions.pose.Pose`` in video (tracking) mode.

    Args:
        model_complexity: must be 1; 0 and 2 need a download.
        min_detection_confidence: person-detector score threshold.
        min_tracking_confidence: below it the person is re-detected next frame.

    Raises:
        ModelError: ``model_complexity`` is not 1.
    """

    name = "legacy"

    def __init__(
        self,
        model_complexity: int = OFFLINE_COMPLEXITY,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
    ) -> None:
        if model_complexity != OFFLINE_COMPLEXITY:
            raise ModelError(
                f"legacy model_complexity={model_complexity} needs a model download, "
                f"which does not work offline; use model_complexity={OFFLINE_COMPLEXITY}"
            )
        with quiet_native_stderr():
            self._pose = mp.solutions.pose.Pose(
                static_image_mode=False,
                model_complexity=model_complexity,
                smooth_landmarks=False,
                min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence,
            )
        self._started = False

    def process(self, frame: Frame) -> PoseFrame:
        """Pose of the person in ``frame``; empty if nobody is found."""
        with quiet_native_stderr() if not self._started else contextlib.nullcontext():
            result = self._pose.process(np.ascontiguousarray(frame.image))
        self._started = True
        if result.pose_landmarks is None:
            return PoseFrame.empty(frame.index, frame.t_s, frame.width, frame.height)
        return pose_frame(
            frame,
            result.pose_landmarks.landmark,
            result.pose_world_landmarks.landmark,
            presence=None,
            people=1,
        )

    def reset(self) -> None:
        """Forget the tracked person (``Pose.reset``: same results as a fresh graph)."""
        self._pose.reset()
        self._started = False

    def close(self) -> None:
        self._pose.close()
