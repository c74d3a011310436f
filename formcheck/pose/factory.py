"""Create a pose estimator by backend name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from formcheck.errors import ModelError
from formcheck.pose.base import PoseEstimator

BACKENDS: tuple[str, ...] = ("tasks", "legacy", "replay")


def create_estimator(
    backend: str = "tasks",
    model: Path | None = None,
    threads: int | None = None,
    *,
    max_threads: int | None = None,
    restart_every_s: float | None = None,
    **opts: Any,
) -> PoseEstimator:
    """Create the pose estimator for ``backend``.

    MediaPipe is imported only for the ``tasks`` and ``legacy`` backends, so
    ``replay`` works where MediaPipe is not installed.

    Args:
        backend: ``"tasks"`` (MediaPipe PoseLandmarker), ``"legacy"``
            (``mediapipe.solutions.pose``) or ``"replay"`` (a saved replay file).
        model: for ``tasks``, a ``.task`` bundle (default: the one built from
            mediapipe's shipped models); for ``replay``, the replay file (required);
            ``legacy`` takes none.
        threads: inference threads for ``tasks`` (``None``: chosen from the load, with
            a fallback to fewer mid-run; see :class:`~formcheck.pose.tasks.TasksEstimator`);
            ``legacy`` (``mp.solutions`` has no thread setting) and ``replay`` ignore it.
        max_threads: for ``tasks`` with ``threads=None``, the most threads chosen.
        restart_every_s: for ``tasks``, seconds between tracker restarts (where a
            fallback to fewer threads happens without changing any landmark).
        **opts: keyword options of the backend's class (``TasksEstimator``,
            ``LegacyEstimator``), e.g. ``people_probe_s=None``.

    Returns:
        The estimator; call ``close()`` when done.

    Raises:
        ModelError: unknown backend, a model given to ``legacy``, no replay file
            for ``replay``, or a model that cannot be loaded.

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
    if backend == "replay":
        if model is None:
            raise ModelError("the replay backend needs a replay file (.npz) as its model")
        if opts:
            raise ModelError(f"the replay backend takes no options, got {sorted(opts)}")
        from formcheck.pose.replay import ReplayEstimator

        return ReplayEstimator(model)
    raise ModelError(f"unknown pose backend {backend!r}; choose one of {', '.join(BACKENDS)}")
