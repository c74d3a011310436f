"""An articulated 3D body: proportions, joint angles and forward kinematics.

World frame of the synthetic scene (metres): ``X`` forward (the way an upright
body faces before any yaw), ``Y`` **up** (the floor is ``y = 0``), ``Z`` to the
body's right. Every body segment carries a local frame whose columns are
``f`` (forward), ``u`` (up along the segment, proximal direction) and ``r``
(the body's right), with ``f × u = r``. In the rest pose (standing, arms by the
sides, feet flat) every local frame equals the world frame.

Joint angles (degrees) rotate a child frame relative to its parent:

* ``*_flex``: about the parent's ``r`` axis. Positive hip and shoulder flexion
  swing the limb forward; positive knee flexion swings the shank backward;
  positive elbow flexion swings the forearm forward; positive trunk and neck
  flexion bend forward; positive ankle dorsiflexion lifts the toes.
* ``*_abd``: about the ``f`` axis, positive away from the midline.
* ``*_rot``: about the limb's own long axis (positive turns ``f`` outwards).
* ``trunk_side``: lateral bend of the trunk, positive towards the right.
* ``wrist_flex``: swings the hand forward like elbow flexion (90 puts a hand
  flat on the floor, fingers forward, under a vertical forearm).

The segment lengths are fractions of standing height from anthropometric
tables (Winter, *Biomechanics and Motor Control of Human Movement*), so
``Body(height_m=1.6)`` and ``Body(height_m=1.9)`` are proportionally scaled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from formcheck.landmarks import INDEX, NUM_LANDMARKS

SIDES: tuple[str, str] = ("left", "right")
# Sign of each side along the body's r axis.
SIDE_SIGN: dict[str, float] = {"left": -1.0, "right": 1.0}

JOINT_ANGLE_NAMES: tuple[str, ...] = (
    "trunk_flex",
    "trunk_side",
    "neck_flex",
    "head_turn",
    *(
        f"{side}_{joint}"
        for side in SIDES
        for joint in (
            "hip_flex",
            "hip_abd",
            "hip_rot",
            "knee_flex",
            "ankle_dorsi",
            "shoulder_flex",
            "shoulder_abd",
            "shoulder_rot",
            "elbow_flex",
            "wrist_flex",
        )
    ),
)


@dataclass(frozen=True, slots=True)
class Body:
    """Body size and build.

    Attributes:
        height_m: standing height in metres.
        build: girth multiplier for the renderer and the pelvis/shoulder width
            (0.85 slim, 1.0 average, 1.25 heavy).
    """

    height_m: float = 1.72
    build: float = 1.0

    def __post_init__(self) -> None:
        if not 1.2 <= self.height_m <= 2.2:
            raise ValueError(f"Body.height_m must be in [1.2, 2.2], got {self.height_m}")
        if not 0.7 <= self.build <= 1.5:
            raise ValueError(f"Body.build must be in [0.7, 1.5], got {self.build}")

    def _h(self, fraction: float) -> float:
        return fraction * self.height_m

    @property
    def thigh_m(self) -> float:
        return self._h(0.245)

    @property
    def shank_m(self) -> float:
        return self._h(0.246)

    @property
    def upper_arm_m(self) -> float:
        return self._h(0.172)

    @property
    def forearm_m(self) -> float:
        return self._h(0.157)

    @property
    def torso_m(self) -> float:
        """Hip centre to shoulder centre."""
        return self._h(0.29)

    @property
    def hip_half_width_m(self) -> float:
        return self._h(0.052) * (0.9 + 0.1 * self.build)

    @property
    def shoulder_half_width_m(self) -> float:
        return self._h(0.104) * (0.92 + 0.08 * self.build)

    @property
    def neck_m(self) -> float:
        """Shoulder centre to the base of the skull along the trunk axis."""
        return self._h(0.045)

    @property
    def head_radius_m(self) -> float:
        return self._h(0.057)

    @property
    def ankle_height_m(self) -> float:
        return self._h(0.039)

    @property
    def heel_back_m(self) -> float:
        return self._h(0.03)

    @property
    def toe_forward_m(self) -> float:
        return self._h(0.11)

    def as_dict(self) -> dict[str, float]:
        return {"height_m": self.height_m, "build": self.build}


@dataclass(frozen=True, slots=True)
class Pose:
    """A full-body pose: pelvis placement plus joint angles in degrees.

    Attributes:
        pelvis_xyz: (3,) hip centre (midpoint of the hip joints), world metres.
        pelvis_rot: (3, 3) pelvis frame; columns are ``f``, ``u``, ``r`` in world.
        angles: joint angles by name (see ``JOINT_ANGLE_NAMES``); missing = 0.
    """

    pelvis_xyz: np.ndarray
    pelvis_rot: np.ndarray
    angles: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.angles) - set(JOINT_ANGLE_NAMES)
        if unknown:
            raise KeyError(f"unknown joint angle(s): {sorted(unknown)}")

    def angle(self, name: str) -> float:
        return float(self.angles.get(name, 0.0))

    def moved(self, rotation: np.ndarray, translation: np.ndarray) -> Pose:
        """The same pose after a rigid motion of the whole body (x -> R x + t)."""
        return Pose(
            rotation @ np.asarray(self.pelvis_xyz, dtype=np.float64) + translation,
            rotation @ self.pelvis_rot,
            dict(self.angles),
        )


@dataclass(frozen=True, slots=True)
class Skeleton:
    """Forward-kinematics output for one pose.

    Attributes:
        landmarks: (33, 3) MediaPipe landmark positions, world metres.
        head_centre: (3,) centre of the head sphere.
        neck: (3,) base of the skull.
        head_rot, trunk_rot, pelvis_rot: (3, 3) segment frames (columns f, u, r).
    """

    landmarks: np.ndarray
    head_centre: np.ndarray
    neck: np.ndarray
    head_rot: np.ndarray
    trunk_rot: np.ndarray
    pelvis_rot: np.ndarray


def rot_f(deg: float) -> np.ndarray:
    """Rotation about the local f (x) axis: u turns towards r."""
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_u(deg: float) -> np.ndarray:
    """Rotation about the local u (y) axis: r turns towards f."""
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rot_r(deg: float) -> np.ndarray:
    """Rotation about the local r (z) axis: f turns towards u."""
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


_DOWN = np.array([0.0, -1.0, 0.0])


def _face_offsets(body: Body) -> dict[str, np.ndarray]:
    """Face landmarks relative to the head centre in the head frame (f, u, r)."""
    k = body.height_m / 1.72
    offsets = {
        "nose": (0.105, -0.012, 0.0),
        "eye_inner": (0.088, 0.022, 0.017),
        "eye": (0.085, 0.024, 0.032),
        "eye_outer": (0.078, 0.024, 0.047),
        "ear": (-0.005, 0.008, 0.076),
        "mouth": (0.088, -0.048, 0.024),
    }
    out: dict[str, np.ndarray] = {"nose": k * np.array(offsets["nose"])}
    for part, (f, u, r) in offsets.items():
        if part == "nose":
            continue
        for side in SIDES:
            name = f"mouth_{side}" if part == "mouth" else f"{side}_{part}"
            out[name] = k * np.array([f, u, SIDE_SIGN[side] * r])
    return out


def forward_kinematics(body: Body, pose: Pose) -> Skeleton:
    """All 33 MediaPipe landmarks (world metres) for ``pose`` of ``body``.

    Shoulders, elbows, wrists, hips, knees and ankles are joint centres; heel
    and foot_index sit just above the sole; hand points follow the forearm
    (no wrist angles); face points sit on a head sphere.
    """
    points = np.zeros((NUM_LANDMARKS, 3))
    k = body.height_m / 1.72
    pelvis = np.asarray(pose.pelvis_rot, dtype=np.float64)
    hip_centre = np.asarray(pose.pelvis_xyz, dtype=np.float64)
    trunk = pelvis @ rot_r(-pose.angle("trunk_flex")) @ rot_f(pose.angle("trunk_side"))
    shoulder_centre = hip_centre + trunk[:, 1] * body.torso_m
    neck = shoulder_centre + trunk[:, 1] * body.neck_m
    head = trunk @ rot_r(-pose.angle("neck_flex")) @ rot_u(pose.angle("head_turn"))
    head_centre = neck + head @ (k * np.array([0.012, 0.075, 0.0]))
    for name, offset in _face_offsets(body).items():
        points[INDEX[name]] = head_centre + head @ offset

    for side in SIDES:
        sign = SIDE_SIGN[side]

        def a(joint: str, side: str = side) -> float:
            return pose.angle(f"{side}_{joint}")

        hip = hip_centre + pelvis[:, 2] * sign * body.hip_half_width_m
        thigh = (
            pelvis @ rot_r(a("hip_flex")) @ rot_f(-sign * a("hip_abd")) @ rot_u(sign * a("hip_rot"))
        )
        knee = hip + thigh @ _DOWN * body.thigh_m
        shank = thigh @ rot_r(-a("knee_flex"))
        ankle = knee + shank @ _DOWN * body.shank_m
        foot = shank @ rot_r(a("ankle_dorsi"))
        sole = body.ankle_height_m - 0.006 * k
        points[INDEX[f"{side}_hip"]] = hip
        points[INDEX[f"{side}_knee"]] = knee
        points[INDEX[f"{side}_ankle"]] = ankle
        points[INDEX[f"{side}_heel"]] = ankle + foot @ np.array([-body.heel_back_m, -sole, 0.0])
        points[INDEX[f"{side}_foot_index"]] = ankle + foot @ np.array(
            [body.toe_forward_m, -sole, 0.0]
        )

        shoulder = shoulder_centre + trunk[:, 2] * sign * body.shoulder_half_width_m
        upper = (
            trunk
            @ rot_r(a("shoulder_flex"))
            @ rot_f(-sign * a("shoulder_abd"))
            @ rot_u(sign * a("shoulder_rot"))
        )
        elbow = shoulder + upper @ _DOWN * body.upper_arm_m
        fore = upper @ rot_r(a("elbow_flex"))
        wrist = elbow + fore @ _DOWN * body.forearm_m
        hand = fore @ rot_r(a("wrist_flex"))
        medial = -sign
        points[INDEX[f"{side}_shoulder"]] = shoulder
        points[INDEX[f"{side}_elbow"]] = elbow
        points[INDEX[f"{side}_wrist"]] = wrist
        points[INDEX[f"{side}_index"]] = wrist + hand @ (k * np.array([0.02, -0.088, 0.0]))
        points[INDEX[f"{side}_pinky"]] = wrist + hand @ (k * np.array([-0.022, -0.075, 0.0]))
        points[INDEX[f"{side}_thumb"]] = wrist + hand @ (
            k * np.array([0.035, -0.04, 0.015 * medial])
        )
    return Skeleton(points, head_centre, neck, head, trunk, pelvis)


def limb_angles(
    parent_rot: np.ndarray,
    root: np.ndarray,
    target: np.ndarray,
    pole: np.ndarray,
    lengths: tuple[float, float],
    side: str,
    *,
    knee: bool,
) -> tuple[float, float, float, float]:
    """Inverse kinematics of a two-segment limb (thigh–shank or upper arm–forearm).

    Args:
        parent_rot: (3, 3) frame of the segment the limb hangs from (pelvis or trunk).
        root: (3,) hip or shoulder joint centre.
        target: (3,) desired ankle or wrist position; clipped to the reachable shell.
        pole: (3,) world direction the middle joint (knee/elbow) should point to.
        lengths: (proximal, distal) segment lengths.
        side: "left" or "right".
        knee: True for a leg (the knee flexes backwards), False for an arm.

    Returns:
        (flex, abd, rot, middle_flex) in degrees, in the conventions of ``Pose``.
    """
    l1, l2 = lengths
    sign = SIDE_SIGN[side]
    reach = np.asarray(target, dtype=np.float64) - root
    distance = float(np.linalg.norm(reach))
    n = reach / distance
    distance = float(np.clip(distance, abs(l1 - l2) + 1e-6, l1 + l2 - 1e-9))
    along = (l1**2 - l2**2 + distance**2) / (2.0 * distance)
    across = np.sqrt(max(l1**2 - along**2, 0.0))
    m = np.asarray(pole, dtype=np.float64) - np.dot(pole, n) * n
    m /= np.linalg.norm(m)
    middle = root + along * n + across * m
    end = root + distance * n

    d = parent_rot.T @ (middle - root) / l1
    phi = float(np.degrees(np.arcsin(np.clip(-d[2], -1.0, 1.0))))
    theta = float(np.degrees(np.arctan2(d[0], -d[1])))
    proximal = parent_rot @ rot_r(theta) @ rot_f(phi)
    e = proximal.T @ (end - middle) / l2
    bend = float(np.degrees(np.arctan2(np.hypot(e[0], e[2]), -e[1])))
    if np.hypot(e[0], e[2]) < 1e-9:
        twist = 0.0
    elif knee:
        twist = float(np.degrees(np.arctan2(e[2], -e[0])))
    else:
        twist = float(np.degrees(np.arctan2(-e[2], e[0])))
    return theta, -sign * phi, sign * twist, bend
