"""Program files: a patient's list of exercises, with per-patient overrides.

A program names bundled specs (or spec files) and may override any spec field,
e.g. a shallower wall squat after knee surgery::

    title = "Home programme, week 3"

    [[exercises]]
    id = "wall_squat"
    sets = 3
    rest_s = 60
    [exercises.overrides.hold]
    when = [{ signal = "knee", op = "between", value = [95.0, 125.0] }]

Overrides are merged into the spec's TOML data (tables key by key, lists whole;
``faults`` by fault id) and the result is validated like any spec, so overriding
a field the schema does not have is an error that names it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from formcheck.specs.loader import (
    SpecError,
    build_spec,
    load_spec,
    read_toml,
    spec_error,
    validate_spec_file,
)
from formcheck.specs.parse import Invalid, collect, from_table, join, to_table
from formcheck.specs.schema import ExerciseSpec


@dataclass(frozen=True)
class ProgramEntry:
    """One ``[[exercises]]`` entry as written (``overrides`` is merged separately)."""

    id: str
    sets: int | None = None
    rest_s: float | None = None
    spec_file: str | None = None


@dataclass(frozen=True)
class ProgramExercise:
    """An exercise of a program: its final spec and which fields the program changed."""

    spec: ExerciseSpec
    overridden: tuple[str, ...]


@dataclass(frozen=True)
class Program:
    """A patient's home-exercise programme."""

    title: str
    notes: str
    exercises: tuple[ProgramExercise, ...]


def _merge(base: Any, override: Any, path: str) -> Any:
    """``override`` merged into ``base``; returns the merged copy."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base[key], value, join(path, key)) if key in base else value
        return merged
    if path == "faults" and isinstance(override, dict):
        by_id = {fault["id"]: i for i, fault in enumerate(base)}
        merged_list = list(base)
        for fault_id, value in override.items():
            if fault_id not in by_id:
                raise Invalid(join(path, fault_id), f"the spec has no fault {fault_id!r}")
            if not isinstance(value, dict):
                raise Invalid(join(path, fault_id), "expected a table")
            index = by_id[fault_id]
            merged_list[index] = _merge(base[index], value, join(path, index))
        return merged_list
    return override


def _leaf_paths(table: Any, path: str = "") -> list[str]:
    if isinstance(table, dict) and table:
        return [leaf for key, sub in table.items() for leaf in _leaf_paths(sub, join(path, key))]
    return [path]


def _exercise(raw_entry: Any, index: int, base_dir: Path) -> ProgramExercise:
    """One ``[[exercises]]`` entry; problems are :class:`Invalid` at paths in the program."""
    where = join("exercises", index)
    if not isinstance(raw_entry, dict):
        raise Invalid(where, "expected a table")
    fields = dict(raw_entry)
    overrides = fields.pop("overrides", {})
    entry = from_table(fields, ProgramEntry, where)
    if not isinstance(overrides, dict):
        raise Invalid(join(where, "overrides"), "expected a table")
    try:
        base = load_spec(base_dir / entry.spec_file if entry.spec_file else entry.id)
    except SpecError as error:
        raise Invalid(join(where, "spec_file" if entry.spec_file else "id"), str(error)) from None
    if base.id != entry.id:
        raise Invalid(join(where, "id"), f"spec file has id {base.id!r}")
    extra = {k: v for k, v in (("sets", entry.sets), ("rest_s", entry.rest_s)) if v is not None}
    overrides = _merge(overrides, {"targets": extra}, "") if extra else overrides
    label = f"{where} ({entry.id}) overrides"
    try:
        spec = build_spec(_merge(copy.deepcopy(to_table(base)), overrides, ""))
    except Invalid as problem:
        raise Invalid.of(
            Invalid(f"{label}: {p.path}", p.problem) for p in problem.problems
        ) from None
    return ProgramExercise(spec, tuple(_leaf_paths(overrides)) if overrides else ())


def _check_header(raw: dict[str, Any], default_title: str) -> tuple[str, str, list[Any]]:
    unknown = sorted(set(raw) - {"title", "notes", "exercises"})
    if unknown:
        raise Invalid.of(Invalid(key, "unknown key") for key in unknown)
    title = raw.get("title", default_title)
    notes = raw.get("notes", "")
    for key, value in (("title", title), ("notes", notes)):
        if not isinstance(value, str):
            raise Invalid(key, "expected a string")
    entries = raw.get("exercises")
    if not isinstance(entries, list) or not entries:
        raise Invalid("exercises", "give at least one [[exercises]] entry")
    return title, notes, entries


def load_program(path: str | Path) -> Program:
    """Load and validate a program file; spec files it names are resolved next to it.

    Raises:
        SpecError: the program, a spec it names, or an override is invalid; every
            problem of every entry is listed in its ``problems``.
    """
    path = Path(path)
    raw = read_toml(path)
    try:
        title, notes, entries = _check_header(raw, path.stem)
        exercises = collect(
            partial(_exercise, entry, i, path.parent) for i, entry in enumerate(entries)
        )
    except Invalid as problem:
        raise spec_error(path, problem) from None
    return Program(title, notes, tuple(exercises))


def validate_file(path: str | Path) -> str:
    """Validate an exercise spec or a program file (a program has ``[[exercises]]``).

    Returns:
        What the file is, e.g. ``"exercise spec 'bridge'"`` or ``"program 'Week 3'
        with 2 exercises: bridge, plank"``.

    Raises:
        SpecError: the file is invalid; ``problems`` lists every problem found.
    """
    if "exercises" not in read_toml(path):
        return f"exercise spec {validate_spec_file(path).id!r}"
    program = load_program(path)
    ids = ", ".join(item.spec.id for item in program.exercises)
    count = len(program.exercises)
    return f"program {program.title!r} with {count} exercise{'s' * (count != 1)}: {ids}"
