"""Cut detection (issue 13, class 8): thumbnails, picture cuts, person jumps, and the
offline pipeline resetting the rep state at a cut."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from test_cli import _write_video
from test_engine import DT, make_pose, squat_poses, standing_parts

from formcheck.cuts import (
    THUMBNAIL_SIZE,
    CutDetector,
    PersonJumps,
    PictureCuts,
    find_cuts,
    grey_thumbnail,
)
from formcheck.pipeline import AnalysisOptions, analysis_from_poses, analyze
from formcheck.sources import SourceInfo
from formcheck.specs import load_spec
from formcheck.types import PoseFrame


def scene(seed: int, shape: tuple[int, int] = (360, 640)) -> np.ndarray:
    """A random RGB picture made of coarse blocks (a "shot")."""
    blocks = np.random.default_rng(seed).integers(0, 256, (9, 16, 3), dtype=np.uint8)
    return np.kron(blocks, np.ones((shape[0] // 9, shape[1] // 16, 1), dtype=np.uint8))


# ----------------------------------------------------------------- thumbnails
@pytest.mark.parametrize("shape", [(4, 4, 3), (360, 640, 3), (1280, 720, 3), (700, 700, 3)])
def test_thumbnail_of_a_uniform_picture_is_its_grey_level(shape):
    thumbnail = grey_thumbnail(np.full(shape, 51, np.uint8))
    assert thumbnail.shape == THUMBNAIL_SIZE[::-1] and thumbnail.dtype == np.float32
    assert np.allclose(thumbnail, 0.2)


def test_thumbnail_cells_average_their_area():
    image = np.zeros((360, 640, 3), np.uint8)
    image[:, 320:] = 255  # right half white
    thumbnail = grey_thumbnail(image)
    assert np.all(thumbnail[:, :16] == 0.0) and np.all(thumbnail[:, 16:] == 1.0)


# ------------------------------------------------------------- picture cuts
def test_a_hard_cut_is_found_on_its_first_frame_only():
    detector = PictureCuts()
    rng = np.random.default_rng(0)
    first, second = scene(1), scene(2)
    found = []
    for i in range(40):
        image = first if i < 20 else second
        noisy = np.clip(image + rng.normal(0, 3, image.shape), 0, 255).astype(np.uint8)
        found.append(detector.update(grey_thumbnail(noisy)))
    assert [i for i, cut in enumerate(found) if cut] == [20]


def test_light_changes_and_repeated_pictures_are_not_cuts():
    detector = PictureCuts()
    image = scene(3).astype(float)
    found = [detector.update(grey_thumbnail(image.astype(np.uint8))) for _ in range(5)]
    assert detector.new_picture is False  # the same picture again
    for gain in (0.5, 0.4, 1.0):  # the light dims at once, then comes back
        found.append(detector.update(grey_thumbnail((image * gain).astype(np.uint8))))
        assert detector.new_picture is True
    assert not any(found)


def test_steady_motion_is_not_a_cut():
    # A block sliding across the picture changes it frame after frame, never at once.
    detector = PictureCuts()
    found = []
    for i in range(60):
        image = np.full((360, 640, 3), 90, np.uint8)
        image[100:260, 10 * i : 10 * i + 120] = 230
        found.append(detector.update(grey_thumbnail(image)))
    assert not any(found)


# ------------------------------------------------------------- person jumps
def shifted(pose: PoseFrame, dx: float) -> PoseFrame:
    xyz = pose.image_xyz.copy()
    xyz[:, 0] += dx
    return dataclasses.replace(pose, image_xyz=xyz)


def test_a_person_jumping_across_the_picture_is_a_cut_moving_is_not():
    poses = squat_poses(np.linspace(175.0, 90.0, 60))
    jumps = PersonJumps()
    assert [jumps.update(p) for p in poses] == [None] * 60
    far = shifted(dataclasses.replace(poses[0], index=60, t_s=60 * DT), 0.3)
    assert jumps.update(far) == pytest.approx(60 * DT)


def test_a_person_lost_and_found_elsewhere_is_cut_where_they_were_lost():
    pose = make_pose(0, standing_parts(175.0))
    jumps = PersonJumps()
    assert jumps.update(pose) is None
    for i in range(1, 4):
        assert jumps.update(PoseFrame.empty(i, i * DT, 1000, 1000)) is None
    back = shifted(pose, 0.35)
    assert jumps.update(dataclasses.replace(back, index=4, t_s=4 * DT)) is None  # once: wait
    # there on the next frame too: a cut at the first frame without them
    assert jumps.update(dataclasses.replace(back, index=5, t_s=5 * DT)) == pytest.approx(DT)
    # found again where they were: no cut
    assert jumps.update(PoseFrame.empty(6, 6 * DT, 1000, 1000)) is None
    assert jumps.update(dataclasses.replace(back, index=7, t_s=7 * DT)) is None


def test_a_body_found_on_one_frame_between_losses_is_no_cut():
    """A person leaving the picture: the tracker loses them, finds a folded body on
    one frame, loses it again, then finds them where they were (a real push-up
    clip lost two reps to two such cuts)."""
    pose = make_pose(0, standing_parts(175.0))
    jumps = PersonJumps()
    found = [jumps.update(pose)]
    folded = dataclasses.replace(shifted(pose, 0.35), index=3, t_s=3 * DT)
    for i in range(1, 7):
        found.append(jumps.update(folded if i == 3 else PoseFrame.empty(i, i * DT, 1000, 1000)))
    found.append(jumps.update(dataclasses.replace(pose, index=7, t_s=7 * DT)))
    assert found == [None] * 8


def test_a_slideshow_of_a_movement_is_not_a_row_of_cuts():
    # Each picture held for 15 frames, the person a little further on each new one.
    jumps = PersonJumps()
    found = []
    for i in range(90):
        pose = shifted(make_pose(i, standing_parts(175.0)), 0.2 * (i // 15))
        found.append(jumps.update(pose, new_picture=i % 15 == 0))
    assert found == [None] * 90
    sudden = PersonJumps()  # the same moves between consecutive new pictures: jumps
    moves = [sudden.update(shifted(make_pose(i, standing_parts(175.0)), 0.2 * i)) for i in range(3)]
    assert moves[1:] == [pytest.approx(DT), pytest.approx(2 * DT)]


def test_detector_reports_a_cut_once_with_picture_and_person_together():
    detector = CutDetector()
    pose = make_pose(0, standing_parts(175.0))
    first, second = grey_thumbnail(scene(1)), grey_thumbnail(scene(2))
    assert detector.update(pose, first) is None
    cut = dataclasses.replace(pose, index=1, t_s=DT)
    assert detector.update(cut, second) == pytest.approx(DT)  # the picture changed
    moved = dataclasses.replace(shifted(pose, 0.3), index=2, t_s=2 * DT)
    assert detector.update(moved, second) is None  # the same cut, seen in the person


def test_find_cuts_gives_positions_of_the_first_frame_of_each_shot():
    poses = squat_poses(np.full(30, 175.0))
    poses += [
        dataclasses.replace(shifted(p, 0.3), index=p.index + 30, t_s=p.t_s + 1.0) for p in poses
    ]
    assert find_cuts(poses) == [30]
    assert find_cuts(poses[:30]) == []


# ---------------------------------------------------- offline pipeline (#13)
def test_a_cut_mid_movement_makes_no_rep_and_the_report_says_where():
    # Down to the bottom of a squat, then a cut to another shot of a person standing
    # elsewhere: the jump up is no rep. Today's pipeline counted it.
    knees = np.concatenate([np.full(30, 175.0), np.linspace(175.0, 90.0, 30)])
    poses = squat_poses(knees)
    poses += [
        dataclasses.replace(shifted(p, 0.3), index=60 + i, t_s=(60 + i) * DT)
        for i, p in enumerate(squat_poses(np.full(30, 175.0)))
    ]
    info = SourceInfo("cut.mp4", 1000, 1000, 30.0, len(poses), 3.0)
    report = analysis_from_poses(
        poses, load_spec("squat"), info, AnalysisOptions(), "test", len(poses)
    ).report.to_dict()
    assert report["reps"]["total"] == 0
    assert report["cuts"] == [pytest.approx(2.0)]
    assert any("cut at 2.0 s" in w for w in report["warnings"])


# ------------------------------------------------- real MediaPipe on real clips
def _frames(clip: Path, end_s: float | None = None) -> list[np.ndarray]:
    """The clip's frames up to ``end_s``, at 640×360 (the two clips below are 16:9)."""
    out = []
    with av.open(str(clip)) as container:
        for frame in container.decode(video=0):
            if end_s is not None and frame.time > end_s:
                break
            image = frame.to_ndarray(format="rgb24")
            out.append(cv2.resize(image, (640, 360), interpolation=cv2.INTER_AREA))
    return out


@pytest.mark.mediapipe
@pytest.mark.realclips
def test_two_joined_clips_make_no_rep_at_the_join(realclip, tmp_path):
    # A squat cut at its bottom (1.0 s into kaiakol_squat_correct_018), joined to a
    # clip that starts standing and holds one squat: by the labelling rule that is one
    # rep. The jump from the bottom to standing at the join counted a second one before.
    first = _frames(realclip("squat/kaiakol_squat_correct_018.mp4"), 1.0)
    second = _frames(realclip("squat/kaiakol_squat_correct_016.mp4"))
    video = _write_video(tmp_path / "joined.mp4", first + second, fps=30)
    report = analyze(video, "squat").report.to_dict()
    assert report["reps"]["total"] == 1
    assert report["cuts"] == [pytest.approx(len(first) / 30, abs=0.05)]
