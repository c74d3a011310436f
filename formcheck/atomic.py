"""Atomic file writes: a reader never sees half a report, a crash never leaves one.

Every file formcheck writes goes to a temporary file beside its target, renamed
over the target when complete. The temporary name carries the writer's process
id, so a temporary file left by a process that was killed is removed the next
time anything writes that target (or by :func:`remove_stale_temps`). Every
failure is an :class:`~formcheck.errors.OutputError` naming the path and the reason.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from formcheck.errors import OutputError

_MARK = ".formcheck-"  # temporary names: .<target name>.<pid>.formcheck-<random>.tmp
_SUFFIX = ".tmp"
_NAME_CHARS = 100  # of the target's name kept in the temporary name (limit: 255 bytes)

# Where analyze and live write when no --out is given: a folder the user sees in the
# current directory (live adds one ``live-<date>_<time>`` folder per session).
DEFAULT_OUT_DIR = "formcheck-out"


def _read_umask() -> int:
    """The process umask, read once at import (os.umask can only be read by setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def _cannot_write(path: Path, error: OSError) -> OutputError:
    reason = error.strerror or str(error)
    return OutputError(f"cannot write {str(path)!r}: {reason}")


def _writer_pid(name: str) -> int | None:
    """The process id in a temporary file's name, or ``None`` for any other file."""
    if not (name.startswith(".") and name.endswith(_SUFFIX)):
        return None
    head, mark, _ = name[: -len(_SUFFIX)].rpartition(_MARK)
    pid = head.rpartition(".")[2]
    return int(pid) if mark and pid.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return True


def _remove_stale(folder: str | Path, names: list[str]) -> None:
    for name in names:
        pid = _writer_pid(name)
        if pid is not None and pid != os.getpid() and not _alive(pid):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, name))


def remove_stale_temps(root: Path) -> None:
    """Remove, under ``root``, every temporary file left by a writer that was killed."""
    for folder, _, files in os.walk(root):
        _remove_stale(folder, files)


def _temp_beside(target: Path) -> Path:
    """Create an empty temporary file beside ``target`` (and the folders it needs)."""
    folder = target.parent
    if target.is_dir():
        raise IsADirectoryError(21, "it is a folder")
    for parent in (folder, *folder.parents):
        if parent.exists():
            if not parent.is_dir():
                raise NotADirectoryError(20, f"{str(parent)!r} is a file, not a folder")
            break
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale(folder, os.listdir(folder))
    fd, name = tempfile.mkstemp(
        prefix=f".{target.name[:_NAME_CHARS]}.{os.getpid()}{_MARK}", suffix=_SUFFIX, dir=folder
    )
    os.close(fd)
    path = Path(name)
    path.chmod(0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
    return path


class AtomicFile:
    """A temporary file beside ``target`` that replaces it on ``commit()``.

    For writers that outlive one ``with`` block (a video written frame by frame);
    ``discard()`` removes the temporary file and leaves ``target`` untouched.

    Raises:
        OutputError: the folder cannot be created or written.
    """

    def __init__(self, target: str | Path) -> None:
        self.target = Path(target)
        try:
            self.path = _temp_beside(self.target)
        except OSError as error:
            raise _cannot_write(self.target, error) from None

    def commit(self) -> None:
        try:
            os.replace(self.path, self.target)
        except OSError as error:
            self.discard()
            raise _cannot_write(self.target, error) from None

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)


def check_writable(target: str | Path) -> None:
    """Raise :class:`OutputError` now if ``target`` could not be written later.

    Creates the missing folders and a temporary file beside ``target`` (removed
    again), exactly as the real write will: call it before long work.
    """
    AtomicFile(target).discard()


def writable_folder(folder: str | Path) -> Path:
    """``folder``, created if missing, checked to accept new files.

    Raises:
        OutputError: it is a file, or it cannot be created or written.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"cannot write to {str(folder)!r}: it is a file, not a folder")
    try:
        _temp_beside(folder / "probe").unlink()
    except OSError as error:
        raise OutputError(f"cannot write to {str(folder)!r}: {error.strerror or error}") from None
    return folder


@contextlib.contextmanager
def output_folder(folder: str | Path) -> Iterator[Path]:
    """:func:`writable_folder` for a command's outputs: the folders it had to make
    are removed again if the command fails before writing anything into them."""
    folder = Path(folder)
    made = [path for path in (folder, *folder.parents) if not path.exists()]  # deepest first
    writable_folder(folder)
    try:
        yield folder
    except BaseException:
        for path in made:
            try:
                path.rmdir()
            except OSError:  # not empty: something was written
                break
        raise


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    An ``OSError`` while writing it (disk full...) becomes an :class:`OutputError`.

    Example:
        >>> with atomic_path("/tmp/x.json") as tmp:  # doctest: +SKIP
        ...     tmp.write_text("{}")
    """
    file = AtomicFile(path)
    try:
        yield file.path
    except OSError as error:
        raise _cannot_write(Path(path), error) from None
    else:
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
