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
a field the schema does not have is an error that names it. A ``spec_file`` must
lie in the program's folder. Every count, duration and text has an upper bound
(:data:`formcheck.bounds.SPEC_FIELDS`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formcheck.bounds import SPEC_FIELDS
from formcheck.specs.loader import (
    SpecError,
    load_spec,
    parse_spec,
    read_toml,
    spec_error,
)
from formcheck.specs.parse import Invalid, from_table, join, to_table
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


def _spec_file(base_dir: Path, name: str | None, where: str, source: Path) -> Path | None:
    """The spec file an entry names, which must lie in the program's own folder."""
    if not name:
        return None
    path = base_dir / name
    if not path.resolve().is_relative_to(base_dir.resolve()):
        problem = Invalid(join(where, "spec_file"), f"{name!r} is not in the program's folder")
        raise spec_error(source, problem)
    return path


def _exercise(raw_entry: Any, index: int, base_dir: Path, source: Path) -> ProgramExercise:
    where = join("exercises", index)
    if not isinstance(raw_entry, dict):
        raise spec_error(source, Invalid(where, "expected a table"))
    fields = dict(raw_entry)
    overrides = fields.pop("overrides", {})
    try:
        entry = from_table(fields, ProgramEntry, where)
        if not isinstance(overrides, dict):
            raise Invalid(join(where, "overrides"), "expected a table")
    except Invalid as problem:
        raise spec_error(source, problem) from None
    base = load_spec(_spec_file(base_dir, entry.spec_file, where, source) or entry.id)
    if base.id != entry.id:
        raise spec_error(source, Invalid(join(where, "id"), f"spec file has id {base.id!r}"))
    extra = {k: v for k, v in (("sets", entry.sets), ("rest_s", entry.rest_s)) if v is not None}
    overrides = _merge(overrides, {"targets": extra}, "") if extra else overrides
    label = f"{source}: {where} ({entry.id}) overrides"
    try:
        merged = _merge(copy.deepcopy(to_table(base)), overrides, "")
    except Invalid as problem:
        raise SpecError(f"{label}: {problem}") from None
    try:
        spec = parse_spec(merged, label)
    except SpecError as error:
        raise SpecError(str(error)) from None
    return ProgramExercise(spec, tuple(_leaf_paths(overrides)) if overrides else ())


def load_program(path: str | Path) -> Program:
    """Load and validate a program file; spec files it names are resolved next to it.

    Raises:
        SpecError: the program, a spec it names, or an override is invalid.
    """
    path = Path(path)
    raw = read_toml(path)
    unknown = sorted(set(raw) - {"title", "notes", "exercises"})
    if unknown:
        raise spec_error(path, Invalid(unknown[0], "unknown key"))
    title = raw.get("title", path.stem)
    notes = raw.get("notes", "")
    for key, value in (("title", title), ("notes", notes)):
        if not isinstance(value, str):
            raise spec_error(path, Invalid(key, "expected a string"))
        if too_long := SPEC_FIELDS[f"Program.{key}"].text_problem(value):
            raise spec_error(path, Invalid(key, too_long))
    entries = raw.get("exercises")
    if not isinstance(entries, list) or not entries:
        raise spec_error(path, Invalid("exercises", "give at least one [[exercises]] entry"))
    if too_many := SPEC_FIELDS["Program.exercises"].items_problem(len(entries)):
        raise spec_error(path, Invalid("exercises", too_many))
    exercises = tuple(_exercise(e, i, path.parent, path) for i, e in enumerate(entries))
    return Program(title, notes, exercises)
