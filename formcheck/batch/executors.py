"""Where the videos run: local worker processes (default) or a Dask cluster.

Both give a :class:`concurrent.futures.Executor`. Local workers are *spawned*
(never forked: MediaPipe and PyAV threads do not survive a fork), each keeps
its own pose model, and each dies with the batch process (:func:`start_worker`).
With Dask, every worker must see INPUT_DIR at the same path
(a shared file system) and have formcheck installed; results come back to this
process, which writes REPORT_DIR.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import socket
import sys
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from formcheck.cpu import available_cores
from formcheck.errors import ExitCode, FormcheckError


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
        threads_per_task: the most pose-model inference threads per video (each
            video chooses fewer when its node is busy), so that workers × threads
            never exceeds the cores.
    """

    make: Callable[[], Executor]
    slots: int
    restartable: bool
    threads_per_task: int = 1


def default_workers() -> int:
    """The CPU cores this process may use."""
    return available_cores()


def host_cores() -> tuple[str, int]:
    """This machine's name and the cores this process may use (run on each Dask worker)."""
    return socket.gethostname(), available_cores()


def fair_share(
    cores_by_worker: Mapping[str, tuple[str, int]], tasks_by_worker: Mapping[str, int]
) -> int:
    """Inference threads per task so that no machine runs more threads than it has
    cores: on each host, its cores divided by the tasks its workers run at once (all
    its workers together), the smallest over the hosts, at least 1.

    >>> fair_share({"a": ("n1", 8), "b": ("n1", 8), "c": ("n2", 4)}, {"a": 2, "b": 2, "c": 1})
    2
    """
    tasks_by_host: dict[str, int] = {}
    cores_by_host: dict[str, int] = {}
    for worker, (host, cores) in cores_by_worker.items():
        tasks_by_host[host] = tasks_by_host.get(host, 0) + tasks_by_worker.get(worker, 1)
        cores_by_host[host] = min(cores, cores_by_host.get(host, cores))
    shares = [cores_by_host[host] // max(1, tasks) for host, tasks in tasks_by_host.items()]
    return max(1, min(shares, default=1))


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies, even by ``kill -9``."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def start_worker(parent_pid: int) -> None:
    """Runs first in every local worker process.

    A worker dies with the batch process (a killed batch leaves no worker holding
    a pose model), and ignores Ctrl-C: the batch process gets it too and stops
    the workers itself, after writing its overview.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if os.getppid() != parent_pid:  # the parent died before the line above
        os._exit(1)


def local_plan(workers: int) -> ExecutorPlan:
    """``workers`` spawned worker processes on this machine, sharing its cores."""
    context = multiprocessing.get_context("spawn")
    return ExecutorPlan(
        make=lambda: ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=start_worker,
            initargs=(os.getpid(),),
        ),
        slots=workers,
        restartable=True,
        threads_per_task=max(1, available_cores() // workers),
    )


SCHEDULER_SCHEMES: tuple[str, ...] = ("tcp", "tls", "ws", "wss", "ucx")


def scheduler_address(text: str) -> str:
    """``text`` if it is a Dask scheduler address ``[SCHEME://]HOST:PORT``, checked before
    any work (``tcp://10.0.0.5:8786``; the scheme defaults to ``tcp``).

    Raises:
        SchedulerError: not an address of that form.
    """
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    host, colon, port = rest.rpartition(":")
    if scheme not in SCHEDULER_SCHEMES or not colon or not host.strip("[]"):
        raise SchedulerError(
            f"{text!r} is not a Dask scheduler address: expected "
            f"[{'|'.join(SCHEDULER_SCHEMES)}://]HOST:PORT, e.g. tcp://10.0.0.5:8786"
        )
    if not (port.isdigit() and 1 <= int(port) <= 65535):
        raise SchedulerError(f"{text!r}: the port must be a number from 1 to 65535")
    return text


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
    scheduler_address(address)
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as error:
        raise SchedulerError(f"cannot reach the Dask scheduler at {address!r}: {error}") from None
    try:
        tasks_by_worker = client.nthreads()
        slots = max(1, sum(tasks_by_worker.values()))
        yield ExecutorPlan(
            make=lambda: client.get_executor(pure=False),
            slots=slots,
            restartable=False,
            threads_per_task=fair_share(client.run(host_cores), tasks_by_worker),
        )
    finally:
        client.close()
