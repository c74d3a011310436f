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
        threads: inference threads for ``tasks`` (``None``: every available core);
            ``legacy`` (``mp.solutions`` has no thread setting) ignores it.
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

        return TasksEstimator(model, threads=threads, **opts)
    if backend == "legacy":
        if model is not None:
            raise ModelError(
                "the legacy backend only runs mediapipe's built-in model; "
                f"use backend 'tasks' for {str(model)!r}"
            )
        from formcheck.pose.legacy import LegacyEstimator

        return LegacyEstimator(**opts)
    raise ModelError(f"unknown pose backend {backend!r}; choose one of {', '.join(BACKENDS)}")
