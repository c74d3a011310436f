"""Atomic file writes: a reader never sees half a report, a crash never leaves one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _read_umask() -> int:
    """The process umask, read once at import (os.umask can only be read by setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


class AtomicFile:
    """A temporary file beside ``target`` that replaces it on ``commit()``.

    For writers that outlive one ``with`` block (a video written frame by frame);
    ``discard()`` removes the temporary file and leaves ``target`` untouched.
    """

    def __init__(self, target: str | Path) -> None:
        self.target = Path(target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            prefix=f".{self.target.name}.", suffix=".tmp", dir=self.target.parent
        )
        os.close(fd)
        self.path = Path(name)
        self.path.chmod(0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions

    def commit(self) -> None:
        os.replace(self.path, self.target)

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    Example:
        >>> with atomic_path("/tmp/x.json") as tmp:  # doctest: +SKIP
        ...     tmp.write_text("{}")
    """
    file = AtomicFile(path)
    try:
        yield file.path
        file.commit()
    finally:
        file.discard()


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
