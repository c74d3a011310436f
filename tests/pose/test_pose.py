"""Pose backends: the factory, the built .task bundle, and real MediaPipe runs."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from builders import REPO_ROOT, assert_same_pose

from formcheck.errors import ModelError
from formcheck.landmarks import INDEX, NUM_LANDMARKS
from formcheck.pipeline import AnalysisOptions
from formcheck.pose import PoseEstimator, create_estimator
from formcheck.sources import ReplaySource, ThreadedReader, open_source, write_replay
from formcheck.types import Frame, PoseFrame

BRIDGE = "bridge/be18_glute_bridge.mp4"
BRIDGE_FRAMES = 232


# --- factory -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("backend", "model", "opts", "message"),
    [
        ("openpose", None, {}, "unknown pose backend 'openpose'; choose one of tasks, legacy"),
        ("legacy", Path("x.task"), {}, "legacy backend only runs mediapipe's built-in model"),
        ("legacy", None, {"model_complexity": 2}, "model_complexity=2 needs a model download"),
        ("legacy", None, {"model_complexity": 0}, "model_complexity=0 needs a model download"),
        ("replay", None, {}, "unknown pose backend 'replay'; choose one of tasks, legacy"),
        ("tasks", Path("/nonexistent/x.task"), {}, "pose model '/nonexistent/x.task' not found"),
    ],
)
def test_create_estimator_errors(
    backend: str, model: Path | None, opts: dict[str, int], message: str
) -> None:
    with pytest.raises(ModelError, match=message):
        create_estimator(backend, model=model, **opts)


@pytest.mark.mediapipe
@pytest.mark.parametrize("content", [b"", b"not a model\n", bytes(range(256)) * 40])
def test_user_task_file_that_is_garbage(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "user.task").write_bytes(content)
    with pytest.raises(ModelError, match=r"^cannot load pose model '.*user\.task': not a Media"):
        create_estimator("tasks", model=tmp_path / "user.task")


# --- the built .task bundle ----------------------------------------------------


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from formcheck.pose.bundle import CACHE_ENV

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_bundle_is_built_once_into_the_cache(cache: Path) -> None:
    from formcheck.pose.bundle import (
        DETECTOR_MEMBER,
        LANDMARKS_MEMBER,
        bundle_path,
        ensure_bundle,
    )

    path = ensure_bundle()
    assert path == bundle_path() and path.parent == cache
    assert "mp0.10.21" in path.name
    with zipfile.ZipFile(path) as bundle:
        assert sorted(bundle.namelist()) == sorted([DETECTOR_MEMBER, LANDMARKS_MEMBER])
        assert all(info.compress_type == zipfile.ZIP_STORED for info in bundle.infolist())
    built = path.stat().st_mtime_ns
    assert ensure_bundle().stat().st_mtime_ns == built
    assert os.listdir(cache) == [path.name]


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as bundle:
        return {name: bundle.read(name) for name in bundle.namelist()}


def _not_a_zip(path: Path) -> None:
    path.write_bytes(b"garbage" * 100)


def _truncated_zip(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _zip_missing_a_member(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("pose_detector.tflite", b"x")


@pytest.mark.parametrize("corrupt", [_not_a_zip, _truncated_zip, _zip_missing_a_member])
def test_corrupt_cached_bundle_is_rebuilt(cache: Path, corrupt: Callable[[Path], None]) -> None:
    from formcheck.pose.bundle import ensure_bundle, is_valid_bundle

    path = ensure_bundle()
    good = _members(path)
    corrupt(path)
    assert not is_valid_bundle(path)
    assert ensure_bundle() == path
    assert is_valid_bundle(path)
    assert _members(path) == good  # the zip itself differs: it stores write times


@pytest.mark.mediapipe
def test_cached_bundle_that_fails_to_load_is_rebuilt(cache: Path) -> None:
    from formcheck.pose.bundle import DETECTOR_MEMBER, LANDMARKS_MEMBER, bundle_path

    path = bundle_path()
    path.parent.mkdir(parents=True)
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr(DETECTOR_MEMBER, b"not a tflite model")
        bundle.writestr(LANDMARKS_MEMBER, b"not a tflite model")
    estimator = create_estimator("tasks")
    estimator.close()
    assert path.stat().st_size > 1_000_000


# --- real MediaPipe on a real clip ---------------------------------------------


def _run(estimator: PoseEstimator, clip: Path, limit: int | None = None) -> list[PoseFrame]:
    poses = []
    with open_source(clip) as video:
        for frame in ThreadedReader(video):
            if limit is not None and frame.index >= limit:
                break
            poses.append(estimator.process(frame))
    estimator.close()
    return poses


@pytest.fixture(scope="module")
def tasks_poses(realclip: Callable[[str], Path]) -> list[PoseFrame]:
    return _run(create_estimator("tasks"), realclip(BRIDGE))


@pytest.fixture(scope="module")
def legacy_poses(realclip: Callable[[str], Path]) -> list[PoseFrame]:
    return _run(create_estimator("legacy"), realclip(BRIDGE))


def _camera_side(poses: list[PoseFrame]) -> str:
    """The side whose shoulder, hip and knee are more visible over the clip."""

    def visibility(side: str) -> float:
        joints = [INDEX[f"{side}_{part}"] for part in ("shoulder", "hip", "knee")]
        return float(np.mean([p.visibility[joints] for p in poses]))

    return max(("left", "right"), key=visibility)


def _hip_angles_deg(poses: list[PoseFrame], side: str) -> np.ndarray:
    """Shoulder-hip-knee interior angle per frame, from aspect-correct pixel coordinates."""
    joints = [INDEX[f"{side}_{part}"] for part in ("shoulder", "hip", "knee")]
    xy = np.stack([p.pixel_xy()[joints] for p in poses])
    to_shoulder, to_knee = xy[:, 0] - xy[:, 1], xy[:, 2] - xy[:, 1]
    cosine = np.sum(to_shoulder * to_knee, axis=1) / (
        np.linalg.norm(to_shoulder, axis=1) * np.linalg.norm(to_knee, axis=1)
    )
    return np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))


@pytest.mark.mediapipe
@pytest.mark.realclips
def test_tasks_backend_tracks_a_glute_bridge(tasks_poses: list[PoseFrame]) -> None:
    assert len(tasks_poses) == BRIDGE_FRAMES
    assert [p.index for p in tasks_poses] == list(range(BRIDGE_FRAMES))
    detected = [p for p in tasks_poses if p.detected]
    assert len(detected) >= 0.95 * BRIDGE_FRAMES
    assert all(p.people in (1, 2) for p in detected)
    assert all((p.width, p.height) == (1280, 720) for p in tasks_poses)
    pose = detected[0]
    assert np.all((pose.presence >= 0) & (pose.presence <= 1))
    assert np.all(np.isfinite(pose.world_xyz)) and np.abs(pose.world_xyz).max() < 1.5
    hip = _hip_angles_deg(detected, _camera_side(detected))
    # Measured 130.0° (hips on the floor) to 180.0° (top of the bridge).
    assert 110 < hip.min() < 150, hip.min()
    assert hip.max() > 165, hip.max()


@pytest.mark.mediapipe
@pytest.mark.realclips
def test_tasks_and_legacy_agree(
    tasks_poses: list[PoseFrame], legacy_poses: list[PoseFrame]
) -> None:
    """Tasks and legacy landmarks agree on a real clip.

    Measured on this clip (all 232 frames): shoulder/hip/knee/ankle |Δx,y| mean
    0.0053, max 0.042 (normalised); camera-side hip angle |Δ| mean 2.50°, 95th
    percentile 6.23°, max 9.01°. The bounds leave about 2x margin.
    """
    both = [
        (t, g) for t, g in zip(tasks_poses, legacy_poses, strict=True) if t.detected and g.detected
    ]
    assert len(both) >= 0.95 * BRIDGE_FRAMES
    core = [INDEX[n] for n in ("left_shoulder", "left_hip", "left_knee", "left_ankle")]
    core += [INDEX[n] for n in ("right_shoulder", "right_hip", "right_knee", "right_ankle")]
    diff = np.abs(np.stack([t.image_xyz[core, :2] - g.image_xyz[core, :2] for t, g in both]))
    side = _camera_side([g for _, g in both])
    hip_diff = np.abs(
        _hip_angles_deg([t for t, _ in both], side) - _hip_angles_deg([g for _, g in both], side)
    )
    assert diff.mean() < 0.012
    assert hip_diff.mean() < 5.0
    assert np.percentile(hip_diff, 95) < 12.0


@pytest.mark.mediapipe
@pytest.mark.realclips
def test_replay_of_a_real_run_is_identical(tasks_poses: list[PoseFrame], tmp_path: Path) -> None:
    replay = ReplaySource(write_replay(tmp_path / "bridge.npz", tasks_poses, backend="tasks"))
    for got, want in zip(replay, tasks_poses, strict=True):
        assert_same_pose(got, want)


@pytest.mark.mediapipe
@pytest.mark.realclips
def test_tasks_accepts_repeated_timestamps(realclip: Callable[[str], Path]) -> None:
    with open_source(realclip(BRIDGE)) as video:
        frame = next(iter(video))
    estimator = create_estimator("tasks", people_probe_s=None)
    poses = [estimator.process(Frame(frame.image, i, 0.0)) for i in range(3)]
    estimator.close()
    assert [p.people for p in poses] == [1, 1, 1]


@pytest.mark.mediapipe
@pytest.mark.realclips
@pytest.mark.parametrize("backend", ["tasks", "legacy"])
def test_reset_estimator_matches_a_fresh_one(realclip: Callable[[str], Path], backend: str) -> None:
    """Batch workers reuse one model across videos: after reset() it must behave as new."""

    def frames(name: str, limit: int) -> list[Frame]:
        with open_source(realclip(name)) as video:
            return [f for _, f in zip(range(limit), video, strict=False)]

    first, second = frames(BRIDGE, 10), frames("bridge/physioplus_bridging.mp4", 10)
    reused = create_estimator(backend)
    for frame in first:
        reused.process(frame)
    reused.reset()
    again = [reused.process(f) for f in second]
    reused.close()
    fresh = create_estimator(backend)
    want = [fresh.process(f) for f in second]
    fresh.close()
    for got, expected in zip(again, want, strict=True):
        np.testing.assert_array_equal(got.image_xyz, expected.image_xyz)


@pytest.mark.mediapipe
def test_inference_threads_change_speed_not_landmarks() -> None:
    """XNNPACK with 1 or 2 threads gives the same landmarks on a bundled sample."""
    with open_source(REPO_ROOT / "sample_videos" / "bird_dog.mp4") as v:
        frames = [frame for _, frame in zip(range(40), v, strict=False)]
    runs = []
    for threads in (1, 2):
        estimator = create_estimator("tasks", threads=threads, people_probe_s=None)
        try:
            runs.append(np.stack([estimator.process(f).image_xyz for f in frames]))
        finally:
            estimator.close()
    assert np.isfinite(runs[0]).all()
    np.testing.assert_array_equal(runs[0], runs[1])


class SlowingClock:
    """A fake ``perf_counter`` for the estimator's inference timer: each inference
    takes 13 ms, then ``slow_s`` from inference number ``slow_from`` on (a
    competitor took a core)."""

    def __init__(self, slow_from: int | None, slow_s: float = 0.060) -> None:
        self.slow_from = slow_from
        self.slow_s = slow_s
        self.t_s = 0.0
        self.calls = 0

    def __call__(self) -> float:
        if self.calls % 2:  # the end of an inference
            slow = self.slow_from is not None and self.calls // 2 >= self.slow_from
            self.t_s += self.slow_s if slow else 0.013
        self.calls += 1
        return self.t_s


def _poses_with_clock(
    frames: list[Frame], clock: SlowingClock, restart_every_s: float | None
) -> tuple[list[PoseFrame], list[tuple[int, int]], int]:
    from formcheck.pose.tasks import TasksEstimator

    estimator = TasksEstimator(people_probe_s=None, restart_every_s=restart_every_s, clock=clock)
    try:
        poses = [estimator.process(frame) for frame in frames]
        return poses, estimator.switches, estimator.threads
    finally:
        estimator.close()


@pytest.mark.mediapipe
def test_fallback_to_fewer_threads_changes_no_landmark(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inference slows down (fake clock) at frame 3: the watch asks for fewer threads,
    the switch waits for the tracker's restart at 0.5 s, and every landmark equals
    those of a run that never slowed down. Without restarts the switch happens at
    once and the landmarks after it differ (a fresh tracker's)."""
    import formcheck.cpu
    import formcheck.pose.tasks as tasks

    monkeypatch.setattr(tasks, "auto_threads", lambda cap=None: 2)  # an idle machine
    monkeypatch.setattr(tasks, "SlowdownWatch", lambda: formcheck.cpu.SlowdownWatch(window=3))
    with open_source(REPO_ROOT / "sample_videos" / "bird_dog.mp4") as v:
        frames = [frame for _, frame in zip(range(20), v, strict=False)]
    steady, no_switch, threads = _poses_with_clock(frames, SlowingClock(None), 0.5)
    assert no_switch == [] and threads == 2
    slowed, switches, threads = _poses_with_clock(frames, SlowingClock(3), 0.5)
    assert switches == [(15, 1)] and threads == 1  # frame 15 is at 0.5 s
    assert all(pose.detected for pose in steady)
    for got, want in zip(slowed, steady, strict=True):
        assert_same_pose(got, want)
    at_once, switches, _ = _poses_with_clock(frames, SlowingClock(3), None)
    switched_at = switches[0][0]
    assert 3 < switched_at < 15
    for got, want in zip(at_once[:switched_at], steady, strict=False):
        assert_same_pose(got, want)
    assert any(
        not np.array_equal(got.image_xyz, want.image_xyz)
        for got, want in zip(at_once[switched_at:], steady[switched_at:], strict=True)
    )


def test_inference_threads_must_be_positive() -> None:
    with pytest.raises(ValueError, match="threads must be at least 1"):
        AnalysisOptions(threads=0)


# --- the second-person probe (#13 class 5) --------------------------------------


class _Landmark:
    def __init__(self, x: float, y: float, visibility: float) -> None:
        self.x, self.y, self.visibility = x, y, visibility


class _FakeImageLandmarker:
    """Returns the poses queued in ``found`` (one list per detect call)."""

    def __init__(self) -> None:
        self.found: list[list[list[_Landmark]]] = []
        self.calls = 0

    def detect(self, image: object) -> object:
        self.calls += 1
        poses = self.found.pop(0) if self.found else []
        return type("Result", (), {"pose_landmarks": poses})()

    def close(self) -> None:
        pass


def _standing_xy(x: float, height: float) -> np.ndarray:
    """(33, 2) normalised points of a person standing at ``x``, ``height`` tall."""
    xy = np.full((NUM_LANDMARKS, 2), [x, 0.9 - height])
    for part, up in (("shoulder", 0.8), ("elbow", 0.6), ("wrist", 0.45), ("hip", 0.5)):
        for side, dx in (("left", -0.02), ("right", 0.02)):
            xy[INDEX[f"{side}_{part}"]] = [x + dx, 0.9 - up * height]
    for part, up in (("knee", 0.25), ("ankle", 0.0)):
        for side, dx in (("left", -0.02), ("right", 0.02)):
            xy[INDEX[f"{side}_{part}"]] = [x + dx, 0.9 - up * height]
    return xy


def _found(x: float, height: float, visibility: float) -> list[_Landmark]:
    return [_Landmark(px, py, visibility) for px, py in _standing_xy(x, height)]


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch):
    from formcheck.pose import tasks

    fake = _FakeImageLandmarker()
    monkeypatch.setattr(tasks, "_load", lambda *args, **kwargs: fake)
    return tasks.SecondPersonProbe(Path("unused.task")), fake


def _people(probe, times: list[float]) -> list[int]:
    image = np.zeros((480, 640, 3), np.uint8)
    xyz = np.column_stack([_standing_xy(0.3, 0.7), np.zeros(NUM_LANDMARKS)])
    ones = np.ones(NUM_LANDMARKS)
    out = []
    for i, t_s in enumerate(times):
        pose = PoseFrame(i, t_s, 640, 480, xyz, xyz, ones, ones)
        out.append(probe.update(Frame(image, i, t_s), pose))
    return out


def test_probe_ignores_furniture_small_or_unsure(probe) -> None:
    # A chair's "person": a fifth of the tracked person's size, or full size but
    # its limbs unsure; found at every probe. Both were two people before (#13).
    probe, fake = probe
    fake.found = [[_found(0.75, 0.15, 0.95)] for _ in range(6)]
    assert _people(probe, [0.0, 0.1, 1.1, 1.2, 2.2, 2.3]) == [1] * 6
    fake.found = [[_found(0.75, 0.7, 0.6)] for _ in range(6)]
    assert _people(probe, [3.3, 3.4, 4.4, 4.5, 5.5, 5.6]) == [1] * 6


def test_probe_confirms_a_person_seen_again_at_the_same_place(probe) -> None:
    probe, fake = probe
    fake.found = [[_found(0.75, 0.6, 0.95)], [_found(0.76, 0.6, 0.95)], []]
    fake.found += [[_found(0.75, 0.6, 0.9)], [_found(0.1, 0.6, 0.9)]]
    # probes at 0.0 (a sighting), 0.1 (confirmed), 1.1 (gone), 2.1 (a sighting) and
    # 2.2 (a pose elsewhere: not confirmed)
    times = [0.0, 0.05, 0.1, 0.5, 1.1, 2.1, 2.15, 2.2]
    assert _people(probe, times) == [1, 1, 2, 2, 1, 1, 1, 1]
    assert fake.calls == 5


@pytest.mark.mediapipe
@pytest.mark.realclips
@pytest.mark.parametrize(
    ("clip", "two_people"),
    [
        ("squat/calimiro_squat_17.mp4", False),  # a folding chair beside her: 77% before
        ("plank/kaiakol_plank_correct_005.mp4", False),  # a cabinet and a timer: 31% before
        ("squat/kaiakol_squat_correct_012.mp4", True),  # labels: other_person@0-1.87
    ],
)
def test_second_person_warning_only_for_a_second_person(
    realclip: Callable[[str], Path], clip: str, two_people: bool
) -> None:
    from formcheck.engine import Engine
    from formcheck.report import InputStats
    from formcheck.report.quality import data_quality_warnings
    from formcheck.specs import load_spec

    poses = _run(create_estimator("tasks"), realclip(clip), limit=90)
    engine = Engine(load_spec(clip.split("/")[0]))  # the folder is the exercise
    for pose in poses:
        engine.update(pose)
    warnings = data_quality_warnings(InputStats.from_poses(poses), engine.finish())
    warned = any("more than one person" in w for w in warnings)
    assert warned is two_people
