"""Offline analysis of one recording: the library API behind ``formcheck analyze``.

frames → pose estimator → zero-phase smoothing → exercise engine → JSON report
(and optionally an annotated MP4 and a landmark file for replay).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.cuts import find_cuts, grey_thumbnail
from formcheck.engine import Engine, SessionResult
from formcheck.filters import ButterworthConfig, smooth_offline
from formcheck.landmarks import BODY_CORE, INDEX
from formcheck.pose import PoseEstimator, create_estimator
from formcheck.pose.replay import LandmarkRecorder, ReplayEstimator
from formcheck.report import DISCLAIMER, SCHEMA_VERSION
from formcheck.sampling import AdaptiveSampler, fill_skipped, sample_poses
from formcheck.sources import ThreadedReader, open_source
from formcheck.sources.base import LazyFrame, ReadyFrame, SourceInfo
from formcheck.specs import ExerciseSpec, load_spec
from formcheck.types import Frame, PoseFrame

ProgressCallback = Callable[[int, int | None], None]


@dataclass(frozen=True)
class AnalysisOptions:
    """Settings of one offline analysis (each default lives here, once).

    Attributes:
        backend: pose backend, ``"tasks"`` (default) or ``"legacy"``.
        model: a user ``.task`` model file for the Tasks backend.
        smoothing: offline smoother settings.
        save_landmarks: write the raw landmarks here (replay format).
        annotate_path: write an annotated MP4 here.
        min_visibility: landmarks below this visibility count as not visible.
        sampling: ``"full"`` runs the pose model on every frame; ``"adaptive"``
            only where the spec's decisions need it, interpolating the rest
            (:mod:`formcheck.sampling`).
        threads: pose-model inference threads (``None``: every available core;
            the landmarks are the same whatever the count, only the speed changes).
    """

    backend: str = "tasks"
    model: Path | None = None
    smoothing: ButterworthConfig = field(default_factory=ButterworthConfig)
    save_landmarks: Path | None = None
    annotate_path: Path | None = None
    min_visibility: float = 0.5
    sampling: str = "full"
    threads: int | None = None

    def __post_init__(self) -> None:
        if self.sampling not in ("full", "adaptive"):
            raise ValueError(f"sampling must be 'full' or 'adaptive', got {self.sampling!r}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be at least 1, got {self.threads}")

    def create_estimator(self) -> PoseEstimator:
        """A pose estimator for these options' backend, model and threads."""
        return create_estimator(self.backend, model=self.model, threads=self.threads)


@dataclass
class Analysis:
    """Everything one analysis produced; ``report`` is the JSON contract."""

    report: dict[str, Any]
    session: SessionResult
    poses: list[PoseFrame]
    smoothed: list[PoseFrame]
    statuses: list[Any]


def _estimate_poses(
    path: Path,
    spec: ExerciseSpec,
    options: AnalysisOptions,
    progress: ProgressCallback | None,
    estimator: PoseEstimator | None,
) -> tuple[SourceInfo, list[PoseFrame], int, dict[int, np.ndarray]]:
    """Poses for every frame of ``path`` and how many ran the pose model: all, or
    (adaptive sampling) the frames the sampler picks, the rest interpolated; and a
    grey thumbnail of each analysed frame, by frame index (cut detection)."""
    timeline: list[tuple[int, float]] = []
    thumbnails: dict[int, np.ndarray] = {}
    sampler = AdaptiveSampler(spec) if options.sampling == "adaptive" else None
    refiner: PoseEstimator | None = None  # analyses skipped frames after the fact
    with open_source(path) as source:
        total = source.info.frame_count
        owned = estimator is None
        if estimator is None:
            estimator = options.create_estimator()
        else:
            estimator.reset()
        tracker = estimator

        def picture(lazy: LazyFrame) -> Frame:
            frame = lazy.to_frame()
            thumbnails[frame.index] = grey_thumbnail(frame.image)
            return frame

        def estimate(lazy: LazyFrame) -> PoseFrame:
            return tracker.process(picture(lazy))

        def refine(lazy: LazyFrame) -> PoseFrame:
            nonlocal refiner
            refiner = refiner or options.create_estimator()
            return refiner.process(picture(lazy))

        def counted(frames: Iterable[LazyFrame]) -> Iterator[LazyFrame]:
            for done, lazy in enumerate(frames, 1):
                timeline.append((lazy.index, lazy.t_s))
                yield lazy
                if progress:
                    progress(done, total)

        try:
            lazy_frames: Iterable[LazyFrame] = source.lazy_frames()
            if sampler is None:
                # Every frame will be analysed: convert it in the reader thread, where
                # the conversion overlaps inference instead of preceding it.
                lazy_frames = (ReadyFrame(lazy.to_frame()) for lazy in lazy_frames)
            frames = counted(ThreadedReader(lazy_frames))
            if sampler is None:
                analysed = [estimate(lazy) for lazy in frames]
            else:
                analysed = sample_poses(frames, sampler, estimate, refine)
        finally:
            if owned:
                estimator.close()
            if refiner is not None:
                refiner.close()
        info = source.info
    if sampler is None:
        return info, analysed, len(analysed), thumbnails
    poses = fill_skipped(analysed, timeline, info.width, info.height)
    return info, poses, len(analysed), thumbnails


def _replayed_poses(path: Path) -> tuple[SourceInfo, list[PoseFrame]]:
    replay = ReplayEstimator(path)
    poses = list(replay.iter_poses())
    return replay.source_info(), poses


def quality_warnings(poses: list[PoseFrame], min_visibility: float) -> list[str]:
    """Data-quality findings a reviewer should know before trusting the counts."""
    if not poses:
        return ["the recording has no frames"]
    n = len(poses)
    warnings = []
    no_person = sum(not p.detected for p in poses) / n
    if no_person == 1.0:
        warnings.append("no person was detected in any frame")
        return warnings
    if no_person >= 0.05:
        warnings.append(f"no person detected in {no_person:.0%} of frames")
    several = sum(p.people > 1 for p in poses) / n
    if several >= 0.05:
        warnings.append(
            f"more than one person in {several:.0%} of frames: the most prominent one was analysed"
        )
    # A side view hides the far limbs, so "fully visible" asks for one whole side.
    left = [INDEX[name] for name in BODY_CORE if name.startswith("left_")]
    right = [INDEX[name] for name in BODY_CORE if name.startswith("right_")]
    partial = (
        sum(
            p.detected
            and not (
                np.all(p.visibility[left] >= min_visibility)
                or np.all(p.visibility[right] >= min_visibility)
            )
            for p in poses
        )
        / n
    )
    if partial >= 0.05:
        warnings.append(f"person not fully visible in {partial:.0%} of frames")
    return warnings


@dataclass(frozen=True)
class InputStats:
    """What the report says about the recorded frames.

    Attributes:
        frames: frames analysed.
        duration_s: first to last timestamp plus one frame interval.
        fps: frames per second measured from the timestamps.
        frames_with_person: frames in which a person was found.
        warnings: data-quality findings (:func:`quality_warnings`).
    """

    frames: int
    duration_s: float
    fps: float
    frames_with_person: int
    warnings: tuple[str, ...]

    @classmethod
    def from_poses(
        cls, poses: list[PoseFrame], min_visibility: float, nominal_fps: float = 0.0
    ) -> InputStats:
        duration = (poses[-1].t_s - poses[0].t_s) if len(poses) > 1 else 0.0
        if len(poses) > 1:
            duration += float(np.median(np.diff([p.t_s for p in poses])))
        fps = (len(poses) / duration) if duration > 0 else float(nominal_fps or 0.0)
        return cls(
            frames=len(poses),
            duration_s=duration,
            fps=fps,
            frames_with_person=sum(p.detected for p in poses),
            warnings=tuple(quality_warnings(poses, min_visibility)),
        )


def smoothing_description(config: ButterworthConfig) -> dict[str, Any]:
    """The report's ``analysis.smoothing`` for the offline smoother."""
    if not config.enabled:
        return {"method": "none"}
    return {"method": "butterworth", "cutoff_hz": config.cutoff_hz, "order": config.order}


def build_report(
    spec: ExerciseSpec,
    info: SourceInfo,
    stats: InputStats,
    session: SessionResult,
    backend_name: str,
    smoothing: dict[str, Any],
) -> dict[str, Any]:
    """Assemble the JSON report (schema in docs/report.md)."""
    result = session.to_dict()
    warnings = list(stats.warnings)
    warnings += [w for w in result.get("warnings", []) if w not in warnings]
    return {
        "schema_version": SCHEMA_VERSION,
        "exercise": {"id": spec.id, "title": spec.title, "kind": spec.kind, "view": spec.view},
        "input": {
            "path": str(info.path),
            "width": int(info.width),
            "height": int(info.height),
            "fps": round(stats.fps, 3),
            "frames": stats.frames,
            "duration_s": round(stats.duration_s, 3),
            "rotation_deg": int(info.rotation_deg),
        },
        "analysis": {
            "backend": backend_name,
            "smoothing": smoothing,
            "frames_with_person": stats.frames_with_person,
            "side": result.get("side"),
        },
        "reps": result["reps"],
        "holds": result["holds"],
        "faults": result["faults"],
        "targets": result.get("targets", {}),
        "states": result.get("states", []),
        "cuts": result.get("cuts", []),
        "cues": result.get("cues", []),
        "warnings": warnings,
        "limitations": spec.limitations,
        "disclaimer": DISCLAIMER,
    }


def analysis_from_poses(
    poses: list[PoseFrame],
    spec: ExerciseSpec,
    info: SourceInfo,
    options: AnalysisOptions,
    backend_name: str,
    frames_analysed: int,
    thumbnails: dict[int, np.ndarray] | None = None,
) -> Analysis:
    """Cut detection, smoothing, the engine and the report, from the poses of every frame.

    The second half of :func:`analyze`, for callers that have poses already
    (replayed landmarks, a sampling policy tried on saved poses).
    ``frames_analysed`` is how many of ``poses`` the pose model produced;
    ``thumbnails`` (by frame index) let cuts be found in the picture too.
    """
    cuts = find_cuts(poses, thumbnails)
    smoothed = smooth_offline(poses, options.smoothing, cuts)
    engine = Engine(spec)
    statuses = []
    starts = set(cuts)
    for position, pose in enumerate(smoothed):
        if position in starts:
            engine.mark_cut(pose.t_s)
        engine.update(pose)
        statuses.append(engine.status)
    session = engine.finish()
    stats = InputStats.from_poses(poses, options.min_visibility, info.fps)
    report = build_report(
        spec, info, stats, session, backend_name, smoothing_description(options.smoothing)
    )
    report["analysis"]["sampling"] = {"mode": options.sampling, "frames_analysed": frames_analysed}
    return Analysis(report, session, poses, smoothed, statuses)


def analyze(
    path: str | Path,
    exercise: str | ExerciseSpec,
    options: AnalysisOptions | None = None,
    progress: ProgressCallback | None = None,
    estimator: PoseEstimator | None = None,
) -> Analysis:
    """Analyse one recording (a video, or a ``.npz`` landmark file to replay).

    Args:
        path: the recording.
        exercise: a spec id or a loaded spec.
        options: analysis settings.
        progress: called with (frames done, total frames or None).
        estimator: an estimator to reuse (batch workers keep one model); it is
            reset before the recording and left open. ``None`` creates one from
            ``options`` and closes it afterwards.

    Example:
        >>> from formcheck.pipeline import analyze  # doctest: +SKIP
        >>> result = analyze("sample_videos/bridge.mp4", "bridge")  # doctest: +SKIP
        >>> result.report["reps"]["total"]  # doctest: +SKIP
        8
    """
    options = options or AnalysisOptions()
    path = Path(path)
    spec = exercise if isinstance(exercise, ExerciseSpec) else load_spec(exercise)
    thumbnails = None
    if path.suffix.lower() == ".npz":
        info, poses = _replayed_poses(path)
        analysed = len(poses)
        backend_name = "replay"
    else:
        info, poses, analysed, thumbnails = _estimate_poses(
            path, spec, options, progress, estimator
        )
        backend_name = options.backend if options.model is None else f"tasks:{options.model.name}"
    if options.save_landmarks is not None:
        recorder = LandmarkRecorder(source_path=str(info.path), backend=backend_name)
        for pose in poses:
            recorder.add(pose)
        recorder.save(options.save_landmarks)
    analysis = analysis_from_poses(poses, spec, info, options, backend_name, analysed, thumbnails)
    if options.annotate_path is not None:
        from formcheck.render.video import write_annotated

        write_annotated(path, analysis, spec, options.annotate_path)
    return analysis
