"""Reading exercise spec files: locate, parse, validate.

Spec files are untrusted input: they are parsed as TOML data and checked against
the schema, never evaluated. Every problem raises :class:`SpecError` naming the
file, the field path and what is wrong.
"""

from __future__ import annotations

import difflib
import os
import sys
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import formcheck
from formcheck.errors import ExitCode, FormcheckError
from formcheck.specs.parse import Invalid, from_table
from formcheck.specs.schema import ExerciseSpec, check_spec

SPECS_DIR_ENV = "FORMCHECK_SPECS_DIR"


class SpecError(FormcheckError):
    """An exercise spec or program file is malformed (exit code 2).

    Attributes:
        source: the file (or program entry) at fault, "" when none.
        problems: every problem found, each ``"<field path>: <what is wrong>"``;
            the message names the file once and the first problem.
    """

    exit_code = ExitCode.USAGE

    def __init__(self, message: str, source: str = "", problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.source = source
        self.problems = tuple(problems) or (message,)


def spec_error(source: str | Path, problem: Invalid | str) -> SpecError:
    """A :class:`SpecError` whose message starts with the file name; with several
    problems it names the first and says how to see them all."""
    found = [str(p) for p in problem.problems] if isinstance(problem, Invalid) else [problem]
    more = ""
    if len(found) > 1:
        more = f" (and {len(found) - 1} more: formcheck specs validate {source})"
    return SpecError(f"{source}: {found[0]}{more}", str(source), found)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'bridge'?)`` for the choice nearest ``word``, or ``""``.

    >>> did_you_mean("brige", ["bridge", "plank"])
    " (did you mean 'bridge'?)"
    """
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def bundled_ids() -> list[str]:
    """The ids of the bundled specs, sorted."""
    return sorted(path.stem for path in specs_dir().glob("*.toml"))


def specs_dir() -> Path:
    """The directory of bundled specs: ``$FORMCHECK_SPECS_DIR``; else the repository's
    ``exercise_specs/`` next to the ``formcheck`` package (a clone or an editable
    install); else ``<prefix>/share/formcheck/exercise_specs`` (a wheel install)."""
    override = os.environ.get(SPECS_DIR_ENV)
    if override:
        path = Path(override).expanduser()
        if not path.is_dir():
            raise SpecError(f"{SPECS_DIR_ENV}={override}: not a directory")
        return path
    candidates = (
        Path(formcheck.__file__).resolve().parent.parent / "exercise_specs",
        Path(sys.prefix) / "share" / "formcheck" / "exercise_specs",
    )
    for path in candidates:
        if path.is_dir():
            return path
    tried = " or ".join(str(path) for path in candidates)
    raise SpecError(f"bundled exercise specs not found at {tried}; set {SPECS_DIR_ENV}")


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file; unreadable or malformed files raise :class:`SpecError`."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise spec_error(path, f"cannot read: {error.strerror or error}") from error
    except tomllib.TOMLDecodeError as error:
        raise spec_error(path, f"not valid TOML: {error}") from error


def build_spec(raw: dict[str, Any]) -> ExerciseSpec:
    """Build and check a spec from parsed TOML data; raises :class:`Invalid` with
    every problem found."""
    spec = from_table(raw, ExerciseSpec)
    check_spec(spec)
    return spec


def parse_spec(raw: dict[str, Any], source: str | Path) -> ExerciseSpec:
    """Build and check a spec from parsed TOML data; ``source`` names it in errors."""
    try:
        return build_spec(raw)
    except Invalid as problem:
        raise spec_error(source, problem) from None


def validate_spec_file(path: str | Path) -> ExerciseSpec:
    """Load and validate one spec file; its ``id`` must equal the file stem.

    Raises:
        SpecError: the file is unreadable, not TOML, or breaks the schema.
    """
    path = Path(path)
    spec = parse_spec(read_toml(path), path)
    if spec.id != path.stem:
        raise spec_error(path, Invalid("id", f"{spec.id!r} differs from the file name"))
    return spec


def list_specs() -> list[ExerciseSpec]:
    """Every bundled spec, sorted by id."""
    return [validate_spec_file(path) for path in sorted(specs_dir().glob("*.toml"))]


def load_spec(id_or_path: str | Path) -> ExerciseSpec:
    """A bundled spec by id (``"bridge"``) or any spec file by path.

    Raises:
        SpecError: unknown id, or the file is invalid.
    """
    text = str(id_or_path)
    if isinstance(id_or_path, Path) or text.endswith(".toml") or os.sep in text:
        return validate_spec_file(id_or_path)
    path = specs_dir() / f"{text}.toml"
    if not path.is_file():
        known = bundled_ids()
        hint = did_you_mean(text, known) or f"; known: {', '.join(known)}"
        raise SpecError(f"unknown exercise {text!r}{hint} (see `formcheck specs list`)")
    return validate_spec_file(path)
