"""The batch manifest: a CSV naming each recording's exercise and patient.

Columns (header row required, UTF-8, Excel's BOM accepted):

* ``file`` — the recording, relative to INPUT_DIR;
* ``exercise`` — a spec id (``formcheck specs list``);
* ``patient`` — a label shown in the reports;
* ``program`` (optional) — a program file (TOML, relative to INPUT_DIR) whose entry
  for the exercise overrides the bundled spec (e.g. a patient's own targets).

Paths may not leave INPUT_DIR: absolute paths outside it, ``..`` steps out of it
and symlinks that resolve outside it are rejected, so a manifest from elsewhere
cannot pull other files into the reports.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from formcheck.batch.discover import is_inside
from formcheck.errors import ExitCode, FormcheckError

REQUIRED_COLUMNS: tuple[str, ...] = ("file", "exercise", "patient")
OPTIONAL_COLUMNS: tuple[str, ...] = ("program",)


class ManifestError(FormcheckError):
    """The manifest is unreadable or invalid (exit code 2: bad usage)."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True, slots=True)
class ManifestRow:
    """One manifest line; ``file`` and ``program`` are normalised relative POSIX paths."""

    line: int
    file: str
    exercise: str
    patient: str
    program: str = ""


def inside_path(input_dir: Path, raw: str, where: str) -> str:
    """``raw`` as a normalised path relative to ``input_dir``.

    Args:
        input_dir: the batch's input folder.
        raw: a path from the manifest (relative to ``input_dir``, or absolute).
        where: the manifest location for error messages (``"manifest.csv line 3"``).

    Raises:
        ManifestError: the path is empty or leads outside ``input_dir``.

    Example:
        >>> inside_path(Path("/data"), "p1/./a.mp4", "line 2")  # doctest: +SKIP
        'p1/a.mp4'
    """
    if not raw.strip():
        raise ManifestError(f"{where}: empty path")
    root = input_dir.absolute()
    joined = Path(os.path.normpath(root / raw))
    if not joined.is_relative_to(root) or not is_inside(joined, root):
        raise ManifestError(
            f"{where}: {raw!r} is outside INPUT_DIR {str(input_dir)!r}; manifest paths "
            "are relative to INPUT_DIR and may not leave it (no '..', absolute paths "
            "or symlinks pointing elsewhere)"
        )
    return joined.relative_to(root).as_posix()


def read_manifest(path: Path, input_dir: Path) -> list[ManifestRow]:
    """Read and check a manifest; paths are checked against ``input_dir``.

    Raises:
        ManifestError: unreadable file, missing or unknown columns, an empty
            exercise, a path outside ``input_dir``, or a file listed twice.
    """
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in reader.fieldnames or []]
            records = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ManifestError(f"cannot read manifest {str(path)!r}: {error}") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        problem = f"missing column(s) {missing}" if missing else f"unknown column(s) {unknown}"
        raise ManifestError(
            f"manifest {str(path)!r}: {problem}; expected columns "
            f"{', '.join(REQUIRED_COLUMNS)} and optionally {', '.join(OPTIONAL_COLUMNS)}"
        )
    rows: list[ManifestRow] = []
    seen: dict[str, int] = {}
    for number, record in enumerate(records, start=2):
        cells = {(k or "").strip(): (v or "").strip() for k, v in record.items() if k}
        if not any(cells.values()):
            continue
        where = f"manifest {path.name} line {number}"
        file = inside_path(input_dir, cells["file"], where)
        if file in seen:
            raise ManifestError(f"{where}: {file!r} is already listed on line {seen[file]}")
        seen[file] = number
        if not cells["exercise"]:
            raise ManifestError(f"{where}: the exercise is empty")
        program = cells.get("program", "")
        if program:
            program = inside_path(input_dir, program, where)
        rows.append(ManifestRow(number, file, cells["exercise"], cells["patient"], program))
    return rows
