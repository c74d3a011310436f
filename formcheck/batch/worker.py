"""One video of a batch, run inside a worker: analyse, then render every output.

The worker returns the output files as bytes (:class:`VideoOutcome`); the batch's
main process writes them. Workers therefore only need to *read* the videos, and
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
from formcheck.batch.summary import summarize
from formcheck.batch.thumbnails import fault_thumbnails
from formcheck.errors import FormcheckError, ModelError
from formcheck.pipeline import Analysis, AnalysisOptions
from formcheck.pose import PoseEstimator
from formcheck.render.video import write_annotated
from formcheck.report.contract import to_json
from formcheck.report.csv_export import frames_csv
from formcheck.report.html import ReportContext, render_report_html
from formcheck.specs import ExerciseSpec
from formcheck.types import Frame, PoseFrame

AnalyzeFn = Callable[[Path, ExerciseSpec, AnalysisOptions], Analysis]

REPORT_JSON = "report.json"
FRAMES_CSV = "frames.csv"
REPORT_HTML = "report.html"
ANNOTATED_MP4 = "annotated.mp4"


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
        files: output file name → bytes (empty on failure).
        summary: :func:`~formcheck.batch.summary.summarize` of the report.
        error: one-line reason of a failure, else ``None``.
        detail: traceback of an unexpected error (a bug), for the state file.
        fatal: the failure will repeat for every video (the pose model cannot load).
        frames: frames analysed; seconds: wall time in the worker.
    """

    rel: str
    files: dict[str, bytes] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
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
    key = (options.backend, options.model, options.threads)
    if key not in cache:
        cache[key] = _LazyEstimator(options)
    return cache[key]


def analyze_reusing_estimator(path: Path, spec: ExerciseSpec, options: AnalysisOptions) -> Analysis:
    """``pipeline.analyze`` with this worker thread's long-lived pose estimator."""
    return pipeline.analyze(path, spec, options, estimator=_worker_estimator(options))


def _annotated_mp4(job: VideoJob, analysis: Analysis) -> bytes:
    """The annotated video, encoded in memory: no copy of the patient's video is ever
    left on disk, even by a worker that is killed."""
    buffer = io.BytesIO()
    write_annotated(job.path, analysis, job.spec, buffer)
    return buffer.getvalue()


def _render(task: VideoTask, analysis: Analysis) -> dict[str, bytes]:
    job = task.job
    assert job.spec is not None
    session = analysis.session
    private = task.options.private
    thumbnails = (
        {}
        if private
        else fault_thumbnails(
            job.path, analysis.report, job.spec, session.t_s, session.signals, analysis.smoothed
        )
    )
    context = ReportContext(
        source=job.rel,
        patient=job.patient,
        program=job.program,
        json_href=REPORT_JSON,
        csv_href=FRAMES_CSV,
        video_href=ANNOTATED_MP4 if task.annotate else None,
    )
    html = render_report_html(
        analysis.report, job.spec, session.t_s, session.signals, context, thumbnails
    )
    frames = frames_csv(analysis.smoothed, session.t_s, session.signals, face=not private)
    files = {
        REPORT_JSON: to_json(analysis.report).encode("utf-8"),
        FRAMES_CSV: frames.encode("utf-8"),
        REPORT_HTML: html.encode("utf-8"),
    }
    if task.annotate:
        files[ANNOTATED_MP4] = _annotated_mp4(job, analysis)
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
        outcome.summary = summarize(analysis.report)
        outcome.frames = len(analysis.poses)
    except FormcheckError as error:
        outcome.error = str(error)
        outcome.fatal = isinstance(error, ModelError)
    except Exception as error:
        outcome.error = f"internal error: {type(error).__name__}: {error}"
        outcome.detail = traceback.format_exc()
    outcome.seconds = time.perf_counter() - started
    return outcome
