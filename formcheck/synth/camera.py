"""A pinhole camera that projects scene points like MediaPipe reports them.

The scene frame is the one of ``formcheck.synth.skeleton`` (metres, ``Y`` up,
floor ``y = 0``). The camera frame has ``x`` to the image right, ``y`` down and
``z`` along the optical axis (away from the camera), so projected coordinates
follow the image convention of ``formcheck.types`` (normalised, y down).

Placement is by ``azimuth_deg`` around the vertical axis, measured from the
scene's ``+Z`` side: 0 looks at the body's right flank when it faces ``+X``
(a side view), 90 looks at its front, 30 is an oblique view.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Camera:
    """A pinhole camera without lens distortion.

    Attributes:
        position: (3,) optical centre in scene metres.
        rotation: (3, 3) rows are the camera's x (right), y (down), z (forward)
            axes in scene coordinates.
        focal_px: focal length in pixels (square pixels).
        width, height: image size in pixels; the principal point is the centre.
    """

    position: np.ndarray
    rotation: np.ndarray
    focal_px: float
    width: int
    height: int

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """Scene points (..., 3) in camera coordinates (x right, y down, z forward)."""
        return (np.asarray(points, dtype=np.float64) - self.position) @ self.rotation.T

    def project_px(self, points: np.ndarray) -> np.ndarray:
        """Scene points (..., 3) to pixel coordinates (..., 2)."""
        cam = self.to_camera(points)
        uv = cam[..., :2] / cam[..., 2:3] * self.focal_px
        return uv + np.array([self.width / 2.0, self.height / 2.0])

    def project(self, points: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """Scene points (..., 3) to MediaPipe-style normalised (x, y, z).

        ``z`` is the depth relative to ``reference`` (e.g. the hip midpoint), in
        the same scale as ``x`` (depth in metres × focal / reference depth / width),
        smaller is nearer the camera.
        """
        px = self.project_px(points)
        depth = self.to_camera(points)[..., 2]
        ref_depth = self.to_camera(reference)[..., 2]
        z = (depth - ref_depth[..., None]) * self.focal_px / ref_depth[..., None] / self.width
        return np.concatenate([px / np.array([self.width, self.height]), z[..., None]], axis=-1)

    def as_dict(self) -> dict[str, object]:
        return {
            "position_m": [round(float(v), 6) for v in self.position],
            "rotation": [[round(float(v), 9) for v in row] for row in self.rotation],
            "focal_px": round(float(self.focal_px), 6),
            "width": self.width,
            "height": self.height,
        }


def look_at(position: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Camera rotation (rows x right, y down, z forward) looking from ``position`` at
    ``target`` with the scene's up (+Y) pointing up in the image."""
    forward = np.asarray(target, dtype=np.float64) - position
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    return np.stack([right, down, forward])


def frame_subject(
    points: np.ndarray,
    *,
    width: int,
    height: int,
    azimuth_deg: float = 0.0,
    camera_height_m: float = 1.0,
    distance_m: float = 3.5,
    fill: float = 0.8,
    margin_m: float = 0.15,
) -> Camera:
    """A camera that keeps every point of a clip inside the image.

    The camera stands ``distance_m`` from the centre of the points' bounding
    box (horizontally), at ``camera_height_m`` above the floor, aims at the box
    centre and picks the focal length so the points, grown by ``margin_m`` for
    body volume, span at most ``fill`` of the image.

    Args:
        points: (..., 3) scene points over the whole clip.
        width, height: image size in pixels.
        azimuth_deg: 0 side view from +Z, 90 front view from +X.
        camera_height_m: optical centre height above the floor.
        distance_m: horizontal distance to the box centre.
        fill: largest fraction of the image width/height the subject may span.
        margin_m: padding around the points for limb thickness and the head.
    """
    flat = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    low, high = flat.min(axis=0) - margin_m, flat.max(axis=0) + margin_m
    low[1] = max(low[1], 0.0)
    centre = 0.5 * (low + high)
    az = np.radians(azimuth_deg)
    position = np.array(
        [
            centre[0] + distance_m * np.sin(az),
            camera_height_m,
            centre[2] + distance_m * np.cos(az),
        ]
    )
    rotation = look_at(position, centre)
    corners = np.array(
        [[x, y, z] for x in (low[0], high[0]) for y in (low[1], high[1]) for z in (low[2], high[2])]
    )
    cam = (np.concatenate([flat, corners]) - position) @ rotation.T
    extent = np.abs(cam[:, :2] / cam[:, 2:3]).max(axis=0)
    focal = fill * min(width / (2.0 * extent[0]), height / (2.0 * extent[1]))
    return Camera(position, rotation, float(focal), width, height)
