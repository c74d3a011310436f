"""Motion scripts for the stretches timed by posture and the pelvic tilts counted by a proxy.

Pigeon pose and the figure-four stretch are held per side, the decompression
position is one hold; the seated and supine pelvic tilts are counted from the
trunk lean or the hip rise that goes with the tilt (their specs document the
proxy). Only correct performances are scripted: these specs judge no faults.
"""

from __future__ import annotations

import numpy as np

from formcheck.synth.floor import supine
from formcheck.synth.postures import PoseBuilder, landmark
from formcheck.synth.skeleton import SIDE_SIGN, SIDES, Body, Pose
from formcheck.synth.timeline import (
    Rep,
    Request,
    Script,
    Timeline,
    pause_between,
    per_side_holds,
    rep,
)

_UP = np.array([0.0, 1.0, 0.0])
_X = np.array([1.0, 0.0, 0.0])


def _other(side: str) -> str:
    return "right" if side == "left" else "left"


def _arms_by_sides(builder: PoseBuilder, body: Body) -> None:
    k = body.height_m / 1.72
    for side in SIDES:
        sign = SIDE_SIGN[side]
        wrist = np.array([0.5 * k, 0.04 * k, sign * (body.shoulder_half_width_m + 0.04 * k)])
        builder.arm_to(side, wrist, _UP, _X)


def _foot_flat(body: Body, hip: np.ndarray, side: str, knee_deg: float) -> np.ndarray:
    """The ankle of a foot flat on the floor that bends the knee to ``knee_deg``."""
    l1, l2 = body.thigh_m, body.shank_m
    reach = np.sqrt(l1**2 + l2**2 - 2 * l1 * l2 * np.cos(np.radians(knee_deg)))
    dy = hip[1] - body.ankle_height_m
    z = SIDE_SIGN[side] * body.hip_half_width_m
    return np.array([hip[0] + np.sqrt(reach**2 - dy**2), body.ankle_height_m, z])


def _hook_lying(body: Body, hip: np.ndarray, trunk: float, knee_deg: float) -> PoseBuilder:
    """On the back, knees bent to ``knee_deg``, feet flat, arms by the sides."""
    builder = PoseBuilder(body, hip, trunk)
    for side in SIDES:
        builder.leg_to(side, _foot_flat(body, hip, side, knee_deg), _UP, _X)
    builder.head(-92.0)
    _arms_by_sides(builder, body)
    return builder


def figure_four_stretch(req: Request) -> Script:
    """Lying on the back, knees bent; one ankle crossed onto the opposite thigh just
    above the knee and held, left then right (the side is the crossed leg)."""
    body = req.body
    k = body.height_m / 1.72
    tl, active = per_side_holds(req)
    hip, trunk = supine(body)

    def posture(c: dict[str, float]) -> Pose:
        builder = _hook_lying(body, hip, trunk, 80.0 + 0.5 * c["sway_a"])
        crossed = "left" if c["left"] >= c["right"] else "right"
        s = c[crossed]
        if s <= 0.0:
            return builder.build()
        on_thigh = landmark(body, builder.build(), f"{_other(crossed)}_knee") + k * np.array(
            [-0.03, 0.07, 0.0]
        )
        lift = 0.15 * k * np.sin(np.pi * s) * _UP  # the foot clears the other knee
        ankle = (1 - s) * _foot_flat(body, hip, crossed, 80.0) + s * on_thigh + lift
        pole = np.array([0.3, 1.0 - s, SIDE_SIGN[crossed] * s])  # the knee falls out
        builder.leg_to(crossed, ankle, pole, _X)
        return builder.build()

    return Script(tl, posture, [], active)


def decompression_position(req: Request) -> Script:
    """Lying on the back, both calves lifted onto a chair (hip and knee ~90°), held."""
    rng, body = req.rng, req.body
    tl = Timeline({"up": 0.0})
    tl.wait(float(rng.uniform(1.0, 1.5)))
    tl.move(float(rng.uniform(2.0, 2.6)), up=1.0)
    start = tl.t
    tl.wait(req.hold_s)
    end = tl.t
    tl.move(float(rng.uniform(2.0, 2.6)), up=0.0)
    tl.wait(1.0)
    hip, trunk = supine(body)

    def posture(c: dict[str, float]) -> Pose:
        up = c["up"]
        builder = _hook_lying(body, hip, trunk, 80.0)
        thigh = (1 - up) * 140.0 + up * (178.0 + 1.5 * c["sway_a"])  # 180: thigh vertical
        shank = (1 - up) * 35.0 + up * 88.0  # 90: shank level, resting on the seat
        for side in SIDES:
            builder.leg(side, thigh, shank, shank + 70.0)
        return builder.build()

    return Script(tl, posture, [], [(start, end)])


def pelvic_tilt_supine(req: Request) -> Script:
    """Lying on the back, knees bent; each tilt lifts the hips ~6 cm (pelvis
    elevation ~9°), holds ~5 s and relaxes."""
    rng, body = req.rng, req.body
    k = body.height_m / 1.72
    tl = Timeline({"rise": 0.0})
    tl.wait(float(rng.uniform(1.0, 1.5)))
    reps: list[Rep] = []
    for i in range(req.reps):
        up = {"rise": float(rng.uniform(0.06, 0.065)) * k}
        reps.append(rep(tl, rng, up, {"rise": 0.0}, hold_s=(4.5, 5.5)))
        pause_between(tl, rng, i + 1, req.reps)
    tl.wait(1.0)

    def posture(c: dict[str, float]) -> Pose:
        hip, trunk = supine(body, c["rise"] + 0.002 * k * c["sway_a"])
        return _hook_lying(body, hip, trunk, 80.0).build()

    return Script(tl, posture, reps, [(r.start_s, r.end_s) for r in reps])


def pelvic_tilt_seated(req: Request) -> Script:
    """Sitting on a chair, feet flat; each tilt rolls the pelvis back so the trunk
    leans ~11° forward (shoulders ~0.19 torso lengths ahead of the hips), then sits
    tall again."""
    rng, body = req.rng, req.body
    seat_y = body.shank_m + body.ankle_height_m  # thigh level: the hip at knee height
    tl = Timeline({"lean": 0.0})
    tl.wait(float(rng.uniform(1.0, 1.5)))
    reps: list[Rep] = []
    for i in range(req.reps):
        slump = {"lean": float(rng.uniform(10.0, 12.0))}
        reps.append(rep(tl, rng, slump, {"lean": float(rng.uniform(-1.0, 0.5))}))
        pause_between(tl, rng, i + 1, req.reps)
    tl.wait(1.0)

    def posture(c: dict[str, float]) -> Pose:
        trunk = 180.0 - c["lean"] - 0.3 * c["sway_a"]
        builder = PoseBuilder(body, np.array([0.0, seat_y, 0.0]), trunk)
        for side in SIDES:
            builder.leg(side, 92.0, 2.0, 90.0)  # thigh level on the seat, shank upright
            builder.arm(side, 40.0, 80.0)  # hands resting on the thighs
        builder.head(trunk + 0.5 * c["lean"])
        return builder.build()

    return Script(tl, posture, reps, [(r.start_s, r.end_s) for r in reps])


def pigeon_pose(req: Request) -> Script:
    """From sitting back on the heels (knees folded), one shin is laid across in front
    and the other leg straightened behind, held, left then right (the side is the
    folded front leg); the hands rest on the floor either side."""
    body = req.body
    k = body.height_m / 1.72
    tl, active = per_side_holds(req)
    hip = np.array([0.0, 0.3 * k, 0.0])
    trunk = 140.0  # leaning forward onto the hands

    def kneel(side: str) -> np.ndarray:
        return np.array([-0.07 * k, 0.06 * k, SIDE_SIGN[side] * body.hip_half_width_m])

    def posture(c: dict[str, float]) -> Pose:
        builder = PoseBuilder(body, hip, trunk + 0.8 * c["sway_a"])
        front = "left" if c["left"] >= c["right"] else "right"
        s, sign = c[front], SIDE_SIGN[front]
        across = np.array([0.3 * k, 0.08 * k, -sign * 0.12 * k])
        builder.leg_to(front, (1 - s) * kneel(front) + s * across, np.array([1.0, 0.0, sign]), _X)
        back = _other(front)
        behind = np.array([-0.85 * k, 0.06 * k, SIDE_SIGN[back] * body.hip_half_width_m])
        builder.leg_to(back, (1 - s) * kneel(back) + s * behind, np.array([1.0, -s, 0.0]), -_X)
        for side in SIDES:
            wrist = np.array([0.45 * k, 0.035 * k, SIDE_SIGN[side] * 0.22 * k])
            builder.arm_to(side, wrist, np.array([-1.0, 0.0, SIDE_SIGN[side]]), _X)
        builder.head(trunk - 30.0)
        return builder.build()

    return Script(tl, posture, [], active)
