"""Engine tests on hand-made signal and pose sequences with known answers."""

from __future__ import annotations

import dataclasses
import math

import builders
import numpy as np
import pytest

from formcheck.engine import Engine, SessionResult, analyze_poses
from formcheck.engine.faults import FaultTracker
from formcheck.engine.holds import HoldTimer, SideHold
from formcheck.engine.reps import RepCounter
from formcheck.engine.signals import SignalEvaluator
from formcheck.landmarks import INDEX, LANDMARK_NAMES, MIRROR
from formcheck.specs import FaultRule, RepRule, load_spec
from formcheck.specs.schema import Condition
from formcheck.types import PoseFrame

FPS = 30.0
DT = 1.0 / FPS

SQUAT_RULE = RepRule(signal="knee", peak="low", enter=120.0, exit=125.0, rest=160.0, min_rom=40.0)


def times(duration_s: float) -> np.ndarray:
    return np.arange(round(duration_s * FPS)) * DT


def waves(
    t: np.ndarray, peak: float, span_s: float, period_s: float = 3.0, start_s: float = 1.0
) -> np.ndarray:
    """Smooth movements from 0 to ``peak`` and back, one per ``period_s``, from ``start_s``
    for ``span_s``; 0 before and after."""
    phase = np.clip(t - start_s, 0.0, span_s)
    return peak / 2.0 * (1.0 - np.cos(2.0 * np.pi * phase / period_s))


def squat_wave(t: np.ndarray, reps: int, period_s: float = 3.0, start_s: float = 1.0) -> np.ndarray:
    """Knee angle: standing at 175°, ``reps`` smooth dips to 90°."""
    return 175.0 - waves(t, 85.0, reps * period_s, period_s, start_s)


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


def test_a_dip_past_rest_that_never_reached_the_bottom_keeps_the_range_of_the_next_rep():
    """Standing at 175, a jitter dip to 158 and back to 161 (past rest, 160), then a
    squat to 118: the squat's range is measured from 175, not from the 161 the dip
    ended on (57 deg, under min_rom), so it counts."""
    knee = [175.0] * 10 + [158.0, 161.0] + list(np.linspace(161.0, 118.0, 15)) + [118.0] * 5
    knee += list(np.linspace(118.0, 175.0, 15)) + [175.0] * 10
    rule = dataclasses.replace(SQUAT_RULE, min_rom=50.0)
    counter, attempts = run_counter(rule, times(len(knee) / FPS), np.array(knee))
    assert [a.reason for a in attempts] == ["short_of_peak", None]
    assert counter.count == 1 and attempts[1].rom == pytest.approx(57.0)


def test_reps_partial_attempt_is_reported_not_counted():
    t = times(4.0)
    dip = 175.0 - waves(t, 53.0, 2.0, period_s=2.0)
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


def run_side_hold(left: list[bool | None], right: list[bool | None], together: bool = False):
    hold = SideHold(grace_s=1.0, min_s=1.0, together=together)
    holds = []
    for i, (a, b) in enumerate(zip(left, right, strict=True)):
        if (ended := hold.update(i * DT, {"left": a, "right": b})) is not None:
            holds.append(ended)
    if (last := hold.close()) is not None:
        holds.append(last)
    return [(side, round(h.start_s, 6), round(h.duration_s, 6)) for side, h in holds]


def test_a_hold_that_passes_to_the_other_sides_signals_stays_the_first_sides():
    # The model names the legs the other way round mid-hold: one 10 s left hold.
    left = [True] * 150 + [False] * 151
    right = [False] * 150 + [True] * 151
    assert run_side_hold(left, right) == [("left", 0.0, round(300 * DT, 6))]


def test_a_change_of_legs_that_leaves_the_posture_makes_two_holds():
    left = [True] * 150 + [False] * 40 + [False] * 151
    right = [False] * 150 + [False] * 40 + [True] * 151
    assert run_side_hold(left, right) == [
        ("left", 0.0, round(149 * DT, 6)),
        ("right", round(190 * DT, 6), round(150 * DT, 6)),
    ]


def test_both_sides_in_the_posture_is_one_hold_of_the_side_first_in_it():
    left = [False] * 30 + [True] * 150 + [None] * 30
    right = [True] * 90 + [True] * 120
    assert run_side_hold(left, right) == [("right", 0.0, round(209 * DT, 6))]


def test_a_hold_whose_side_goes_unseen_is_held_through_the_grace_whatever_the_other_reads():
    # The held leg hidden for 0.5 s while the standing leg reads out of the posture:
    # unseen, as for a one-sided hold, not a wobble out of it.
    left = [True] * 60 + [None] * 15 + [True] * 60
    right = [False] * 135
    assert run_side_hold(left, right) == [("left", 0.0, round(134 * DT, 6))]


def test_a_hold_of_both_sides_at_once_is_the_together_variant_credited_to_neither():
    # Both knees hugged for 7 s after a right leg's 5 s: the right hold stays the
    # right's; the double one is "both" (without together, a side's: here the left,
    # the first of the two in the posture on its first frame).
    left = [False] * 190 + [True] * 210
    right = [True] * 150 + [False] * 40 + [True] * 210
    assert run_side_hold(left, right, together=True) == [
        ("right", 0.0, round(149 * DT, 6)),
        ("both", round(190 * DT, 6), round(209 * DT, 6)),
    ]
    assert run_side_hold(left, right)[1][0] == "left"


def test_the_together_variant_is_judged_on_frames_with_both_sides_seen():
    # The far leg hidden for the second half of a double hold: still both. A one-sided
    # hold whose hidden leg the model draws in the posture for a fifth of it: its own.
    double_left = [True] * 100 + [None] * 100
    assert run_side_hold(double_left, [True] * 200, together=True)[0][0] == "both"
    drawn = [False] * 160 + [True] * 40
    assert run_side_hold([True] * 200, drawn, together=True)[0][0] == "left"


def with_sides_swapped(pose: PoseFrame) -> PoseFrame:
    """The pose with every landmark named for the other side, as a model that swaps
    the legs of a person seen side-on names them."""
    order = list(MIRROR)
    return dataclasses.replace(
        pose,
        image_xyz=pose.image_xyz[order],
        world_xyz=pose.world_xyz[order],
        visibility=pose.visibility[order],
        presence=pose.presence[order],
    )


def test_a_per_side_stretch_whose_legs_the_model_swaps_mid_hold_is_timed_on_its_side():
    """Class 10: the model swaps the legs of a side-on quad stretch for the second
    half of the left hold; the hold stays one left hold, as long as without the swap,
    and the right leg's hold after a real change of legs is still its own."""
    spec = load_spec("quad_stretch")
    poses = builders.performance("quad_stretch")
    as_filmed = [(h.side, h.duration_s) for h in analyze_poses(spec, poses).holds]
    swapped = [with_sides_swapped(p) if 10.0 <= p.t_s <= 18.0 else p for p in poses]
    holds = [(h.side, h.duration_s) for h in analyze_poses(spec, swapped).holds]
    assert [side for side, _ in holds] == [side for side, _ in as_filmed] == ["left", "right"]
    assert [d for _, d in holds] == pytest.approx([d for _, d in as_filmed], abs=0.1)


def with_both_legs_as_the_left(pose: PoseFrame) -> PoseFrame:
    """The pose with the right leg placed as the left one, from the right hip: both
    knees hugged together."""
    image, world = pose.image_xyz.copy(), pose.world_xyz.copy()
    for part in ("knee", "ankle", "heel", "foot_index"):
        for xyz in (image, world):
            offset = xyz[INDEX[f"left_{part}"]] - xyz[INDEX["left_hip"]]
            xyz[INDEX[f"right_{part}"]] = xyz[INDEX["right_hip"]] + offset
    return dataclasses.replace(pose, image_xyz=image, world_xyz=world)


def test_a_double_knee_to_chest_is_timed_apart_from_each_legs_stretch():
    """The left leg's stretch done as a double knee to chest (both knees hugged) is
    that variant: timed, named in the headline, credited to neither leg."""
    spec = load_spec("knee_to_chest")
    poses = [
        with_both_legs_as_the_left(p) if p.t_s < 20.0 else p
        for p in builders.performance("knee_to_chest")
    ]
    result = analyze_poses(spec, poses)
    assert [h.side for h in result.holds] == ["both", "right"]
    assert result.headline.text == (
        "Hold: left 0.0 s, right 16.0 s of 15 s; double knee to chest 15.8 s (form not assessed)"
    )
    assert "double knee to chest: longest 15.8 s, not credited to a side" in result.dosage.notes
    assert result.dosage.best_hold_s == pytest.approx(16.0, abs=0.1)


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


def test_engine_wrong_view_counts_and_withholds_only_the_faults_that_need_the_view():
    """Class 10: the camera where the user put it. An image-plane squat filmed from
    the front is still counted; the fault read on the image-plane knee is withheld,
    and the report says which and why, and that the count, read in the picture, may
    be wrong from there."""
    poses = front_view_squat_poses(squat_wave(times(12.0), 3))
    result = analyze_poses(with_space(load_spec("squat"), "image"), poses)
    assert result.reps_total == 3
    assert [s.state for s in result.states] == ["exercising"]
    assert result.faults == ()
    assert result.view.withheld == ("shallow",) and result.view.other_share == 1.0
    assert result.warnings == (
        "camera is not side-on in 100% of frames: the count is read in the picture there "
        "and may be wrong; shallow not judged there (these need a side-on camera)",
    )
    shallow = np.maximum(squat_wave(times(12.0), 3), 118.0)  # bottoms at 118 deg
    side_on = analyze_poses(with_space(load_spec("squat"), "image"), squat_poses(shallow))
    assert {f.id for f in side_on.faults} == {"shallow"} and side_on.view.withheld == ()


def test_engine_says_the_count_may_be_wrong_only_when_mostly_seen_from_another_view():
    knees = squat_wave(times(12.0), 3)
    front, side = front_view_squat_poses(knees), squat_poses(knees)
    spec = with_space(load_spec("squat"), "image")
    for front_share, count_unsure in ((0.4, False), (0.6, True)):
        cut = int(front_share * len(knees))
        result = analyze_poses(spec, front[:cut] + side[cut:])
        assert result.view.other_share == pytest.approx(front_share, abs=0.01)
        [warning] = [w for w in result.warnings if w.startswith("camera is not side-on")]
        assert ("the count is read in the picture" in warning) is count_unsure


def test_engine_reports_a_count_the_spec_says_the_view_cannot_measure_as_not_measured():
    """Class 10: where the spec says its count cannot be measured from the other view
    (side-on shoulder taps), a session seen mostly from there gives no count and no
    verdict on the target, not "Reps: 0 ... not met"; seen mostly from its own view,
    it counts as before."""
    squat = with_space(load_spec("squat"), "image")
    camera = dataclasses.replace(squat.camera, other_view_unmeasurable="front-on it is hidden")
    spec = dataclasses.replace(squat, camera=camera)
    knees = squat_wave(times(12.0), 3)
    front, side = front_view_squat_poses(knees), squat_poses(knees)
    cut = int(0.6 * len(knees))
    result = analyze_poses(spec, front[:cut] + side[cut:])
    assert result.view.not_measurable is True
    assert result.headline.text == "Reps: not measured from this camera view"
    assert result.targets.met is None and result.dosage.reps_done is None
    assert result.dosage.notes == ("reps not measured from this camera view",)
    assert result.warnings == (
        "camera is not side-on in 60% of frames: the count cannot be measured there; shallow "
        "not judged there (these need a side-on camera); front-on it is hidden",
    )
    cut = int(0.4 * len(knees))
    mostly_side = analyze_poses(spec, front[:cut] + side[cut:])
    assert mostly_side.view.not_measurable is False and mostly_side.reps_total == 3
    assert mostly_side.headline.text.startswith("Reps: 3")


def test_engine_world_space_signal_is_counted_in_any_view_with_a_warning():
    # make_pose's world coordinates equal its image ones: the same knee angles
    poses = front_view_squat_poses(squat_wave(times(12.0), 3))
    spec = with_space(load_spec("squat"), "world")
    judged_anywhere = [dataclasses.replace(rule, needs_view=False) for rule in spec.faults]
    result = analyze_poses(dataclasses.replace(spec, faults=tuple(judged_anywhere)), poses)
    assert result.reps_total == 3
    assert [s.state for s in result.states] == ["exercising"]
    assert result.warnings == ("camera is not side-on in 100% of frames",)
    assert result.view.withheld == ()


def test_engine_withholds_a_3d_fault_that_needs_the_view_from_the_other_view():
    """A squat's depth read in 3D from the front is withheld (``needs_view``: the
    thigh points along the camera's axis): a 118 deg bottom seen front-on is not
    called shallow; seen side-on it is."""
    shallow = np.maximum(squat_wave(times(12.0), 3), 118.0)
    spec = load_spec("squat")
    side_poses = squat_poses(shallow)
    front_poses = []
    for pose in side_poses:  # the same 3D knee; the picture shows the shoulders and hips apart
        image = pose.image_xyz.copy()
        for part in ("shoulder", "hip"):
            image[INDEX[f"left_{part}"], 0] += 0.08
            image[INDEX[f"right_{part}"], 0] -= 0.08
        front_poses.append(dataclasses.replace(pose, image_xyz=image))
    front = analyze_poses(spec, front_poses)
    assert front.reps_total == 3 and front.faults == ()
    assert front.view.withheld == ("shallow",)
    assert front.warnings == (
        "camera is not side-on in 100% of frames: shallow not judged there "
        "(these need a side-on camera)",
    )
    side = analyze_poses(spec, side_poses)
    assert {f.id for f in side.faults} == {"shallow"} and side.view.withheld == ()


def test_engine_measures_as_the_spec_says_for_the_other_view():
    """Class 10: front-on, a wall sit's knee looks straight in the image; the spec
    measures it in 3D there, so the hold is timed, and only the faults that still
    need the side view (read in the image plane) are withheld."""
    poses = front_view_squat_poses(np.full(300, 175.0))  # the image: legs look straight
    for pose in poses:  # the 3D pose: knees bent to 90 deg
        bent = standing_parts(90.0)
        for name in ("hip", "knee", "ankle"):
            for side in ("left", "right"):
                pose.world_xyz[INDEX[f"{side}_{name}"], :2] = bent[name]
    spec = load_spec("wall_squat")
    assert set(spec.camera.other_view) == {"knee"}
    result = analyze_poses(spec, poses)
    assert [h.duration_s for h in result.holds] == [pytest.approx(299 * DT)]
    assert result.view.withheld == ("back_off_wall", "knees_past_toes")
    assert "too_shallow" not in result.view.withheld


def pushup_parts(elbow_deg: float, wrist_y: float = 0.8) -> dict[str, np.ndarray]:
    """A push-up seen side-on facing right: the shoulder-wrist line is vertical and
    the elbow points back, so the elbow angle is ``elbow_deg``."""
    wrist = np.array([0.3, wrist_y])
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


def facing_the_camera(parts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``parts`` seen front-on or head-on: each side's shoulder and hip far apart."""
    out = dict(parts)
    for part in ("shoulder", "hip"):
        out[f"left_{part}"] = parts[part] + np.array([0.08, 0.0])
        out[f"right_{part}"] = parts[part] - np.array([0.08, 0.0])
    return out


def analysed_from_the_other_view(exercise: str, poses: list[PoseFrame]) -> SessionResult:
    """``poses`` analysed as ``exercise``, whose trunk is read in 3D from other views
    than its own; every frame is seen from such a view."""
    spec = load_spec(exercise)
    assert set(spec.camera.other_view) == {"trunk"}
    result = analyze_poses(spec, poses)
    assert result.view.other_share == 1.0
    return result


def test_a_push_up_filmed_head_on_from_the_floor_is_counted():
    """Class 10: a camera on the floor in front of the head (a laptop before the
    patient) sees the trunk upright in the image, as a kneeling arm swing would read;
    the spec reads the push-up's trunk posture in 3D from that view, so the reps
    count (unseen real clips: 0 of 3 counted before)."""
    t = times(12.0)
    elbows = 170.0 - waves(t, 110.0, 9.0)
    poses = []
    for i, e in enumerate(elbows):
        parts = pushup_parts(e)
        parts["hip"] = parts["shoulder"] + np.array([0.0, 0.1])  # upright in the image
        pose = make_pose(i, facing_the_camera(parts))
        for side in ("left", "right"):  # in 3D the hips are behind the shoulders
            shoulder = pose.world_xyz[INDEX[f"{side}_shoulder"]]
            pose.world_xyz[INDEX[f"{side}_hip"]] = shoulder + np.array([0.0, 0.03, 0.45])
        poses.append(pose)
    result = analysed_from_the_other_view("push_up", poses)
    assert result.reps_total == 3
    assert result.not_counted == ()


def test_a_hip_hinge_filmed_from_the_front_is_counted():
    """Class 10: from the front the trunk tips toward the camera, so the picture shows
    it upright at every hinge; the spec reads the trunk in 3D from that view (an unseen
    front-on deadlift clip: 1 of 3 counted before)."""
    t = times(12.0)
    hinges = waves(t, 70.0, 9.0)
    poses = []
    for i, hinge in enumerate(hinges):
        pose = make_pose(i, facing_the_camera(standing_parts(160.0)))  # upright in the picture
        lean = np.radians(hinge)
        for side in ("left", "right"):  # in 3D the shoulders tip toward the camera
            hip = pose.world_xyz[INDEX[f"{side}_hip"]]
            trunk = 0.25 * np.array([0.0, -np.cos(lean), -np.sin(lean)])
            pose.world_xyz[INDEX[f"{side}_shoulder"]] = hip + trunk
        poses.append(pose)
    assert analysed_from_the_other_view("hip_hinge", poses).reps_total == 3


def test_a_hinge_to_under_40_degrees_counts():
    # Real good mornings filmed from a front diagonal read 35-44 deg at hinges of
    # about 45 by eye.
    t = times(12.0)
    hinges = waves(t, 38.0, 9.0)
    poses = [make_pose(i, standing_parts(160.0, hinge)) for i, hinge in enumerate(hinges)]
    assert analyze_poses(load_spec("hip_hinge"), poses).reps_total == 3


def rotation(deg: float) -> np.ndarray:
    """The 2x2 matrix turning picture coordinates by ``deg`` (y down: clockwise on screen)."""
    turn = np.radians(deg)
    return np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])


def bent_leg(hip: np.ndarray, knee: np.ndarray, knee_deg: float, shin_m: float) -> np.ndarray:
    """Where the ankle goes for a knee bent to ``knee_deg`` (in the picture's plane)."""
    thigh = (hip - knee) / np.linalg.norm(hip - knee)
    return knee + shin_m * rotation(knee_deg) @ thigh


def pigeon_pose(i: int, back_knee_deg: float) -> PoseFrame:
    """Side view: the left shin folded in front (knee 60 deg), the right leg behind."""
    hip = np.array([0.5, 0.6])
    left_knee, right_knee = hip + np.array([0.2, 0.08]), hip - np.array([0.2, -0.08])
    parts = {
        "shoulder": hip + np.array([0.05, -0.3]),
        "left_hip": hip,
        "right_hip": hip,
        "left_knee": left_knee,
        "left_ankle": bent_leg(hip, left_knee, 60.0, 0.2),
        "right_knee": right_knee,
        "right_ankle": bent_leg(hip, right_knee, -back_knee_deg, 0.2),
    }
    return make_pose(i, parts)


def test_a_pigeon_with_the_hips_still_high_is_timed():
    # With the hips high on the hands the back knee of a real pigeon reads 131-137 deg.
    spec = load_spec("pigeon_pose")
    (hold,) = analyze_poses(spec, [pigeon_pose(i, 135.0) for i in range(150)]).holds
    assert (hold.side, hold.duration_s) == ("left", pytest.approx(149 * DT))
    assert analyze_poses(spec, [pigeon_pose(i, 100.0) for i in range(150)]).holds == ()


def figure_four_pose(i: int, crossed: bool) -> PoseFrame:
    """Lying on the back, knees bent, feet flat, legs 0.2 apart in depth; ``crossed``:
    the right ankle rests 0.65 thigh lengths above the left knee."""
    hip, knee, ankle = np.array([0.3, 0.8]), np.array([0.5, 0.65]), np.array([0.6, 0.8])
    pose = make_pose(
        i, {"shoulder": np.array([0.0, 0.8]), "hip": hip, "knee": knee, "ankle": ankle}
    )
    for side, depth in (("left", 0.1), ("right", -0.1)):
        for part in ("hip", "knee", "ankle", "heel", "foot_index"):
            pose.world_xyz[INDEX[f"{side}_{part}"], 2] = depth
    if crossed:
        thigh_m = np.linalg.norm(knee - hip)
        pose.world_xyz[INDEX["right_ankle"]] = [*(knee - [0.0, 0.65 * thigh_m]), 0.1]
    return pose


def test_a_figure_four_stretch_is_timed_on_the_crossed_leg():
    # MediaPipe places a folded leg loosely: a real crossed ankle reads 0.47-0.88 thigh
    # lengths from the other knee, an uncrossed one about 1.05.
    spec = load_spec("figure_four_stretch")
    poses = [figure_four_pose(i, 60 <= i < 360) for i in range(420)]
    (hold,) = analyze_poses(spec, poses).holds
    assert (hold.side, hold.duration_s) == ("right", pytest.approx(299 * DT))


def prone_poses(thigh_deg: list[float], trunk_deg: list[float]) -> list[PoseFrame]:
    """Side view, lying face down facing right: the trunk raised by the arms, the
    thigh rising from the knee to the hip by ``thigh_deg``."""
    poses = []
    for i, (thigh, trunk) in enumerate(zip(thigh_deg, trunk_deg, strict=True)):
        knee = np.array([0.4, 0.8])
        hip = knee + 0.2 * np.array([np.cos(np.radians(thigh)), -np.sin(np.radians(thigh))])
        shoulder = hip + 0.3 * np.array([np.cos(np.radians(trunk)), -np.sin(np.radians(trunk))])
        parts = {
            "knee": knee,
            "hip": hip,
            "ankle": knee - np.array([0.2, 0.0]),
            "shoulder": shoulder,
            "elbow": shoulder + np.array([0.0, 0.1]),
            "wrist": shoulder + np.array([0.05, 0.2]),
        }
        poses.append(make_pose(i, parts))
    return poses


def test_hips_that_rest_a_little_up_lying_prone_are_not_lifted_by_a_press_up():
    # Class 2: lying face down a real thigh can read 16-17 deg up from the knee (the
    # pelvis and the camera's height); the hips lift when it rises from there.
    t = times(10.0)
    press = waves(t, 30.0, 6.0, period_s=6.0, start_s=2.0)
    spec = load_spec("prone_press_up")
    resting_up = analyze_poses(spec, prone_poses([17.0] * len(t), list(press)))
    assert resting_up.reps_total == 1 and resting_up.faults == ()
    lifted = analyze_poses(spec, prone_poses(list(2.0 + 0.8 * press), list(press)))
    assert lifted.reps_total == 1 and {f.id for f in lifted.faults} == {"hips_lifted"}


def test_engine_counts_from_the_primary_signal_when_a_fault_landmark_is_unseen():
    # feet out of frame: the hip-sag line cannot be drawn, the elbow can still count
    t = times(12.0)
    elbows = 170.0 - waves(t, 80.0, 9.0)
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


def pushup_poses(duration_s: float = 12.0, reps_s: float = 9.0, wrist_y: float = 0.8):
    """Push-ups, three by default: the elbow from 170 deg to 90 and back every 3 s."""
    t = times(duration_s)
    elbows = 170.0 - waves(t, 80.0, reps_s)
    return [make_pose(i, pushup_parts(e, wrist_y)) for i, e in enumerate(elbows)]


def test_engine_counts_with_landmarks_just_past_the_picture_edge():
    """Class 1: the wrists sit just below the picture, confidently placed: the
    elbow angle is measured, so the reps count."""
    spec = load_spec("push_up")
    poses = pushup_poses(wrist_y=1.0 + 0.9 * spec.session.count_edge_margin)
    result = analyze_poses(spec, poses)
    assert result.reps_total == 3
    assert [s.state for s in result.states] == ["exercising"]
    assert result.not_counted == ()


def test_landmarks_past_the_form_margin_count_but_judge_no_form():
    """Class 1: the feet lie 0.12 past the picture's edge, between the margins: the
    push-ups count, the hip line they anchor is not judged, and the report says so."""
    spec = load_spec("push_up")
    past = 0.5 * (spec.session.edge_margin + spec.session.count_edge_margin)
    poses = pushup_poses()
    for pose in poses:
        pose.image_xyz[:, 0] += 1.0 + past - pose.image_xyz[INDEX["left_ankle"], 0]
    result = analyze_poses(spec, poses)
    assert result.reps_total == 3 and result.faults == ()
    assert np.all(np.isfinite(result.signals["hip_line"]))  # the count's own reading
    assert result.warnings == tuple(
        f"{fault} not checked in 100% of exercising frames (a landmark it needs was not visible)"
        for fault in ("hip_sag", "hip_pike")
    )


def test_fast_reps_short_of_the_top_count_at_15_fps():
    """A webcam at 15 fps, push-ups that turn back before the top: the way back
    between two bottoms is seen on two frames. Each is a rep (waiting for three
    frames to confirm the way back merged them, and lost 3 of 30 real push-ups
    at half frame rate)."""
    down = [150.0, 135.0, 118.0, 100.0, 85.0]
    turn = [75.0, 95.0, 112.0, 122.0, 126.0, 108.0, 85.0]  # back up to 126 on two frames
    up = [75.0, 90.0, 110.0, 130.0, 150.0]
    elbows = [160.0] * 15 + down + turn * 3 + up + [160.0] * 15
    poses = [
        dataclasses.replace(make_pose(i, pushup_parts(e)), t_s=i / 15.0)
        for i, e in enumerate(elbows)
    ]
    assert analyze_poses(load_spec("push_up"), poses).reps_total == 4


def test_engine_says_which_movements_were_not_counted_and_why():
    """Class 1: wrists far below the picture are not measured, so nothing counts,
    but the movements were seen: the result lists them with the reason."""
    spec = load_spec("push_up")
    poses = pushup_poses(wrist_y=1.0 + spec.session.count_edge_margin + 0.05)
    result = analyze_poses(spec, poses)
    assert result.reps_total == 0
    assert [(n.reason, n.message) for n in result.not_counted] == [
        ("unmeasured", "the left wrist was out of the picture")
    ] * 3
    assert "3 movements were not counted because the left wrist was out of the picture" in (
        result.warnings
    )
    poses = pushup_poses()
    for pose in poses:  # in the picture, but hidden
        pose.visibility[[INDEX["left_wrist"], INDEX["right_wrist"]]] = 0.2
    hidden = analyze_poses(spec, poses)
    assert hidden.reps_total == 0
    assert {n.message for n in hidden.not_counted} == {"the left wrist was hidden"}
    assert result.to_dict()["not_counted"][0]["reason"] == "unmeasured"


def test_engine_does_not_count_elbow_bends_made_outside_the_exercise_position():
    """Class 7: the push-up's elbow bends three times while the trunk is upright
    (kneeling arm swings in a mixed home video): not push-ups, so none counts and the
    report says why; the same bends with the trunk down count."""
    spec = load_spec("push_up")
    poses = pushup_poses()
    for pose in poses:
        shoulder = pose.image_xyz[INDEX["left_shoulder"], :2]
        for name, offset in (("hip", (0.0, 0.3)), ("knee", (0.0, 0.5)), ("ankle", (-0.2, 0.5))):
            for side in ("left", "right"):
                pose.image_xyz[INDEX[f"{side}_{name}"], :2] = shoulder + np.array(offset)
    result = analyze_poses(spec, poses)
    assert result.reps_total == 0
    assert [(n.reason, n.message) for n in result.not_counted] == [
        ("out_of_posture", "the body was not in the exercise's position for most of it")
    ] * 3
    assert analyze_poses(spec, pushup_poses()).reps_total == 3


def test_engine_nan_landmark_gives_nan_signal_and_not_visible_warning():
    poses = squat_poses(squat_wave(times(4.0), 1))
    for pose in poses[:60]:
        pose.visibility[INDEX["left_knee"]] = pose.visibility[INDEX["right_knee"]] = 0.1
    result = analyze_poses(load_spec("squat"), poses, side="left")
    assert np.all(np.isnan(result.signals["knee"][:60]))
    assert not np.any(np.isnan(result.signals["knee"][60:]))
    assert result.warnings == ("what the count or the hold reads was not seen in 50% of frames",)


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


def test_a_wall_sit_with_the_feet_set_forward_is_timed_not_too_shallow():
    # Shins leaning forward open the knee past 90 deg with the thighs level: real wall
    # sits read up to ~119 deg (one with the feet set forward reads 110-119 throughout).
    knees = np.concatenate([np.full(30, 175.0), np.full(301, 112.0), np.full(30, 175.0)])
    result = analyze_poses(load_spec("wall_squat"), wall_squat_poses(knees))
    assert [h.duration_s for h in result.holds] == [pytest.approx(10.0)]
    assert "too_shallow" not in {f.id for f in result.faults}


def test_a_lean_while_sliding_into_a_wall_sit_is_not_off_the_wall_but_a_lasting_one_is():
    def off_the_wall(poses: list[PoseFrame]) -> list[float]:
        faults = analyze_poses(load_spec("wall_squat"), poses).faults
        return [f.start_s for f in faults if f.id == "back_off_wall"]

    sliding_in = [make_pose(i, standing_parts(90.0, 25.0 if i < 36 else 0.0)) for i in range(300)]
    assert off_the_wall(sliding_in) == []
    leaning = [
        make_pose(i, standing_parts(90.0, 25.0 if 100 <= i < 190 else 0.0)) for i in range(300)
    ]
    assert off_the_wall(leaning) == [pytest.approx(100 * DT)]


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


def alternating_taps(t: np.ndarray, taps: np.ndarray, period_s: float) -> list[PoseFrame]:
    """A high plank whose hands take turns (left first, from 1 s) at ``taps``, one
    hand per ``period_s``."""
    left_turn = ((t - 1.0) // period_s) % 2 == 0
    return [
        make_pose(i, taps_parts(tap if left else 0.0, 0.0 if left else tap))
        for i, (tap, left) in enumerate(zip(taps, left_turn, strict=True))
    ]


def test_engine_alternating_counts_per_side():
    t = times(16.0)
    poses = alternating_taps(t, waves(t, 1.0, 14.0, period_s=2.0), 2.0)
    result = analyze_poses(load_spec("plank_shoulder_taps"), poses)
    assert (result.reps_total, result.reps_left, result.reps_right) == (7, 4, 3)
    assert [rep.side for rep in result.reps] == ["left", "right"] * 3 + ["left"]
    assert [rep.index for rep in result.reps] == [1, 1, 2, 2, 3, 3, 4]
    assert "tap.left" in result.signals and "tap.right" in result.signals
    assert result.to_dict()["reps"]["left"] == 4


def test_brisk_shoulder_taps_count():
    # Real brisk taps take 0.23-0.27 s from leaving the floor to the hand back down.
    t = times(8.0)
    phase = (t - 1.0) % 1.0
    pulse = np.where((t >= 1.0) & (t < 7.0) & (phase < 0.25), np.sin(np.pi * phase / 0.25), 0.0)
    result = analyze_poses(load_spec("plank_shoulder_taps"), alternating_taps(t, pulse, 1.0))
    assert (result.reps_left, result.reps_right) == (3, 3)


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


def bird_dog_parts(arm_deg: float, leg_deg: float, trunk_deg: float) -> dict[str, np.ndarray]:
    """On hands and knees side-on, head to the left: the left arm at ``arm_deg`` and
    the right leg at ``leg_deg`` above the horizontal (bird dog's 'left' rep), the
    trunk line hip->shoulder at ``trunk_deg`` (0: level)."""
    hip = np.array([0.6, 0.5])
    tilt = np.radians(trunk_deg)
    shoulder = hip + 0.3 * np.array([-np.cos(tilt), -np.sin(tilt)])
    arm, leg = np.radians(arm_deg), np.radians(leg_deg)
    parts = quadruped_parts()
    parts.update(
        shoulder=shoulder,
        elbow=shoulder + np.array([0.0, 0.12]),
        wrist=shoulder + np.array([0.0, 0.25]),
        hip=hip,
        knee=hip + np.array([0.0, 0.22]),
        ankle=hip + np.array([0.25, 0.24]),
    )
    parts["left_wrist"] = shoulder + 0.25 * np.array([-np.cos(arm), -np.sin(arm)])
    parts["right_ankle"] = hip + 0.35 * np.array([np.cos(leg), -np.sin(leg)])
    return parts


def bird_dog_poses(
    reps: int, rest_trunk_deg: float, reach_trunk_deg: float, wrist_dx: float = 0.0
) -> list[PoseFrame]:
    """``reps`` left reaches: 1 s out, 2.5 s held, 1 s back, 1 s on all fours; the
    trunk moves from ``rest_trunk_deg`` to ``reach_trunk_deg`` with the reach."""
    period = 5.5
    t = times(1.0 + reps * period)
    phase = np.clip(t - 1.0, 0.0, None) % period
    reach = np.clip(np.minimum(phase, 4.5 - phase), 0.0, 1.0)
    reach[t >= 1.0 + reps * period] = 0.0
    poses = []
    for i, r in enumerate(reach):
        trunk = rest_trunk_deg + r * (reach_trunk_deg - rest_trunk_deg)
        parts = bird_dog_parts(-90.0 + 90.0 * r, -44.0 + 44.0 * r, trunk)
        parts["left_wrist"] = parts["left_wrist"] + np.array([-wrist_dx * r, 0.0])
        poses.append(make_pose(i, parts))
    return poses


def test_engine_posture_fault_is_measured_from_the_persons_own_neutral():
    """Class 2: a back that rests tilted on all fours (a camera below the hips, or
    the person's build) is their neutral, not a fault; tipping away from it is."""
    spec = load_spec("bird_dog")
    steady = analyze_poses(spec, bird_dog_poses(3, rest_trunk_deg=15.0, reach_trunk_deg=16.0))
    assert steady.reps_left == 3
    assert steady.faults == () and all(rep.good for rep in steady.reps)
    tipping = analyze_poses(spec, bird_dog_poses(3, rest_trunk_deg=0.0, reach_trunk_deg=20.0))
    assert tipping.reps_left == 3
    assert {f.id for f in tipping.faults} == {"trunk_tilt"}
    assert all(rep.faults == ("trunk_tilt",) for rep in tipping.reps)


def test_engine_close_framing_reaching_hand_past_the_edge_still_counts():
    """Class 11: the hand leaves the picture at the end of its reach (the camera is
    close); the arm is still measured, so the reach counts."""
    spec = load_spec("bird_dog")
    poses = bird_dog_poses(3, 0.0, 0.0)
    # Move the picture's left edge in until the reaching wrist ends 0.6 margins past it.
    reach_x = min(p.image_xyz[INDEX["left_wrist"], 0] for p in poses)
    for pose in poses:
        pose.image_xyz[:, 0] -= reach_x + 0.6 * spec.session.count_edge_margin
    result = analyze_poses(spec, poses)
    assert result.reps_left == 3 and result.not_counted == ()


def bridge_parts(hip_deg: float) -> dict[str, np.ndarray]:
    """Lying on the back side-on: shoulder and knee fixed, the hip placed so the
    shoulder-hip-knee angle is ``hip_deg`` (below the shoulder-knee line)."""
    shoulder, knee = np.array([0.3, 0.8]), np.array([0.7, 0.66])
    mid, chord = 0.5 * (shoulder + knee), knee - shoulder
    down = np.array([-chord[1], chord[0]]) / np.linalg.norm(chord)  # y grows downwards
    depth = 0.5 * np.linalg.norm(chord) / np.tan(np.radians(hip_deg) / 2.0)
    hip = mid + depth * down
    return {
        "shoulder": shoulder,
        "elbow": shoulder + np.array([0.1, 0.02]),
        "wrist": shoulder + np.array([0.2, 0.03]),
        "hip": hip,
        "knee": knee,
        "ankle": np.array([0.75, 0.84]),
        "heel": np.array([0.73, 0.85]),
        "foot_index": np.array([0.8, 0.85]),
    }


def bridge_poses(reps: int, top_hold_s: float) -> list[PoseFrame]:
    """Bridges from 120 deg to 175 and back (1 s each way), ``top_hold_s`` at the
    top, 1 s down between reps."""
    period = 3.0 + top_hold_s
    t = times(1.0 + reps * period)
    phase = np.clip(t - 1.0, 0.0, None) % period
    up = np.clip(np.minimum(phase, 2.0 + top_hold_s - phase), 0.0, 1.0)
    up[t >= 1.0 + reps * period] = 0.0
    return [make_pose(i, bridge_parts(120.0 + 55.0 * u)) for i, u in enumerate(up)]


def test_engine_short_hold_is_dosage_not_form():
    """Class 3: correct bridges held 0.9 s of the prescribed 2 s are good reps held
    too briefly: dosage, not a fault."""
    # In the top band from 160 deg up to 150 deg down: 15/55 s + 0.2 s + 25/55 s = 0.93 s.
    result = analyze_poses(load_spec("bridge"), bridge_poses(5, top_hold_s=0.2))
    assert result.reps_total == 5
    assert result.faults == () and all(rep.good for rep in result.reps)
    assert result.headline.text == "Reps: 5, good form on all 5"
    dosage = result.dosage
    assert dosage.peak_hold_target_s == 2.0 and dosage.reps_held == 0
    assert all(hold == pytest.approx(0.93, abs=DT) for hold in dosage.peak_holds_s)
    assert "top held 0.9 s of the 2 s target (median; 0 of 5 reps held it)" in dosage.notes
    assert "5 reps: 8-12 prescribed" in dosage.notes
    assert result.to_dict()["dosage"]["reps_held"] == 0


def plank_parts() -> dict[str, np.ndarray]:
    """A forearm plank seen side-on: shoulder, hip and ankle in a line, forearms and
    toes on the floor (y = 0.70)."""
    shoulder, ankle = np.array([0.3, 0.56]), np.array([0.8, 0.70])
    return {
        "shoulder": shoulder,
        "elbow": shoulder + np.array([0.0, 0.14]),
        "wrist": shoulder + np.array([-0.1, 0.14]),
        "hip": 0.5 * (shoulder + ankle),
        "knee": 0.25 * shoulder + 0.75 * ankle,
        "ankle": ankle,
        "heel": ankle + np.array([0.01, -0.02]),
        "foot_index": ankle + np.array([-0.01, 0.03]),
    }


def test_engine_headline_fits_the_exercise():
    """Class 4: a hold says "Hold", names no side unless the spec is per-side; a
    spec that only counts says its form is not assessed."""
    plank = analyze_poses(load_spec("plank"), [make_pose(i, plank_parts()) for i in range(301)])
    assert plank.headline.kind == "hold"
    assert plank.headline.text == "Hold: 10.0 s of 30 s"
    assert plank.dosage.best_hold_s == pytest.approx(10.0)
    cycles = analyze_poses(
        load_spec("cat_cow"), [make_pose(i, quadruped_parts()) for i in range(90)]
    )
    assert cycles.headline.text == "Cycles: 0 (form not assessed)"
    assert cycles.headline.form_assessed is False
    squats = analyze_poses(load_spec("squat"), squat_poses(squat_wave(times(8.0), 2)))
    assert squats.headline.text == "Reps: 2, good form on all 2"


def kneeling_parts() -> dict[str, np.ndarray]:
    """Knees down from the plank (a knee tap): hips back and up, knees bent ~105 deg."""
    return {**plank_parts(), "hip": np.array([0.55, 0.58]), "knee": np.array([0.66, 0.72])}


def test_kneeling_is_neither_plank_time_nor_a_pike():
    # The knees-down phase of a knee-tap plank raises the hips above the shoulder-ankle
    # line: with bent legs that line is no plank's, so no hip_pike and no held time.
    kneel = [make_pose(i, kneeling_parts()) for i in range(90)]
    assert analyze_poses(load_spec("plank"), kneel).holds == ()
    poses = [
        make_pose(i, plank_parts() if (i // 90) % 2 == 0 else kneeling_parts()) for i in range(270)
    ]
    result = analyze_poses(load_spec("plank"), poses)
    assert [h.duration_s for h in result.holds] == [pytest.approx(89 * DT)] * 2
    assert result.faults == ()


def lying_parts() -> dict[str, np.ndarray]:
    """Lying propped on the forearms (before or after a plank, a sphinx pose): hips
    down to 0.12 below the shoulder-ankle line, feet relaxed (toes pointing back)."""
    parts = plank_parts()
    ankle = parts["ankle"]
    return {
        **parts,
        "hip": parts["hip"] + np.array([0.0, 0.06]),
        "knee": parts["knee"] + np.array([0.0, 0.02]),
        "heel": ankle + np.array([0.0, -0.02]),
        "foot_index": ankle + np.array([0.08, 0.01]),
    }


def test_lying_on_the_forearms_with_the_feet_relaxed_is_not_plank_time():
    # The hips of a plank sagged to the floor and of a person lying on the forearms read
    # alike; the feet do not: a plank is on the toes.
    plank = load_spec("plank")
    assert analyze_poses(plank, [make_pose(i, lying_parts()) for i in range(150)]).holds == ()
    poses = [make_pose(i, plank_parts() if i < 150 else lying_parts()) for i in range(300)]
    (hold,) = analyze_poses(plank, poses).holds
    assert hold.duration_s == pytest.approx(149 * DT)


def test_a_plank_whose_feet_are_out_of_the_picture_is_timed():
    # The toes only end a hold where they are seen.
    feet = [INDEX[f"{side}_foot_index"] for side in ("left", "right")]
    poses = []
    for i in range(150):
        pose = make_pose(i, plank_parts())
        pose.visibility[feet] = 0.0
        poses.append(pose)
    (hold,) = analyze_poses(load_spec("plank"), poses).holds
    assert hold.duration_s == pytest.approx(149 * DT)


def test_form_is_judged_only_in_the_posture_the_hold_times():
    # Knees down for 0.5 s (within the hold's 1 s grace): the hold goes on, but the
    # kneeling frames are not judged as a plank, even by a pike rule without persistence.
    plank = load_spec("plank")
    pike = next(rule for rule in plank.faults if rule.id == "hip_pike")
    eager = dataclasses.replace(plank, faults=(dataclasses.replace(pike, min_duration_s=0.0),))
    poses = [make_pose(i, kneeling_parts() if 90 <= i < 105 else plank_parts()) for i in range(200)]
    result = analyze_poses(eager, poses)
    assert len(result.holds) == 1
    assert result.faults == ()


def bent_knees(pose: PoseFrame) -> PoseFrame:
    """``pose`` with both knees bent to 90 deg (in the image and in the world)."""
    coords = []
    for xyz in (pose.image_xyz, pose.world_xyz):
        xyz = xyz.copy()
        for side in ("left", "right"):
            hip, ankle = xyz[INDEX[f"{side}_hip"]], xyz[INDEX[f"{side}_ankle"]]
            half = 0.5 * (ankle - hip)
            across = np.array([-half[1], half[0], 0.0])  # a quarter turn in the picture
            xyz[INDEX[f"{side}_knee"]] = hip + half + across
        coords.append(xyz)
    return dataclasses.replace(pose, image_xyz=coords[0], world_xyz=coords[1])


def test_a_side_plank_on_the_lower_knee_is_not_timed():
    # The modified (kneeling) side plank is another exercise than the spec's: as timed
    # in a labelled real clip, it doubled the side plank's time.
    spec = load_spec("side_plank")
    assert analyze_poses(spec, builders.performance("side_plank")).holds
    kneeling = [bent_knees(p) for p in builders.performance("side_plank")]
    assert analyze_poses(spec, kneeling).holds == ()


def test_engine_stale_cue_clears_when_a_new_rep_starts():
    """Class 6: the cue of a partial movement ("sit a little deeper") leaves the
    screen when the next rep starts, not 3 s later over a correct rep."""
    t = times(6.0)
    dip = np.where(t < 1.2, 175.0 - 40.0 * np.sin(np.pi * np.clip(t / 1.2, 0, 1)), 175.0)
    knees = np.minimum(dip, squat_wave(t, 1, period_s=2.0, start_s=1.4))
    squat = load_spec("squat")
    # Judged on every attempt (as the squat's 'shallow' once was), so the dip is cued.
    shallow = dataclasses.replace(
        squat.faults[0],
        scope="attempt",
        when=(dataclasses.replace(squat.faults[0].when[0], value=100.0),),
    )
    engine = Engine(dataclasses.replace(squat, faults=(shallow,)))
    cues = {}
    for i, k in enumerate(knees):
        engine.update(make_pose(i, standing_parts(k)))
        cues[round(t[i], 3)] = engine.status.cue
    assert [c.fault_id for c in engine.finish().cues] == ["shallow"]
    assert cues[1.2] == "Sit a little deeper if it feels comfortable."
    assert cues[2.0] is None  # the next rep is under way


def test_engine_frame_fault_cue_clears_when_its_condition_clears():
    knees = np.concatenate([np.full(30, 175.0), np.full(120, 130.0), np.full(60, 175.0)])
    engine = Engine(load_spec("wall_squat"))
    shown = []
    for i, k in enumerate(knees):
        engine.update(make_pose(i, standing_parts(k)))
        shown.append(engine.status.cue)
    assert shown[int(3.1 * FPS)] is not None  # the fault started at 3.0 s
    assert shown[int(5.5 * FPS)] is None  # cleared at 5.0 + clear_s, not at 6.0


def test_engine_warns_when_never_in_the_starting_position():
    """Class 7: a plank analysed as a bridge never lowers the hips: not 'Reps: 0'
    in silence, but a question about the exercise."""
    result = analyze_poses(load_spec("bridge"), [make_pose(i, plank_parts()) for i in range(150)])
    assert result.reps_total == 0
    assert "never in the starting position for Bridge: is --exercise right?" in result.warnings
    bridges = analyze_poses(load_spec("bridge"), bridge_poses(2, top_hold_s=2.0))
    assert not [w for w in bridges.warnings if w.startswith("never")]


def test_engine_cut_resets_the_rep_without_making_or_losing_one():
    """Class 8: a rep split by a cut at its bottom counts once; a jump across a cut
    between two standing scenes counts nothing; the result lists the cuts."""
    spec = load_spec("squat")
    t = times(8.0)
    knees = squat_wave(t, 2)  # bottoms at 2.5 s and 5.5 s
    engine = Engine(spec)
    for i, k in enumerate(knees):
        if i == round(5.5 * FPS):  # cut at the second bottom; the next scene starts there
            events = engine.cut(t[i])
            assert [e.kind for e in events] == ["cut"]
        engine.update(make_pose(i, standing_parts(k)))
    result = engine.finish()
    assert result.reps_total == 2 and result.cuts == (pytest.approx(5.5),)
    assert result.to_dict()["cuts"] == [pytest.approx(5.5)]

    engine = Engine(spec)
    for i in range(120):
        if i == 60:
            engine.cut(i * DT)
        shift = np.array([0.3, 0.0]) if i >= 60 else np.zeros(2)
        parts = {k: v + shift for k, v in standing_parts(175.0 if i < 60 else 165.0).items()}
        engine.update(make_pose(i, parts))
    assert engine.finish().reps_total == 0


def test_engine_partial_reps_at_the_start_and_the_end_follow_one_rule():
    """Class 9: a rep counts when the working position is reached and then left
    toward the start. Starting at the bottom counts once left; ending on the way up
    counts; ending at the bottom does not."""
    spec = load_spec("squat")
    t = times(3.0)
    rise = np.clip(90.0 + 170.0 * t, 90.0, 175.0)  # at the bottom, standing by 0.5 s
    starts = analyze_poses(spec, squat_poses(rise))
    assert starts.reps_total == 1
    t = times(2.85)
    ends_rising = squat_wave(t, 1, start_s=0.5)  # stops at 140 deg on the way up
    assert ends_rising[-1] == pytest.approx(140.0, abs=1.0)
    assert analyze_poses(spec, squat_poses(ends_rising)).reps_total == 1
    t = times(2.0)
    ends_down = analyze_poses(spec, squat_poses(squat_wave(t, 1, start_s=0.5)))
    assert ends_down.reps_total == 0
    assert [n.reason for n in ends_down.not_counted] == ["ended_in_peak"]


def test_engine_too_few_frames_withholds_form_checks_and_says_so():
    """Class 12: at one analysed frame every 2 s, shallow squats are still counted
    where the frames show them, but no form verdict is given."""
    spec = load_spec("squat")
    t = np.arange(0.0, 30.0, 2.0)
    knees = np.where((t // 4) % 2 == 1, 118.0, 175.0)  # alternate standing / shallow bottom
    poses = [
        dataclasses.replace(make_pose(i, standing_parts(k)), t_s=ti)
        for i, (ti, k) in enumerate(zip(t, knees, strict=True))
    ]
    engine = Engine(spec)
    for pose in poses:
        engine.update(pose)
    status = engine.status
    result = engine.finish()
    assert result.faults == () and result.cues == ()
    assert status.too_few_frames
    assert result.frame_rate.withheld == ("shallow",)
    assert result.frame_rate.analysed_fps == pytest.approx(0.5)
    assert any(
        w.startswith("too few frames to judge form: 0.5 analysed a second") for w in result.warnings
    )
    full = analyze_poses(spec, squat_poses(np.maximum(squat_wave(times(8.0), 2), 118.0)))
    assert {f.id for f in full.faults} == {"shallow"} and full.frame_rate.withheld == ()


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
VARIANTS = sorted((name, fault) for name, m in synth.MOTIONS.items() for fault in m.faults)
# Scripted variants that are form faults of the spec; the others (a short hold) are dosage.
FAULTY = [(n, f) for n, f in VARIANTS if f in {rule.id for rule in load_spec(n).faults}]
DOSAGE = [(n, f) for n, f in VARIANTS if (n, f) not in FAULTY]


def synth_result(exercise, fault=None, *, facing="right", perturbed=False):
    """The clip's truth and the engine's result on its poses (each computed once)."""
    truth = builders.clip(exercise, fault, facing=facing).truth
    return truth, builders.engine_result(exercise, fault, facing=facing, perturbed=perturbed)


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


@pytest.mark.parametrize(("exercise", "variant"), DOSAGE)
def test_synth_short_hold_is_reported_as_dosage(exercise, variant):
    truth, result = synth_result(exercise, variant)
    assert result.reps_total == truth["reps"]["total"]
    assert result.faults == () and all(rep.good for rep in result.reps)
    dosage = result.dosage
    true_holds = [hold["duration_s"] for hold in truth["holds"]]
    assert dosage.peak_holds_s == pytest.approx(true_holds, abs=0.35)
    assert dosage.reps_held == sum(h >= dosage.peak_hold_target_s for h in true_holds) == 0


def test_a_per_side_hold_hidden_from_the_camera_is_reported_not_silently_missed():
    """Side-on, the far leg of a per-side stretch can be hidden the whole time: the
    report must say its hold was not seen rather than only show no hold."""
    spec = load_spec("quad_stretch")
    poses = builders.performance("quad_stretch")
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
            engine.cut(pose.t_s)
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
            engine.cut(pose.t_s)
        engine.update(pose)
    assert engine.finish().reps_total == 1


def test_a_rep_after_a_cut_is_counted():
    squat = Engine(load_spec("squat"))
    knees = np.concatenate([np.full(30, 175.0), squat_wave(times(4.0), 1, start_s=0.5)])
    for i, pose in enumerate(squat_poses(knees)):
        if i == 30:
            squat.cut(pose.t_s)
        squat.update(pose)
    assert squat.finish().reps_total == 1


def wall_sit_cut_at(knees: np.ndarray, cut_index: int) -> list[tuple[float, float]]:
    wall = Engine(load_spec("wall_squat"))
    for i, pose in enumerate(wall_squat_poses(knees)):
        if i == cut_index:
            wall.cut(pose.t_s)
        wall.update(pose)
    return [(h.start_s, h.end_s) for h in wall.finish().holds]


def test_a_hold_goes_on_across_a_cut_that_keeps_the_posture():
    # An edit to another shot of the same wall sit: one hold, as the labels time it
    # (ending holds at every cut lost a plank filmed by a reframing camera whole).
    assert wall_sit_cut_at(np.full(300, 90.0), 150) == [(0.0, pytest.approx(299 * DT))]


def test_a_hold_ends_at_a_cut_to_another_posture():
    # The next shot shows the person standing: the hold ended at its last frame.
    knees = np.concatenate([np.full(150, 90.0), np.full(150, 175.0)])
    assert wall_sit_cut_at(knees, 150) == [(0.0, pytest.approx(149 * DT))]


def test_a_rep_left_by_min_rom_and_going_on_across_a_cut_counts_once():
    # Down to 60 deg, back up to 105 (still in the bottom band, but min_rom 40 away
    # from the extreme), a cut there, and the squat goes on up: one rep, not the
    # rep ended at the cut plus a new one "starting at the bottom" after it.
    knees = np.concatenate(
        [
            np.full(30, 175.0),
            np.linspace(175.0, 60.0, 30),
            np.linspace(60.0, 105.0, 15),
            np.linspace(107.0, 175.0, 20),
            np.full(30, 175.0),
        ]
    )
    engine = Engine(load_spec("squat"))
    for i, pose in enumerate(squat_poses(knees)):
        if i == 75:
            engine.cut(pose.t_s)
        engine.update(pose)
    assert engine.finish().reps_total == 1


def test_a_few_wrong_poses_just_after_a_cut_make_no_rep():
    # Standing before the cut and after it, but the first three poses of the new shot
    # read a deep knee (the tracker finding the person again): no rep. The start
    # position was seen just before the cut, so that "rep" is held to min_rep_s.
    knees = np.concatenate([np.full(30, 175.0), [60.0, 60.0, 175.0], np.full(30, 175.0)])
    engine = Engine(load_spec("squat"))
    for i, pose in enumerate(squat_poses(knees)):
        if i == 30:
            engine.cut(pose.t_s)
        engine.update(pose)
    result = engine.finish()
    assert result.reps_total == 0
    assert [n.reason for n in result.not_counted] == ["too_quick"]


@pytest.mark.parametrize(
    ("thrown", "real"),
    [
        # Standing, then the last three poses read a deep knee and half way back up (a
        # wipe to black throws the pose about); a real squat cut by the end on its way
        # up: down in 0.5 s, up for 0.2 s.
        (
            np.concatenate([np.full(30, 175.0), [60.0, 60.0, 140.0]]),
            np.concatenate(
                [np.full(30, 175.0), np.linspace(175.0, 90.0, 15), np.linspace(90.0, 140.0, 6)]
            ),
        ),
        # A person walking into the picture: the first three poses read a deep knee,
        # then half way up and standing; a real squat seen from its bottom: up from
        # 90 deg for 0.3 s, then standing.
        (
            np.concatenate([[60.0, 60.0, 140.0], np.full(30, 175.0)]),
            np.concatenate([np.linspace(90.0, 175.0, 10), np.full(30, 175.0)]),
        ),
    ],
    ids=["end", "start"],
)
def test_wrong_poses_at_either_end_of_a_recording_make_no_rep(thrown, real):
    # What was seen of the thrown "rep" lasted 0.067 s, less than half of min_rep_s
    # (0.2 s, the limit for a rep cut by the start or the end of what was seen): no
    # rep, and the report gives the limit it was held to. The real one counts.
    result = analyze_poses(load_spec("squat"), squat_poses(thrown))
    assert result.reps_total == 0
    assert [n.reason for n in result.not_counted] == ["too_quick"]
    assert result.not_counted[0].message == "took less than 0.2 s"
    assert analyze_poses(load_spec("squat"), squat_poses(real)).reps_total == 1


def test_a_recording_ending_just_past_exit_has_not_left_the_working_position():
    # Down to 128 deg (enter 130) and the recording ends at 136 (exit 135): 8 deg back
    # from the bottom is jitter, not the way up (min_rom 40): the rep is not counted.
    # Ending at 170, back 42 deg, it is.
    down = np.concatenate([np.full(30, 175.0), np.linspace(175.0, 128.0, 30)])
    for end_deg, counted in ((136.0, 0), (170.0, 1)):
        knees = np.concatenate([down, np.linspace(128.0, end_deg, 20)])
        result = analyze_poses(load_spec("squat"), squat_poses(knees))
        assert result.reps_total == counted
        assert [n.reason for n in result.not_counted] == ["ended_in_peak"] * (1 - counted)


def cat_cow_parts(head_down_deg: float, roll_deg: float) -> dict[str, np.ndarray]:
    """On all fours side-on, head to the left, the head ``head_down_deg`` below the
    line of the back (0: in line), the picture rolled so the head end is
    ``roll_deg`` higher (a tilted camera, or a head carried high)."""
    parts = quadruped_parts()
    down = np.radians(head_down_deg)
    parts["nose"] = parts["shoulder"] + 0.2 * np.array([-np.cos(down), np.sin(down)])
    hip = parts["hip"]
    return {name: hip + rotation(roll_deg) @ (point - hip) for name, point in parts.items()}


def test_cat_cow_reads_the_head_against_the_back_not_the_horizontal():
    """Rolled 20 deg, a cat with the head 65 deg below the back reads 52 deg below
    the horizontal (the old head-elevation rule needed 60, and counted none, as on a
    real person who carried the head high); against the back (108 deg) it is a cat:
    two cycles, two counts."""
    down = np.concatenate(
        [np.full(30, 30.0), *[np.r_[np.linspace(30, 65, 30), np.linspace(65, -5, 45)]] * 2]
    )
    poses = [make_pose(i, cat_cow_parts(d, 20.0)) for i, d in enumerate(down)]
    result = analyze_poses(load_spec("cat_cow"), poses)
    assert result.reps_total == 2
    assert min(result.signals["head"]) < 125.0 < 155.0 < max(result.signals["head"])


def test_restrict_blanks_every_signal_that_reads_a_narrowed_landmark():
    """A min/max blanks with a member (nested ones too), a change with its base;
    the rest keep their values exactly."""
    spec = load_spec("bird_dog")
    evaluator = SignalEvaluator(spec)
    pose = bird_dog_poses(1, 0.0, 0.0)[60]
    values = evaluator.evaluate(pose, "left")
    values["trunk_tilt"] = 1.5  # a change signal, as the engine fills it in
    unseen = np.zeros(len(LANDMARK_NAMES), dtype=bool)
    unseen[INDEX["right_ankle"]] = True  # the opposite leg's ankle
    narrowed = evaluator.restrict(values, "left", unseen)
    blank = {name for name, value in narrowed.items() if math.isnan(value)}
    assert blank == {"opposite_leg", "leg", "extension"}  # extension = min(arm, leg)
    assert {k: v for k, v in narrowed.items() if k not in blank} == {
        k: v for k, v in values.items() if k not in blank
    }
    unseen[INDEX["left_hip"]] = True  # the trunk's hip: the change goes blank too
    assert math.isnan(evaluator.restrict(values, "left", unseen)["trunk_tilt"])
