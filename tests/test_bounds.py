"""formcheck.bounds: the one table of limits, its docs, and properties generated from it.

For every command-line option and every spec and program field in the table,
hypothesis tries values inside and outside the range (and NaN, infinities, huge
integers, texts): the result is always either a value within the bound or a
one-line error, and an accepted spec runs through the engine in bounded time and
memory.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import io
import os
import re
import time
import tomllib
import tracemalloc
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formcheck import bounds
from formcheck.bounds import (
    CLI,
    SPEC_FIELDS,
    SPEC_FILE,
    Bound,
    UnreadableText,
    data_depth,
    markdown_table,
    read_text,
    toml_nesting,
)
from formcheck.cli import build_parser
from formcheck.engine import analyze_poses
from formcheck.live.program_runner import plan_sets
from formcheck.specs import SpecError, load_program, parse_spec, schema, specs_dir
from formcheck.specs.program import ProgramEntry
from formcheck.synth.clip import make_clip, pose_frames

DOCS = Path(__file__).parents[1] / "docs" / "bounds.md"


def test_docs_list_every_bound() -> None:
    text = DOCS.read_text(encoding="utf-8")
    start, end = "<!-- bounds-table: start -->\n", "\n<!-- bounds-table: end -->"
    documented = text[text.index(start) + len(start) : text.index(end)]
    assert documented == markdown_table(), (
        "docs/bounds.md is out of date: paste formcheck.bounds.markdown_table() between its "
        "bounds-table markers"
    )


# --- the table covers every field and every numeric option ---------------------------


def _needs_bound(tp: Any) -> bool:
    """Whether a field of this type takes open-ended values (numbers, texts, lists)."""
    origin = get_origin(tp)
    if tp is bool or origin is Literal:
        return False
    if dataclasses.is_dataclass(tp):
        return False
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        return any(_needs_bound(m) for m in members)
    return True


SCHEMA_CLASSES = [
    cls
    for cls in vars(schema).values()
    if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == schema.__name__
] + [ProgramEntry]


def test_every_spec_and_program_field_has_a_bound() -> None:
    missing = [
        f"{cls.__name__}.{name}"
        for cls in SCHEMA_CLASSES
        for name, tp in get_type_hints(cls).items()
        if _needs_bound(tp) and f"{cls.__name__}.{name}" not in SPEC_FIELDS
    ]
    assert missing == []
    fields = {f"{c.__name__}.{f.name}" for c in SCHEMA_CLASSES for f in dataclasses.fields(c)}
    stale = [key for key in SPEC_FIELDS if key not in fields and not key.startswith("Program.")]
    assert stale == []


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    actions = []
    for action in parser._actions:  # argparse offers no public walk of subcommands
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                actions += _options(sub)
        else:
            actions.append(action)
    return actions


def test_every_numeric_option_is_typed_from_the_table() -> None:
    options = _options(build_parser())
    raw_numbers = [a.option_strings for a in options if a.type in (int, float)]
    assert raw_numbers == []
    bounded = {s for a in options for s in a.option_strings if getattr(a.type, "__name__", "")}
    assert set(CLI) <= bounded


# --- command-line values ---------------------------------------------------------------

COMMANDS = {
    "--threads": ["analyze", "v.mp4", "-e", "bridge"],
    "--cutoff-hz": ["batch", "in", "--out", "o"],
    "--workers": ["batch", "in", "--out", "o"],
    "--camera": ["live", "-e", "bridge"],
    "--max-frames": ["bench"],
    "--resolution": ["bench"],
    "--repeats": ["bench"],
}

ANY_TEXT = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "0x10", "", " 3", "1_000", "٣"]),
    st.text(max_size=8),
)


def _in_bound(value: float, bound: Bound) -> bool:
    high = os.cpu_count() if bound.cores else bound.high
    low_ok = bound.low is None or (value > bound.low if bound.low_open else value >= bound.low)
    return low_ok and (high is None or value <= high)


@settings(max_examples=300, deadline=None)
@given(option=st.sampled_from(sorted(CLI)), text=ANY_TEXT)
def test_any_command_line_value_is_accepted_in_range_or_refused_in_one_line(option, text):
    parser = build_parser()
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            args = parser.parse_args([*COMMANDS[option], f"{option}={text}"])
        except SystemExit as stop:
            assert stop.code == 2
            errors = [line for line in err.getvalue().splitlines() if "error:" in line]
            assert len(errors) == 1 and option in errors[0]
            return
    value = getattr(args, option.lstrip("-").replace("-", "_"))
    value = value[-1] if isinstance(value, list) else value
    assert _in_bound(value, CLI[option])


def test_threads_above_the_cores_are_lowered_with_a_note(capsys) -> None:
    args = build_parser().parse_args(["analyze", "v.mp4", "-e", "bridge", "--threads", "999"])
    cores = bounds.available_cores()
    assert args.threads == cores
    assert f"--threads 999 is more than the {cores} CPU cores" in capsys.readouterr().err


# --- spec and program fields --------------------------------------------------------------

# Where a table of each class sits in a bundled spec: (spec id, path to the table).
WHERE: dict[str, tuple[str, tuple[Any, ...]]] = {
    "ExerciseSpec": ("bridge", ()),
    "Camera": ("bridge", ("camera",)),
    "Targets": ("wall_squat", ("targets",)),
    "RepRule": ("bridge", ("reps",)),
    "HoldRule": ("wall_squat", ("hold",)),
    "FaultRule": ("bridge", ("faults", 0)),
    "Condition": ("bridge", ("faults", 0, "when", 0)),
    "SessionRule": ("bridge", ("session",)),
    "JointAngle": ("bridge", ("signals", "hip")),
    "LineOffset": ("bridge", ("signals", "hip_line")),
    "Extremum": ("bird_dog", ("signals", "extension")),
    "SegmentElevation": ("bird_dog", ("signals", "arm")),
    "SegmentInclination": ("hip_hinge", ("signals", "trunk")),
    "NormalisedDistance": ("figure_four_stretch", ("signals", "crossed")),
    "ForwardOffset": ("pelvic_tilt_seated", ("signals", "lean")),
}
_RAW: dict[str, dict[str, Any]] = {}
_POSES: dict[str, list] = {}


def _raw(spec_id: str) -> dict[str, Any]:
    if spec_id not in _RAW:
        with open(specs_dir() / f"{spec_id}.toml", "rb") as handle:
            _RAW[spec_id] = tomllib.load(handle)
    return copy.deepcopy(_RAW[spec_id])


def _table(data: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    for key in path:
        data = data.setdefault(key, {}) if isinstance(key, str) else data[key]
    return data


def test_every_class_is_found_where_the_property_tests_look() -> None:
    for name, (spec_id, path) in WHERE.items():
        table = _table(_raw(spec_id), path)
        cls = getattr(schema, name)
        assert set(table) <= {f.name for f in dataclasses.fields(cls)}, name


SPEC_KEYS = sorted(k for k in SPEC_FIELDS if k.split(".")[0] in WHERE)
NUMBER = st.one_of(
    st.floats(-2000, 4000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**30), 10**30),
    st.booleans(),
    st.sampled_from([0, 1, 20, 21, 600, 600.5, 3600, 3601, -1e-9, 1e-9]),
)


def _value(draw: st.DrawFn, current: Any, bound: Bound) -> Any:
    """A value for a field now holding ``current``: around its limits, or junk."""
    if isinstance(current, str) or (isinstance(current, list) and bound.chars and not bound.items):
        n = draw(st.sampled_from([0, 1, bound.chars or 1, (bound.chars or 1) + 1, 10**5]))
        text = "x" * n
        return [text] * len(current) if isinstance(current, list) else text
    if isinstance(current, (list, dict)) and bound.items:
        n = draw(st.sampled_from([0, 1, bound.items, bound.items + 1, 10 * bound.items]))
        if isinstance(current, dict):
            first = next(iter(current.values()))
            return {f"s{i}": copy.deepcopy(first) for i in range(n)}
        return [copy.deepcopy(current[0]) for _ in range(n)] if current else []
    if isinstance(current, list):
        return [draw(NUMBER) for _ in current]
    return draw(NUMBER)


@st.composite
def mutated_specs(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    key = draw(st.sampled_from(SPEC_KEYS))
    cls, field = key.split(".")
    spec_id, path = WHERE[cls]
    data = _raw(spec_id)
    table = _table(data, path)
    default = next(f for f in dataclasses.fields(getattr(schema, cls)) if f.name == field)
    current = table.get(field, None if default.default is dataclasses.MISSING else default.default)
    if current is None:
        current = 1.0  # an optional number not set in this spec
    table[field] = _value(draw, current, SPEC_FIELDS[key])
    return key, data


def _poses(spec_id: str) -> list:
    if spec_id not in _POSES:
        _POSES[spec_id] = pose_frames(make_clip(spec_id, seed=0, reps=1, hold_s=2.0))
    return _POSES[spec_id]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated_specs())
def test_any_spec_value_is_refused_in_one_line_or_runs_in_bounded_time_and_memory(case):
    key, data = case
    try:
        spec = parse_spec(data, "fuzzed.toml")
    except SpecError as error:
        message = str(error)
        assert message.startswith("fuzzed.toml: ") and "\n" not in message
        return
    cls, field = key.split(".")
    if cls in ("ExerciseSpec", "Targets", "RepRule", "HoldRule", "SessionRule", "Camera"):
        owner = spec if cls == "ExerciseSpec" else getattr(spec, WHERE[cls][1][0])
        value = getattr(owner, field)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            assert _in_bound(value, SPEC_FIELDS[key])
    tracemalloc.start()
    started = time.perf_counter()
    try:
        analyze_poses(spec, _poses(WHERE[cls][0]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 30
    assert peak < 200 << 20


@settings(max_examples=80, deadline=None)
@given(
    field=st.sampled_from(["sets", "rest_s"]),
    value=NUMBER,
    title=st.sampled_from(["", "x" * 200, "x" * 201]),
)
def test_any_program_value_is_refused_in_one_line_or_plans_a_bounded_session(
    tmp_path_factory, field, value, title
):
    path = tmp_path_factory.mktemp("p") / "program.toml"
    literal = repr(value).lower() if isinstance(value, bool) else repr(value)
    literal = {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(literal, literal)
    path.write_text(
        f'title = "{title}"\n[[exercises]]\nid = "bridge"\n{field} = {literal}\n', "utf-8"
    )
    try:
        program = load_program(path)
    except SpecError as error:
        assert "\n" not in str(error) and "program.toml" in str(error)
        return
    spec = program.exercises[0].spec
    assert _in_bound(spec.targets.sets, SPEC_FIELDS["ProgramEntry.sets"])
    assert len(plan_sets([spec] * 50)) <= 50 * 20


# --- files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("", 0),
        ("a = 1", 0),
        ("[table]\nb = [1, [2, {c = [3]}]]", 4),
        ('a = "[[[[" # [[[[', 0),
        ("a = '''\n[[[[\n'''\nb = [1]", 1),
        ('a = """ \\""" [[[ """\nb = {c = 1}', 1),
        ("[[exercises]]\n[exercises.overrides.hold]", 2),
    ],
)
def test_toml_nesting(text: str, depth: int) -> None:
    assert toml_nesting(text) == depth


def test_data_depth_has_no_recursion_limit() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(100_000):
        node["a"] = {}
        node = node["a"]
    assert data_depth(deep) == 100_001
    assert data_depth({"a": [1, {"b": []}]}) == 4


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"caf\xe9", "not UTF-8 text (byte 0xe9 at offset 3)"),
        ("id".encode("utf-16"), "UTF-16"),
        (b"x" * (SPEC_FILE.max_bytes + 1), "1048577 bytes"),
    ],
    ids=["latin-1", "utf-16", "too-big"],
)
def test_read_text_refuses_what_it_cannot_read(tmp_path: Path, content: bytes, message: str):
    path = tmp_path / "f.toml"
    path.write_bytes(content)
    with pytest.raises(UnreadableText, match=re.escape(message)):
        read_text(path, SPEC_FILE)


def test_read_text_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "spec.toml"
    os.mkfifo(fifo)
    with pytest.raises(UnreadableText, match="not a regular file"):
        read_text(fifo, SPEC_FILE)


def test_read_text_drops_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "f.toml"
    path.write_bytes(b"\xef\xbb\xbfid = 1")
    assert read_text(path, SPEC_FILE) == "id = 1"
