"""Finding the recordings of a batch and reading the file-name convention.

Videos are every file under the input folder (recursively, symlinked folders not
followed) whose extension is one of :data:`VIDEO_EXTENSIONS`, in sorted order.
Only regular files are read; anything else with such a name, and any folder that
cannot be listed, is reported as failed. A name that is not valid UTF-8 is shown
with its undecodable bytes as ``\\xNN`` (the file itself is still read).
A file name may carry the patient and the exercise::

    <patient>__<exercise>__<anything>.<ext>     e.g. p017__bridge__2024-05-02.mp4
    <patient>__<exercise>.<ext>                  e.g. p017__bridge.mp4

(fields separated by two underscores; the exercise is a spec id).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from formcheck.safe_text import valid_text
from formcheck.sources import VIDEO_EXTENSIONS

NAME_SEPARATOR = "__"


@dataclass(frozen=True, slots=True)
class NameFields:
    """Patient and exercise read from a file name that follows the convention."""

    patient: str
    exercise: str


def parse_name(path: str | Path) -> NameFields | None:
    """Patient and exercise from ``<patient>__<exercise>[__<anything>].<ext>``.

    Returns:
        The two fields, or ``None`` when the name does not follow the convention.

    Example:
        >>> parse_name("clinic/p017__bridge__week3.mp4")
        NameFields(patient='p017', exercise='bridge')
        >>> parse_name("bridge.mp4") is None
        True
    """
    fields = Path(path).stem.split(NAME_SEPARATOR)
    if len(fields) < 2 or not fields[0] or not fields[1]:
        return None
    return NameFields(patient=fields[0], exercise=fields[1])


def is_inside(path: Path, root: Path) -> bool:
    """True when ``path``, with every symlink resolved, lies inside ``root``."""
    return path.resolve().is_relative_to(root.resolve())


@dataclass(frozen=True, slots=True)
class Found:
    """A recording found under the input folder (or a folder that could not be read).

    Attributes:
        rel: its path relative to the input folder as valid text (bytes of the name
            that are not UTF-8 written as ``\\xNN``): the key of the batch.
        path: the file itself (its real name, whatever bytes it holds).
        problem: why it cannot be analysed (not a regular file, unreadable folder...).
    """

    rel: str
    path: Path
    problem: str | None = None


def file_problem(path: Path) -> str | None:
    """Why ``path`` is not a readable regular file (checked without opening it), or ``None``.

    A FIFO or a device named ``.mp4`` would block or never end when read.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "not found (a broken link?)" if path.is_symlink() else "not found"
    except OSError as error:
        return f"cannot read: {error.strerror or error}"
    if not stat.S_ISREG(mode):
        return "not a regular file (a FIFO, device or socket): not read"
    return None


def discover_videos(input_dir: Path, exclude: Sequence[Path] = ()) -> list[Found]:
    """The videos under ``input_dir`` (extension in :data:`VIDEO_EXTENSIONS`), sorted by ``rel``.

    Files that are not regular files, folders that cannot be read and names that
    collide once made valid text are returned with a ``problem``: the batch
    lists them as failed instead of skipping them silently or blocking on them.

    Args:
        input_dir: the folder to search.
        exclude: folders to skip (the report folder, or its ``videos/`` when the
            reports are written into the input folder itself).
    """
    skip = {path.resolve() for path in exclude}
    found: dict[str, Found] = {}

    def add(path: Path, problem: str | None) -> None:
        rel = valid_text(path.relative_to(input_dir).as_posix())
        if rel in found:  # two names that differ only in undecodable bytes
            problem = f"its name, shown as {rel!r}, is also another file's: rename it"
            rel = f"{rel} ({len(found)})"
        found[rel] = Found(rel, path, problem)

    def unreadable(error: OSError) -> None:
        folder = Path(error.filename or input_dir)
        add(folder, f"cannot read this folder: {error.strerror or error}")

    for folder, dirs, files in os.walk(input_dir, onerror=unreadable):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if (here / d).resolve() not in skip)
        for name in files:
            if Path(name).suffix.lower() in VIDEO_EXTENSIONS:
                add(here / name, file_problem(here / name))
    return [found[rel] for rel in sorted(found)]
