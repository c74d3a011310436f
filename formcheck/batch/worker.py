"""One video of a batch, run inside a worker: analyse, then render every output.

The worker returns the output files as bytes (:class:`VideoOutcome`), named and
rendered by the report writers (:mod:`formcheck.report.writers`); the batch's main
process writes them. Workers therefore only need to *read* the videos, and
a worker that is killed mid-video leaves nothing half-written.

Each worker thread keeps one pose estimator per backend/model and reuses it for
the videos it analyses, reset between videos (:func:`analyze_reusing_estimator`).
"""

from __future__ import annotations

import io
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formcheck import pipeline
from formcheck.batch.plan import VideoJob
from formcheck.batch.summary import VideoSummary
from formcheck.errors import FormcheckError, ModelError
from formcheck.pipeline import Analysis, AnalysisOptions
from formcheck.pose import PoseEstimator
from formcheck.report import ReportBundle, ReportContext, output_name, output_stem, render_outputs
from formcheck.report.thumbnails import fault_thumbnails
from formcheck.specs import ExerciseSpec
from formcheck.types import Frame, PoseFrame

AnalyzeFn = Callable[[Path, ExerciseSpec, AnalysisOptions], Analysis]

# The outputs of every video, besides the annotated video asked for with --annotate.
OUTPUT_KINDS: tuple[str, ...] = ("json", "frames_csv", "html")


@dataclass(frozen=True)
class VideoTask:
    """What a worker needs for one video (picklable: sent to worker processes).

    Attributes:
        job: the recording, its labels and spec (``job.spec`` is not ``None``).
        options: analysis options (``private`` also leaves the fault thumbnails and
            the face landmarks out).
        annotate: also render the annotated MP4 (in memory).
    """

    job: VideoJob
    options: AnalysisOptions
    annotate: bool


@dataclass
class VideoOutcome:
    """The result of one video.

    Attributes:
        rel: the job's key (path relative to INPUT_DIR).
        files: output kind → (file name, bytes) (empty on failure).
        summary: the overview's figures of the report.
        error: one-line reason of a failure, else ``None``.
        detail: traceback of an unexpected error (a bug), for the state file.
        fatal: the failure will repeat for every video (the pose model cannot load).
        frames: frames analysed; seconds: wall time in the worker.
    """

    rel: str
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    summary: VideoSummary | None = None
    error: str | None = None
    detail: str | None = None
    fatal: bool = False
    frames: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


_LOCAL = threading.local()


class _LazyEstimator:
    """An estimator whose pose model loads on first use: a video that cannot even be
    opened (``analyze`` opens it before using the model) fails without loading one."""

    def __init__(self, options: AnalysisOptions) -> None:
        self._options = options
        self._estimator: PoseEstimator | None = None
        self.name = options.backend

    def _loaded(self) -> PoseEstimator:
        if self._estimator is None:
            self._estimator = self._options.create_estimator()
        return self._estimator

    def process(self, frame: Frame) -> PoseFrame:
        return self._loaded().process(frame)

    def reset(self) -> None:
        if self._estimator is not None:  # a model not loaded yet has nothing to forget
            self._estimator.reset()

    def close(self) -> None:
        if self._estimator is not None:
            self._estimator.close()


def _worker_estimator(options: AnalysisOptions) -> PoseEstimator:
    """This worker thread's estimator for the options' backend and model, created once
    (its model loaded when the first video needs it).

    ``pipeline.analyze`` resets it before each video (MediaPipe tracks the person
    from frame to frame; without a reset the next video would start from the
    previous one's last pose), so a report never depends on which video its
    worker analysed before.
    """
    cache: dict[tuple[Any, ...], PoseEstimator] = _LOCAL.__dict__.setdefault("estimators", {})
    key = (
        options.backend,
        options.model,
        options.threads,
        options.max_threads,
        options.tracker_restart_s,
    )
    if key not in cache:
        cache[key] = _LazyEstimator(options)
    return cache[key]


def analyze_reusing_estimator(path: Path, spec: ExerciseSpec, options: AnalysisOptions) -> Analysis:
    """``pipeline.analyze`` with this worker thread's long-lived pose estimator."""
    return pipeline.analyze(path, spec, options, estimator=_worker_estimator(options))


def _annotated_mp4(job: VideoJob, analysis: Analysis) -> bytes:
    """The annotated video, encoded in memory: no copy of the patient's video is ever
    left on disk, even by a worker that is killed."""
    from formcheck.render.video import write_annotated

    buffer = io.BytesIO()
    write_annotated(job.path, analysis, buffer)
    return buffer.getvalue()


def _render(task: VideoTask, analysis: Analysis) -> dict[str, tuple[str, bytes]]:
    """Every output of the video: kind → (file name, bytes)."""
    job = task.job
    report = analysis.report
    private = task.options.private
    stem = output_stem(job.rel, report.spec.id)
    links = {}
    if task.annotate:
        links["annotated_video"] = output_name(stem, "annotated_video")
    bundle = ReportBundle(
        report,
        ReportContext(source=job.rel, patient=job.patient, program=job.program, links=links),
        smoothed=analysis.smoothed,
        thumbnails={} if private else fault_thumbnails(job.path, report, analysis.smoothed),
        private=private,
    )
    rendered = render_outputs(bundle, stem, OUTPUT_KINDS)
    files = dict(zip(OUTPUT_KINDS, rendered.items(), strict=True))
    if task.annotate:
        files["annotated_video"] = (links["annotated_video"], _annotated_mp4(job, analysis))
    return files


def run_task(task: VideoTask, analyze_fn: AnalyzeFn = analyze_reusing_estimator) -> VideoOutcome:
    """Analyse one video and render its outputs; failures become the outcome's ``error``.

    ``KeyboardInterrupt`` is not caught: it stops the batch.
    """
    started = time.perf_counter()
    outcome = VideoOutcome(task.job.rel)
    assert task.job.spec is not None
    try:
        analysis = analyze_fn(task.job.path, task.job.spec, task.options)
        outcome.files = _render(task, analysis)
        outcome.summary = VideoSummary.of(analysis.report)
        outcome.frames = len(analysis.poses)
    except FormcheckError as error:
        outcome.error = str(error)
        outcome.fatal = isinstance(error, ModelError)
    except Exception as error:
        outcome.error = f"internal error: {type(error).__name__}: {error}"
        outcome.detail = traceback.format_exc()
    outcome.seconds = time.perf_counter() - started
    return outcome
