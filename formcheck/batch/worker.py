"""One video of a batch, run inside a worker: analyse, then render every output.

The worker returns the output files as bytes (:class:`VideoOutcome`), named and
rendered by the report writers (:mod:`formcheck.report.writers`); the batch's main
process writes them. Workers therefore only need to *read* the videos, and
a worker that is killed mid-video leaves nothing half-written.

Each worker thread keeps one pose estimator per backend/model and reuses it for
the videos it analyses, reset between videos (:func:`analyze_reusing_estimator`).
"""

from __future__ import annotations

import tempfile
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

AnalyzeFn = Callable[[Path, ExerciseSpec, AnalysisOptions], Analysis]

# The outputs of every video, besides the annotated video asked for with --annotate.
OUTPUT_KINDS: tuple[str, ...] = ("json", "frames_csv", "html")


@dataclass(frozen=True)
class VideoTask:
    """What a worker needs for one video (picklable: sent to worker processes).

    Attributes:
        job: the recording, its labels and spec (``job.spec`` is not ``None``).
        options: analysis options.
        annotate: also render the annotated MP4.
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


def _worker_estimator(options: AnalysisOptions) -> PoseEstimator:
    """This worker thread's estimator for the options' backend and model, created once.

    ``pipeline.analyze`` resets it before each video (MediaPipe tracks the person
    from frame to frame; without a reset the next video would start from the
    previous one's last pose), so a report never depends on which video its
    worker analysed before.
    """
    cache: dict[tuple[Any, ...], PoseEstimator] = _LOCAL.__dict__.setdefault("estimators", {})
    key = (options.backend, options.model, options.threads)
    if key not in cache:
        cache[key] = options.create_estimator()
    return cache[key]


def analyze_reusing_estimator(path: Path, spec: ExerciseSpec, options: AnalysisOptions) -> Analysis:
    """``pipeline.analyze`` with this worker thread's long-lived pose estimator."""
    return pipeline.analyze(path, spec, options, estimator=_worker_estimator(options))


def _render(
    task: VideoTask, analysis: Analysis, annotated: Path | None
) -> dict[str, tuple[str, bytes]]:
    """Every output of the video: kind → (file name, bytes)."""
    job = task.job
    report = analysis.report
    stem = output_stem(job.rel, report.spec.id)
    links = {}
    if annotated is not None:
        links["annotated_video"] = output_name(stem, "annotated_video")
    bundle = ReportBundle(
        report,
        ReportContext(source=job.rel, patient=job.patient, program=job.program, links=links),
        smoothed=analysis.smoothed,
        thumbnails=fault_thumbnails(job.path, report, analysis.smoothed),
    )
    rendered = render_outputs(bundle, stem, OUTPUT_KINDS)
    files = dict(zip(OUTPUT_KINDS, rendered.items(), strict=True))
    if annotated is not None:
        files["annotated_video"] = (links["annotated_video"], annotated.read_bytes())
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
        with tempfile.TemporaryDirectory(prefix="formcheck-batch-") as tmp:
            annotated = None
            if task.annotate:
                from formcheck.render.video import write_annotated

                annotated = write_annotated(task.job.path, analysis, Path(tmp) / "video.mp4")
            outcome.files = _render(task, analysis, annotated)
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
