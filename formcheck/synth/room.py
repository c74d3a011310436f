"""The static background of a clip: floor, back wall, an optional side wall and a mat.

Rendered once per clip by casting one ray per pixel (the camera does not move),
then copied under every frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.synth.camera import Camera

ROOM_HEIGHT_M = 2.6


@dataclass(frozen=True, slots=True)
class RoomLook:
    """Colours (RGB 0-255) and sizes of the room."""

    floor: tuple[int, int, int]
    wall: tuple[int, int, int]
    side_wall: tuple[int, int, int]
    mat: tuple[int, int, int]
    plank_m: float

    @classmethod
    def random(cls, rng: np.random.Generator) -> RoomLook:
        floors = [(150, 112, 78), (176, 140, 100), (120, 92, 70), (160, 160, 155)]
        walls = [(215, 210, 196), (196, 206, 214), (220, 214, 200), (200, 196, 186)]
        mats = [(60, 90, 150), (120, 70, 130), (50, 120, 110), (70, 70, 80)]
        return cls(
            floor=floors[rng.integers(len(floors))],
            wall=walls[rng.integers(len(walls))],
            side_wall=walls[rng.integers(len(walls))],
            mat=mats[rng.integers(len(mats))],
            plank_m=float(rng.uniform(0.12, 0.2)),
        )


def _rays(camera: Camera) -> np.ndarray:
    """(H, W, 3) unit ray directions in scene coordinates, one per pixel centre."""
    v, u = np.mgrid[0 : camera.height, 0 : camera.width].astype(np.float64) + 0.5
    cam = np.stack(
        [
            (u - camera.width / 2.0) / camera.focal_px,
            (v - camera.height / 2.0) / camera.focal_px,
            np.ones_like(u),
        ],
        axis=-1,
    )
    rays = cam @ camera.rotation
    return rays / np.linalg.norm(rays, axis=-1, keepdims=True)


def render_room(
    camera: Camera,
    look: RoomLook,
    subject: np.ndarray,
    *,
    wall_x: float | None = None,
    mat: bool = False,
    light: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """The background image (H, W, 3) uint8 RGB.

    Args:
        camera: the clip's camera.
        look: colours.
        subject: (..., 3) scene points of the performer (to place the back wall
            and the mat).
        wall_x: a wall plane ``x = wall_x`` beside the subject (wall squat), facing +x
            if it lies at negative x of the subject, else facing -x.
        mat: draw an exercise mat under the subject.
        light: unit vector towards the light.
        rng: texture noise.
    """
    rays = _rays(camera)
    origin = camera.position
    h, w = camera.height, camera.width
    depth = np.full((h, w), np.inf)
    colour = np.zeros((h, w, 3))
    points = np.asarray(subject, dtype=np.float64).reshape(-1, 3)
    centre = 0.5 * (points.min(0) + points.max(0))

    # Back wall: perpendicular to the camera's horizontal view direction.
    forward = camera.rotation[2].copy()
    forward[1] = 0.0
    forward /= np.linalg.norm(forward)
    far = float(((points - origin) @ forward).max())
    plane_d = far + 1.6
    denom = rays @ forward
    t = np.where(denom > 1e-6, plane_d / np.where(denom > 1e-6, denom, 1.0), np.inf)
    hit_y = origin[1] + t * rays[..., 1]
    wall_hit = np.isfinite(t)
    shade = 0.82 + 0.12 * np.clip(hit_y / ROOM_HEIGHT_M, 0, 1)
    base = np.array(look.wall, dtype=np.float64)
    wall_rgb = base * shade[..., None]
    skirting = hit_y < 0.09
    wall_rgb[skirting] = base * 0.62
    _take(depth, colour, t, wall_rgb, wall_hit)

    # Floor y = 0.
    down = rays[..., 1] < -1e-6
    t = np.where(down, -origin[1] / np.where(down, rays[..., 1], -1.0), np.inf)
    hit = origin + np.where(down, t, 0.0)[..., None] * rays
    planks = np.floor(hit[..., 0] / look.plank_m)
    tone = 1.0 + 0.06 * np.sin(planks * 12.9898) + 0.025 * np.sin(hit[..., 2] * 9.0 + planks)
    seam = np.abs(hit[..., 0] / look.plank_m - np.round(hit[..., 0] / look.plank_m)) < 0.02
    tone = np.where(seam, tone * 0.8, tone)
    fog = np.clip(1.05 - 0.05 * t, 0.75, 1.0)
    floor_rgb = np.array(look.floor, dtype=np.float64) * (tone * fog)[..., None]
    if mat:
        low, high = points.min(0), points.max(0)
        half = np.maximum(0.5 * (high - low) + 0.2, 0.45)
        on_mat = (np.abs(hit[..., 0] - centre[0]) < half[0]) & (
            np.abs(hit[..., 2] - centre[2]) < half[2]
        )
        floor_rgb[on_mat] = np.array(look.mat, dtype=np.float64) * fog[on_mat, None]
    _take(depth, colour, t, floor_rgb, np.isfinite(t))

    if wall_x is not None:
        facing = 1.0 if wall_x < centre[0] else -1.0
        dx = rays[..., 0]
        t = np.where(np.abs(dx) > 1e-6, (wall_x - origin[0]) / np.where(dx == 0, 1, dx), np.inf)
        hit = origin + np.where(t > 0, t, np.inf)[..., None] * rays
        inside = (
            (t > 0)
            & (hit[..., 1] >= 0)
            & (hit[..., 1] < ROOM_HEIGHT_M)
            & (hit[..., 2] < centre[2] + 0.7)
            & (hit[..., 2] > centre[2] - 3.0)
            & (facing * (origin[0] - wall_x) > 0)
        )
        lambert = 0.7 + 0.3 * max(float(light[0]) * facing, 0.0)
        side_rgb = np.array(look.side_wall, dtype=np.float64) * lambert
        side_rgb = np.broadcast_to(side_rgb, (h, w, 3)).copy()
        side_rgb[hit[..., 1] < 0.09] *= 0.7
        _take(depth, colour, np.where(t > 0, t, np.inf), side_rgb, inside)

    colour += rng.normal(0.0, 2.0, colour.shape)
    return np.clip(colour, 0, 255).astype(np.uint8)


def _take(
    depth: np.ndarray, colour: np.ndarray, t: np.ndarray, rgb: np.ndarray, mask: np.ndarray
) -> None:
    nearer = mask & (t < depth)
    depth[nearer] = t[nearer]
    colour[nearer] = rgb[nearer] if rgb.ndim == 3 else rgb
