"""Vectorised geometry on landmark arrays; conventions in ``formcheck.kinematics``."""

from __future__ import annotations

import math

import numpy as np

from formcheck.landmarks import INDEX, LIMB_JOINTS

_DEG = 180.0 / np.pi


def _up_and_horizontal(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split vectors (..., 2|3) into the upward component and the horizontal magnitude."""
    up = -v[..., 1]
    horizontal = np.abs(v[..., 0]) if v.shape[-1] == 2 else np.hypot(v[..., 0], v[..., 2])
    return up, horizontal


def joint_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Interior angle at ``b`` in degrees, [0, 180]; 180 is a straight limb.

    >>> float(joint_angle(np.array([1.0, 0.0]), np.array([0.0, 0.0]), np.array([0.0, 1.0])))
    90.0
    """
    u = np.asarray(a, dtype=np.float64) - b
    v = np.asarray(c, dtype=np.float64) - b
    # atan2 of |u×v| and u·v is accurate near 0 and 180 degrees, unlike arccos.
    if u.shape[-1] == 2:
        cross = np.abs(u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0])
    else:
        cross = np.linalg.norm(np.cross(u, v), axis=-1)
    dot = np.sum(u * v, axis=-1)
    angle = np.arctan2(cross, dot) * _DEG
    degenerate = ~u.any(axis=-1) | ~v.any(axis=-1)  # a zero-length limb
    return np.where(degenerate, np.nan, angle)


def segment_elevation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle of ``a→b`` above the horizontal in degrees, [-90, 90]."""
    up, horizontal = _up_and_horizontal(np.asarray(b, dtype=np.float64) - a)
    angle = np.arctan2(up, horizontal) * _DEG
    return np.where((up == 0) & (horizontal == 0), np.nan, angle)


def segment_inclination(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle of ``a→b`` from the upward vertical in degrees, [0, 180]."""
    return 90.0 - segment_elevation(a, b)


def line_offset(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Signed distance of ``p`` from the line ``a–b`` as a fraction of ``|ab|``.

    Positive above the line (against gravity), negative below it. In the image plane
    (2D points) that is up the picture, which a sag shows only from the side. With
    3D world points (y down) the offset is measured in the vertical plane through
    the line, which is the same wherever the camera stands round the body; it is NaN
    for a vertical line, where that plane is not defined.

    >>> float(line_offset(np.array([1.0, -1.0, 5.0]), np.zeros(3), np.array([4.0, 0, 0])))
    0.25
    """
    p = np.asarray(p, dtype=np.float64)
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if p.shape[-1] == 3:
        return _vertical_plane_offset(p - a, b - a)
    ab_x, ab_y = b[..., 0] - a[..., 0], b[..., 1] - a[..., 1]
    ap_x, ap_y = p[..., 0] - a[..., 0], p[..., 1] - a[..., 1]
    # |ab × ap| / |ab| is the distance, and a further / |ab| makes it a fraction of
    # |ab|. "Above" is the side of the normal (ab_y, -ab_x) whose upward (-y)
    # component, ab_x, is positive; ap · normal = -(ab × ap), hence the minus.
    length_sq = ab_x * ab_x + ab_y * ab_y
    up = np.where(ab_x < 0, -1.0, 1.0)
    return -(ab_x * ap_y - ab_y * ap_x) * up / np.where(length_sq == 0, np.nan, length_sq)


def _vertical_plane_offset(ap: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """``ap``'s component along the upward normal of ``ab`` (up less its share along
    ``ab``), over ``|ab|``: (..., 3) vectors, y down."""
    length_sq = np.sum(ab * ab, axis=-1)
    length_sq = np.where(length_sq == 0, np.nan, length_sq)
    up = np.zeros_like(ab)
    up[..., 1] = -1.0
    normal = up + (ab[..., 1] / length_sq)[..., None] * ab  # up · ab = -ab_y
    normal_len = np.linalg.norm(normal, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        normal_len = np.where(normal_len < 1e-9, np.nan, normal_len)
        return np.sum(ap * normal, axis=-1) / (normal_len * np.sqrt(length_sq))


def normalised_distance(
    a: np.ndarray, b: np.ndarray, ref_a: np.ndarray, ref_b: np.ndarray
) -> np.ndarray:
    """``|ab| / |ref_a ref_b|``: a scale-free distance (e.g. wrist to opposite shoulder
    over torso length)."""
    reference = np.linalg.norm(np.asarray(ref_b, dtype=np.float64) - ref_a, axis=-1)
    distance = np.linalg.norm(np.asarray(b, dtype=np.float64) - a, axis=-1)
    return distance / np.where(reference == 0, np.nan, reference)


def forward_offset(
    p: np.ndarray,
    origin: np.ndarray,
    direction_from: np.ndarray,
    direction_to: np.ndarray,
    ref_a: np.ndarray,
    ref_b: np.ndarray,
) -> np.ndarray:
    """Horizontal distance of ``p`` ahead of ``origin`` along ``direction_from→direction_to``,
    divided by ``|ref_a ref_b|``.

    Knee past toes: ``forward_offset(knee, toe, heel, toe, hip, knee) > 0``.
    """
    p = np.asarray(p, dtype=np.float64)
    d = np.asarray(direction_to, dtype=np.float64) - direction_from
    sign = np.sign(d[..., 0])
    sign = np.where(sign == 0, np.nan, sign)
    reference = np.linalg.norm(np.asarray(ref_b, dtype=np.float64) - ref_a, axis=-1)
    return (
        (p[..., 0] - np.asarray(origin)[..., 0])
        * sign
        / np.where(reference == 0, np.nan, reference)
    )


def facing_direction(image_xyz: np.ndarray) -> np.ndarray:
    """Which way the person faces in the image: +1 right, -1 left, NaN unknown.

    Uses the nose against the midpoint of the ears (the head points where the
    person looks), which works standing, kneeling and lying down.

    Args:
        image_xyz: (..., 33, 2|3) landmark coordinates.
    """
    pts = np.asarray(image_xyz, dtype=np.float64)
    ears = 0.5 * (pts[..., INDEX["left_ear"], 0] + pts[..., INDEX["right_ear"], 0])
    return np.sign(pts[..., INDEX["nose"], 0] - ears)


_LIMBS = np.array([INDEX[name] for name in LIMB_JOINTS])


def body_size(xy: np.ndarray) -> float:
    """Diagonal of the box around the shoulders, elbows, wrists, hips, knees and
    ankles of a (33, 2) pose: a size of the whole body that a camera facing the person
    foreshortens far less than the torso. NaN when a limb landmark is NaN.

    >>> xy = np.zeros((33, 2)); xy[INDEX["right_ankle"]] = (3.0, 4.0)
    >>> body_size(xy)
    5.0
    """
    limbs = np.asarray(xy, dtype=np.float64)[_LIMBS]
    return float(np.hypot(*(limbs.max(axis=0) - limbs.min(axis=0))))


_SIDE_LANDMARKS = ("shoulder", "elbow", "hip", "knee", "ankle")
_LEFT = np.array([INDEX[f"left_{part}"] for part in _SIDE_LANDMARKS])
_RIGHT = np.array([INDEX[f"right_{part}"] for part in _SIDE_LANDMARKS])


def _nanmean(values: np.ndarray) -> float:
    """``np.nanmean`` (same value), without its overhead when nothing is NaN: the
    engine asks once per frame, on a live frame's time budget."""
    total = float(values.sum())
    if math.isfinite(total):
        return total / values.size
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if kept.size else math.nan


def visible_side(visibility: np.ndarray, image_z: np.ndarray | None = None) -> str:
    """The body side nearer the camera over a clip: ``"left"`` or ``"right"``.

    Scores each side by the mean visibility of its shoulder, elbow, hip, knee and
    ankle; MediaPipe's relative depth (smaller z is nearer) breaks near-ties.

    Args:
        visibility: (T, 33) or (33,) visibilities.
        image_z: matching relative depths, optional.
    """
    vis = np.atleast_2d(np.asarray(visibility, dtype=np.float64))
    score = _nanmean(vis[:, _LEFT]) - _nanmean(vis[:, _RIGHT])
    if image_z is not None and abs(score) < 0.05:
        z = np.atleast_2d(np.asarray(image_z, dtype=np.float64))
        depth = _nanmean(z[:, _RIGHT]) - _nanmean(z[:, _LEFT])
        if np.isfinite(depth):
            score = depth
    return "left" if score >= 0 else "right"
