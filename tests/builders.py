"""Builders shared by the tests: poses, synthetic performances and their analyses,
and small videos.

Synthetic performances (:func:`performance`), the engine's results on them and the
analyses of the bundled samples are computed once per test session and shared:
scripting and filming a clip costs far more than analysing it, and the same clip
serves the engine, sampling, report and metrics tests. What they return is shared
too, so a test must not modify it in place.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.cpu import auto_threads
from formcheck.engine import SessionResult, analyze_poses
from formcheck.filters import smooth_offline
from formcheck.landmarks import NUM_LANDMARKS
from formcheck.pipeline import Analysis, AnalysisOptions, analyze
from formcheck.render.video import VideoWriter
from formcheck.sampling import resample
from formcheck.specs import load_spec
from formcheck.synth.clip import SynthClip, make_clip, perturb, pose_frames
from formcheck.types import PoseFrame


def uniform_pose(
    index: int,
    t_s: float,
    value: float = 0.5,
    *,
    visibility: float = 1.0,
    width: int = 640,
    height: int = 480,
) -> PoseFrame:
    """A pose whose 33 landmarks all sit at ``value`` in every coordinate."""
    xyz = np.full((NUM_LANDMARKS, 3), value, dtype=np.float64)
    vis = np.full(NUM_LANDMARKS, visibility, dtype=np.float64)
    return PoseFrame(index, t_s, width, height, xyz, xyz.copy(), vis, np.ones(NUM_LANDMARKS))


def random_pose(
    index: int,
    t_s: float,
    seed: int = 0,
    *,
    visibility: float | None = None,
    width: int = 640,
    height: int = 480,
    people: int = 1,
) -> PoseFrame:
    """A pose with landmarks scattered in the middle of the image (``visibility``
    None: random visibilities too)."""
    rng = np.random.default_rng(seed)
    image = np.column_stack(
        [rng.uniform(0.2, 0.8, (NUM_LANDMARKS, 2)), rng.normal(0.0, 0.1, NUM_LANDMARKS)]
    )
    vis = rng.random(NUM_LANDMARKS) if visibility is None else np.full(NUM_LANDMARKS, visibility)
    world = rng.normal(size=(NUM_LANDMARKS, 3))
    return PoseFrame(
        index, t_s, width, height, image, world, vis, rng.random(NUM_LANDMARKS), people
    )


def _variation(
    exercise: str,
    fault: str | None = None,
    *,
    seed: int = 0,
    facing: str = "right",
    reps: int | None = None,
    hold_s: float | None = None,
) -> tuple[Any, ...]:
    """One spelling of a clip's arguments (the cache key), whichever way they are given."""
    return (exercise, fault, seed, facing, reps, hold_s)


def clip(exercise: str, fault: str | None = None, **variation: Any) -> SynthClip:
    """A synthetic clip (:func:`formcheck.synth.make_clip` with ``seed``, ``facing``,
    ``reps``, ``hold_s``), made once per session."""
    return _clip(*_variation(exercise, fault, **variation))


def performance(exercise: str, fault: str | None = None, **variation: Any) -> tuple[PoseFrame, ...]:
    """The exact poses of :func:`clip`, computed once; shared, do not modify them."""
    return _performance(*_variation(exercise, fault, **variation))


@functools.cache
def _clip(*key: Any) -> SynthClip:
    exercise, fault, seed, facing, reps, hold_s = key
    return make_clip(exercise, fault, seed=seed, facing=facing, reps=reps, hold_s=hold_s)


@functools.cache
def _performance(*key: Any) -> tuple[PoseFrame, ...]:
    return tuple(pose_frames(_clip(*key)))


def write_video(
    path: Path, frames: int = 12, width: int = 64, height: int = 48, fps: float = 10.0
) -> Path:
    """A tiny real H.264 MP4 of grey ramp frames."""
    with VideoWriter(path, width, height, fps) as writer:
        for i in range(frames):
            writer.write(np.full((height, width, 3), 20 * i % 255, np.uint8), i / fps)
    return path


def assert_same_pose(got: PoseFrame, want: PoseFrame) -> None:
    """Every field of two poses is identical."""
    assert (got.index, got.t_s, got.width, got.height, got.people) == (
        want.index,
        want.t_s,
        want.width,
        want.height,
        want.people,
    )
    for name in ("image_xyz", "world_xyz", "visibility", "presence"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name))


REPO_ROOT = Path(__file__).parents[1]
SAMPLE_DIR = REPO_ROOT / "sample_videos"


def pinned_options(**settings: Any) -> AnalysisOptions:
    """Analysis options whose inference threads stay as chosen at the start.

    With the default, a moment of load mid-clip falls back to fewer threads and
    restarts the tracker there, and the landmarks after it differ a little from an
    undisturbed run's (``AnalysisOptions.tracker_restart_s``): the likely cause of
    one idle CI run in which adaptive sampling counted a shoulder tap that full rate
    did not (not reproduced). Tests that compare two analyses of one video must not
    depend on the machine's load."""
    return AnalysisOptions(threads=auto_threads(), **settings)


@functools.cache
def sample_analysis(name: str, exercise: str) -> Analysis:
    """``analyze`` of a bundled sample video at full rate, with real MediaPipe (run
    once per session: the sample tests and the sampling tests share it)."""
    return analyze(SAMPLE_DIR / f"{name}.mp4", exercise, pinned_options())


def engine_result(
    exercise: str, fault: str | None = None, *, facing: str = "right", perturbed: bool = False
) -> SessionResult:
    """The engine's result on :func:`performance` (``perturbed``: with 2 px of
    jitter and 5% of frames dropped, as an estimator would), computed once."""
    return _engine_result(exercise, fault, facing, perturbed)


@functools.cache
def _engine_result(exercise: str, fault: str | None, facing: str, perturbed: bool) -> SessionResult:
    poses = list(performance(exercise, fault, facing=facing))
    if perturbed:
        poses = perturb(poses, noise_px=2.0, drop_rate=0.05, seed=1)
    return analyze_poses(load_spec(exercise), poses)


@dataclass(frozen=True)
class SamplingReplay:
    """Full rate against the adaptive sampling policy on exact poses (no model)."""

    full: SessionResult
    sampled: SessionResult
    analysed_share: float


@functools.cache
def sampling_replay(exercise: str, fault: str | None = None) -> SamplingReplay:
    """The sampling policy replayed on :func:`performance` (computed once)."""
    spec = load_spec(exercise)
    poses = list(performance(exercise, fault))
    filled, analysed = resample(poses, spec)
    gate = spec.session.visibility_min
    return SamplingReplay(
        analyze_poses(spec, smooth_offline(poses, visibility_min=gate)),
        analyze_poses(spec, smooth_offline(filled, visibility_min=gate)),
        analysed / len(poses),
    )


def decisions(result: SessionResult) -> tuple[object, ...]:
    """What two analyses of one performance must agree on: counts, holds, fault ids."""
    return (
        result.reps_total,
        result.reps_left,
        result.reps_right,
        len(result.holds),
        sorted(f.id for f in result.faults),
    )


def event_times(result: SessionResult) -> list[float]:
    """Start and end of every hold, fault and rep, in that order."""
    spans = [*result.holds, *result.faults, *result.reps]
    return [t for span in spans for t in (span.start_s, span.end_s)]
