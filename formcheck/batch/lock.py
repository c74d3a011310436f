"""One batch at a time per report folder: an advisory lock on ``REPORT_DIR``.

Two batches writing one report folder would overwrite each other's state and
overview; the second one is refused at once instead. The lock is the operating
system's (``flock``), so it is released however the holder ends, ``kill -9``
included, and a rerun is never blocked by a dead batch. Where ``flock`` does not
exist (Windows) there is no lock.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from formcheck.errors import OutputError

LOCK_FILE = ".formcheck-batch.lock"


class BatchBusyError(OutputError):
    """Another batch is writing to the same report folder (exit code 2)."""


@contextlib.contextmanager
def batch_lock(out_dir: Path) -> Iterator[None]:
    """Hold the report folder's lock for the ``with`` block.

    Raises:
        BatchBusyError: another batch holds it.
    """
    if sys.platform == "win32":
        yield
        return
    import fcntl

    fd = os.open(out_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BatchBusyError(
                f"another formcheck batch is writing to {str(out_dir)!r}; wait for it to "
                "finish, or give another --out"
            ) from None
        yield
    finally:
        os.close(fd)
