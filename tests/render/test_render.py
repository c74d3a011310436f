"""Overlay annotators draw what they are given and survive missing landmarks."""

import dataclasses

import numpy as np
import pytest
from builders import random_pose

from formcheck.engine import EngineStatus
from formcheck.landmarks import INDEX
from formcheck.render.hud import overlay_state
from formcheck.render.overlay import (
    AngleLabel,
    HudAnnotator,
    OverlayState,
    SkeletonAnnotator,
    _wrap,
    annotate,
)
from formcheck.specs import load_spec
from formcheck.types import PoseFrame


def _pose(visibility: float = 1.0) -> PoseFrame:
    return random_pose(0, 0.0, visibility=visibility, width=320, height=240)


@pytest.mark.parametrize(
    ("visibility", "visibility_min", "drawn"),
    [(1.0, 0.5, True), (0.1, 0.5, False), (0.4, 0.5, False), (0.4, 0.3, True)],
)
def test_skeleton_draws_landmarks_at_its_visibility_gate(visibility, visibility_min, drawn):
    skeleton = SkeletonAnnotator(visibility_min=visibility_min)
    image = skeleton.annotate(np.zeros((240, 320, 3), np.uint8), _pose(visibility))
    assert image.any() == drawn


@pytest.mark.parametrize("pose", [PoseFrame.empty(0, 0.0, 320, 240), _pose()])
def test_annotate_survives_missing_landmarks(pose):
    pose.image_xyz[INDEX["left_knee"]] = np.nan
    state = OverlayState(
        title="Bridge",
        state="Exercising",
        counters=("Reps 1 / 8-12",),
        hold_s=1.0,
        hold_target_s=2.0,
        cue="Hold the top for 2 seconds.",
        angles=(AngleLabel("left_knee", "90"), AngleLabel("left_hip", "170")),
    )
    out = annotate(np.zeros((240, 320, 3), np.uint8), pose, state)
    assert out.shape == (240, 320, 3) and out.any()


def test_long_cue_wraps_to_fit_the_frame():
    lines = _wrap("Lift only to a straight line; do not arch your back.", 0.8, 2, 300)
    assert len(lines) > 1
    assert " ".join(lines) == "Lift only to a straight line; do not arch your back."


def test_hud_without_hold_or_cue_draws_panel_only():
    image = np.zeros((240, 320, 3), np.uint8)
    HudAnnotator().annotate(image, OverlayState(title="Plank", state="No person in view"))
    assert image[:40, :100].any() and not image[200:, 200:].any()


def _status(**changes) -> EngineStatus:
    status = EngineStatus(
        t_s=1.0,
        state="exercising",
        side="left",
        reps_total=3,
        reps_left=None,
        reps_right=None,
        hold_s=None,
        hold_target_s=None,
        cue=None,
        signals={},
        analysed_fps=30.0,
        needed_fps=4.0,
    )
    return dataclasses.replace(status, **changes)


def test_hud_counts_cycles_for_a_spec_that_only_counts():
    assert overlay_state(load_spec("cat_cow"), _status()).counters == ("Cycles 3 / 10",)
    assert overlay_state(load_spec("squat"), _status()).counters == ("Reps 3 / 8-12",)
    bridge = overlay_state(load_spec("bridge"), _status(hold_s=0.9, hold_target_s=2.0))
    assert bridge.hold_label == "Top"


def test_hud_says_when_too_few_frames_to_judge_form():
    slow = overlay_state(load_spec("squat"), _status(analysed_fps=0.5))
    assert slow.cue == "Too few frames to judge form (0.5/s, needs 4/s): counting only"
    assert slow.cue_is_fault
    assert overlay_state(load_spec("squat"), _status()).cue == ""
