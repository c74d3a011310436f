"""Pose builders: absolute segment directions, limb targets, floor contacts.

Motions are easiest to write in the sagittal plane of the canonical scene
(``X`` forward, ``Y`` up). A segment *direction angle* ``alpha`` (degrees) is
measured from straight down towards ``+X``: 0 hangs down, 90 points forward,
180 points up, -90 (or 270) points backward. ``PoseBuilder`` turns such
absolute directions, or target positions for hands and feet, into the joint
angles of ``formcheck.synth.skeleton``.
"""

from __future__ import annotations

import numpy as np

from formcheck.landmarks import INDEX
from formcheck.synth.skeleton import (
    SIDE_SIGN,
    Body,
    Pose,
    forward_kinematics,
    limb_angles,
    rot_f,
    rot_r,
    rot_u,
)


def direction(alpha_deg: float) -> np.ndarray:
    """Unit vector (x, y, 0) of sagittal direction angle ``alpha_deg``."""
    a = np.radians(alpha_deg)
    return np.array([np.sin(a), -np.cos(a), 0.0])


def alpha_of(vector: np.ndarray) -> float:
    """Sagittal direction angle (degrees) of a vector's x–y part."""
    return float(np.degrees(np.arctan2(vector[0], -vector[1])))


class PoseBuilder:
    """Accumulates joint angles for one pose around a fixed pelvis placement.

    Args:
        body: body proportions.
        hip_xyz: (3,) hip centre.
        trunk_alpha: direction angle of hip→shoulder centre (180 = upright);
            the pelvis and trunk share this direction (``trunk_flex`` stays 0).
        rotation: optional full pelvis frame (columns f, u, r) overriding
            ``trunk_alpha`` (side-lying poses).
    """

    def __init__(
        self,
        body: Body,
        hip_xyz: np.ndarray,
        trunk_alpha: float = 180.0,
        rotation: np.ndarray | None = None,
    ) -> None:
        self.body = body
        self.hip_xyz = np.asarray(hip_xyz, dtype=np.float64)
        self.trunk_alpha = trunk_alpha
        self.pelvis_rot = rot_r(trunk_alpha - 180.0) if rotation is None else rotation
        self.angles: dict[str, float] = {}

    @property
    def trunk_rot(self) -> np.ndarray:
        return (
            self.pelvis_rot
            @ rot_r(-self.angles.get("trunk_flex", 0.0))
            @ rot_f(self.angles.get("trunk_side", 0.0))
        )

    def hip_joint(self, side: str) -> np.ndarray:
        return self.hip_xyz + self.pelvis_rot[:, 2] * SIDE_SIGN[side] * self.body.hip_half_width_m

    def shoulder_centre(self) -> np.ndarray:
        return self.hip_xyz + self.trunk_rot[:, 1] * self.body.torso_m

    def shoulder_joint(self, side: str) -> np.ndarray:
        sign = SIDE_SIGN[side]
        return (
            self.shoulder_centre() + self.trunk_rot[:, 2] * sign * self.body.shoulder_half_width_m
        )

    def head(self, alpha: float) -> PoseBuilder:
        """Point the head (neck→crown) along sagittal direction ``alpha``."""
        self.angles["neck_flex"] = self.trunk_alpha - alpha
        return self

    def leg(self, side: str, thigh: float, shank: float, foot: float) -> PoseBuilder:
        """Sagittal leg from absolute directions of thigh, shank and foot (heel→toe)."""
        pitch = self.trunk_alpha - 180.0
        self.angles[f"{side}_hip_flex"] = thigh - pitch
        self.angles[f"{side}_knee_flex"] = thigh - shank
        self.angles[f"{side}_ankle_dorsi"] = foot - 90.0 - shank
        return self

    def arm(self, side: str, upper: float, fore: float, abd: float = 0.0) -> PoseBuilder:
        """Sagittal arm from absolute directions of upper arm and forearm."""
        pitch = self.trunk_alpha - 180.0
        self.angles[f"{side}_shoulder_flex"] = upper - pitch
        self.angles[f"{side}_elbow_flex"] = fore - upper
        self.angles[f"{side}_shoulder_abd"] = abd
        return self

    def _limb_to(self, side: str, target: np.ndarray, pole: np.ndarray, *, leg: bool) -> np.ndarray:
        body = self.body
        if leg:
            parent, root = self.pelvis_rot, self.hip_joint(side)
            lengths = (body.thigh_m, body.shank_m)
            names = ("hip_flex", "hip_abd", "hip_rot", "knee_flex")
        else:
            parent, root = self.trunk_rot, self.shoulder_joint(side)
            lengths = (body.upper_arm_m, body.forearm_m)
            names = ("shoulder_flex", "shoulder_abd", "shoulder_rot", "elbow_flex")
        values = limb_angles(parent, root, target, pole, lengths, side, knee=leg)
        for name, value in zip(names, values, strict=True):
            self.angles[f"{side}_{name}"] = value
        flex, abd, rot, bend = values
        sign = SIDE_SIGN[side]
        proximal = parent @ rot_r(flex) @ rot_f(-sign * abd) @ rot_u(sign * rot)
        return proximal @ rot_r(-bend if leg else bend)

    def leg_to(
        self, side: str, ankle: np.ndarray, pole: np.ndarray, foot: np.ndarray
    ) -> PoseBuilder:
        """Put the ankle at ``ankle`` (knee towards ``pole``), the foot along ``foot``."""
        shank = self._limb_to(side, ankle, pole, leg=True)
        local = shank.T @ np.asarray(foot, dtype=np.float64)
        self.angles[f"{side}_ankle_dorsi"] = float(np.degrees(np.arctan2(local[1], local[0])))
        return self

    def arm_to(
        self, side: str, wrist: np.ndarray, pole: np.ndarray, hand: np.ndarray | None = None
    ) -> PoseBuilder:
        """Put the wrist at ``wrist`` with the elbow towards ``pole``; optionally bend
        the wrist so the hand points along ``hand`` (e.g. flat on the floor)."""
        fore = self._limb_to(side, wrist, pole, leg=False)
        if hand is not None:
            local = fore.T @ np.asarray(hand, dtype=np.float64)
            flex = float(np.degrees(np.arctan2(local[0], -local[1])))
            self.angles[f"{side}_wrist_flex"] = flex
        return self

    @classmethod
    def from_pose(cls, body: Body, pose: Pose) -> PoseBuilder:
        """A builder that continues from an existing pose (e.g. after levelling)."""
        builder = cls(body, pose.pelvis_xyz, alpha_of(pose.pelvis_rot[:, 1]), pose.pelvis_rot)
        builder.angles = dict(pose.angles)
        return builder

    def build(self) -> Pose:
        return Pose(self.hip_xyz.copy(), self.pelvis_rot.copy(), dict(self.angles))


def landmark(body: Body, pose: Pose, name: str) -> np.ndarray:
    """World position of one landmark of ``pose``."""
    return forward_kinematics(body, pose).landmarks[INDEX[name]]


def anchored(body: Body, pose: Pose, name: str, target: np.ndarray) -> Pose:
    """``pose`` translated so landmark ``name`` sits at ``target``."""
    return pose.moved(np.eye(3), np.asarray(target, dtype=np.float64) - landmark(body, pose, name))


def levelled(
    body: Body, pose: Pose, anchor: str, anchor_xy: tuple[float, float], other: str, other_y: float
) -> tuple[Pose, np.ndarray]:
    """Pitch the whole body about ``Z`` so two contact landmarks reach their floor heights.

    ``anchor`` ends at ``anchor_xy`` (its z unchanged); ``other`` keeps its
    distance in the x–y plane and ends at height ``other_y``.

    Returns:
        The moved pose and its (33, 3) landmarks.
    """
    points = forward_kinematics(body, pose).landmarks
    a, b = points[INDEX[anchor]], points[INDEX[other]]
    v = (b - a)[:2]
    dy = other_y - anchor_xy[1]
    length = float(np.hypot(*v))
    want = np.array([np.sign(v[0]) * np.sqrt(max(length**2 - dy**2, 0.0)), dy])
    rotation = rot_r(float(np.degrees(np.arctan2(want[1], want[0]) - np.arctan2(v[1], v[0]))))
    turned_anchor = rotation @ a
    shift = np.array([anchor_xy[0], anchor_xy[1], turned_anchor[2]]) - turned_anchor
    return pose.moved(rotation, shift), points @ rotation.T + shift
