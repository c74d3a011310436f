"""Create a pose estimator by backend name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from formcheck.errors import ModelError
from formcheck.pose.base import PoseEstimator

BACKENDS: tuple[str, ...] = ("tasks", "legacy")
DEFAULT_BACKEND = "tasks"


def create_estimator(
    backend: str = DEFAULT_BACKEND,
    model: Path | None = None,
    threads: int | None = None,
    *,
    max_threads: int | None = None,
    restart_every_s: float | None = None,
    **opts: Any,
) -> PoseEstimator:
    """Create the pose estimator for ``backend`` (one of :data:`BACKENDS`).

    MediaPipe is imported here, on demand; saved landmarks need no estimator
    (:class:`formcheck.sources.replay.ReplaySource` is a source of poses).

    Args:
        backend: ``"tasks"`` (MediaPipe PoseLandmarker) or ``"legacy"``
            (``mediapipe.solutions.pose``).
        model: for ``tasks``, a ``.task`` bundle (default: the one built from
            mediapipe's shipped models); ``legacy`` takes none.
        threads: inference threads for ``tasks`` (``None``: chosen from the load, with
            a fallback to fewer mid-run; see :class:`~formcheck.pose.tasks.TasksEstimator`);
            ``legacy`` (``mp.solutions`` has no thread setting) ignores it.
        max_threads: for ``tasks`` with ``threads=None``, the most threads chosen.
        restart_every_s: for ``tasks``, seconds between tracker restarts (where a
            fallback to fewer threads happens without changing any landmark);
            ``None``: never (live sessions; offline analyses take theirs from
            :class:`~formcheck.pipeline.AnalysisOptions`).
        **opts: keyword options of the backend's class (``TasksEstimator``,
            ``LegacyEstimator``), e.g. ``people_probe_s=None``.

    Returns:
        The estimator; call ``close()`` when done.

    Raises:
        ModelError: unknown backend, a model given to ``legacy``, or a model that
            cannot be loaded.

    Example:
        >>> estimator = create_estimator("tasks")  # doctest: +SKIP
        >>> pose = estimator.process(frame)  # doctest: +SKIP
    """
    if backend == "tasks":
        from formcheck.pose.tasks import TasksEstimator

        return TasksEstimator(
            model,
            threads=threads,
            max_threads=max_threads,
            restart_every_s=restart_every_s,
            **opts,
        )
    if backend == "legacy":
        if model is not None:
            raise ModelError(
                "the legacy backend only runs mediapipe's built-in model; "
                f"use backend 'tasks' for {str(model)!r}"
            )
        from formcheck.pose.legacy import LegacyEstimator

        return LegacyEstimator(**opts)
    raise ModelError(f"unknown pose backend {backend!r}; choose one of {', '.join(BACKENDS)}")
