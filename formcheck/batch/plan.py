"""Turning an input folder (and a manifest or an ``--exercise``) into video jobs.

Where each recording's exercise comes from, in order: the manifest row that
lists it; else ``--exercise``; else its file name (``<patient>__<exercise>...``,
see :mod:`formcheck.batch.discover`). A recording with no exercise, or with one
the file name gets wrong, becomes a job with a ``problem``: it is listed as
failed and the rest of the batch runs. Problems in the manifest itself stop the
batch before it starts (:class:`~formcheck.batch.manifest.ManifestError`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from formcheck.batch.discover import VIDEO_EXTENSIONS, discover_videos, is_inside, parse_name
from formcheck.batch.manifest import ManifestError, ManifestRow, read_manifest
from formcheck.errors import SourceError
from formcheck.specs import ExerciseSpec, SpecError, load_program, load_spec

_EXERCISE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
SpecLoader = Callable[[str], ExerciseSpec]


@dataclass(frozen=True)
class VideoJob:
    """One recording to analyse.

    Attributes:
        rel: path relative to INPUT_DIR (POSIX); the job's key in the batch state.
        path: the file to read.
        patient, exercise, program: labels for the reports ("" when unknown).
        spec: the spec to analyse with (the program's version when one is named).
        problem: why the recording cannot be analysed, or ``None``.
    """

    rel: str
    path: Path
    patient: str
    exercise: str
    program: str = ""
    spec: ExerciseSpec | None = None
    problem: str | None = None


class _Specs:
    """Spec lookups, each id (and program file) loaded once."""

    def __init__(self, input_dir: Path, loader: SpecLoader) -> None:
        self._input_dir = input_dir
        self._loader = loader
        self._by_id: dict[str, ExerciseSpec] = {}
        self._programs: dict[str, dict[str, ExerciseSpec]] = {}

    def spec(self, exercise: str) -> ExerciseSpec:
        if not _EXERCISE_ID.match(exercise):
            raise SpecError(f"{exercise!r} is not an exercise id (see `formcheck specs list`)")
        if exercise not in self._by_id:
            self._by_id[exercise] = self._loader(exercise)
        return self._by_id[exercise]

    def given(self, exercise: str) -> str:
        """The id of ``--exercise``: a bundled id, or a spec file (``PATH.toml``) whose
        spec then stands for its id in this batch."""
        if not exercise.endswith(".toml"):
            self.spec(exercise)  # an unknown id is a usage error, before any work
            return exercise
        spec = load_spec(Path(exercise))
        self._by_id[spec.id] = spec
        return spec.id

    def program_spec(self, program: str, exercise: str) -> ExerciseSpec:
        if program not in self._programs:
            loaded = load_program(self._input_dir / program)
            self._programs[program] = {e.spec.id: e.spec for e in loaded.exercises}
        specs = self._programs[program]
        if exercise not in specs:
            raise SpecError(f"program {program!r} has no exercise {exercise!r}")
        return specs[exercise]


def _manifest_job(row: ManifestRow, input_dir: Path, specs: _Specs) -> VideoJob:
    where = f"manifest line {row.line}"
    try:
        spec = (
            specs.program_spec(row.program, row.exercise)
            if row.program
            else specs.spec(row.exercise)
        )
    except SpecError as error:
        raise ManifestError(f"{where}: {error}") from None
    path = input_dir / row.file
    problem = None if path.is_file() else "listed in the manifest but not found in INPUT_DIR"
    return VideoJob(row.file, path, row.patient, row.exercise, row.program, spec, problem)


def _discovered_job(rel: str, input_dir: Path, exercise: str | None, specs: _Specs) -> VideoJob:
    path = input_dir / rel
    fields = parse_name(rel)
    patient = fields.patient if fields else ""
    if not is_inside(path, input_dir):
        return VideoJob(
            rel, path, patient, exercise or "", problem="symlink leads outside INPUT_DIR"
        )
    if exercise is not None:
        return VideoJob(rel, path, patient, exercise, spec=specs.spec(exercise))
    if fields is None:
        return VideoJob(
            rel,
            path,
            "",
            "",
            problem="no exercise: not in the manifest, no --exercise, and the file name "
            "does not follow <patient>__<exercise>__<anything>.<ext>",
        )
    try:
        spec = specs.spec(fields.exercise)
    except SpecError as error:
        return VideoJob(rel, path, patient, fields.exercise, problem=f"file name: {error}")
    return VideoJob(rel, path, patient, fields.exercise, spec=spec)


def plan_jobs(
    input_dir: Path,
    out_dir: Path,
    exercise: str | None = None,
    manifest: Path | None = None,
    spec_loader: SpecLoader = load_spec,
) -> list[VideoJob]:
    """The batch's jobs: manifest rows first (in manifest order), then the other videos.

    Args:
        input_dir: folder searched recursively for videos.
        out_dir: report folder, skipped when it lies inside ``input_dir``.
        exercise: the exercise of every recording not in the manifest: a spec id, or
            a spec file (``PATH.toml``).
        manifest: a manifest CSV (see :mod:`formcheck.batch.manifest`).
        spec_loader: spec id → spec (``load_spec``; tests inject their own).

    Raises:
        SourceError: ``input_dir`` is missing or holds no video (exit code 3).
        ManifestError, SpecError: bad manifest or unknown ``exercise`` (exit code 2).
    """
    if not input_dir.is_dir():
        raise SourceError(f"input folder {str(input_dir)!r} does not exist or is not a folder")
    specs = _Specs(input_dir, spec_loader)
    if exercise is not None:
        exercise = specs.given(exercise)
    rows = read_manifest(manifest, input_dir) if manifest is not None else []
    jobs = [_manifest_job(row, input_dir, specs) for row in rows]
    listed = {row.file for row in rows}
    jobs += [
        _discovered_job(rel, input_dir, exercise, specs)
        for rel in discover_videos(input_dir, exclude=out_dir)
        if rel not in listed
    ]
    if not jobs:
        raise SourceError(
            f"no videos under {str(input_dir)!r} (looked for {', '.join(sorted(VIDEO_EXTENSIONS))})"
        )
    return jobs
