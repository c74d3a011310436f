"""Exercise specs: the TOML format, its schema and validation, and program files.

Exercise knowledge lives in ``exercise_specs/*.toml`` (format in its README); the
engine reads only the typed :class:`ExerciseSpec` built here.
"""

from formcheck.specs.loader import (
    SpecError,
    did_you_mean,
    list_specs,
    load_spec,
    parse_spec,
    specs_dir,
    validate_spec_file,
)
from formcheck.specs.program import Program, ProgramExercise, load_program, validate_file
from formcheck.specs.schema import (
    Condition,
    ExerciseSpec,
    Extremum,
    FaultRule,
    HoldRule,
    RepRule,
    SessionRule,
    Targets,
)

__all__ = [
    "Condition",
    "ExerciseSpec",
    "Extremum",
    "FaultRule",
    "HoldRule",
    "Program",
    "ProgramExercise",
    "RepRule",
    "SessionRule",
    "SpecError",
    "Targets",
    "did_you_mean",
    "list_specs",
    "load_program",
    "load_spec",
    "parse_spec",
    "specs_dir",
    "validate_file",
    "validate_spec_file",
]
