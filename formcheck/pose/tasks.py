"""MediaPipe Tasks ``PoseLandmarker`` (VIDEO mode) backend.

Runs with ``num_poses=2`` by default so a second person is noticed (reported in
``PoseFrame.people``); the landmarks returned are those of the most prominent
person, the one whose visible landmarks span the largest box in pixels. MediaPipe
needs strictly increasing integer millisecond timestamps: ``frame.t_s`` is rounded
to ms and bumped by 1 ms when it does not increase.

Without a ``model`` the bundle built from mediapipe's shipped models is used
(:mod:`formcheck.pose.bundle`); a cached bundle that fails to load is rebuilt once.
MediaPipe's Python Tasks API exposes no thread-count option, so there is none here.

Agreement with the legacy backend (``model_complexity=1``, no smoothing) on
``realclips/bridge/be18_glute_bridge.mp4``, all 232 frames, both tracking in video
mode: mean |Δx,y| 0.0041, max 0.052 (normalised image coordinates); world
landmarks mean |Δ| 0.020 m; hip angle on the camera side mean |Δ| 2.5°, 95th
percentile 6.2°, max 9.0°. Most of it is tracking drift (the two graphs crop the
next frame differently; with ``num_poses=1`` the mean is 0.0025): single images
agree to 0.00065 mean.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions, vision

from formcheck.errors import ModelError
from formcheck.pose.base import landmark_arrays, pose_frame
from formcheck.pose.bundle import ensure_bundle
from formcheck.pose.native_log import quiet_native_stderr
from formcheck.types import Frame, PoseFrame

_PROMINENT_VISIBILITY = 0.5


def _span_px(landmarks: Sequence[Any], width: int, height: int) -> float:
    """Area in pixels of the box around a person's visible (else all) landmarks."""
    xyz, visibility = landmark_arrays(landmarks)
    visible = visibility >= _PROMINENT_VISIBILITY
    xy = np.clip(xyz[visible if visible.any() else slice(None), :2], 0.0, 1.0)
    extent = (xy.max(axis=0) - xy.min(axis=0)) * (width, height)
    return float(extent[0] * extent[1])


class TasksEstimator:
    """Pose from MediaPipe's ``PoseLandmarker`` in VIDEO running mode.

    Args:
        model: a ``.task`` bundle; ``None`` builds/uses the cached bundle of
            mediapipe's shipped full model.
        num_poses: most people detected per frame (``PoseFrame.people``).
        min_detection_confidence: person-detector score threshold.
        min_presence_confidence: pose presence threshold.
        min_tracking_confidence: below it the person is re-detected next frame.

    Raises:
        ModelError: ``model`` is missing or not a loadable pose landmarker bundle.
    """

    name = "tasks"

    def __init__(
        self,
        model: Path | None = None,
        num_poses: int = 2,
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
    ) -> None:
        self._settings = {
            "running_mode": vision.RunningMode.VIDEO,
            "num_poses": num_poses,
            "min_pose_detection_confidence": min_detection_confidence,
            "min_pose_presence_confidence": min_presence_confidence,
            "min_tracking_confidence": min_tracking_confidence,
        }
        if model is not None:
            if not model.is_file():
                raise ModelError(f"pose model {str(model)!r} not found")
            self._landmarker = self._load(model)
        else:
            try:
                self._landmarker = self._load(ensure_bundle())
            except ModelError:
                self._landmarker = self._load(ensure_bundle(rebuild=True))
        self._last_ms = -1

    def _load(self, model: Path) -> vision.PoseLandmarker:
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model)), **self._settings
        )
        try:
            with quiet_native_stderr():
                return vision.PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as error:
            reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise ModelError(
                f"cannot load pose model {str(model)!r}: not a MediaPipe pose landmarker "
                f"bundle ({reason})"
            ) from None

    def process(self, frame: Frame) -> PoseFrame:
        """Pose of the most prominent person in ``frame``; empty if nobody is found."""
        first = self._last_ms < 0  # the graph logs natively on its first frame
        timestamp_ms = max(round(frame.t_s * 1000.0), self._last_ms + 1)
        self._last_ms = timestamp_ms
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame.image))
        with quiet_native_stderr() if first else contextlib.nullcontext():
            result = self._landmarker.detect_for_video(image, timestamp_ms)
        people = len(result.pose_landmarks)
        if people == 0:
            return PoseFrame.empty(frame.index, frame.t_s, frame.width, frame.height)
        best = max(
            range(people),
            key=lambda i: _span_px(result.pose_landmarks[i], frame.width, frame.height),
        )
        landmarks = result.pose_landmarks[best]
        presence = np.array([lm.presence for lm in landmarks], dtype=np.float64)
        return pose_frame(frame, landmarks, result.pose_world_landmarks[best], presence, people)

    def close(self) -> None:
        self._landmarker.close()
