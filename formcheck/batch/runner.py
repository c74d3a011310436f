"""Run a batch: skip unchanged videos, fan the rest out to workers, write everything.

Per video, under ``REPORT_DIR/videos/<folder>/<stem>_<ext>/``, the outputs named as
``formcheck analyze`` names them (:mod:`formcheck.report.writers`):
``<stem>.<spec id>.json``, ``.frames.csv``, ``.html`` and, with ``annotate``,
``.annotated.mp4``.
Across videos: ``summary.csv``, ``index.html`` and the state file
(:mod:`formcheck.batch.state`). All files are written atomically by this process.

Failure handling:

* a video that fails (unreadable, no video stream, a bug) is listed with its
  error and the batch goes on; so is a video whose worker *process* dies: the
  pool is restarted, the videos that were in flight are retried one at a time,
  and the one that kills a worker on its own is listed as failed;
* a pose model that cannot be loaded stops the batch (every video would fail);
* Ctrl-C (SIGINT) or SIGTERM stops the batch: the workers are
  killed, finished reports, the state and the overview are kept, and a rerun
  does the rest. A batch killed outright (``kill -9``) takes its workers with it
  (:func:`~formcheck.batch.executors.start_worker`); its rerun removes the
  temporary files it left and redoes only the unfinished videos;
* one batch at a time writes a report folder (:mod:`formcheck.batch.lock`).

With a :class:`SessionRecorder` (``formcheck batch --db``), every video analysed
now or before (unchanged) is handed to it once the reports are written; the
overview then links each patient to the history page it returns.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Protocol

from formcheck.atomic import (
    remove_stale_temps,
    writable_folder,
    write_bytes_atomic,
    write_text_atomic,
)
from formcheck.batch.executors import ExecutorPlan
from formcheck.batch.lock import batch_lock
from formcheck.batch.plan import VideoJob
from formcheck.batch.progress import Progress
from formcheck.batch.state import BatchState, settings_digest
from formcheck.batch.summary import BatchRow, VideoSummary, index_html, summary_csv
from formcheck.batch.worker import (
    AnalyzeFn,
    VideoOutcome,
    VideoTask,
    analyze_reusing_estimator,
    run_task,
)
from formcheck.errors import ExitCode, FormcheckError, ModelError
from formcheck.pipeline import AnalysisOptions

CRASHED = "the worker process died while analysing this video (crash or out of memory)"


@dataclass(frozen=True)
class BatchOptions:
    """Settings of a batch run.

    Attributes:
        analysis: analysis options applied to every video.
        annotate: also write an annotated MP4 per video.
        force: re-analyse videos even when unchanged since the last run.
    """

    analysis: AnalysisOptions = field(default_factory=AnalysisOptions)
    annotate: bool = False
    force: bool = False


@dataclass(frozen=True)
class FinishedVideo:
    """A video whose reports are written: its job, JSON report and content hash."""

    job: VideoJob
    report_json: Path
    sha256: str


class SessionRecorder(Protocol):
    def __call__(self, videos: Sequence[FinishedVideo], out_dir: Path) -> dict[str, str]:
        """Record the videos' sessions; returns patient → history page (relative to
        ``out_dir``). Raises ``FormcheckError`` when the sessions cannot be recorded."""
        ...


@dataclass
class BatchResult:
    """What a batch did; ``rows`` feed ``summary.csv`` and ``index.html``.

    ``store_error`` says why the sessions could not be recorded (the reports are
    written all the same).
    """

    rows: list[BatchRow]
    interrupted: bool = False
    store_error: str | None = None

    def count(self, status: str) -> int:
        """Rows whose :attr:`BatchRow.status` is ``status`` (``ok``, ``needs review``,
        ``failed``, ``not run``)."""
        return sum(1 for row in self.rows if row.status == status)

    @property
    def exit_code(self) -> int:
        """130 interrupted, 5 some video failed, 3 the sessions could not be
        recorded, else 0."""
        if self.interrupted:
            return ExitCode.INTERRUPTED
        if self.count("failed"):
            return ExitCode.PARTIAL
        return ExitCode.INPUT if self.store_error else ExitCode.OK


def output_dir(rel: str) -> str:
    """Folder of a video's outputs, relative to REPORT_DIR (``a/b.mp4`` → ``videos/a/b_mp4``).

    Example:
        >>> output_dir("p1/squat.mp4")
        'videos/p1/squat_mp4'
    """
    path = PurePosixPath(rel)
    return str(PurePosixPath("videos", path.parent, f"{path.stem}_{path.suffix.lstrip('.')}"))


@dataclass(frozen=True)
class _Fingerprint:
    """The bytes and settings a video was (or will be) analysed with."""

    sha256: str = ""
    size: int | None = None
    mtime_ns: int | None = None
    settings: str = ""


@dataclass
class _Pending:
    task: VideoTask
    fingerprint: _Fingerprint
    isolated: bool = False


class _Batch:
    """The mutable bookkeeping of one run (state file, outputs, progress)."""

    def __init__(self, out_dir: Path, progress: Progress | None) -> None:
        self.out_dir = out_dir
        self.state = BatchState(out_dir)
        self.progress = progress
        self.run: dict[str, str] = {}

    def _remove_outputs(self, rel: str) -> None:
        for name in (self.state.entries.get(rel) or {}).get("outputs", {}).values():
            (self.out_dir / name).unlink(missing_ok=True)

    def finish(self, job: VideoJob, outcome: VideoOutcome, fingerprint: _Fingerprint) -> None:
        """Write a video's outputs and record it in the state file."""
        outputs: dict[str, str] = {}
        if outcome.ok:
            folder = output_dir(job.rel)
            for kind, (name, data) in outcome.files.items():
                write_bytes_atomic(self.out_dir / folder / name, data)
                outputs[kind] = f"{folder}/{name}"
        else:
            self._remove_outputs(job.rel)
        self.state.record(
            job.rel,
            {
                "status": "ok" if outcome.ok else "failed",
                "error": outcome.error,
                "detail": outcome.detail,
                "sha256": fingerprint.sha256,
                "size": fingerprint.size,
                "mtime_ns": fingerprint.mtime_ns,
                "settings": fingerprint.settings,
                "patient": job.patient,
                "program": job.program,
                "exercise": job.exercise,
                "summary": outcome.summary.to_dict() if outcome.summary else None,
                "outputs": outputs,
                "frames": outcome.frames,
                "seconds": round(outcome.seconds, 3),
                "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            },
        )
        self.run[job.rel] = "analysed" if outcome.ok else "failed"
        if self.progress is not None:  # the status the overview shows ("needs review"...)
            self.progress.done(job.rel, self.row(job).status, outcome.seconds, outcome.error)

    def finished(self, job: VideoJob) -> FinishedVideo | None:
        """The job's reports, when it was analysed now or before (unchanged)."""
        entry = self.state.entries.get(job.rel) or {}
        report = (entry.get("outputs") or {}).get("json")
        if self.run.get(job.rel) not in ("analysed", "unchanged") or not report:
            return None
        return FinishedVideo(job, self.out_dir / report, entry.get("sha256") or "")

    def row(self, job: VideoJob) -> BatchRow:
        entry = self.state.entries.get(job.rel) or {}
        run = self.run.get(job.rel, "not run")
        done = run in ("analysed", "unchanged")
        return BatchRow(
            file=job.rel,
            patient=job.patient,
            program=job.program,
            exercise=job.exercise,
            run=run,
            error=entry.get("error") if run == "failed" else None,
            summary=VideoSummary.from_dict(entry["summary"]) if done else None,
            report=(entry.get("outputs") or {}).get("html") if done else None,
        )


def _prepare(
    jobs: Sequence[VideoJob], batch: _Batch, options: BatchOptions
) -> tuple[list[_Pending], list[tuple[VideoJob, VideoOutcome]]]:
    """Split jobs into those to run and those failed already; mark unchanged ones."""
    pending: list[_Pending] = []
    failed: list[tuple[VideoJob, VideoOutcome]] = []
    digests: dict[int, str] = {}  # by id() of the spec: jobs share spec objects
    for job in jobs:
        if job.problem is not None or job.spec is None:
            failed.append((job, VideoOutcome(job.rel, error=job.problem or "no exercise")))
            continue
        try:
            stat = job.path.stat()
            sha256 = batch.state.content_hash(job.rel, job.path)
        except OSError as error:
            failed.append((job, VideoOutcome(job.rel, error=f"cannot read: {error}")))
            continue
        if id(job.spec) not in digests:
            digests[id(job.spec)] = settings_digest(job.spec, options.analysis, options.annotate)
        settings = digests[id(job.spec)]
        if not options.force and batch.state.is_current(job.rel, sha256, settings, batch.out_dir):
            batch.run[job.rel] = "unchanged"
            continue
        task = VideoTask(job, options.analysis, options.annotate)
        fingerprint = _Fingerprint(sha256, stat.st_size, stat.st_mtime_ns, settings)
        pending.append(_Pending(task, fingerprint))
    return pending, failed


def _execute(
    pending: list[_Pending], batch: _Batch, plan: ExecutorPlan, analyze_fn: AnalyzeFn
) -> None:
    """Run ``pending`` on the plan's executor; raises ``KeyboardInterrupt`` when stopped.

    A process pool breaks when a worker dies. That can surface in ``wait`` (a
    future fails) or in ``submit`` (the pool noticed first); both lead to the same
    recovery: let the pool finish, keep the results that made it, retry the lost
    videos one at a time on a fresh pool.
    """
    work = partial(run_task, analyze_fn=analyze_fn)
    queue = deque(pending)
    suspects: deque[_Pending] = deque()
    in_flight: dict[Future[VideoOutcome], _Pending] = {}
    executor = plan.make()

    def submit(item: _Pending, source: deque[_Pending]) -> bool:
        try:
            in_flight[executor.submit(work, item.task)] = item
        except BrokenProcessPool:
            source.appendleft(item)  # never started: not a suspect
            return False
        return True

    def collect(future: Future[VideoOutcome]) -> bool:
        """Record a finished future; False when its worker process was lost."""
        item = in_flight.pop(future)
        job = item.task.job
        try:
            outcome = future.result()
        except BrokenProcessPool:
            if item.isolated or not plan.restartable:
                batch.finish(job, VideoOutcome(job.rel, error=CRASHED), item.fingerprint)
            else:
                suspects.append(item)
            return False
        except Exception as error:  # e.g. Dask's KilledWorker after its retries
            outcome = VideoOutcome(job.rel, error=f"worker failed: {error}")
        batch.finish(job, outcome, item.fingerprint)
        if outcome.fatal:
            raise ModelError(outcome.error or "the pose model cannot be loaded")
        return True

    try:
        while queue or suspects or in_flight:
            healthy = True
            if suspects and not in_flight:
                item = suspects.popleft()
                item.isolated = True
                healthy = submit(item, suspects)
            while healthy and queue and not suspects and len(in_flight) < plan.slots:
                healthy = submit(queue.popleft(), queue)
            if healthy:
                done = _wait_for_one(in_flight)
                healthy = all([collect(future) for future in done])
            if not healthy:
                executor.shutdown(wait=True)  # every future in flight is now settled
                for future in list(in_flight):
                    collect(future)
                executor = plan.make()
    finally:
        _stop(executor, list(in_flight))


def _stop(executor: Executor, in_flight: list[Future[VideoOutcome]]) -> None:
    """Shut ``executor`` down. Videos still in flight (Ctrl-C, SIGTERM, a fatal error) are
    abandoned: local worker processes are killed at once instead of finishing them
    (a rerun redoes those videos)."""
    processes = getattr(executor, "_processes", None) or {}  # a local ProcessPoolExecutor's
    for future in in_flight:
        future.cancel()
    if in_flight:
        for process in list(processes.values()):
            process.terminate()
    # Waiting is quick once the workers are gone, and lets the pool close its pipes
    # before the interpreter exits (shutdown(wait=False) can end in an OSError then).
    executor.shutdown(wait=bool(processes) or not in_flight)


class _Interrupts:
    """SIGINT (Ctrl-C) and SIGTERM (``docker stop``, ``kill``) stop the batch as a
    ``KeyboardInterrupt``: the overview is written and the state kept.

    While the main thread waits on the workers' futures the exception is deferred:
    raised inside ``concurrent.futures.wait`` it can leave a future's lock held, and the
    pool's shutdown then waits for ever (seen as a batch that ignored Ctrl-C under
    load). The signal is noted there and raised as soon as the wait returns, within
    :data:`_WAIT_STEP_S`."""

    def __init__(self) -> None:
        self.deferring = False
        self.pending = False

    def handle(self, signum: int, frame: object) -> None:
        if self.deferring:
            self.pending = True
            return
        raise KeyboardInterrupt

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """The handler for both signals, in the main thread only (the only one that can)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.deferring = self.pending = False


_INTERRUPTS = _Interrupts()
_WAIT_STEP_S = 0.2


def _wait_for_one(in_flight: Iterable[Future[VideoOutcome]]) -> set[Future[VideoOutcome]]:
    """The futures done once at least one is, with signals deferred (see :class:`_Interrupts`)."""
    while True:
        _INTERRUPTS.deferring = True
        try:
            done, _ = wait(in_flight, timeout=_WAIT_STEP_S, return_when=FIRST_COMPLETED)
        finally:
            _INTERRUPTS.deferring = False
        if _INTERRUPTS.pending:
            _INTERRUPTS.pending = False
            raise KeyboardInterrupt
        if done:
            return done


def run_batch(
    jobs: Sequence[VideoJob],
    out_dir: Path,
    plan: ExecutorPlan,
    options: BatchOptions | None = None,
    analyze_fn: AnalyzeFn = analyze_reusing_estimator,
    progress: Progress | None = None,
    sessions: SessionRecorder | None = None,
) -> BatchResult:
    """Analyse every job not already done and write the reports and the overview.

    Args:
        jobs: from :func:`~formcheck.batch.plan.plan_jobs`.
        out_dir: REPORT_DIR.
        plan: where to run (:func:`~formcheck.batch.executors.local_plan` or ``dask_plan``).
        options: analysis options, annotation, force.
        analyze_fn: ``(path, spec, options) -> Analysis``, run in the workers; it must
            be picklable by reference (a module-level function).
        progress: receives one call per finished video.
        sessions: records each analysed video's session (``formcheck.history.BatchSessions``).

    Returns:
        The rows of the overview; ``exit_code`` is 0, 5 (some failed), 3 (the
        sessions could not be recorded) or 130.

    Raises:
        ModelError: the pose model cannot be loaded (after recording the video).
        OutputError: ``out_dir`` cannot be written, or another batch is writing it
            (:class:`~formcheck.batch.lock.BatchBusyError`).
    """
    options = options or BatchOptions()
    if options.analysis.threads is None and options.analysis.max_threads is None:
        # workers share the cores: each chooses at most its share
        options = replace(
            options, analysis=replace(options.analysis, max_threads=plan.threads_per_task)
        )
    writable_folder(out_dir)
    with batch_lock(out_dir), _INTERRUPTS.installed():
        remove_stale_temps(out_dir)
        batch = _Batch(out_dir, progress)
        interrupted = False
        store_error = None
        try:
            pending, failed = _prepare(jobs, batch, options)
            if progress is not None:
                skipped = sum(run == "unchanged" for run in batch.run.values())
                progress.start(len(pending) + len(failed), skipped)
            for job, outcome in failed:
                batch.finish(job, outcome, _Fingerprint())
            _execute(pending, batch, plan, analyze_fn)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if progress is not None:
                progress.close()
            rows = [batch.row(job) for job in jobs]
            if sessions is not None:
                finished = [video for job in jobs if (video := batch.finished(job)) is not None]
                try:
                    pages = sessions(finished, out_dir)
                except FormcheckError as error:
                    store_error, pages = str(error), {}
                rows = [replace(row, history=pages.get(row.patient.strip())) for row in rows]
            write_text_atomic(out_dir / "summary.csv", summary_csv(rows))
            write_text_atomic(out_dir / "index.html", index_html(rows))
    return BatchResult(rows, interrupted, store_error)
