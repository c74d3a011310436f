"""The small typed records that flow through the pipeline.

``Frame`` (an image and its container timestamp) → ``PoseFrame`` (33 landmarks of
one person) → per-frame signal values → engine ``Event``s. Conventions, stated once:

* image coordinates are normalised to [0, 1]; x grows to the right, **y grows
  downwards** (image convention);
* world coordinates are metres, origin between the hips (MediaPipe's
  ``pose_world_landmarks``); x right, y down, z away from the camera;
* a landmark that was not detected is NaN in every coordinate, with visibility 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.landmarks import NUM_LANDMARKS

# Frames per second assumed where nothing states a rate: image folders, a container
# without one, a recording whose timestamps never advance.
FALLBACK_FPS = 30.0


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded video frame.

    Attributes:
        image: (H, W, 3) uint8 array in **RGB** order (what pose models expect).
        index: 0-based position of the frame in its source.
        t_s: presentation time in seconds, from the container (not index / fps).
    """

    image: np.ndarray
    index: int
    t_s: float

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


def _as_array(value: np.ndarray, shape: tuple[int, ...], name: str) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.shape != shape:
        raise ValueError(f"PoseFrame.{name} must have shape {shape}, got {array.shape}")
    return array


@dataclass(slots=True)
class PoseFrame:
    """The pose of one person in one frame.

    Attributes:
        index: frame index in the source.
        t_s: presentation time in seconds.
        width, height: image size in pixels (for pixel-aspect-correct 2D angles).
        image_xyz: (33, 3) normalised image coordinates; z is MediaPipe's relative
            depth (same scale as x, smaller is nearer the camera).
        world_xyz: (33, 3) metric coordinates, metres, hip-centred.
        visibility: (33,) probability in [0, 1] that the landmark is visible.
        presence: (33,) probability in [0, 1] that the landmark is in the image.
        people: how many people the estimator found (0 when nobody was detected;
            the Tasks backend probes for a second person about once a second).
    """

    index: int
    t_s: float
    width: int
    height: int
    image_xyz: np.ndarray
    world_xyz: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    people: int = 1

    def __post_init__(self) -> None:
        n = NUM_LANDMARKS
        self.image_xyz = _as_array(self.image_xyz, (n, 3), "image_xyz")
        self.world_xyz = _as_array(self.world_xyz, (n, 3), "world_xyz")
        self.visibility = _as_array(self.visibility, (n,), "visibility")
        self.presence = _as_array(self.presence, (n,), "presence")
        if self.width <= 0 or self.height <= 0:
            raise ValueError(
                f"PoseFrame image size must be positive, got {self.width}x{self.height}"
            )

    @classmethod
    def empty(cls, index: int, t_s: float, width: int, height: int) -> PoseFrame:
        """A frame in which no person was detected: every coordinate NaN."""
        nan3 = np.full((NUM_LANDMARKS, 3), np.nan)
        zeros = np.zeros(NUM_LANDMARKS)
        return cls(index, t_s, width, height, nan3, nan3.copy(), zeros, zeros.copy(), people=0)

    @property
    def detected(self) -> bool:
        return self.people > 0

    def pixel_xy(self) -> np.ndarray:
        """(33, 2) image coordinates in pixels (aspect-correct for 2D angles)."""
        return self.image_xyz[:, :2] * np.array([self.width, self.height], dtype=np.float64)
