"""Batch review: a folder of recordings → one report set per video plus an overview.

Library API (the ``formcheck batch`` command is a thin layer over it)::

    jobs = plan_jobs(input_dir, out_dir, exercise="bridge")       # or manifest=...
    result = run_batch(jobs, out_dir, local_plan(workers=4))       # or dask_plan(address)
    result.exit_code                                              # 0, 5 or 130

See docs/batch.md for the folder layout, the manifest and the file-name convention.
"""

from formcheck.batch.discover import VIDEO_EXTENSIONS, discover_videos, parse_name
from formcheck.batch.executors import (
    ExecutorPlan,
    SchedulerError,
    dask_plan,
    default_workers,
    local_plan,
)
from formcheck.batch.manifest import ManifestError, ManifestRow, read_manifest
from formcheck.batch.plan import VideoJob, plan_jobs
from formcheck.batch.progress import stderr_progress
from formcheck.batch.runner import BatchOptions, BatchResult, output_dir, run_batch
from formcheck.batch.summary import BatchRow, VideoSummary, index_html, summary_csv
from formcheck.batch.worker import AnalyzeFn, analyze_reusing_estimator

__all__ = [
    "VIDEO_EXTENSIONS",
    "AnalyzeFn",
    "BatchOptions",
    "BatchResult",
    "BatchRow",
    "ExecutorPlan",
    "ManifestError",
    "ManifestRow",
    "SchedulerError",
    "VideoJob",
    "VideoSummary",
    "analyze_reusing_estimator",
    "dask_plan",
    "default_workers",
    "discover_videos",
    "index_html",
    "local_plan",
    "output_dir",
    "parse_name",
    "plan_jobs",
    "read_manifest",
    "run_batch",
    "stderr_progress",
    "summary_csv",
]
