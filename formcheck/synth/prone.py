"""Motion scripts for prone support exercises: push-up, plank, shoulder taps, press-up.

The body is posed relative to its own line, then pitched about the floor so
toes and hands (or elbows) touch the floor; a few fixed-point iterations make
the world-referenced arm directions consistent with the final body pitch.
"""

from __future__ import annotations

import functools

import numpy as np

from formcheck.kinematics import line_offset
from formcheck.landmarks import INDEX
from formcheck.synth.postures import PoseBuilder, alpha_of, landmark, levelled
from formcheck.synth.skeleton import SIDE_SIGN, SIDES, Body, Pose
from formcheck.synth.timeline import Rep, Request, Script, Timeline, pause_between, rep

_FLIP = np.array([1.0, -1.0])


def scene_line_offset(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """``formcheck.kinematics.line_offset`` for scene points (y up) seen from the side."""
    return float(line_offset(p[:2] * _FLIP, a[:2] * _FLIP, b[:2] * _FLIP))


@functools.lru_cache(maxsize=16)
def _bend_table(body: Body) -> tuple[np.ndarray, np.ndarray]:
    bends = np.linspace(-45.0, 45.0, 181)
    rad = np.radians(bends)
    leg = body.thigh_m + body.shank_m
    ankle = leg * np.stack([-np.cos(rad), np.sin(rad)], axis=-1)  # y down, as in images
    shoulder = np.array([body.torso_m, 0.0])
    offsets = line_offset(np.zeros(2), shoulder, ankle)
    order = np.argsort(offsets)
    return offsets[order], bends[order]


def leg_bend_for_offset(body: Body, offset: float) -> float:
    """Angle (deg) the legs drop below the trunk line so the hip sits ``offset``
    (fraction of the shoulder–ankle distance) above that line: negative sags."""
    offsets, bends = _bend_table(body)
    return float(np.interp(offset, offsets, bends))


def prone_support(
    body: Body,
    *,
    offset: float,
    elbow_flex: float,
    forearm: float,
    support: str = "hands",
    wrist_x: float | None = None,
) -> Pose:
    """A plank-like pose on the toes and the hands (or forearms).

    Args:
        body: body proportions.
        offset: hip offset from the shoulder–ankle line (negative = sag).
        elbow_flex: elbow flexion in degrees.
        forearm: direction angle of the forearm (elbow→wrist); 0 is vertical,
            90 points forward along the floor. Adjusted when ``wrist_x`` is set.
        support: "hands" (wrists on the floor) or "forearms" (elbows on the floor).
        wrist_x: keep the wrist at this x (hands do not slide) by solving the
            forearm direction.

    Returns:
        The pose with the toes at ``x = 0`` on the floor.
    """
    k = body.height_m / 1.72
    bend = leg_bend_for_offset(body, offset)
    contact, height = ("wrist", 0.035 * k) if support == "hands" else ("elbow", 0.05 * k)
    beta = 12.0
    pose = None
    for _ in range(6):
        trunk = 90.0 + beta
        builder = PoseBuilder(body, np.zeros(3), trunk)
        thigh = -90.0 + beta + bend
        for side in SIDES:
            builder.leg(side, thigh, thigh - 3.0, 18.0)
            builder.arm(side, forearm - elbow_flex, forearm)
            builder.angles[f"{side}_wrist_flex"] = 90.0 - forearm
        builder.head(trunk - 8.0)
        pose, points = levelled(
            body, builder.build(), "left_foot_index", (0.0, 0.012 * k), f"left_{contact}", height
        )
        beta = alpha_of(pose.pelvis_rot[:, 1]) - 90.0
        if wrist_x is not None:
            error = wrist_x - points[INDEX["left_wrist"]][0]
            forearm += float(np.degrees(error / body.forearm_m))
    assert pose is not None
    return pose


def _tap(body: Body, pose: Pose, side: str, progress: float) -> Pose:
    """Lift the ``side`` hand from the floor to the opposite shoulder (progress 0..1)."""
    if progress <= 0.0:
        return pose
    k = body.height_m / 1.72
    sign = SIDE_SIGN[side]
    other = "right" if side == "left" else "left"
    floor = landmark(body, pose, f"{side}_wrist")
    # on the front of the shoulder (towards the head), outside the body, not inside the joint
    target = landmark(body, pose, f"{other}_shoulder") + k * np.array([0.075, -0.02, 0.03 * sign])
    wrist = (1.0 - progress) * floor + progress * target
    wrist[1] += 0.1 * k * np.sin(np.pi * progress)
    builder = PoseBuilder.from_pose(body, pose)
    builder.arm_to(side, wrist, np.array([-0.2, -0.6, sign]))
    builder.angles[f"{side}_wrist_flex"] = (1.0 - progress) * builder.angles[f"{side}_wrist_flex"]
    return builder.build()


def hold_with_entry(
    req: Request, channel: str, down: float, up: float
) -> tuple[Timeline, list[tuple[float, float]]]:
    """Lie down, lift into the hold, hold ``req.hold_s``, lower: a one-hold timeline."""
    rng = req.rng
    tl = Timeline({channel: down})
    tl.wait(float(rng.uniform(0.8, 1.4)))
    tl.move(float(rng.uniform(1.0, 1.5)), **{channel: up})
    start = tl.t
    tl.wait(req.hold_s)
    end = tl.t
    tl.move(float(rng.uniform(1.0, 1.4)), **{channel: down})
    tl.wait(1.0)
    return tl, [(start, end)]


def _plank_offset(req: Request) -> float:
    if req.fault == "hip_sag":
        return float(req.rng.uniform(-0.105, -0.095))
    if req.fault == "hip_pike":
        return float(req.rng.uniform(0.11, 0.12))
    return float(req.rng.uniform(-0.005, 0.015))


def plank(req: Request) -> Script:
    """Forearm plank held ``hold_s``; faults ``hip_sag`` (offset ~-0.10), ``hip_pike`` (~0.115)."""
    body = req.body
    tl, active = hold_with_entry(req, "offset", -0.2, _plank_offset(req))

    def posture(c: dict[str, float]) -> Pose:
        return prone_support(
            body,
            offset=c["offset"] + 0.006 * c["sway_a"],
            elbow_flex=90.0,
            forearm=90.0,
            support="forearms",
        )

    return Script(tl, posture, [], active)


def plank_shoulder_taps(req: Request) -> Script:
    """High plank with alternating shoulder taps (left hand first), filmed from the
    front-diagonal (before the head, 35° round to the side) so both hands are seen;
    hips level and still."""
    rng, body = req.rng, req.body
    offset = _plank_offset(req)
    tl = Timeline({"offset": -0.2, "left": 0.0, "right": 0.0})
    tl.wait(float(rng.uniform(0.8, 1.2)))
    tl.move(float(rng.uniform(1.0, 1.4)), offset=offset)
    start = tl.t
    tl.wait(float(rng.uniform(0.5, 1.0)))
    reps: list[Rep] = []
    for i in range(req.reps):
        side = SIDES[i % 2]
        reps.append(
            rep(tl, rng, {side: 1.0}, {side: 0.0}, side=side, out_s=(0.5, 0.8), back_s=(0.5, 0.8))
        )
        pause_between(tl, rng, i + 1, req.reps)
    tl.wait(float(rng.uniform(0.5, 1.0)))
    end = tl.t
    tl.move(float(rng.uniform(1.0, 1.4)), offset=-0.2)
    tl.wait(1.0)
    wrist_x = landmark(
        body, prone_support(body, offset=0.0, elbow_flex=4.0, forearm=2.0), "left_wrist"
    )[0]

    def posture(c: dict[str, float]) -> Pose:
        pose = prone_support(
            body,
            offset=c["offset"] + 0.006 * c["sway_a"],
            elbow_flex=4.0,
            forearm=2.0,
            wrist_x=wrist_x,
        )
        for side in SIDES:
            pose = _tap(body, pose, side, c[side])
        return pose

    return Script(tl, posture, reps, [(start, end)], view="front_oblique")


def push_up(req: Request) -> Script:
    """Push-ups to an elbow angle of ~80; fault ``hip_sag`` (offset ~-0.10)."""
    rng, body = req.rng, req.body
    offset = float(rng.uniform(-0.105, -0.095)) if req.fault == "hip_sag" else 0.005
    tl = Timeline({"elbow": 175.0})
    tl.wait(float(rng.uniform(1.0, 1.5)))
    reps: list[Rep] = []
    for i in range(req.reps):
        bottom = float(rng.uniform(74.0, 86.0))
        reps.append(rep(tl, rng, {"elbow": bottom}, {"elbow": float(rng.uniform(172, 177))}))
        pause_between(tl, rng, i + 1, req.reps)
    tl.wait(1.0)
    wrist_x = landmark(
        body, prone_support(body, offset=offset, elbow_flex=5.0, forearm=3.0), "left_wrist"
    )[0]

    def posture(c: dict[str, float]) -> Pose:
        return prone_support(
            body,
            offset=offset + 0.005 * c["sway_a"],
            elbow_flex=180.0 - c["elbow"],
            forearm=3.0,
            wrist_x=wrist_x,
        )

    return Script(tl, posture, reps, [(r.start_s, r.end_s) for r in reps])


def prone_press_up(req: Request) -> Script:
    """Prone press-up: hips stay down, trunk rises to ~36° and holds 10-10.6 s (the
    handout's 10 s); fault ``short_hold`` lowers after 1.8-2.6 s."""
    rng, body = req.rng, req.body
    k = body.height_m / 1.72
    hold_s = (1.8, 2.6) if req.fault == "short_hold" else (10.0, 10.6)
    tl = Timeline({"trunk": 2.0})
    tl.wait(float(rng.uniform(1.0, 1.5)))
    reps: list[Rep] = []
    for i in range(req.reps):
        top = float(rng.uniform(32.0, 40.0))
        reps.append(
            rep(tl, rng, {"trunk": top}, {"trunk": float(rng.uniform(1.0, 3.0))}, hold_s=hold_s)
        )
        pause_between(tl, rng, i + 1, req.reps)
    tl.wait(1.0)
    hip = np.array([0.0, 0.1 * k, 0.0])
    ankle_y = 0.075 * k
    rest_shoulder_x = body.torso_m

    def posture(c: dict[str, float]) -> Pose:
        lift = c["trunk"] + 0.5 * c["sway_a"]
        trunk = 90.0 + lift
        builder = PoseBuilder(body, hip, trunk)
        for side in SIDES:
            z = SIDE_SIGN[side] * body.hip_half_width_m
            leg = body.thigh_m + body.shank_m - 0.004
            drop = np.degrees(np.arcsin((hip[1] - ankle_y) / leg))
            ankle = hip + np.array([-leg * np.cos(np.radians(drop)), ankle_y - hip[1], z])
            builder.leg_to(side, ankle, np.array([0.0, -1.0, 0.0]), np.array([-1.0, -0.15, 0.0]))
            wrist = np.array([rest_shoulder_x - 0.02 * k, 0.035 * k, SIDE_SIGN[side] * 0.22 * k])
            builder.arm_to(
                side, wrist, np.array([-1.0, 0.8, SIDE_SIGN[side] * 0.5]), np.array([1.0, -0.1, 0])
            )
        builder.head(trunk + 0.5 * lift)
        return builder.build()

    return Script(tl, posture, reps, [(r.start_s, r.end_s) for r in reps])
