"""Replay files: saved landmarks round-trip bit for bit and are read back as a source
of poses; a damaged file is refused with the key it lacks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from builders import assert_same_pose, random_pose

from formcheck.errors import ModelError
from formcheck.landmarks import NUM_LANDMARKS
from formcheck.sources import ReplaySource, write_replay
from formcheck.sources.replay import FORMAT_VERSION
from formcheck.types import PoseFrame


def _synthetic_poses(count: int) -> list[PoseFrame]:
    poses = [
        random_pose(i, i * 0.0417, seed=7 + i, width=640, height=360, people=1 + i % 2)
        for i in range(count)
    ]
    poses[1] = PoseFrame.empty(1, poses[1].t_s, 640, 360)
    return poses


def _record(poses: list[PoseFrame], path: Path) -> Path:
    return write_replay(path, poses, source_path="clip.mp4", backend="tasks")


def test_replay_round_trip_is_exact(tmp_path: Path) -> None:
    poses = _synthetic_poses(5)
    path = _record(poses, tmp_path / "sub" / "run.npz")
    replay = ReplaySource(path)
    assert (replay.backend, replay.info.path, len(replay)) == ("tasks", "clip.mp4", 5)
    for got, want in zip(replay, poses, strict=True):
        assert_same_pose(got, want)
    assert not list(replay)[1].detected
    info = replay.info
    assert (info.path, info.width, info.height, info.frame_count) == ("clip.mp4", 640, 360, 5)
    assert info.fps == pytest.approx(1 / 0.0417)
    assert info.duration_s == pytest.approx(5 * 0.0417)
    assert [p.name for p in tmp_path.joinpath("sub").iterdir()] == ["run.npz"]


def test_replay_file_keys(tmp_path: Path) -> None:
    with np.load(_record(_synthetic_poses(2), tmp_path / "run.npz")) as data:
        assert sorted(data.files) == sorted(
            [
                "format_version",
                "source_path",
                "backend",
                "width",
                "height",
                "index",
                "t_s",
                "image_xyz",
                "world_xyz",
                "visibility",
                "presence",
                "people",
            ]
        )
        assert int(data["format_version"]) == FORMAT_VERSION
        assert data["image_xyz"].shape == (2, NUM_LANDMARKS, 3)


def _rewrite(path: Path, **changes: np.ndarray | None) -> Path:
    with np.load(path) as data:
        arrays = {key: data[key] for key in data.files}
    for key, value in changes.items():
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"world_xyz": None}, "lacks 'world_xyz'"),
        ({"format_version": None}, "lacks 'format_version'"),
        ({"image_xyz": np.zeros((3, NUM_LANDMARKS, 2))}, r"'image_xyz' has shape \(3, 33, 2\)"),
        ({"visibility": np.zeros((2, NUM_LANDMARKS))}, r"'visibility' has shape \(2, 33\)"),
        ({"people": np.array(["a", "b", "c"])}, "'people' has shape"),
        ({"width": np.array([640])}, "'width' must be a scalar"),
        ({"format_version": np.array(99)}, "format_version 99"),
        ({"index": np.array([0, 0, 1])}, "'index' repeats a frame index"),
    ],
)
def test_invalid_replay_file_names_the_key(
    tmp_path: Path, changes: dict[str, np.ndarray | None], message: str
) -> None:
    path = _rewrite(_record(_synthetic_poses(3), tmp_path / "run.npz"), **changes)
    with pytest.raises(ModelError, match=message) as caught:
        ReplaySource(path)
    assert caught.value.exit_code == 4


def test_replay_file_that_is_not_npz(tmp_path: Path) -> None:
    (tmp_path / "run.npz").write_text("hello")
    with pytest.raises(ModelError, match=r"is not a replay file \(\.npz\)"):
        ReplaySource(tmp_path / "run.npz")
    with pytest.raises(ModelError, match=r"replay file '.*missing\.npz' not found"):
        ReplaySource(tmp_path / "missing.npz")


def test_write_replay_rejects_empty_and_mixed_sizes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no poses recorded"):
        write_replay(tmp_path / "run.npz", [])
    mixed = [PoseFrame.empty(0, 0.0, 640, 360), PoseFrame.empty(1, 0.1, 360, 640)]
    with pytest.raises(ValueError, match="is 360x640, earlier frames are 640x360"):
        write_replay(tmp_path / "run.npz", mixed)
    assert not (tmp_path / "run.npz").exists()
