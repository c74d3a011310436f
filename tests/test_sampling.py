"""Adaptive sampling: the plan derived from a spec, the sampler's decisions, the
interpolation of skipped frames, and (real MediaPipe) the same counts, holds and
faults as full-rate analysis on the bundled samples."""

from __future__ import annotations

import json

import numpy as np
import pytest
from builders import (
    SAMPLE_DIR,
    decisions,
    event_times,
    performance,
    pinned_options,
    sample_analysis,
    sampling_replay,
    uniform_pose,
)

from formcheck.pipeline import analyze
from formcheck.sampling import AdaptiveSampler, fill_skipped, plan_for
from formcheck.specs import load_spec
from formcheck.synth.motions import MOTIONS
from formcheck.types import PoseFrame


def test_plan_watches_the_specs_thresholds():
    spec = load_spec("bridge")
    plan = plan_for(spec)
    rule = spec.reps
    assert {rule.enter, rule.exit, rule.rest} <= set(plan.thresholds[rule.signal])
    backbend = next(f for f in spec.faults if f.id == "backbend")
    assert backbend.when[0].value in plan.thresholds[backbend.when[0].signal]
    assert plan.calm_interval_s == min(0.5, rule.min_rep_s / 2, backbend.min_duration_s)
    assert plan.margins[rule.signal] >= 2.0  # degrees


def _pose(index: int, t_s: float, value: float) -> PoseFrame:
    return uniform_pose(index, t_s, value, width=100, height=100)


def test_fill_skipped_interpolates_linearly_and_respects_gaps():
    analysed = [_pose(0, 0.0, 0.0), _pose(4, 0.4, 0.4), _pose(6, 0.6, 0.6)]
    analysed.append(PoseFrame.empty(8, 0.8, 100, 100))
    timeline = [(i, i / 10) for i in range(9)]
    out = fill_skipped(analysed, timeline, 100, 100)
    assert [p.index for p in out] == list(range(9))
    np.testing.assert_allclose(out[1].image_xyz, 0.1)
    np.testing.assert_allclose(out[3].image_xyz, 0.3)
    np.testing.assert_allclose(out[5].image_xyz, 0.5)
    assert not out[7].detected  # next to a frame without a person: no person


def test_sampler_skips_calm_frames_and_goes_full_rate_near_thresholds():
    spec = load_spec("bridge")
    sampler = AdaptiveSampler(spec)
    poses = performance("bridge", reps=2)
    analysed = []
    for pose in poses:
        if sampler.wants(pose.t_s):
            sampler.observe(pose)
            analysed.append(pose.index)
    assert len(analysed) < 0.6 * len(poses)
    gaps = np.diff(analysed)
    assert gaps.max() <= round(sampler.plan.calm_interval_s * 30) + 1
    assert (gaps == 1).sum() > 10  # bursts around the rep thresholds


@pytest.mark.mediapipe
@pytest.mark.parametrize("truth", sorted(SAMPLE_DIR.glob("*.truth.json")), ids=lambda p: p.stem)
def test_adaptive_sampling_matches_full_rate_on_samples(truth):
    exercise = json.loads(truth.read_text())["exercise"]
    name = truth.name.removesuffix(".truth.json")
    video = truth.with_name(f"{name}.mp4")
    full = sample_analysis(name, exercise).report
    fast = analyze(video, exercise, pinned_options(sampling="adaptive")).report
    assert fast.analysis.sampling is not None
    assert fast.analysis.sampling.frames_analysed < full.stats.frames
    assert decisions(fast.session) == decisions(full.session)
    # Timing is the benchmark's business (benchmarks/batch_realtime.py reports it in
    # frames): the tracker that skipped frames places landmarks a little differently,
    # which moves a slow threshold crossing by a few frames (measured up to 4 on
    # these samples). Here only a gross shift would be a bug.
    np.testing.assert_allclose(event_times(fast.session), event_times(full.session), atol=0.5)


@pytest.mark.parametrize(
    ("exercise", "fault"),
    [(exercise, fault) for exercise, motion in MOTIONS.items() for fault in (None, *motion.faults)],
)
def test_sampling_policy_keeps_counts_and_timing_on_exact_poses(exercise, fault):
    """With the tracker out of the picture (exact poses stand in for the model),
    the sampler alone must not change a decision or move an event by a frame."""
    replay = sampling_replay(exercise, fault)
    assert decisions(replay.sampled) == decisions(replay.full)
    np.testing.assert_allclose(
        event_times(replay.sampled), event_times(replay.full), atol=1 / 30 + 1e-9
    )
