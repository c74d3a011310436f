"""Engine tests on hand-made signal and pose sequences with known answers."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from formcheck.engine import Engine, analyze_poses
from formcheck.engine.faults import FaultTracker
from formcheck.engine.holds import HoldTimer
from formcheck.engine.reps import RepCounter
from formcheck.landmarks import INDEX, LANDMARK_NAMES
from formcheck.specs import FaultRule, RepRule, load_spec
from formcheck.specs.schema import Condition
from formcheck.types import PoseFrame

FPS = 30.0
DT = 1.0 / FPS

SQUAT_RULE = RepRule(signal="knee", peak="low", enter=120.0, exit=125.0, rest=160.0, min_rom=40.0)


def times(duration_s: float) -> np.ndarray:
    return np.arange(round(duration_s * FPS)) * DT


def squat_wave(t: np.ndarray, reps: int, period_s: float = 3.0, start_s: float = 1.0) -> np.ndarray:
    """Knee angle: standing at 175°, ``reps`` smooth dips to 90°."""
    phase = np.clip(t - start_s, 0.0, reps * period_s)
    return 175.0 - 42.5 * (1.0 - np.cos(2.0 * np.pi * phase / period_s))


def run_counter(rule: RepRule, t: np.ndarray, values: np.ndarray, gap_grace_s: float = 1.0):
    counter = RepCounter(rule, gap_grace_s)
    attempts = [a for ti, v in zip(t, values, strict=True) if (a := counter.update(ti, v))]
    return counter, attempts


# ---------------------------------------------------------------- rep counting
def test_reps_empty_input_counts_nothing():
    counter, attempts = run_counter(SQUAT_RULE, np.array([]), np.array([]))
    assert counter.count == 0 and attempts == []


def test_reps_exact_count_and_metrics():
    t = times(18.0)
    counter, attempts = run_counter(SQUAT_RULE, t, squat_wave(t, 5))
    assert counter.count == 5
    assert all(a.counted for a in attempts)
    assert [round(a.peak, 3) for a in attempts] == [90.0] * 5
    assert all(abs(a.rom - 85.0) < 1e-9 for a in attempts)
    first = attempts[0]
    # 175 - 42.5 (1 - cos x) crosses the rest threshold 160 at x = acos(1 - 15 / 42.5)
    crossing_s = 3.0 * math.acos(1.0 - 15.0 / 42.5) / (2.0 * math.pi)
    assert first.start_s == pytest.approx(1.0 + crossing_s, abs=DT)
    assert first.end_s == pytest.approx(4.0 - crossing_s, abs=DT)
    assert first.outbound_s + first.hold_s + first.return_s == pytest.approx(
        first.end_s - first.start_s
    )


def test_reps_noise_and_jitter_make_no_phantom_counts():
    rng = np.random.default_rng(3)
    t = times(18.0)
    noisy = squat_wave(t, 5) + rng.uniform(-2.0, 2.0, t.size)  # peak-to-peak < band (5°)
    counter, _ = run_counter(SQUAT_RULE, t, noisy)
    assert counter.count == 5
    # standing still, jittering across the rest threshold: no rep
    still = 160.0 + rng.uniform(-3.0, 3.0, t.size)
    counter, attempts = run_counter(SQUAT_RULE, t, still)
    assert counter.count == 0 and not any(a.counted for a in attempts)
    # hovering at the bottom across the enter threshold: one rep, not several
    hover = np.concatenate(
        [np.full(30, 175.0), 121.0 + rng.uniform(-3, 3, 120), np.full(30, 175.0)]
    )
    counter, _ = run_counter(SQUAT_RULE, times(6.0), hover)
    assert counter.count == 1


def test_reps_need_min_rom_and_duration():
    t = times(10.0)
    narrow = dataclasses.replace(SQUAT_RULE, min_rom=100.0)
    counter, attempts = run_counter(narrow, t, squat_wave(t, 3))
    assert counter.count == 0 and len(attempts) == 3 and all(a.reached_peak for a in attempts)
    quick = dataclasses.replace(SQUAT_RULE, min_rep_s=2.5)
    counter, _ = run_counter(quick, t, squat_wave(t, 3))
    assert counter.count == 0


def test_reps_partial_attempt_is_reported_not_counted():
    t = times(4.0)
    dip = 175.0 - 26.5 * (1.0 - np.cos(2.0 * np.pi * np.clip(t - 1.0, 0.0, 2.0) / 2.0))
    counter, attempts = run_counter(SQUAT_RULE, t, dip)  # bottom at 122°: misses enter (120°)
    assert counter.count == 0
    assert len(attempts) == 1 and not attempts[0].reached_peak
    assert attempts[0].peak == pytest.approx(122.0, abs=0.1)


@pytest.mark.parametrize(("gap_s", "expected"), [(0.5, 5), (2.0, 4)])
def test_reps_nan_gap_within_grace_keeps_the_rep(gap_s, expected):
    t = times(18.0)
    values = squat_wave(t, 5)
    gap = (t >= 2.0) & (t < 2.0 + gap_s)  # in the middle of the first rep
    values[gap] = np.nan
    counter, _ = run_counter(SQUAT_RULE, t, values, gap_grace_s=1.0)
    assert counter.count == expected


# ---------------------------------------------------------------------- holds
def run_hold(flags: list[bool | None], grace_s: float = 1.0, min_s: float = 1.0):
    timer = HoldTimer(grace_s, min_s)
    holds = [h for i, f in enumerate(flags) if (h := timer.update(i * DT, f))]
    if (last := timer.close()) is not None:
        holds.append(last)
    return holds


def test_hold_duration_is_first_to_last_in_band_frame():
    holds = run_hold([False] * 30 + [True] * 301 + [False] * 60)
    assert len(holds) == 1
    assert holds[0].start_s == pytest.approx(1.0)
    assert holds[0].duration_s == pytest.approx(10.0)


def test_hold_wobble_within_grace_is_bridged_but_not_counted():
    holds = run_hold([True] * 150 + [False] * 15 + [True] * 151)
    assert len(holds) == 1
    assert holds[0].end_s - holds[0].start_s == pytest.approx(315 * DT)
    assert holds[0].duration_s == pytest.approx(300 * DT)


def test_hold_unseen_frames_within_grace_count_as_held():
    holds = run_hold([True] * 150 + [None] * 15 + [True] * 151)
    assert len(holds) == 1 and holds[0].duration_s == pytest.approx(315 * DT)


def test_hold_long_break_splits_and_short_holds_are_dropped():
    holds = run_hold([True] * 150 + [False] * 60 + [True] * 151 + [False] * 40 + [True] * 10)
    assert [round(h.duration_s, 6) for h in holds] == [round(149 * DT, 6), round(150 * DT, 6)]


# --------------------------------------------------------------------- faults
SAG = FaultRule(
    id="hip_sag",
    cue="Lift your hips.",
    when=(Condition(op="<", value=-0.05, signal="hip_line"),),
    min_duration_s=0.5,
    clear_s=0.3,
)


def run_fault(flags: list[bool | None], rule: FaultRule = SAG):
    tracker = FaultTracker(rule, gap_grace_s=1.0)
    spans, starts = [], []
    for i, flag in enumerate(flags):
        ended, started = tracker.update(i * DT, flag, "left")
        if started:
            starts.append(i * DT)
        if ended:
            spans.append(ended)
    if (last := tracker.close()) is not None:
        spans.append(last)
    return spans, starts


def test_fault_needs_persistence_and_spans_the_offending_frames():
    spans, starts = run_fault([False] * 30 + [True] * 60 + [False] * 30)
    assert len(spans) == 1
    assert spans[0].start_s == pytest.approx(1.0) and spans[0].end_s == pytest.approx(89 * DT)
    assert starts == [pytest.approx(1.5)]
    spans, _ = run_fault([False] * 30 + [True] * 14 + [False] * 30)  # 0.47 s < 0.5 s
    assert spans == []


def test_fault_is_not_started_or_cleared_by_unknown_frames():
    spans, _ = run_fault([None] * 90)
    assert spans == []
    spans, _ = run_fault([True] * 30 + [None] * 10 + [True] * 30 + [False] * 20)
    assert len(spans) == 1 and spans[0].end_s == pytest.approx(69 * DT)


# --------------------------------------------------------------- pose builder
def make_pose(i: int, parts: dict[str, np.ndarray], *, width: int = 1000) -> PoseFrame:
    """A pose whose left and right landmarks coincide (a side view), except for
    full names given in ``parts`` (``"left_wrist"``). Unlisted parts sit at the head."""
    head = parts["shoulder"] + np.array([0.05, -0.1])
    xyz = np.zeros((33, 3))
    for name in LANDMARK_NAMES:
        part = name.removeprefix("left_").removeprefix("right_")
        xyz[INDEX[name], :2] = parts.get(name, parts.get(part, head))
    xyz[INDEX["nose"], 0] += 0.03  # facing right
    return PoseFrame(i, i * DT, width, 1000, xyz, xyz.copy(), np.ones(33), np.ones(33))


def standing_parts(knee_deg: float, trunk_deg: float = 0.0) -> dict[str, np.ndarray]:
    """Side view facing right: ankle fixed, shin and thigh tilted symmetrically."""
    half = np.radians((180.0 - knee_deg) / 2.0)
    ankle = np.array([0.5, 0.9])
    knee = ankle + 0.2 * np.array([np.sin(half), -np.cos(half)])
    hip = knee + 0.2 * np.array([-np.sin(half), -np.cos(half)])
    lean = np.radians(trunk_deg)
    shoulder = hip + 0.25 * np.array([np.sin(lean), -np.cos(lean)])
    return {
        "ankle": ankle,
        "heel": ankle + np.array([-0.03, 0.02]),
        "foot_index": ankle + np.array([0.08, 0.02]),
        "knee": knee,
        "hip": hip,
        "shoulder": shoulder,
        "elbow": shoulder + np.array([0.0, 0.12]),
        "wrist": shoulder + np.array([0.05, 0.2]),
    }


def squat_poses(knees: np.ndarray) -> list[PoseFrame]:
    return [make_pose(i, standing_parts(k)) for i, k in enumerate(knees)]


# ------------------------------------------------------------- engine (poses)
def test_engine_counts_squats_and_reports_metrics():
    t = times(18.0)
    result = analyze_poses(load_spec("squat"), squat_poses(squat_wave(t, 5)))
    assert result.reps_total == 5 and (result.reps_left, result.reps_right) == (None, None)
    assert [rep.index for rep in result.reps] == [1, 2, 3, 4, 5]
    assert all(rep.peak == pytest.approx(90.0, abs=0.01) for rep in result.reps)
    assert all(rep.good for rep in result.reps) and result.faults == ()
    assert result.signals["knee"].shape == result.t_s.shape == t.shape
    assert result.warnings == ()
    assert [s.state for s in result.states] == ["exercising"]


def test_engine_online_and_offline_agree():
    poses = squat_poses(squat_wave(times(12.0), 3))
    engine = Engine(load_spec("squat"))
    events = [event for pose in poses for event in engine.update(pose)]
    online = engine.finish()
    offline = analyze_poses(load_spec("squat"), poses)
    assert [e.t_s for e in events if e.kind == "rep"] == [r.end_s for r in offline.reps]
    assert online.reps == offline.reps and online.states == offline.states
    assert engine.status.reps_total == 3


def test_engine_dropped_frames_and_noise_do_not_change_the_count():
    rng = np.random.default_rng(7)
    t = times(18.0)
    poses = squat_poses(squat_wave(t, 5) + rng.normal(0.0, 0.7, t.size))
    for i in rng.choice(len(poses), size=len(poses) // 20, replace=False):
        poses[i] = PoseFrame.empty(i, i * DT, 1000, 1000)
    result = analyze_poses(load_spec("squat"), poses)
    assert result.reps_total == 5
    assert [s.state for s in result.states] == ["exercising"]  # single drops never leave


def test_engine_states_no_person_then_exercising_then_resting():
    t = times(20.0)
    poses = squat_poses(squat_wave(t, 2))
    poses[:30] = [PoseFrame.empty(i, i * DT, 1000, 1000) for i in range(30)]
    result = analyze_poses(load_spec("squat"), poses)
    spans = [(s.state, round(s.start_s, 3)) for s in result.states]
    assert spans[0] == ("no_person", 0.0)
    assert spans[1] == ("exercising", 1.0)
    # back past the rest threshold before 7.0 s (as in test_reps_exact_count_and_metrics);
    # resting 5 s after the last rep frame
    rest = load_spec("squat").reps.rest
    crossing_s = 3.0 * math.acos(1.0 - (175.0 - rest) / 42.5) / (2.0 * math.pi)
    assert spans[2][0] == "resting" and spans[2][1] == pytest.approx(12.0 - crossing_s, abs=DT)
    assert result.warnings == ("no person detected in 5% of frames",)


def front_view_squat_poses(knees: np.ndarray) -> list[PoseFrame]:
    poses = []
    for i, k in enumerate(knees):
        parts = standing_parts(k)
        for part in ("shoulder", "hip"):  # a front view: the two sides far apart
            parts[f"left_{part}"] = parts[part] + np.array([0.08, 0.0])
            parts[f"right_{part}"] = parts[part] - np.array([0.08, 0.0])
        poses.append(make_pose(i, parts))
    return poses


def with_space(spec, space: str):
    signals = {n: dataclasses.replace(s, space=space) for n, s in spec.signals.items()}
    return dataclasses.replace(spec, signals=signals)


def test_engine_wrong_view_means_positioning_and_a_warning():
    poses = front_view_squat_poses(squat_wave(times(12.0), 3))
    result = analyze_poses(with_space(load_spec("squat"), "image"), poses)
    assert result.reps_total == 0
    assert [s.state for s in result.states] == ["positioning"]
    assert result.warnings == ("camera is not side-on in 100% of frames",)


def test_engine_world_space_signal_is_counted_in_any_view_with_a_warning():
    # make_pose's world coordinates equal its image ones: the same knee angles
    poses = front_view_squat_poses(squat_wave(times(12.0), 3))
    result = analyze_poses(with_space(load_spec("squat"), "world"), poses)
    assert result.reps_total == 3
    assert [s.state for s in result.states] == ["exercising"]
    assert result.warnings == ("camera is not side-on in 100% of frames",)


def pushup_parts(elbow_deg: float) -> dict[str, np.ndarray]:
    """A push-up seen side-on facing right: the shoulder-wrist line is vertical and
    the elbow points back, so the elbow angle is ``elbow_deg``."""
    wrist = np.array([0.3, 0.8])
    upper, fore = 0.15, 0.15
    half = np.radians((180.0 - elbow_deg) / 2.0)
    elbow = wrist + fore * np.array([np.sin(half), -np.cos(half)])
    shoulder = elbow + upper * np.array([-np.sin(half), -np.cos(half)])
    hip = shoulder + np.array([0.3, 0.08])
    return {
        "wrist": wrist,
        "elbow": elbow,
        "shoulder": shoulder,
        "hip": hip,
        "knee": hip + np.array([0.25, 0.06]),
        "ankle": hip + np.array([0.5, 0.12]),
    }


def test_engine_counts_from_the_primary_signal_when_a_fault_landmark_is_unseen():
    # feet out of frame: the hip-sag line cannot be drawn, the elbow can still count
    t = times(12.0)
    elbows = 170.0 - 40.0 * (1.0 - np.cos(2.0 * np.pi * np.clip(t - 1.0, 0.0, 9.0) / 3.0))
    poses = [make_pose(i, pushup_parts(e)) for i, e in enumerate(elbows)]
    for pose in poses:
        for name in ("left_ankle", "right_ankle"):
            pose.image_xyz[INDEX[name], 0] = 1.2
            pose.visibility[INDEX[name]] = 0.2
    result = analyze_poses(load_spec("push_up"), poses)
    assert result.reps_total == 3
    assert [s.state for s in result.states] == ["exercising"]
    assert result.faults == ()
    assert np.all(np.isnan(result.signals["hip_line"]))
    assert result.warnings == tuple(
        f"{fault} not checked in 100% of exercising frames (a landmark it needs was not visible)"
        for fault in ("hip_sag", "hip_pike")
    )


def test_engine_positioning_when_a_primary_landmark_is_out_of_frame():
    t = times(12.0)
    elbows = 170.0 - 40.0 * (1.0 - np.cos(2.0 * np.pi * np.clip(t - 1.0, 0.0, 9.0) / 3.0))
    poses = [make_pose(i, pushup_parts(e)) for i, e in enumerate(elbows)]
    for pose in poses:
        for name in ("left_wrist", "right_wrist"):
            pose.image_xyz[INDEX[name], 1] = 1.05  # confidently guessed below the picture
    result = analyze_poses(load_spec("push_up"), poses)
    assert result.reps_total == 0
    assert [s.state for s in result.states] == ["positioning"]


def test_engine_nan_landmark_gives_nan_signal_and_not_visible_warning():
    poses = squat_poses(squat_wave(times(4.0), 1))
    for pose in poses[:60]:
        pose.visibility[INDEX["left_knee"]] = pose.visibility[INDEX["right_knee"]] = 0.1
    result = analyze_poses(load_spec("squat"), poses, side="left")
    assert np.all(np.isnan(result.signals["knee"][:60]))
    assert not np.any(np.isnan(result.signals["knee"][60:]))
    assert result.warnings == ("person not fully visible in 50% of frames",)


def wall_squat_poses(knees: np.ndarray) -> list[PoseFrame]:
    # back against the wall: trunk upright, feet forward so knees stay behind toes
    return squat_poses(knees)


def test_engine_hold_duration_and_target():
    knees = np.concatenate([np.full(30, 175.0), np.full(301, 90.0), np.full(30, 175.0)])
    result = analyze_poses(load_spec("wall_squat"), wall_squat_poses(knees))
    assert len(result.holds) == 1
    hold = result.holds[0]
    assert (hold.start_s, hold.duration_s) == (pytest.approx(1.0), pytest.approx(10.0))
    assert hold.target_met is False and result.targets.met is False
    knees = np.concatenate([np.full(30, 175.0), np.full(931, 90.0)])
    result = analyze_poses(load_spec("wall_squat"), wall_squat_poses(knees))
    assert result.holds[0].duration_s == pytest.approx(31.0) and result.targets.met is True
    assert result.states[-1].state == "set_complete"


def test_engine_fault_time_range_and_cue_throttling():
    knees = np.concatenate(
        [np.full(30, 175.0), np.full(90, 130.0), np.full(30, 175.0), np.full(90, 130.0)]
    )
    engine = Engine(load_spec("wall_squat"))
    events = [
        e for i, k in enumerate(knees) for e in engine.update(make_pose(i, standing_parts(k)))
    ]
    result = engine.finish()
    assert [(f.id, f.start_s, f.end_s) for f in result.faults] == [
        ("too_shallow", pytest.approx(1.0), pytest.approx(119 * DT)),
        ("too_shallow", pytest.approx(5.0), pytest.approx(239 * DT)),
    ]
    starts = [e.t_s for e in events if e.kind == "fault_start"]
    assert starts == [pytest.approx(3.0), pytest.approx(7.0)]
    # the second start falls inside the fault's 10 s cooldown: one cue only
    assert [c.t_s for c in result.cues] == [pytest.approx(3.0)]


def test_engine_hold_fault_only_while_holding():
    # knees past toes: feet set back under the knee
    frames = []
    for i in range(200):
        parts = standing_parts(90.0)
        parts["foot_index"] = parts["knee"] + np.array([-0.05, 0.2])
        parts["heel"] = parts["foot_index"] - np.array([0.11, 0.0])
        frames.append(make_pose(i, parts))
    result = analyze_poses(load_spec("wall_squat"), frames)
    assert [f.id for f in result.faults] == ["knees_past_toes"]
    assert result.faults[0].start_s == pytest.approx(0.0)


def taps_parts(left_tap: float, right_tap: float) -> dict[str, np.ndarray]:
    """A high plank seen from the front (in front of the head); each hand moves from
    the floor under its shoulder towards the opposite shoulder."""
    shoulders = {"left": np.array([0.6, 0.4]), "right": np.array([0.4, 0.4])}
    parts = {"shoulder": 0.5 * (shoulders["left"] + shoulders["right"])}
    for side, other, amount in (("left", "right", left_tap), ("right", "left", right_tap)):
        floor = shoulders[side] + np.array([0.0, 0.35])
        wrist = floor + amount * (shoulders[other] + np.array([0.0, 0.03]) - floor)
        parts[f"{side}_shoulder"] = shoulders[side]
        parts[f"{side}_hip"] = 0.75 * shoulders[side] + 0.25 * parts["shoulder"] - [0.0, 0.05]
        parts[f"{side}_wrist"] = wrist
        parts[f"{side}_elbow"] = 0.5 * (shoulders[side] + wrist)
    return parts


def test_engine_alternating_counts_per_side():
    t = times(16.0)
    wave = 0.5 * (1.0 - np.cos(2.0 * np.pi * np.clip(t - 1.0, 0.0, 14.0) / 2.0))
    left = np.where(((t - 1.0) // 2.0) % 2 == 0, wave, 0.0)
    right = np.where(((t - 1.0) // 2.0) % 2 == 1, wave, 0.0)
    poses = [
        make_pose(i, taps_parts(a, b)) for i, (a, b) in enumerate(zip(left, right, strict=True))
    ]
    result = analyze_poses(load_spec("plank_shoulder_taps"), poses)
    assert (result.reps_total, result.reps_left, result.reps_right) == (7, 4, 3)
    assert [rep.side for rep in result.reps] == ["left", "right"] * 3 + ["left"]
    assert [rep.index for rep in result.reps] == [1, 1, 2, 2, 3, 3, 4]
    assert "tap.left" in result.signals and "tap.right" in result.signals
    assert result.to_dict()["reps"]["left"] == 4


def quadruped_parts() -> dict[str, np.ndarray]:
    """On hands and knees, side view facing right, back flat, limbs down."""
    shoulder, hip = np.array([0.3, 0.5]), np.array([0.6, 0.5])
    return {
        "shoulder": shoulder,
        "elbow": shoulder + np.array([0.0, 0.12]),
        "wrist": shoulder + np.array([0.0, 0.25]),
        "hip": hip,
        "knee": hip + np.array([0.0, 0.22]),
        "ankle": hip + np.array([0.25, 0.24]),
        "heel": hip + np.array([0.27, 0.22]),
        "foot_index": hip + np.array([0.3, 0.26]),
    }


@pytest.mark.parametrize(
    ("view", "near", "far_kept"),
    [("side", "right", False), ("side", None, True), ("front", "right", True)],
)
def test_judged_landmarks_side_view_needs_the_near_side_only(view, near, far_kept):
    from formcheck.engine.core import judged_landmarks

    required = {INDEX["nose"], INDEX["left_wrist"], INDEX["right_wrist"]}
    kept = judged_landmarks(required, view, near)
    assert {INDEX["nose"], INDEX["right_wrist"]} <= kept
    assert (INDEX["left_wrist"] in kept) is far_kept


def test_engine_per_side_tracks_side_on_are_judged_on_the_near_side():
    # both per-side tracks read far-side landmarks, which side-on are occluded
    poses = []
    for i in range(90):
        pose = make_pose(i, quadruped_parts())
        left = [j for j, name in enumerate(LANDMARK_NAMES) if name.startswith("left_")]
        pose.visibility[left] = 0.3
        poses.append(pose)
    result = analyze_poses(load_spec("bird_dog"), poses)
    assert [s.state for s in result.states] == ["exercising"]
    assert result.warnings == ()


def test_engine_result_is_json_friendly():
    import json

    result = analyze_poses(load_spec("squat"), squat_poses(squat_wave(times(5.0), 1)))
    data = result.to_dict()
    text = json.dumps(data, allow_nan=True)
    assert '"total": 1' in text and data["limitations"]
    assert not math.isnan(data["reps"]["details"][0]["rom"])


def test_engine_rejects_a_bad_side():
    with pytest.raises(ValueError, match="side"):
        Engine(load_spec("squat"), side="up")


# ------------------------------------------- specs on synthetic performances
# Landmarks built by forward kinematics from known joint angles (formcheck.synth).
synth = pytest.importorskip("formcheck.synth")

HOLD_TOLERANCE_S = {"side_plank": 0.75}  # the truth's band is entered later on the way up

CORRECT = sorted(synth.MOTIONS)
FAULTY = sorted((name, fault) for name, m in synth.MOTIONS.items() for fault in m.faults)


def synth_result(exercise, fault=None, *, facing="right", perturbed=False):
    clip = synth.make_clip(exercise, fault, seed=0, facing=facing)
    poses = synth.pose_frames(clip)
    if perturbed:
        poses = synth.perturb(poses, noise_px=2.0, drop_rate=0.05, seed=1)
    return clip.truth, analyze_poses(load_spec(exercise), poses)


def assert_matches_truth(exercise, truth, result, hold_tolerance_s):
    truth_reps = truth["reps"]
    assert result.reps_total == truth_reps["total"]
    if result.reps_left is not None:
        assert (result.reps_left, result.reps_right) == (truth_reps["left"], truth_reps["right"])
    if load_spec(exercise).kind == "hold":
        assert len(result.holds) == len(truth["holds"])
        for got, want in zip(result.holds, truth["holds"], strict=True):
            assert got.duration_s == pytest.approx(want["duration_s"], abs=hold_tolerance_s)
            if want.get("side"):
                assert got.side == want["side"]


@pytest.mark.parametrize("exercise", CORRECT)
def test_synth_correct_performance(exercise):
    truth, result = synth_result(exercise)
    tolerance = HOLD_TOLERANCE_S.get(exercise, DT)
    assert_matches_truth(exercise, truth, result, tolerance)
    assert {f.id for f in result.faults} == set()
    assert result.warnings == ()


@pytest.mark.parametrize("exercise", CORRECT)
def test_synth_facing_the_other_way_gives_the_same_result(exercise):
    truth, result = synth_result(exercise, facing="left")
    assert_matches_truth(exercise, truth, result, HOLD_TOLERANCE_S.get(exercise, DT))
    _, mirrored = synth_result(exercise)
    assert result.reps_total == mirrored.reps_total
    assert [h.duration_s for h in result.holds] == pytest.approx(
        [h.duration_s for h in mirrored.holds], abs=DT
    )


@pytest.mark.parametrize("exercise", CORRECT)
def test_synth_noise_and_dropped_frames_keep_the_count(exercise):
    truth, result = synth_result(exercise, perturbed=True)
    tolerance = max(HOLD_TOLERANCE_S.get(exercise, DT), 0.5)
    assert_matches_truth(exercise, truth, result, tolerance)


@pytest.mark.parametrize(("exercise", "fault"), FAULTY)
def test_synth_fault_is_flagged_where_it_happens(exercise, fault):
    truth, result = synth_result(exercise, fault)
    wanted = [f for f in truth["faults"] if f["id"] == fault]
    found = [f for f in result.faults if f.id == fault]
    assert wanted and found
    for span in found:  # every flagged span overlaps an injected one
        assert any(span.start_s <= w["end_s"] and span.end_s >= w["start_s"] for w in wanted)
    assert result.reps_total == truth["reps"]["total"]


def test_a_per_side_hold_hidden_from_the_camera_is_reported_not_silently_missed():
    """Side-on, the far leg of a per-side stretch can be hidden the whole time: the
    report must say its hold was not seen rather than only show no hold."""
    spec = load_spec("quad_stretch")
    poses = synth.pose_frames(synth.make_clip("quad_stretch", seed=0, facing="right"))
    seen = analyze_poses(spec, poses)
    assert {hold.side for hold in seen.holds} == {"left", "right"}
    assert not [w for w in seen.warnings if w.startswith("hold not checked")]

    left = np.array([name.startswith("left_") for name in LANDMARK_NAMES])
    hidden = [dataclasses.replace(p, visibility=np.where(left, 0.0, p.visibility)) for p in poses]
    result = analyze_poses(spec, hidden)
    assert {hold.side for hold in result.holds} == {"right"}
    assert [w for w in result.warnings if w.startswith("hold not checked")] == [
        "hold not checked on the left side in 100% of frames with a person "
        "(a landmark it needs was hidden: film the left side nearer the camera)"
    ]


# ----------------------------------------------------------------- cuts (#13)
def test_a_cut_neither_makes_nor_keeps_the_rep_in_progress():
    # Down to the bottom, then a cut to the person standing: without the cut the jump
    # back up completes a rep that nobody performed; at a cut it is dropped.
    knees = np.concatenate([np.full(30, 175.0), np.linspace(175.0, 90.0, 30), np.full(30, 175.0)])
    poses = squat_poses(knees)
    engine = Engine(load_spec("squat"))
    for i, pose in enumerate(poses):
        if i == 60:
            engine.mark_cut(pose.t_s)
        engine.update(pose)
    result = engine.finish()
    assert analyze_poses(load_spec("squat"), poses).reps_total == 1  # what a cut would make
    assert result.reps_total == 0
    assert result.cuts == (pytest.approx(2.0),)
    assert any("cut at 2.0 s" in w for w in result.warnings)
    assert result.to_dict()["cuts"] == [pytest.approx(2.0)]


def test_a_rep_going_on_across_a_cut_is_not_lost():
    # Cut at the bottom to another camera angle, the squat goes on: one rep (as an
    # unconditional reset would lose it, a jump cut must not).
    knees = squat_wave(times(4.0), 1, start_s=0.5)
    engine = Engine(load_spec("squat"))
    for i, pose in enumerate(squat_poses(knees)):
        if i == 60:  # 2.0 s: the bottom
            engine.mark_cut(pose.t_s)
        engine.update(pose)
    assert engine.finish().reps_total == 1


def test_a_rep_after_a_cut_is_counted_and_a_hold_ends_at_the_cut():
    squat = Engine(load_spec("squat"))
    knees = np.concatenate([np.full(30, 175.0), squat_wave(times(4.0), 1, start_s=0.5)])
    for i, pose in enumerate(squat_poses(knees)):
        if i == 30:
            squat.mark_cut(pose.t_s)
        squat.update(pose)
    assert squat.finish().reps_total == 1
    wall = Engine(load_spec("wall_squat"))
    for i, pose in enumerate(wall_squat_poses(np.full(300, 90.0))):
        if i == 150:
            wall.mark_cut(pose.t_s)
        wall.update(pose)
    holds = wall.finish().holds
    assert [(h.start_s, h.end_s) for h in holds] == [
        (0.0, pytest.approx(149 * DT)),
        (pytest.approx(5.0), pytest.approx(299 * DT)),
    ]
