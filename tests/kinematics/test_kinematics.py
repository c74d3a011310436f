"""Exact-number tests of the geometry (conventions in formcheck.kinematics)."""

import math

import numpy as np
import pytest

from formcheck.kinematics import (
    facing_direction,
    forward_offset,
    joint_angle,
    line_offset,
    normalised_distance,
    segment_elevation,
    segment_inclination,
    visible_side,
)
from formcheck.landmarks import INDEX, MIRROR, NUM_LANDMARKS, resolve

P = np.array


@pytest.mark.parametrize(
    ("a", "b", "c", "expected"),
    [
        ([1, 0], [0, 0], [0, 1], 90.0),  # right angle
        ([1, 0], [0, 0], [-1, 0], 180.0),  # straight limb
        ([1, 0], [0, 0], [1, 0], 0.0),  # fully folded
        ([3, 4], [0, 0], [4, 3], np.degrees(np.arctan2(7, 24))),  # 3-4-5 vectors
        ([-3, -4], [0, 0], [4, -3], 90.0),
        ([1, 0, 0], [0, 0, 0], [0, 0, 1], 90.0),  # 3D
        ([1, 1, 0], [0, 0, 0], [1, 1, np.sqrt(2)], 45.0),
    ],
)
def test_joint_angle_exact(a, b, c, expected):
    assert joint_angle(P(a, float), P(b, float), P(c, float)) == pytest.approx(expected, abs=1e-9)


def test_joint_angle_nan_and_degenerate():
    assert np.isnan(joint_angle(P([np.nan, 0.0]), P([0.0, 0.0]), P([1.0, 0.0])))
    assert np.isnan(joint_angle(P([0.0, 0.0]), P([0.0, 0.0]), P([1.0, 0.0])))


def test_joint_angle_vectorised_and_mirror_invariant():
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(size=(3, 50, 2))
    mirror = P([-1.0, 1.0])
    np.testing.assert_allclose(
        joint_angle(a, b, c), joint_angle(a * mirror, b * mirror, c * mirror)
    )
    assert joint_angle(a, b, c).shape == (50,)


@pytest.mark.parametrize(
    ("b", "elevation", "inclination"),
    [
        ([1, 0], 0.0, 90.0),  # level, pointing right
        ([-1, 0], 0.0, 90.0),  # level, pointing left: same (no flip when facing left)
        ([0, -1], 90.0, 0.0),  # straight up (image y down)
        ([0, 1], -90.0, 180.0),  # straight down
        ([1, -1], 45.0, 45.0),
        ([-1, 1], -45.0, 135.0),
        ([np.sqrt(3), -1], 30.0, 60.0),
    ],
)
def test_segment_angles_exact(b, elevation, inclination):
    origin = P([0.0, 0.0])
    assert segment_elevation(origin, P(b, float)) == pytest.approx(elevation, abs=1e-9)
    assert segment_inclination(origin, P(b, float)) == pytest.approx(inclination, abs=1e-9)


def test_segment_elevation_3d_uses_horizontal_plane():
    # up 1 m, 1 m away from the camera: 45 degrees above the horizontal
    assert segment_elevation(P([0.0, 0, 0]), P([0.0, -1, 1])) == pytest.approx(45.0)


@pytest.mark.parametrize(
    ("p", "a", "b", "expected"),
    [
        ([5, 0], [0, 0], [10, 0], 0.0),  # on the line
        ([5, -1], [0, 0], [10, 0], 0.1),  # above (pike)
        ([5, 1], [0, 0], [10, 0], -0.1),  # below (sag)
        ([5, -1], [10, 0], [0, 0], 0.1),  # line drawn the other way: same sign
        ([5, 3], [0, 0], [10, 0], -0.3),
        ([0, 5], [-3, 4], [3, 4], -1 / 6),  # horizontal line at y=4, point below it
    ],
)
def test_line_offset_exact(p, a, b, expected):
    assert line_offset(P(p, float), P(a, float), P(b, float)) == pytest.approx(expected)


def test_line_offset_sign_on_a_tilted_line_does_not_flip_with_facing():
    # Plank facing right: shoulders at (10, 2) higher than ankles at (0, 4); hips sag to y=5.
    shoulder, ankle, hip = P([10.0, 2.0]), P([0.0, 4.0]), P([5.0, 5.0])
    sag_right = line_offset(hip, shoulder, ankle)
    mirror = P([-1.0, 1.0])
    sag_left = line_offset(hip * mirror, shoulder * mirror, ankle * mirror)
    assert sag_right < 0
    assert sag_left == pytest.approx(sag_right)


@pytest.mark.parametrize(
    ("p", "a", "b", "expected"),
    [
        ([5, -1, 0], [0, 0, 0], [10, 0, 0], 0.1),  # above a level line: as in 2D
        ([5, 1, 0], [10, 0, 0], [0, 0, 0], -0.1),  # below, line drawn the other way
        ([5, -1, 3], [0, 0, 0], [10, 0, 0], 0.1),  # sideways of the line: not up or down
        ([0, -5, 0], [0, 0, 0], [0, 10, 0], math.nan),  # vertical line: no vertical plane
    ],
)
def test_line_offset_3d_is_measured_in_the_vertical_plane_of_the_line(p, a, b, expected):
    assert line_offset(P(p, float), P(a, float), P(b, float)) == pytest.approx(
        expected, nan_ok=True
    )


def test_line_offset_3d_is_the_same_from_every_camera_round_the_body():
    # A sagging plank, shoulders higher than ankles (y down), seen side-on ...
    shoulder, ankle, hip = P([1.2, -0.3, 0.0]), P([-0.4, 0.1, 0.0]), P([0.4, 0.05, 0.0])
    side_on = line_offset(hip, shoulder, ankle)
    assert side_on == pytest.approx(line_offset(hip[:2], shoulder[:2], ankle[:2]))
    for yaw in np.radians([30.0, 60.0, 90.0, 150.0]):  # ... and the camera walked round it
        c, s = math.cos(yaw), math.sin(yaw)
        turn = P([[c, 0, s], [0, 1, 0], [-s, 0, c]])
        assert line_offset(turn @ hip, turn @ shoulder, turn @ ankle) == pytest.approx(side_on)
    assert side_on < 0


def test_normalised_distance_and_forward_offset():
    assert normalised_distance(
        P([0.0, 0]), P([3.0, 4]), P([0.0, 0]), P([0.0, 10])
    ) == pytest.approx(0.5)
    # knee 2 px ahead of the toe along heel->toe (facing right), shin length 10
    knee, toe, heel, hip = P([12.0, 0]), P([10.0, 5]), P([6.0, 5]), P([12.0, -10])
    assert forward_offset(knee, toe, heel, toe, knee, knee + P([0.0, 10])) == pytest.approx(0.2)
    mirror = P([-1.0, 1.0])
    assert forward_offset(
        knee * mirror, toe * mirror, heel * mirror, toe * mirror, hip, hip + P([0.0, 10])
    ) == pytest.approx(0.2)


def _pose_facing_right():
    pts = np.zeros((NUM_LANDMARKS, 2))
    pts[INDEX["nose"]] = [0.6, 0.2]
    pts[INDEX["left_ear"]] = [0.5, 0.2]
    pts[INDEX["right_ear"]] = [0.52, 0.2]
    return pts


def test_facing_direction():
    pts = _pose_facing_right()
    assert facing_direction(pts) == 1.0
    assert facing_direction(pts * P([-1.0, 1.0])) == -1.0


def test_visible_side():
    vis = np.full(NUM_LANDMARKS, 0.2)
    for part in ("shoulder", "elbow", "hip", "knee", "ankle"):
        vis[INDEX[f"right_{part}"]] = 0.95
    assert visible_side(vis) == "right"
    assert visible_side(vis[list(MIRROR)]) == "left"


def test_landmark_names_resolve():
    assert resolve("knee", "left") == "left_knee"
    assert resolve("opposite_shoulder", "left") == "right_shoulder"
    assert resolve("nose", "right") == "nose"
    with pytest.raises(KeyError):
        resolve("tail", "left")
