"""Offline analysis of one recording: the library API behind ``formcheck analyze``.

frames → pose estimator → zero-phase smoothing → exercise engine → typed report
(:class:`~formcheck.report.Report`). An analysis reads its input and nothing else:
writing the report, an annotated video or the landmarks is the caller's choice
(:mod:`formcheck.report.writers`, :func:`formcheck.render.video.write_annotated`,
:func:`formcheck.sources.write_replay`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from formcheck.cuts import find_cuts, grey_thumbnail
from formcheck.engine import Engine, EngineStatus, SessionResult
from formcheck.filters import ButterworthConfig, smooth_offline
from formcheck.pose import DEFAULT_BACKEND, PoseEstimator, create_estimator
from formcheck.report import AnalysisInfo, InputStats, Report, Sampling, Smoothing
from formcheck.sampling import AdaptiveSampler, fill_skipped, sample_poses
from formcheck.sources import REPLAY_SUFFIX, ReplaySource, ThreadedReader, open_source
from formcheck.sources.base import LazyFrame, ReadyFrame, SourceInfo
from formcheck.specs import ExerciseSpec, load_spec
from formcheck.types import Frame, PoseFrame

ProgressCallback = Callable[[int, int | None], None]


@dataclass(frozen=True)
class AnalysisOptions:
    """Settings of one offline analysis (each default lives here, once).

    Landmark visibility is the spec's business (``session.visibility_min``), so it
    is not an option here: the smoother, the engine and the warnings read it there.

    Attributes:
        backend: pose backend, one of ``formcheck.pose.BACKENDS``.
        model: a user ``.task`` model file for the Tasks backend.
        smoothing: offline smoother settings.
        sampling: ``"full"`` runs the pose model on every frame; ``"adaptive"``
            only where the spec's decisions need it, interpolating the rest
            (:mod:`formcheck.sampling`).
        threads: pose-model inference threads (``None``: every available core;
            the landmarks are the same whatever the count, only the speed changes).
    """

    backend: str = DEFAULT_BACKEND
    model: Path | None = None
    smoothing: ButterworthConfig = field(default_factory=ButterworthConfig)
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

    @property
    def backend_name(self) -> str:
        """The backend as reports name it (``tasks:<model file>`` for a user model)."""
        return self.backend if self.model is None else f"tasks:{self.model.name}"


@dataclass
class Analysis:
    """Everything one analysis produced.

    Attributes:
        report: the typed report (``report.to_dict()`` is the JSON contract).
        poses: the raw pose of every frame (what ``write_replay`` saves).
        smoothed: the smoothed poses the engine saw, aligned with ``poses``.
        statuses: the engine's status after each frame (for annotated videos).
    """

    report: Report
    poses: list[PoseFrame]
    smoothed: list[PoseFrame]
    statuses: list[EngineStatus]

    @property
    def session(self) -> SessionResult:
        """The engine's result (``report.session``)."""
        return self.report.session


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


def smoothing_info(config: ButterworthConfig) -> Smoothing:
    """The report's description of the offline smoother."""
    if not config.enabled:
        return Smoothing("none")
    return Smoothing("butterworth", {"cutoff_hz": config.cutoff_hz, "order": config.order})


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
    smoothed = smooth_offline(
        poses, options.smoothing, cuts, visibility_min=spec.session.visibility_min
    )
    engine = Engine(spec)
    statuses = []
    starts = set(cuts)
    for position, pose in enumerate(smoothed):
        if position in starts:
            engine.cut(pose.t_s)
        engine.update(pose)
        statuses.append(engine.status)
    report = Report(
        spec=spec,
        source=info,
        stats=InputStats.from_poses(poses, info.fps),
        analysis=AnalysisInfo(
            backend_name,
            smoothing_info(options.smoothing),
            Sampling(options.sampling, frames_analysed),
        ),
        session=engine.finish(),
    )
    return Analysis(report, poses, smoothed, statuses)


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
        >>> result.session.reps_total  # doctest: +SKIP
        3
    """
    options = options or AnalysisOptions()
    path = Path(path)
    spec = exercise if isinstance(exercise, ExerciseSpec) else load_spec(exercise)
    if path.suffix.lower() == REPLAY_SUFFIX:  # no picture: cuts from the person's jumps only
        replay = ReplaySource(path)
        poses = list(replay)
        return analysis_from_poses(poses, spec, replay.info, options, "replay", len(poses))
    info, poses, analysed, thumbnails = _estimate_poses(path, spec, options, progress, estimator)
    return analysis_from_poses(
        poses, spec, info, options, options.backend_name, analysed, thumbnails
    )
