"""The naive peer: what a short script in the style of Ultralytics' AIGym measures.

One unsigned three-point angle in the image, from the raw landmarks of each frame (no
smoothing, no visibility gate, no view check, no world coordinates), and two thresholds
per spec: a rep is counted when the angle goes past ``work`` and comes back past
``rest``; a hold is timed while the angle lies between the two. Per-side specs run one
angle per body side; otherwise the side whose three landmarks are the more visible over
the clip is used, as a user would name the keypoints facing the camera. The thresholds
are formcheck's own where its signal is a joint angle, else the same posture converted
to the joint angle.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from formcheck.landmarks import INDEX
from formcheck.types import PoseFrame


class NaiveRule(NamedTuple):
    """Three landmarks (side-free) and two angles; ``hold`` rules time (lo, hi) bands."""

    points: tuple[str, str, str]
    first: float  # reps: rest angle; holds: band low end
    second: float  # reps: working angle; holds: band high end
    hold: bool = False
    per_side: bool = False


RULES: dict[str, NaiveRule] = {
    "squat": NaiveRule(("hip", "knee", "ankle"), 150, 120),
    "push_up": NaiveRule(("shoulder", "elbow", "wrist"), 140, 110),
    "bridge": NaiveRule(("shoulder", "hip", "knee"), 135, 160),
    "hip_hinge": NaiveRule(("shoulder", "hip", "knee"), 160, 130),
    "prone_press_up": NaiveRule(("shoulder", "hip", "knee"), 172, 160),
    "cat_cow": NaiveRule(("nose", "shoulder", "hip"), 155, 120),
    "bird_dog": NaiveRule(("hip", "shoulder", "wrist"), 130, 165, per_side=True),
    "plank_shoulder_taps": NaiveRule(("shoulder", "elbow", "wrist"), 150, 90, per_side=True),
    "plank": NaiveRule(("shoulder", "hip", "ankle"), 160, 180, hold=True),
    "side_plank": NaiveRule(("shoulder", "hip", "ankle"), 160, 180, hold=True),
    "wall_squat": NaiveRule(("hip", "knee", "ankle"), 75, 105, hold=True),
    "knee_to_chest": NaiveRule(("shoulder", "hip", "knee"), 0, 75, hold=True, per_side=True),
    "quad_stretch": NaiveRule(("hip", "knee", "ankle"), 0, 60, hold=True, per_side=True),
}


def _ids(points: tuple[str, str, str], side: str) -> list[int]:
    return [INDEX[p] if p == "nose" else INDEX[f"{side}_{p}"] for p in points]


def angle_2d(poses: list[PoseFrame], points: tuple[str, str, str], side: str) -> np.ndarray:
    """(T,) unsigned angle at the middle point, degrees, from raw pixel coordinates."""
    xy = np.stack([p.pixel_xy()[_ids(points, side)] for p in poses])  # (T, 3, 2)
    u, v = xy[:, 0] - xy[:, 1], xy[:, 2] - xy[:, 1]
    cos = np.sum(u * v, axis=1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def count_reps(angle: np.ndarray, rest: float, work: float) -> int:
    """Reps: past ``work``, then back past ``rest`` (NaN frames change nothing)."""
    sign = 1.0 if work > rest else -1.0
    count, at_work = 0, False
    for value in sign * angle[np.isfinite(angle)]:
        if value >= sign * work:
            at_work = True
        elif value <= sign * rest and at_work:
            count, at_work = count + 1, False
    return count


def hold_s(angle: np.ndarray, t_s: np.ndarray, lo: float, hi: float) -> float:
    """Seconds between consecutive frames that are both inside [lo, hi]."""
    inside = (angle >= lo) & (angle <= hi)
    return float(np.sum(np.diff(t_s)[inside[1:] & inside[:-1]]))


def naive_result(poses: list[PoseFrame], spec_id: str) -> dict[str, float | int]:
    """``reps`` or ``hold_s``, and per side (``reps_left``, ``hold_left_s``...) for
    per-side rules; empty for a spec without a rule."""
    rule = RULES.get(spec_id)
    if rule is None or not poses:
        return {}
    t_s = np.array([p.t_s for p in poses])
    sides = ["left", "right"]
    if not rule.per_side:
        seen = [sum(float(p.visibility[_ids(rule.points, s)].sum()) for p in poses) for s in sides]
        sides = [sides[int(np.argmax(seen))]]
    value: dict[str, float | int] = {}
    for side in sides:
        angle = angle_2d(poses, rule.points, side)
        if rule.hold:
            value[side] = round(hold_s(angle, t_s, rule.first, rule.second), 3)
        else:
            value[side] = count_reps(angle, rule.first, rule.second)
    found = {"hold_s" if rule.hold else "reps": sum(value.values())}
    if rule.per_side:
        found |= {(f"hold_{s}_s" if rule.hold else f"reps_{s}"): v for s, v in value.items()}
    return found
