"""Where the videos run: local worker processes (default) or a Dask cluster.

Both give a :class:`concurrent.futures.Executor`. Local workers are *spawned*
(never forked: MediaPipe and PyAV threads do not survive a fork) and each keeps
its own pose model. With Dask, every worker must see INPUT_DIR at the same path
(a shared file system) and have formcheck installed; results come back to this
process, which writes REPORT_DIR.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from formcheck.errors import ExitCode, FormcheckError
from formcheck.pose.base import available_cores


class SchedulerError(FormcheckError):
    """Dask is missing or its scheduler cannot be reached (exit code 2: bad usage)."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class ExecutorPlan:
    """How to (re)create the executor and how many videos to keep in flight.

    Attributes:
        make: creates a fresh executor (called again after a worker crash).
        slots: videos submitted at once (the number of workers).
        restartable: a crashed executor can be replaced by ``make()`` (local pool).
        threads_per_task: pose-model inference threads per video, so that workers
            share the cores instead of oversubscribing them.
    """

    make: Callable[[], Executor]
    slots: int
    restartable: bool
    threads_per_task: int = 1


def default_workers() -> int:
    """The CPU cores this process may use."""
    return available_cores()


def local_plan(workers: int) -> ExecutorPlan:
    """``workers`` spawned worker processes on this machine, sharing its cores."""
    context = multiprocessing.get_context("spawn")
    return ExecutorPlan(
        make=lambda: ProcessPoolExecutor(max_workers=workers, mp_context=context),
        slots=workers,
        restartable=True,
        threads_per_task=max(1, available_cores() // workers),
    )


@contextmanager
def dask_plan(address: str) -> Iterator[ExecutorPlan]:
    """An executor on the Dask scheduler at ``address`` (e.g. ``tcp://10.0.0.5:8786``).

    Raises:
        SchedulerError: ``distributed`` is not installed, or the scheduler cannot be reached.
    """
    try:
        from distributed import Client
    except ImportError:
        raise SchedulerError(
            "--scheduler needs Dask: pip install 'formcheck[distributed]'"
        ) from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as error:
        raise SchedulerError(f"cannot reach the Dask scheduler at {address!r}: {error}") from None
    try:
        slots = max(1, sum(client.nthreads().values()))
        yield ExecutorPlan(
            make=lambda: client.get_executor(pure=False), slots=slots, restartable=False
        )
    finally:
        client.close()
