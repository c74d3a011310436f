"""Finding the recordings of a batch and reading the file-name convention.

Videos are every file under the input folder (recursively, symlinked folders not
followed) whose extension is one of :data:`VIDEO_EXTENSIONS`, in sorted order.
A file name may carry the patient and the exercise::

    <patient>__<exercise>__<anything>.<ext>     e.g. p017__bridge__2024-05-02.mp4
    <patient>__<exercise>.<ext>                  e.g. p017__bridge.mp4

(fields separated by two underscores; the exercise is a spec id).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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


def discover_videos(input_dir: Path, exclude: Path | None = None) -> list[str]:
    """Relative POSIX paths of the videos under ``input_dir``, sorted.

    Args:
        input_dir: the folder to search.
        exclude: a folder to skip (the report folder when it lies inside the input).
    """
    skip = exclude.resolve() if exclude is not None else None
    found: list[str] = []
    for folder, dirs, files in os.walk(input_dir):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if skip is None or (here / d).resolve() != skip)
        for name in files:
            if Path(name).suffix.lower() in VIDEO_EXTENSIONS:
                found.append((here / name).relative_to(input_dir).as_posix())
    return sorted(found)
