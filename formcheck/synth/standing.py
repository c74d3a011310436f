"""Motion scripts for standing exercises: squat, hip hinge, wall squat, quad stretch.

Targets follow docs/EXERCISES.md: correct performances stay well inside every
band, faulty ones pass the fault threshold by at least 1.5× the distance of
the correct value from it.
"""

from __future__ import annotations

import numpy as np

from formcheck.synth.postures import PoseBuilder, anchored, direction, landmark
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


def standing_pose(
    body: Body,
    *,
    knee: float,
    shank_lean: float,
    trunk_lean: float,
    arm: float = 4.0,
    elbow: float = 8.0,
    gaze: float = 0.0,
) -> Pose:
    """Both feet flat at hip width, ankles at ``x = 0``; angles in degrees.

    Args:
        knee: 2D knee joint angle (180 straight).
        shank_lean: forward lean of the shank from vertical (knees forward).
        trunk_lean: forward lean of hip→shoulder from vertical.
        arm: upper-arm direction angle (0 hangs, 90 forward).
        elbow: elbow flexion.
        gaze: head tilt up from the trunk direction.
    """
    shank = -shank_lean
    thigh = shank + (180.0 - knee)
    trunk = 180.0 - trunk_lean
    builder = PoseBuilder(body, np.zeros(3), trunk)
    for side in SIDES:
        builder.leg(side, thigh, shank, 90.0)
        builder.arm(side, arm, arm + elbow, abd=5.0)
    builder.head(trunk - 0.6 * trunk_lean + gaze)
    ankle = np.array([0.0, body.ankle_height_m, -body.hip_half_width_m])
    return anchored(body, builder.build(), "left_ankle", ankle)


def squat(req: Request) -> Script:
    """Bodyweight squat; fault ``shallow`` bottoms out at a knee angle of ~112."""
    rng = req.rng
    top = 176.0
    tl = Timeline({"knee": top})
    tl.wait(float(rng.uniform(1.0, 1.8)))
    reps: list[Rep] = []
    for i in range(req.reps):
        bottom = rng.uniform(110.0, 114.0) if req.fault == "shallow" else rng.uniform(72.0, 84.0)
        back = float(rng.uniform(174.0, 178.0))
        reps.append(rep(tl, rng, {"knee": bottom}, {"knee": back}))
        pause_between(tl, rng, i + 1, req.reps)
    tl.wait(1.0)

    def posture(c: dict[str, float]) -> Pose:
        depth = float(np.clip((top - c["knee"]) / 95.0, 0.0, 1.2))
        return standing_pose(
            req.body,
            knee=c["knee"],
            shank_lean=3.0 + 24.0 * depth + 0.6 * c["sway_a"],
            trunk_lean=5.0 + 33.0 * depth + 1.0 * c["sway_b"],
            arm=5.0 + 78.0 * depth,
            elbow=6.0 + 10.0 * depth,
        )

    return Script(tl, posture, reps, [(r.start_s, r.end_s) for r in reps])


def hip_hinge(req: Request) -> Script:
    """Hip hinge to ~70° of trunk inclination; fault ``knees_bent_too_much`` (knee ~110)."""
    rng = req.rng
    bent = req.fault == "knees_bent_too_much"
    tl = Timeline({"lean": 4.0, "knee": 176.0})
    tl.wait(float(rng.uniform(1.0, 1.8)))
    reps: list[Rep] = []
    for i in range(req.reps):
        lean = float(rng.uniform(64.0, 76.0))
        knee = float(rng.uniform(106.0, 112.0) if bent else rng.uniform(160.0, 166.0))
        back = {"lean": float(rng.uniform(2.0, 6.0)), "knee": float(rng.uniform(174.0, 177.0))}
        reps.append(rep(tl, rng, {"lean": lean, "knee": knee}, back, out_s=(1.3, 1.9)))
        pause_between(tl, rng, i + 1, req.reps)
    tl.wait(1.0)

    def posture(c: dict[str, float]) -> Pose:
        bend = (176.0 - c["knee"]) / 66.0
        return standing_pose(
            req.body,
            knee=c["knee"],
            shank_lean=3.0 + 22.0 * max(bend, 0.0) + 0.5 * c["sway_a"],
            trunk_lean=c["lean"] + 0.8 * c["sway_b"],
            arm=c["lean"] * 0.15,
        )

    return Script(tl, posture, reps, [(r.start_s, r.end_s) for r in reps])


def wall_squat(req: Request) -> Script:
    """Back against a wall, slide to a ~90° knee and hold.

    Faults: ``too_shallow`` holds at ~135°; ``knees_past_toes`` puts the feet close
    to the wall so the shank leans ~46° forward; ``back_off_wall`` leans the
    trunk ~27° off the wall.
    """
    rng, body = req.rng, req.body
    depth = float(rng.uniform(133.0, 137.0) if req.fault == "too_shallow" else rng.uniform(87, 93))
    lean = float(rng.uniform(25.0, 29.0)) if req.fault == "back_off_wall" else 0.0
    if req.fault == "knees_past_toes":
        shank_at_90 = 46.0
        feet_x = body.thigh_m * np.sin(np.radians(90.0 - shank_at_90)) - body.shank_m * np.sin(
            np.radians(shank_at_90)
        )
    else:
        feet_x = body.thigh_m + 0.02 * body.height_m
    tl = Timeline({"knee": 168.0, "lean": 0.0})
    tl.wait(float(rng.uniform(1.0, 1.6)))
    tl.move(float(rng.uniform(1.8, 2.4)), knee=depth)
    start = tl.t
    tl.move(0.8, lean=lean)
    tl.wait(req.hold_s - 1.6)
    tl.move(0.8, lean=0.0)
    end = tl.t
    tl.move(float(rng.uniform(1.6, 2.2)), knee=168.0)
    tl.wait(1.0)
    ankle_y = body.ankle_height_m
    l_t, l_s = body.thigh_m, body.shank_m

    def posture(c: dict[str, float]) -> Pose:
        knee = c["knee"] + 1.2 * c["sway_a"]
        reach = np.sqrt(l_t**2 + l_s**2 - 2 * l_t * l_s * np.cos(np.radians(knee)))
        hip_y = ankle_y + np.sqrt(max(reach**2 - feet_x**2, 1e-6))
        trunk = 180.0 - c["lean"] - 0.8 * abs(c["sway_b"])
        builder = PoseBuilder(body, np.array([0.0, hip_y, 0.0]), trunk)
        for side in SIDES:
            z = SIDE_SIGN[side] * body.hip_half_width_m
            ankle = np.array([feet_x, ankle_y, z])
            builder.leg_to(side, ankle, np.array([1.0, 0.0, 0.0]), np.array([1.0, 0.0, 0.0]))
            builder.arm(side, 3.0, 8.0, abd=6.0)
        builder.head(trunk + 2.0)
        return builder.build()

    wall_x = -0.115 * body.height_m * (0.85 + 0.15 * body.build)
    return Script(tl, posture, [], [(start, end)], props={"wall_x": wall_x})


def quad_stretch(req: Request) -> Script:
    """Standing quadriceps stretch, left then right: heel pulled to the buttock
    (knee angle ~38) and held with the same-side hand."""
    rng, body = req.rng, req.body
    tl, active = per_side_holds(req, ease_in_s=(1.4, 2.0), ease_out_s=(1.2, 1.6), rest_s=(1.0, 2.0))
    knee_hold = float(rng.uniform(34.0, 42.0))

    def posture(c: dict[str, float]) -> Pose:
        builder = PoseBuilder(body, np.zeros(3), 178.0 + 0.8 * c["sway_b"])
        for side in SIDES:
            s = c[side]
            knee_flex = (180.0 - knee_hold - 3.0) * s + 3.0
            thigh = -6.0 * s + 0.5 * c["sway_a"]
            shank = thigh - knee_flex
            lift = s * s
            builder.leg(side, thigh, shank, (1.0 - lift) * 90.0 + lift * (50.0 + shank))
        for side in SIDES:
            builder.arm(side, 4.0, 10.0, abd=8.0 + 12.0 * max(c["left"], c["right"]))
        builder.head(178.0)
        pose = builder.build()
        stance = "right" if c["left"] >= c["right"] else "left"
        ankle = np.array([0.0, body.ankle_height_m, SIDE_SIGN[stance] * body.hip_half_width_m])
        pose = anchored(body, pose, f"{stance}_ankle", ankle)
        builder = PoseBuilder.from_pose(body, pose)
        for side in SIDES:
            s = c[side]
            if s <= 0.0:
                continue
            hold = landmark(body, pose, f"{side}_ankle") + np.array([0.0, 0.04, 0.0])
            rest = builder.shoulder_joint(side) + direction(4.0) * (
                body.upper_arm_m + body.forearm_m - 0.01
            )
            reach = float(np.clip(s * 1.6 - 0.3, 0.0, 1.0))
            wrist = (1.0 - reach) * rest + reach * hold
            pole = np.array([-0.4, -1.0, SIDE_SIGN[side] * 0.6])
            builder.arm_to(side, wrist, pole)
        return builder.build()

    return Script(tl, posture, [], active)
