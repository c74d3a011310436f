"""Motion scripts for supine, quadruped and side-lying exercises."""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from formcheck.kinematics import joint_angle
from formcheck.synth.postures import PoseBuilder, alpha_of, landmark
from formcheck.synth.prone import hold_with_entry, scene_line_offset
from formcheck.synth.skeleton import SIDE_SIGN, SIDES, Body, Pose, rot_f
from formcheck.synth.timeline import (
    Rep,
    Request,
    Script,
    Timeline,
    pause_between,
    per_side_holds,
    rep,
)

_X = np.array([1.0, 0.0, 0.0])
_UP = np.array([0.0, 1.0, 0.0])


def _other(side: str) -> str:
    return "right" if side == "left" else "left"


def _knee_2d(hip: np.ndarray, ankle: np.ndarray, l1: float, l2: float) -> np.ndarray:
    """Planar two-link solution with the knee on the upper side of hip→ankle."""
    d = ankle - hip
    dist = float(np.clip(np.linalg.norm(d), abs(l1 - l2) + 1e-6, l1 + l2 - 1e-9))
    n = d / np.linalg.norm(d)
    along = (l1**2 - l2**2 + dist**2) / (2 * dist)
    normal = np.array([-n[1], n[0]])
    if normal[1] < 0:
        normal = -normal
    return hip + along * n + np.sqrt(max(l1**2 - along**2, 0.0)) * normal


def _signed_hip(shoulder: np.ndarray, hip: np.ndarray, knee: np.ndarray) -> float:
    """Hip angle (shoulder, hip, knee) measured through 180 when the hip rises above
    the shoulder–knee line (a back-bend reads e.g. 200)."""
    interior = float(joint_angle(shoulder * [1, -1], hip * [1, -1], knee * [1, -1]))
    above = scene_line_offset(hip, shoulder, knee) > 0
    return 360.0 - interior if above else interior


def _supine_base(body: Body) -> tuple[float, float]:
    k = body.height_m / 1.72
    return 0.1 * k, 0.11 * k


def supine(body: Body, hip_rise_m: float = 0.0) -> tuple[np.ndarray, float]:
    """Lying on the back, feet towards +X: the hip centre and the trunk direction angle."""
    shoulder_y, hip_y = _supine_base(body)
    hip_y += hip_rise_m
    eps = np.arcsin((hip_y - shoulder_y) / body.torso_m)
    hip = np.array([body.torso_m * np.cos(eps), hip_y, 0.0])
    return hip, float(np.degrees(eps)) - 90.0


def bridge(req: Request) -> Script:
    """Glute bridge with a top hold; faults ``backbend`` (hip ~12% above the
    shoulder–knee line), ``incomplete_lift`` (peak hip angle ~150) and
    ``short_hold`` (no pause at the top: ~1 s above 160)."""
    rng, body = req.rng, req.body
    k = body.height_m / 1.72
    shoulder_y, hip_rest_y = _supine_base(body)
    l_r, l_t, l_s = body.torso_m, body.thigh_m, body.shank_m
    ankle_y = body.ankle_height_m
    eps_top = np.arcsin((l_s + ankle_y - shoulder_y) / (l_r + l_t))
    ankle = np.array([(l_r + l_t) * np.cos(eps_top), ankle_y])
    eps_rest = np.arcsin((hip_rest_y - shoulder_y) / l_r)
    eps_grid = np.linspace(eps_rest, np.radians(62.0), 400)
    shoulder = np.array([0.0, shoulder_y])
    psi_list = []
    for eps in eps_grid:
        hip = shoulder + l_r * np.array([np.cos(eps), np.sin(eps)])
        psi_list.append(_signed_hip(shoulder, hip, _knee_2d(hip, ankle, l_t, l_s)))
    psi_grid = np.array(psi_list)
    if np.any(np.diff(psi_grid) <= 0):
        raise RuntimeError("bridge hip angle is not monotonic in the lift; check proportions")
    rest = float(psi_grid[0])

    tl = Timeline({"psi": rest})
    tl.wait(float(rng.uniform(1.0, 1.5)))
    reps: list[Rep] = []
    for i in range(req.reps):
        if req.fault == "backbend":
            top = float(rng.uniform(202.0, 205.0))
        elif req.fault == "incomplete_lift":
            top = float(rng.uniform(148.0, 152.0))
        else:
            top = float(rng.uniform(174.0, 179.0))
        short = req.fault == "short_hold"
        back = {"psi": rest + float(rng.uniform(0.0, 2.0))}
        reps.append(
            rep(
                tl,
                rng,
                {"psi": top},
                back,
                hold_s=(0.0, 0.15) if short else (2.6, 3.2),
                out_s=(0.8, 1.0) if short else (1.1, 1.5),
                back_s=(0.8, 1.0) if short else (0.9, 1.4),
            )
        )
        pause_between(tl, rng, i + 1, req.reps)
    tl.wait(1.0)

    def posture(c: dict[str, float]) -> Pose:
        psi = float(np.clip(c["psi"] + 0.4 * c["sway_a"], psi_grid[0], psi_grid[-1]))
        eps = float(np.interp(psi, psi_grid, eps_grid))
        hip = np.array([l_r * np.cos(eps), shoulder_y + l_r * np.sin(eps), 0.0])
        trunk = np.degrees(eps) - 90.0
        builder = PoseBuilder(body, hip, trunk)
        for side in SIDES:
            sign = SIDE_SIGN[side]
            foot = np.array([ankle[0], ankle[1], sign * body.hip_half_width_m])
            builder.leg_to(side, foot, np.array([0.2, 1.0, 0.0]), _X)
            wrist = np.array([0.5 * k, 0.04 * k, sign * (body.shoulder_half_width_m + 0.04 * k)])
            builder.arm_to(side, wrist, _UP, _X)
        builder.head(-92.0)
        return builder.build()

    return Script(tl, posture, reps, [(r.start_s, r.end_s) for r in reps])


def knee_to_chest(req: Request) -> Script:
    """Supine single knee to chest, left then right, held ``hold_s`` (hip angle ~50)."""
    rng, body = req.rng, req.body
    k = body.height_m / 1.72
    hip, trunk = supine(body)
    hip_y = hip[1]
    tl, active = per_side_holds(req, ease_out_s=(1.3, 1.8))
    hip_target = float(rng.uniform(46.0, 54.0))
    leg_len = body.thigh_m + body.shank_m
    flat = 90.0 - np.degrees(np.arcsin((hip_y - body.ankle_height_m - 0.035 * k) / leg_len))

    def posture(c: dict[str, float]) -> Pose:
        builder = PoseBuilder(body, hip, trunk)
        for side in SIDES:
            s = c[side]
            interior = (1 - s) * (360.0 + trunk - flat) + s * hip_target
            thigh = trunk + 360.0 - interior + 0.6 * s * c["sway_a"]
            knee = (1 - s) * 176.0 + s * 48.0
            shank = thigh - (180.0 - knee)
            builder.leg(side, thigh, shank, shank + 70.0)
        builder.head(-92.0)
        pose = builder.build()
        builder = PoseBuilder.from_pose(body, pose)
        bent = max(c["left"], c["right"])
        leg_side = "left" if c["left"] >= c["right"] else "right"
        reach = float(np.clip(1.6 * bent - 0.4, 0.0, 1.0))
        knee_xyz = landmark(body, pose, f"{leg_side}_knee")
        along = landmark(body, pose, f"{leg_side}_ankle") - knee_xyz
        for side in SIDES:
            sign = SIDE_SIGN[side]
            rest = np.array([0.5 * k, 0.04 * k, sign * (body.shoulder_half_width_m + 0.04 * k)])
            hold = knee_xyz + 0.2 * along + np.array([0.0, 0.0, sign * 0.05 * k])
            builder.arm_to(side, (1 - reach) * rest + reach * hold, np.array([0.0, -0.3, sign]))
        return builder.build()

    return Script(tl, posture, [], active)


def _quadruped(
    body: Body,
    *,
    tau: float,
    tilt: float,
    wrist_x: float,
    arm: dict[str, tuple[float, float]],
    leg: dict[str, tuple[float, float]],
    head: float,
    leg_reach: float = 1.0,
) -> Pose:
    """On hands and knees, knees at ``x = 0``.

    Args:
        tau: trunk elevation (hip→shoulder above horizontal), degrees.
        tilt: thigh lean from vertical (hips forward of the knees), degrees.
        wrist_x: where the supporting hands rest.
        arm: per side (progress, elevation): progress 0 supports, 1 reaches forward
            at ``elevation`` degrees (shoulder→wrist).
        leg: per side (progress, elevation) likewise, reaching back (hip→ankle).
        head: head direction relative to the trunk, degrees (positive looks up).
        leg_reach: hip→ankle distance of a reaching leg as a fraction of the leg
            length (below 1 the knee stays bent).
    """
    k = body.height_m / 1.72
    knee_y, wrist_y, ankle_y = 0.055 * k, 0.035 * k, 0.06 * k
    t, r = np.radians(tilt), np.radians(tau)
    hip = np.array([body.thigh_m * np.sin(t), knee_y + body.thigh_m * np.cos(t), 0.0])
    trunk = 90.0 + tau
    builder = PoseBuilder(body, hip, trunk)
    shoulder_c = hip + body.torso_m * np.array([np.cos(r), np.sin(r), 0.0])
    arm_len = body.upper_arm_m + body.forearm_m - 0.004
    leg_len = (body.thigh_m + body.shank_m) * leg_reach - 0.004
    for side in SIDES:
        sign = SIDE_SIGN[side]
        z_arm = sign * body.shoulder_half_width_m
        shoulder = shoulder_c + np.array([0.0, 0.0, z_arm])
        support = np.array([wrist_x, wrist_y, z_arm])
        s, elevation = arm[side]
        rest_vec = support - shoulder
        angle0 = np.arctan2(rest_vec[1], rest_vec[0])
        angle = (1 - s) * angle0 + s * np.radians(elevation)
        dist = (1 - s) * np.linalg.norm(rest_vec[:2]) + s * arm_len
        wrist = shoulder + dist * np.array([np.cos(angle), np.sin(angle), 0.0])
        reach = (wrist - shoulder) / np.linalg.norm(wrist - shoulder)
        hand = (1 - s) * np.array([1.0, -0.08, 0.0]) + s * reach
        builder.arm_to(side, wrist, (1 - s) * np.array([-1.0, 0.0, 0.0]) + s * -_UP, hand)

        z_leg = sign * body.hip_half_width_m
        hip_j = hip + np.array([0.0, 0.0, z_leg])
        knee = np.array([0.0, knee_y, z_leg])
        ankle0 = knee + np.array([-np.sqrt(body.shank_m**2 - (ankle_y - knee_y) ** 2), 0, 0])
        ankle0[1] = ankle_y
        s, elevation = leg[side]
        rest_vec = ankle0 - hip_j
        angle0 = np.mod(np.arctan2(rest_vec[1], rest_vec[0]), 2 * np.pi)
        angle = (1 - s) * angle0 + s * np.radians(180.0 - elevation)
        dist = (1 - s) * np.linalg.norm(rest_vec[:2]) + s * leg_len
        ankle = hip_j + dist * np.array([np.cos(angle), np.sin(angle), 0.0])
        pole = (1 - s) * (knee - 0.5 * (hip_j + ankle0)) + s * -_UP
        reach_foot = np.array([-0.2, -1.0, 0.0]) if leg_reach >= 1.0 else np.array([-1.0, -0.15, 0])
        foot = (1 - s) * np.array([-1.0, -0.1, 0.0]) + s * reach_foot
        builder.leg_to(side, ankle, pole, foot)
    builder.head(trunk + head)
    return builder.build()


def _quadruped_wrist_x(body: Body, tau: float) -> float:
    k = body.height_m / 1.72
    hip_y = 0.055 * k + body.thigh_m
    shoulder = np.array([body.torso_m * np.cos(np.radians(tau)), hip_y])
    shoulder[1] += body.torso_m * np.sin(np.radians(tau))
    chord = body.upper_arm_m + body.forearm_m - 0.012 * k
    return float(shoulder[0] + np.sqrt(chord**2 - (shoulder[1] - 0.035 * k) ** 2))


def bird_dog(req: Request) -> Script:
    """Bird dog alternating sides (a rep's side is the reaching arm; the opposite leg
    reaches back), each extension held ~2.5 s. Faults: ``arm_below_horizontal``
    (arm at ~-42°), ``leg_below_horizontal`` (leg at ~-36° with a bent knee:
    a straight leg cannot go lower without the foot touching the floor), ``trunk_tilt``
    (trunk elevation ~21°)."""
    rng, body = req.rng, req.body
    tau0 = 8.0
    wrist_x = _quadruped_wrist_x(body, tau0)
    tl = Timeline({"left": 0.0, "right": 0.0})
    tl.wait(float(rng.uniform(1.0, 1.5)))
    reps: list[Rep] = []
    targets: list[tuple[float, float]] = []
    for i in range(req.reps):
        side = SIDES[i % 2]
        arm_elev = -42.0 if req.fault == "arm_below_horizontal" else 0.0
        leg_elev = -36.0 if req.fault == "leg_below_horizontal" else 0.0
        targets.append((arm_elev + float(rng.uniform(-3, 3)), leg_elev + float(rng.uniform(-3, 3))))
        reps.append(
            rep(tl, rng, {side: 1.0}, {side: 0.0}, side=side, hold_s=(2.5, 3.0), out_s=(1.0, 1.4))
        )
        pause_between(tl, rng, i + 1, req.reps)
    tl.wait(1.0)
    drop = req.fault == "trunk_tilt"

    def posture(c: dict[str, float]) -> Pose:
        t = c["t_s"]
        idx = max([i for i, r in enumerate(reps) if r.start_s <= t] or [0])
        arm_elev, leg_elev = targets[idx]
        ext = max(c["left"], c["right"])
        arm = {side: (float(np.clip(1.25 * c[side], 0, 1)), arm_elev) for side in SIDES}
        leg = {
            side: (float(np.clip(1.25 * c[_other(side)] - 0.25, 0, 1)), leg_elev) for side in SIDES
        }
        return _quadruped(
            body,
            tau=tau0 + (21.0 * ext if drop else 0.0) + 0.8 * c["sway_a"],
            tilt=48.0 * ext if drop else 0.0,
            wrist_x=wrist_x,
            arm=arm,
            leg=leg,
            head=-5.0,
            leg_reach=0.8 if req.fault == "leg_below_horizontal" else 1.0,
        )

    return Script(tl, posture, reps, [(r.start_s, r.end_s) for r in reps])


def cat_cow(req: Request) -> Script:
    """Cat-cow on all fours: a cycle drops the head (cat) then lifts it (cow)."""
    rng, body = req.rng, req.body
    tau0 = 8.0
    wrist_x = _quadruped_wrist_x(body, tau0)
    tl = Timeline({"head": -5.0, "tau": tau0})
    tl.wait(float(rng.uniform(1.0, 1.5)))
    reps: list[Rep] = []
    for i in range(req.reps):
        start = tl.t
        tl.move(float(rng.uniform(1.4, 1.9)), head=float(rng.uniform(-62, -55)), tau=tau0 + 3)
        tl.wait(float(rng.uniform(0.4, 0.9)))
        tl.move(float(rng.uniform(1.8, 2.4)), head=float(rng.uniform(32, 40)), tau=tau0 - 2)
        tl.wait(float(rng.uniform(0.4, 0.9)))
        reps.append(Rep(start, tl.t))
        if i + 1 == req.reps:
            tl.move(1.2, head=-5.0, tau=tau0)
    tl.wait(1.0)
    rest = {side: (0.0, 0.0) for side in SIDES}

    def posture(c: dict[str, float]) -> Pose:
        return _quadruped(
            body, tau=c["tau"], tilt=0.0, wrist_x=wrist_x, arm=rest, leg=rest, head=c["head"]
        )

    return Script(tl, posture, reps, [(r.start_s, r.end_s) for r in reps])


def _side_plank_pose(body: Body, bend: float, head_sign: float) -> Pose:
    """Side plank on the lower forearm, front towards +X, head towards ``head_sign``·Z.

    ``bend`` (deg) tilts the trunk up from the leg line: positive lowers the hips.
    """
    k = body.height_m / 1.72
    h = np.array([0.0, 0.0, head_sign])
    leg_len = body.thigh_m + body.shank_m
    elbow_y, ankle_y = 0.05 * k, 0.055 * k

    def frame(gamma: float) -> np.ndarray:
        u = np.cos(gamma) * h + np.sin(gamma) * _UP
        r = np.cross(_X, u)
        return np.stack([_X, u, r], axis=1)

    down = "left" if frame(0.0)[1, 2] > 0 else "right"
    sign_down = SIDE_SIGN[down]
    up_sign = -sign_down  # +r points up when the left side is down

    def place(gamma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rot = frame(gamma)
        u, r = rot[:, 1], rot[:, 2]
        ankle_rel = sign_down * r * body.hip_half_width_m - u * leg_len
        hip = np.array([0.0, ankle_y - ankle_rel[1], 0.0])
        trunk = rot @ rot_f(up_sign * bend)
        shoulder = (
            hip
            + trunk[:, 1] * body.torso_m
            + sign_down * trunk[:, 2] * (body.shoulder_half_width_m)
        )
        return rot, hip, shoulder

    gamma = brentq(lambda g: place(g)[2][1] - (elbow_y + body.upper_arm_m), -0.2, 1.2, xtol=1e-10)
    rot, hip, shoulder = place(gamma)
    builder = PoseBuilder(body, hip, alpha_of(rot[:, 1]), rot)
    builder.angles["trunk_side"] = up_sign * bend
    elbow = shoulder - np.array([0.0, body.upper_arm_m, 0.0])
    builder.arm_to(down, elbow + _X * body.forearm_m, -_UP)
    top = _other(down)
    builder.arm_to(top, builder.shoulder_joint(top) + _UP * 0.5 * k, _X)
    return builder.build()


def _side_plank_offsets(body: Body, bend: float, head_sign: float) -> tuple[float, float]:
    """Body-line offsets (left, right) of the side plank seen from the front."""
    pose = _side_plank_pose(body, bend, head_sign)
    out = []
    for side in SIDES:
        zy = {n: landmark(body, pose, f"{side}_{n}")[[2, 1]] for n in ("hip", "shoulder", "ankle")}
        out.append(scene_line_offset(zy["hip"], zy["shoulder"], zy["ankle"]))
    return out[0], out[1]


def side_plank(req: Request) -> Script:
    """Side plank seen from the front, on the lower forearm; fault ``hip_sag``
    (offset ~-0.10). ``facing`` picks which way the head points in the image."""
    rng, body = req.rng, req.body
    head_sign = -1.0 if req.facing == "right" else 1.0
    bends = np.linspace(-15.0, 50.0, 131)
    offsets = np.array([_side_plank_offsets(body, float(b), head_sign) for b in bends])
    # The two sides differ (shoulders are wider than hips): a correct plank keeps
    # their mean at ~0, a sagging one puts even the less sagging side at ~-0.10.
    key = offsets.max(axis=1) if req.fault == "hip_sag" else offsets.mean(axis=1)
    order = np.argsort(key)

    def bend_for(offset: float) -> float:
        return float(np.interp(offset, key[order], bends[order]))

    target = float(rng.uniform(-0.105, -0.095)) if req.fault == "hip_sag" else 0.0
    tl, active = hold_with_entry(req, "offset", -0.2, target)

    def posture(c: dict[str, float]) -> Pose:
        return _side_plank_pose(body, bend_for(c["offset"] + 0.005 * c["sway_a"]), head_sign)

    return Script(tl, posture, [], active, view="front", handles_facing=True)
