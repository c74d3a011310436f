"""The pose estimator protocol and the conversion from MediaPipe landmarks."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from formcheck.types import Frame, PoseFrame


def available_cores() -> int:
    """The CPU cores this process may use (its affinity mask, not the machine's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class PoseEstimator(Protocol):
    """Turns frames into the pose of one person.

    Attributes:
        name: backend name (one of ``formcheck.pose.BACKENDS``), recorded in
            replay files and reports.
    """

    name: str

    def process(self, frame: Frame) -> PoseFrame:
        """Pose of the most prominent person, or ``PoseFrame.empty(...)`` if none."""
        ...

    def reset(self) -> None:
        """Forget tracking state, so the next frame may start a new recording.

        A reused estimator must give the same poses as a fresh one.
        """
        ...

    def close(self) -> None:
        """Release the model; the estimator cannot be used afterwards."""
        ...


def landmark_arrays(landmarks: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(33, 3) xyz and (33,) visibility of MediaPipe landmark objects (Tasks or legacy)."""
    xyz = np.array([(lm.x, lm.y, lm.z) for lm in landmarks], dtype=np.float64)
    visibility = np.array([lm.visibility for lm in landmarks], dtype=np.float64)
    return xyz, visibility


def pose_frame(
    frame: Frame,
    image_landmarks: Sequence[Any],
    world_landmarks: Sequence[Any],
    presence: np.ndarray | None,
    people: int,
) -> PoseFrame:
    """Build a :class:`PoseFrame` from one person's MediaPipe landmarks.

    Args:
        frame: the frame the landmarks were found in (index, time, size).
        image_landmarks: 33 normalised landmarks (x, y, z, visibility).
        world_landmarks: 33 metric landmarks (x, y, z).
        presence: (33,) presence probabilities, or ``None`` to copy visibility.
        people: how many people the estimator found in the frame.
    """
    image_xyz, visibility = landmark_arrays(image_landmarks)
    world_xyz, _ = landmark_arrays(world_landmarks)
    return PoseFrame(
        index=frame.index,
        t_s=frame.t_s,
        width=frame.width,
        height=frame.height,
        image_xyz=image_xyz,
        world_xyz=world_xyz,
        visibility=visibility,
        presence=visibility.copy() if presence is None else presence,
        people=people,
    )
