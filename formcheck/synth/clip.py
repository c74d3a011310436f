"""Synthetic clips: a scripted performance seen by a camera, with exact truth.

``make_clip`` runs a motion script frame by frame through forward kinematics,
turns the body to face left or right, frames it with a camera and measures
the ground truth on the projected joints. ``pose_frames`` turns the clip into
the ``PoseFrame`` records a pose estimator would produce; ``perturb`` degrades
them like a real estimator (pixel jitter, dropped frames).

Visibility model of ``pose_frames``: a sided landmark deeper (further from the
camera) than its left/right counterpart by more than 5 cm is partly occluded
by the body and gets visibility 0.75; every other landmark gets 1.0.
Presence is 1.0 for all landmarks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from formcheck.kinematics import visible_side
from formcheck.landmarks import INDEX, MIRROR, NUM_LANDMARKS
from formcheck.specs import load_spec
from formcheck.synth.camera import Camera, frame_subject
from formcheck.synth.motions import MOTIONS
from formcheck.synth.skeleton import Body, forward_kinematics
from formcheck.synth.timeline import Request, Script, sway
from formcheck.synth.truth import (
    TRUTH_SCHEMA,
    count_reps,
    counted_reps,
    exercise_signals,
    find_faults,
    find_holds,
    joint_angles,
    rounded,
)
from formcheck.types import PoseFrame

VIEW_AZIMUTH_DEG: dict[str, float] = {
    "side": 0.0,
    "oblique": 30.0,
    "front_oblique": 55.0,
    "front": 90.0,
}
OCCLUDED_VISIBILITY = 0.75
OCCLUSION_DEPTH_M = 0.05


@dataclass(slots=True)
class SynthClip:
    """A synthetic performance with its camera and ground truth.

    Attributes:
        exercise: exercise id (docs/EXERCISES.md).
        fault: injected fault id, or None for a correct performance.
        t_s: (T,) frame times in seconds.
        joints3d: (T, 33, 3) landmark positions, scene metres (Y up, floor y = 0).
        camera: the camera that films the clip.
        truth: the JSON-serialisable ground truth (schema ``formcheck-truth/2``).
        body: body proportions.
        rig: per-frame extra geometry for the renderer: ``head_centre`` (T, 3),
            ``neck`` (T, 3), ``head_rot``/``trunk_rot``/``pelvis_rot`` (T, 3, 3).
        props: scene props (``wall_x``: the wall plane x, scene metres).
    """

    exercise: str
    fault: str | None
    t_s: np.ndarray
    joints3d: np.ndarray
    camera: Camera
    truth: dict[str, object]
    body: Body
    rig: dict[str, np.ndarray] = field(default_factory=dict)
    props: dict[str, float] = field(default_factory=dict)


def make_clip(
    exercise: str,
    fault: str | None = None,
    *,
    seed: int = 0,
    fps: float = 30.0,
    view: str | None = None,
    facing: str = "right",
    reps: int | None = None,
    hold_s: float | None = None,
    width: int = 640,
    height: int = 480,
    body: Body | None = None,
    camera_height_m: float | None = None,
    distance_m: float = 3.4,
    azimuth_deg: float | None = None,
) -> SynthClip:
    """Script, pose, film and measure one synthetic clip.

    Args:
        exercise: exercise id of docs/EXERCISES.md (see ``MOTIONS``).
        fault: a fault id the exercise supports, or None.
        seed: seed of the numpy Generator behind tempo, depth jitter and sway.
        fps: frame rate.
        view: "side", "oblique" (30° towards the front), "front_oblique" (55°) or
            "front"; defaults to the exercise's intended view.
        facing: "right" or "left": which way the person faces in the image
            (lying supine: where the feet point; side plank: where the head points).
        reps: repetitions (rep exercises); default per exercise.
        hold_s: hold duration (hold exercises and per-side stretches).
        width, height: image size in pixels.
        body: body proportions (default ``Body()``).
        camera_height_m: camera height; default about half the subject's height.
        distance_m: horizontal camera distance from the subject's centre.
        azimuth_deg: explicit camera azimuth, overriding ``view``.
    """
    if exercise not in MOTIONS:
        raise KeyError(f"unknown exercise {exercise!r}; known: {sorted(MOTIONS)}")
    motion = MOTIONS[exercise]
    if fault is not None and fault not in motion.faults:
        raise ValueError(f"{exercise} cannot perform fault {fault!r}; it can: {motion.faults}")
    if facing not in ("left", "right"):
        raise ValueError(f"facing must be 'left' or 'right', got {facing!r}")
    body = body or Body()
    rng = np.random.default_rng(seed)
    request = Request(
        body=body,
        fault=fault,
        rng=rng,
        reps=reps if reps is not None else motion.reps,
        hold_s=hold_s if hold_s is not None else motion.hold_s,
        facing=facing,
    )
    script = motion.script(request)
    n = int(np.floor(script.duration_s * fps)) + 1
    t_s = np.arange(n) / fps
    channels = script.timeline.sample(t_s)
    channels["sway_a"] = sway(rng, t_s)
    channels["sway_b"] = sway(rng, t_s)
    channels["t_s"] = t_s

    joints = np.empty((n, NUM_LANDMARKS, 3))
    rig = {name: np.empty((n, 3)) for name in ("head_centre", "neck")}
    rig |= {name: np.empty((n, 3, 3)) for name in ("head_rot", "trunk_rot", "pelvis_rot")}
    for i in range(n):
        skel = forward_kinematics(
            body, script.posture({k: float(v[i]) for k, v in channels.items()})
        )
        joints[i] = skel.landmarks
        rig["head_centre"][i], rig["neck"][i] = skel.head_centre, skel.neck
        rig["head_rot"][i], rig["trunk_rot"][i] = skel.head_rot, skel.trunk_rot
        rig["pelvis_rot"][i] = skel.pelvis_rot

    props = dict(script.props)
    view = view or script.view
    if view not in VIEW_AZIMUTH_DEG:
        raise ValueError(f"view must be one of {sorted(VIEW_AZIMUTH_DEG)}, got {view!r}")
    azimuth = VIEW_AZIMUTH_DEG[view] if azimuth_deg is None else azimuth_deg
    if facing == "left" and not script.handles_facing:
        turn = np.diag([-1.0, 1.0, -1.0])
        joints = joints @ turn
        rig["head_centre"] = rig["head_centre"] @ turn
        rig["neck"] = rig["neck"] @ turn
        for name in ("head_rot", "trunk_rot", "pelvis_rot"):
            rig[name] = turn @ rig[name]
        props = {k: -v if k.endswith("_x") else v for k, v in props.items()}
        azimuth = -azimuth
    top = float(joints[..., 1].max())
    camera = frame_subject(
        joints,
        width=width,
        height=height,
        azimuth_deg=azimuth,
        camera_height_m=camera_height_m if camera_height_m is not None else 0.2 + 0.45 * top,
        distance_m=distance_m,
    )
    clip = SynthClip(exercise, fault, t_s, joints, camera, {}, body, rig, props)
    clip.truth = _truth(clip, script, seed, fps, view, facing)
    return clip


def _visibility(clip: SynthClip) -> np.ndarray:
    depth = clip.camera.to_camera(clip.joints3d)[..., 2]
    mirror = np.array(MIRROR)
    deeper = depth - depth[:, mirror] > OCCLUSION_DEPTH_M
    return np.where(deeper, OCCLUDED_VISIBILITY, 1.0)


def _hip_mid(joints3d: np.ndarray) -> np.ndarray:
    return 0.5 * (joints3d[..., INDEX["left_hip"], :] + joints3d[..., INDEX["right_hip"], :])


def pose_frames(clip: SynthClip) -> list[PoseFrame]:
    """Exact landmarks of every frame, as a pose estimator would report them.

    ``image_xyz`` is the camera projection (normalised, y down; z relative to the
    hip midpoint in x's scale); ``world_xyz`` is hip-centred metres in camera
    axes (x right, y down, z away); visibility follows the module's model.
    """
    cam = clip.camera
    hips = _hip_mid(clip.joints3d)
    image = cam.project(clip.joints3d, hips)
    world = (clip.joints3d - hips[:, None, :]) @ cam.rotation.T
    vis = _visibility(clip)
    return [
        PoseFrame(i, float(t), cam.width, cam.height, image[i], world[i], vis[i], np.ones(33))
        for i, t in enumerate(clip.t_s)
    ]


def perturb(
    poses: list[PoseFrame], noise_px: float = 2.0, drop_rate: float = 0.05, seed: int = 1
) -> list[PoseFrame]:
    """Estimator-like degradation: Gaussian pixel jitter and dropped frames.

    Args:
        poses: exact pose frames.
        noise_px: standard deviation of the jitter added to x and y, in pixels
            (z and world coordinates get the same jitter scaled to their units).
        drop_rate: probability that a frame has no detection (``PoseFrame.empty``).
        seed: seed of the numpy Generator.
    """
    rng = np.random.default_rng(seed)
    out = []
    for p in poses:
        jitter = rng.normal(0.0, noise_px, (NUM_LANDMARKS, 3))
        if rng.random() < drop_rate or not p.detected:
            out.append(PoseFrame.empty(p.index, p.t_s, p.width, p.height))
            continue
        scale = np.array([p.width, p.height, p.width], dtype=np.float64)
        image = p.image_xyz + jitter / scale
        metres_per_px = _metres_per_px(p)
        world = p.world_xyz + jitter * metres_per_px
        out.append(
            PoseFrame(p.index, p.t_s, p.width, p.height, image, world, p.visibility, p.presence)
        )
    return out


def _metres_per_px(p: PoseFrame) -> float:
    """Scale between world metres and pixels from the shoulder–hip segments."""
    a, b = INDEX["left_shoulder"], INDEX["left_hip"]
    px = np.linalg.norm(p.pixel_xy()[a] - p.pixel_xy()[b])
    m = np.linalg.norm(p.world_xyz[a] - p.world_xyz[b])
    return float(m / px) if px > 0 else 0.0


def _truth(
    clip: SynthClip, script: Script, seed: int, fps: float, view: str, facing: str
) -> dict[str, object]:
    px = clip.camera.project_px(clip.joints3d)
    vis = _visibility(clip)
    depth = clip.camera.to_camera(clip.joints3d)[..., 2]
    side = visible_side(vis, depth)
    sig = exercise_signals(clip.exercise, px, clip.joints3d, side)
    holds = find_holds(clip.exercise, sig, clip.t_s)
    counted = counted_reps(clip.exercise, sig, clip.t_s, script.reps)
    spec = load_spec(clip.exercise)
    faults = find_faults(spec, sig, clip.t_s, script.reps, script.active)
    angles: dict[str, list[float | None]] = {"t_s": rounded(clip.t_s, 6)}
    angles |= {name: rounded(v) for name, v in joint_angles(px).items()}
    return {
        "schema": TRUTH_SCHEMA,
        "exercise": clip.exercise,
        "fault": clip.fault,
        "seed": seed,
        "fps": fps,
        "frames": len(clip.t_s),
        "width": clip.camera.width,
        "height": clip.camera.height,
        "view": view,
        "facing": facing,
        "near_side": side,
        "camera": clip.camera.as_dict(),
        "body": clip.body.as_dict(),
        "reps": count_reps(counted),
        "rep_intervals": [
            {"start_s": round(r.start_s, 4), "end_s": round(r.end_s, 4), "side": r.side}
            for r in counted
        ],
        "attempts": [
            {
                "start_s": round(r.start_s, 4),
                "end_s": round(r.end_s, 4),
                "side": r.side,
                "counted": r in counted,
            }
            for r in script.reps
        ],
        "active": [{"start_s": round(a, 4), "end_s": round(b, 4)} for a, b in script.active],
        "holds": [
            {k: round(v, 4) if isinstance(v, float) else v for k, v in h.items()} for h in holds
        ],
        "faults": [
            {k: round(v, 4) if isinstance(v, float) else v for k, v in f.items()} for f in faults
        ],
        "angles": angles,
        "signals": {name: rounded(v) for name, v in sig.items()},
    }
