"""Offline analysis of one recording: the library API behind ``formcheck analyze``.

frames → pose estimator → zero-phase smoothing → exercise engine → typed report
(:class:`~formcheck.report.Report`). An analysis reads its input and nothing else:
writing the report, an annotated video or the landmarks is the caller's choice
(:mod:`formcheck.report.writers`, :func:`formcheck.render.video.write_annotated`,
:func:`formcheck.sources.write_replay`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from formcheck.bounds import INPUT, READ_AHEAD_BYTES
from formcheck.cpu import helper_threads, limit_helper_threads
from formcheck.cuts import find_cuts, grey_thumbnail
from formcheck.engine import Engine, EngineStatus, SessionResult
from formcheck.errors import SourceError
from formcheck.filters import ButterworthConfig, smooth_offline
from formcheck.pose import DEFAULT_BACKEND, PoseEstimator, create_estimator
from formcheck.report import AnalysisInfo, Inference, InputStats, Report, Sampling, Smoothing
from formcheck.sampling import AdaptiveSampler, fill_skipped, sample_poses
from formcheck.sources import REPLAY_SUFFIX, ReplaySource, ThreadedReader, open_source
from formcheck.sources.base import LazyFrame, ReadyFrame, SourceInfo
from formcheck.specs import ExerciseSpec, load_spec
from formcheck.types import Frame, PoseFrame

ProgressCallback = Callable[[int, int | None], None]
MAX_FRAMES = int(INPUT["frames"].high or 0)
MIN_DURATION_S = float(INPUT["duration"].low or 0.0)


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
        threads: pose-model inference threads; ``None`` (default) chooses them from
            what other programs leave idle and falls back to fewer when inference
            slows down mid-run (:mod:`formcheck.cpu`). The landmarks are the same
            whatever the count (only the speed changes), up to a fallback
            (``tracker_restart_s``).
        max_threads: the most threads ``threads=None`` may choose (a batch
            worker's share of the cores); ``None``: every core.
        tracker_restart_s: the pose tracker starts afresh every this many seconds
            of the recording and a fallback to fewer threads waits for the next
            restart, so a fallback changes no landmark. ``None`` (default): never
            restart; a fallback restarts the tracker at once, and the landmarks
            after it may differ slightly from an idle run's. Restarts every 10 s
            cost 13% of idle throughput on a 25 s clip
            (``benchmarks/results/contention.md``), for every user, to hide a
            rare fallback.
        private: leave out what identifies the patient: the report keeps the
            input's file name without its folder (which often holds the patient's
            name); batch outputs also leave out fault thumbnails and face landmarks.
    """

    backend: str = DEFAULT_BACKEND
    model: Path | None = None
    smoothing: ButterworthConfig = field(default_factory=ButterworthConfig)
    sampling: str = "full"
    threads: int | None = None
    max_threads: int | None = None
    tracker_restart_s: float | None = None
    private: bool = False

    def __post_init__(self) -> None:
        if self.sampling not in ("full", "adaptive"):
            raise ValueError(f"sampling must be 'full' or 'adaptive', got {self.sampling!r}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be at least 1, got {self.threads}")

    def create_estimator(self) -> PoseEstimator:
        """A pose estimator for these options' backend, model and threads."""
        return create_estimator(
            self.backend,
            model=self.model,
            threads=self.threads,
            max_threads=self.max_threads,
            restart_every_s=self.tracker_restart_s,
        )

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
) -> tuple[SourceInfo, list[PoseFrame], int, dict[int, np.ndarray], Inference | None]:
    """Poses for every frame of ``path`` and how many ran the pose model: all, or
    (adaptive sampling) the frames the sampler picks, the rest interpolated; and a
    grey thumbnail of each analysed frame, by frame index (cut detection)."""
    timeline: list[tuple[int, float]] = []
    thumbnails: dict[int, np.ndarray] = {}
    sampler = AdaptiveSampler(spec) if options.sampling == "adaptive" else None
    refiner: PoseEstimator | None = None  # analyses skipped frames after the fact
    helpers = helper_threads(options.threads, options.max_threads)
    limit_helper_threads(helpers)
    with open_source(path, decoder_threads=helpers) as source:
        total = source.info.frame_count
        if total is not None and total < 2:  # stated by the container: refuse before inference
            raise _too_short(path, total, 0.0)
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
                if done > MAX_FRAMES:
                    raise SourceError(
                        f"{str(path)!r} is too long to analyse in one piece: more than "
                        f"{MAX_FRAMES} frames (1 h at 30 fps); cut it into parts"
                    )
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
            frame_bytes = max(1, 3 * source.info.width * source.info.height)
            ahead = max(1, min(8, READ_AHEAD_BYTES // frame_bytes))  # bounded memory
            frames = counted(ThreadedReader(lazy_frames, maxsize=ahead))
            if sampler is None:
                analysed = [estimate(lazy) for lazy in frames]
            else:
                analysed = sample_poses(frames, sampler, estimate, refine)
            inference = _inference(tracker)
        finally:
            if owned:
                estimator.close()
            if refiner is not None:
                refiner.close()
        info = source.info
    if sampler is None:
        return info, analysed, len(analysed), thumbnails, inference
    poses = fill_skipped(analysed, timeline, info.width, info.height)
    return info, poses, len(analysed), thumbnails, inference


def _inference(estimator: PoseEstimator) -> Inference | None:
    """The estimator's thread count and fallbacks, where its backend has them."""
    threads = getattr(estimator, "threads", None)
    if not isinstance(threads, int):
        return None
    return Inference(threads, tuple(getattr(estimator, "switches", ())))


def _too_short(path: Path, frames: int, duration_s: float) -> SourceError:
    return SourceError(
        f"{str(path)!r} is too short to analyse: {frames} frame{'s' * (frames != 1)} "
        f"({duration_s:.2f} s); formcheck needs at least {MIN_DURATION_S:g} s of movement"
    )


def reported_path(path: str, private: bool) -> str:
    """The input as a report names it: the file name without its folder when ``private``."""
    return Path(path).name if private and not path.startswith("camera:") else path


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
    inference: Inference | None = None,
) -> Analysis:
    """Cut detection, smoothing, the engine and the report, from the poses of every frame.

    The second half of :func:`analyze`, for callers that have poses already
    (replayed landmarks, a sampling policy tried on saved poses).
    ``frames_analysed`` is how many of ``poses`` the pose model produced;
    ``thumbnails`` (by frame index) let cuts be found in the picture too;
    ``inference`` is what the pose model's threads did.
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
        source=replace(info, path=reported_path(info.path, options.private)),
        stats=InputStats.from_poses(poses, info.fps),
        analysis=AnalysisInfo(
            backend_name,
            smoothing_info(options.smoothing),
            Sampling(options.sampling, frames_analysed),
            inference,
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

    Raises:
        SourceError: the recording cannot be read, or is too short, small, large or
            long to analyse (:data:`formcheck.bounds.INPUT`).

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
        info, analysed, backend_name = replay.info, len(poses), "replay"
        thumbnails, inference = None, None
    else:
        info, poses, analysed, thumbnails, inference = _estimate_poses(
            path, spec, options, progress, estimator
        )
        backend_name = options.backend_name
    duration_s = InputStats.from_poses(poses).duration_s
    if duration_s < MIN_DURATION_S:
        raise _too_short(path, len(poses), duration_s)
    return analysis_from_poses(
        poses, spec, info, options, backend_name, analysed, thumbnails, inference
    )
