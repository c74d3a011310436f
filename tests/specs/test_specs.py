"""Spec and program files: the bundled library loads, broken files fail with a SpecError."""

from __future__ import annotations

import copy
import dataclasses
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formcheck.errors import FormcheckError
from formcheck.specs import (
    RepRule,
    SpecError,
    list_specs,
    load_program,
    load_spec,
    parse_spec,
    specs_dir,
    validate_spec_file,
)

LIBRARY = {
    "wall_squat", "plank", "plank_shoulder_taps", "bridge", "bird_dog", "cat_cow",
    "pelvic_tilt_seated", "pelvic_tilt_supine", "quad_stretch", "knee_to_chest",
    "prone_press_up", "side_plank", "hip_hinge", "pigeon_pose", "figure_four_stretch",
    "decompression_position", "squat", "push_up",
}  # fmt: skip


def raw(spec_id: str) -> dict[str, Any]:
    with open(specs_dir() / f"{spec_id}.toml", "rb") as handle:
        return tomllib.load(handle)


def test_library_is_complete_and_valid():
    specs = list_specs()
    assert {spec.id for spec in specs} == LIBRARY
    for spec in specs:
        assert spec.limitations.strip() and spec.targets.source.strip()
        assert spec.instructions and spec.camera.placement


@pytest.mark.parametrize(
    ("spec_id", "numbers"),
    [
        ("wall_squat", {"hold_s": (30.0, 30.0)}),
        ("plank_shoulder_taps", {"reps": (10, 10), "sets": 3, "per_side": True}),
        ("pelvic_tilt_seated", {"reps": (10, 10)}),
        ("bridge", {"reps": (8, 12)}),
        ("bird_dog", {"reps": (8, 12)}),
        ("cat_cow", {"reps": (10, 10)}),
        ("quad_stretch", {"hold_s": (15.0, 30.0), "per_side": True}),
        ("knee_to_chest", {"hold_s": (15.0, 30.0), "per_side": True}),
        ("pigeon_pose", {"hold_s": (10.0, 10.0)}),
        ("decompression_position", {"hold_s": (300.0, 600.0)}),
    ],
)
def test_handout_numbers(spec_id, numbers):
    targets = load_spec(spec_id).targets
    for key, value in numbers.items():
        assert getattr(targets, key) == value


def test_handout_holds_in_rep_rules():
    assert load_spec("bridge").reps.peak_hold_s == 2.0
    assert load_spec("bird_dog").reps.peak_hold_s == 2.0
    assert load_spec("prone_press_up").reps.peak_hold_s == 10.0


def test_spec_error_is_a_formcheck_error_with_exit_code_2():
    assert issubclass(SpecError, FormcheckError) and SpecError.exit_code == 2


def test_load_spec_by_path_and_unknown_id(tmp_path):
    assert load_spec(specs_dir() / "squat.toml").id == "squat"
    with pytest.raises(SpecError, match=r"unknown exercise 'sqat' \(did you mean 'squat'\?\)"):
        load_spec("sqat")
    with pytest.raises(SpecError, match="unknown exercise 'juggling'; known: bird_dog, bridge"):
        load_spec("juggling")


def test_specs_dir_from_environment(tmp_path, monkeypatch):
    (tmp_path / "squat.toml").write_bytes((specs_dir() / "squat.toml").read_bytes())
    monkeypatch.setenv("FORMCHECK_SPECS_DIR", str(tmp_path))
    assert [spec.id for spec in list_specs()] == ["squat"]
    monkeypatch.setenv("FORMCHECK_SPECS_DIR", str(tmp_path / "missing"))
    with pytest.raises(SpecError, match="not a directory"):
        specs_dir()


def test_specs_dir_of_a_wheel_install(tmp_path, monkeypatch):
    """No source tree beside the package: the specs a wheel put under the prefix."""
    import formcheck

    squat = (specs_dir() / "squat.toml").read_bytes()
    monkeypatch.delenv("FORMCHECK_SPECS_DIR", raising=False)
    monkeypatch.setattr(formcheck, "__file__", str(tmp_path / "site" / "formcheck" / "__init__.py"))
    monkeypatch.setattr("sys.prefix", str(tmp_path / "venv"))
    with pytest.raises(SpecError, match=r"bundled exercise specs not found at .*site.* or .*venv"):
        specs_dir()
    shared = tmp_path / "venv" / "share" / "formcheck" / "exercise_specs"
    shared.mkdir(parents=True)
    (shared / "squat.toml").write_bytes(squat)
    assert [spec.id for spec in list_specs()] == ["squat"]


def mutate(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(data)
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


DELETE = object()


@pytest.mark.parametrize(
    ("spec_id", "path", "value", "message"),
    [
        ("squat", ("colour",), "red", "colour: unknown key"),
        ("squat", ("reps", "enter"), DELETE, "reps.enter: missing field"),
        ("squat", ("reps", "enter"), "deep", "reps.enter: expected a number, got a string"),
        ("squat", ("reps", "min_rom"), True, "reps.min_rom: expected a number"),
        ("squat", ("reps", "exit"), 110.0, "reps.exit: inverted hysteresis band"),
        ("squat", ("reps", "rest"), 124.0, "reps.rest: inverted hysteresis band"),
        ("bridge", ("reps", "exit"), 165.0, "reps.exit: inverted hysteresis band"),
        ("squat", ("reps", "enter"), 200.0, "reps.enter: threshold 200.0 out of range"),
        ("squat", ("reps", "signal"), "elbow", "reps.signal: unknown signal 'elbow'"),
        ("squat", ("signals", "knee", "points", 1), "kneecap", "unknown landmark 'kneecap'"),
        ("squat", ("signals", "knee", "points"), ["hip", "knee"], "expected a list of 3 items"),
        ("squat", ("signals", "knee", "type"), "angle", "signals.knee.type: expected one of"),
        ("squat", ("kind",), "sets", "kind: expected one of"),
        ("squat", ("targets", "source"), DELETE, "targets.source: missing field"),
        ("wall_squat", ("hold", "when", 0, "value"), [105.0, 75.0], "inverted band"),
        ("wall_squat", ("hold", "when", 0, "op"), "<", "op '<' needs a single number"),
        ("wall_squat", ("hold", "when", 0, "signal"), "ankle", "unknown signal 'ankle'"),
        ("wall_squat", ("faults", 0, "when", 0, "op"), "=~", "faults[0].when[0].op"),
        ("wall_squat", ("faults", 1, "id"), "too_shallow", "duplicate fault id"),
        ("wall_squat", ("faults", 0, "phase"), "peak", "has no rep phases"),
        ("wall_squat", ("hold",), DELETE, "hold: missing section"),
        ("wall_squat", ("hold", "together"), "both", "hold.together: needs sides 'both'"),
        ("wall_squat", ("hold", "when", 0, "if_seen"), True, "at least one condition must not"),
        ("wall_squat", ("faults", 0, "when", 0, "if_seen"), True, "only a hold condition"),
        ("push_up", ("reps", "posture", 0, "if_seen"), True, "posture[0].if_seen: only a hold"),
        ("knee_to_chest", ("hold", "together"), "x" * 201, "hold.together: text of 201"),
        ("bird_dog", ("signals", "extension", "of", 1), "tail", "unknown signal 'tail'"),
        ("bridge", ("faults", 1, "when", 0, "signal"), "hip", "names a 'metric'"),
        (
            "wall_squat",
            ("camera", "other_view", "knee"),
            {"type": "segment_elevation", "segment": ["hip", "knee"]},
            "camera.other_view.knee: must be a landmark signal of the same type",
        ),
        (
            "wall_squat",
            ("camera", "other_view", "ankle"),
            {"type": "joint_angle", "points": ["hip", "knee", "ankle"]},
            "unknown signal 'ankle'",
        ),
        ("wall_squat", ("camera", "other_view", "knee", "points", 0), "tail", "unknown landmark"),
        (
            "wall_squat",
            ("camera", "other_view_unmeasurable"),
            "front-on the knee cannot be seen",
            "camera.other_view_unmeasurable: contradicts [camera.other_view.knee]",
        ),
        ("plank_shoulder_taps", ("camera", "other_view_unmeasurable"), "x" * 501, "text of 501"),
        ("bird_dog", ("signals", "trunk_tilt", "of"), "tail", "unknown signal 'tail'"),
        ("bird_dog", ("signals", "trunk_tilt", "of"), "trunk_tilt", "another change"),
        ("bird_dog", ("reps", "signal"), "trunk_tilt", "a change signal cannot count reps"),
        ("bird_dog", ("signals", "extension", "of", 1), "trunk_tilt", "refer to a change"),
        (
            "bird_dog",
            ("signals", "trunk", "segment", 0),
            "tail",
            "bird_dog.toml: signals.trunk.segment[0]: unknown landmark 'tail'",
        ),
        (
            "bird_dog",
            ("signals", "leg", "of", 1),
            "extension",
            "signals.leg.of[1]: min/max 'extension' must be defined before it",
        ),
        (
            "plank_shoulder_taps",
            ("session", "judge_frames"),
            1,
            "session.judge_frames: 1 is out of range: expected from 2 to 100",
        ),
        (
            "plank_shoulder_taps",
            ("session", "edge_margin"),
            1.5,
            "session.edge_margin: 1.5 is out of range: expected from 0 to 1",
        ),
        ("squat", ("sides",), "alternating", "sides: kind 'alternating_reps' goes with"),
    ],
)
def test_validator_names_file_field_and_problem(tmp_path, spec_id, path, value, message):
    data = mutate(raw(spec_id), path, value)
    with pytest.raises(SpecError) as error:
        parse_spec(data, f"{spec_id}.toml")
    assert str(error.value).startswith(f"{spec_id}.toml: ")
    assert message in str(error.value)


def test_validate_spec_file_reports_toml_errors_and_id_mismatch(tmp_path):
    bad = tmp_path / "squat.toml"
    bad.write_text("id = \n")
    with pytest.raises(SpecError, match=r"squat\.toml: not valid TOML"):
        validate_spec_file(bad)
    other = tmp_path / "my_squat.toml"
    other.write_bytes((specs_dir() / "squat.toml").read_bytes())
    with pytest.raises(SpecError, match="id: 'squat' differs from the file name"):
        validate_spec_file(other)
    with pytest.raises(SpecError, match="cannot read"):
        validate_spec_file(tmp_path / "absent.toml")


# ----------------------------------------------------------- property tests
def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


JUNK = st.one_of(
    st.none().map(lambda _: DELETE),
    st.integers(-1000, 1000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.booleans(),
    st.lists(st.one_of(st.integers(-200, 200), st.text(max_size=5)), max_size=4),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=2),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spec_id=st.sampled_from(sorted(LIBRARY)),
    picks=st.lists(st.tuples(st.integers(0, 10_000), JUNK), min_size=1, max_size=3),
)
def test_validator_never_crashes_on_mutated_specs(spec_id, picks):
    data = raw(spec_id)
    for index, value in picks:
        paths = _paths(data)
        if not paths:
            break
        path = paths[index % len(paths)]
        if value is DELETE and isinstance(path[-1], int):
            value = "x"
        data = mutate(data, path, value)
    try:
        spec = parse_spec(data, "mutated.toml")
    except SpecError as error:
        assert str(error).startswith("mutated.toml: ") and len(str(error)) > len("mutated.toml: ")
    else:
        assert spec.id


@settings(max_examples=100, deadline=None)
@given(key=st.text(min_size=1, max_size=10).filter(lambda k: k.isidentifier()))
def test_unknown_keys_are_errors(key):
    if key in {field.name for field in dataclasses.fields(RepRule)}:
        return
    data = raw("bridge")
    data["reps"][key] = 1
    with pytest.raises(SpecError, match=f"reps.{key}: unknown key"):
        parse_spec(data, "bridge.toml")


# ----------------------------------------------------------------- programs
def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_program_overrides_a_threshold(tmp_path):
    program = load_program(
        write(
            tmp_path / "after_tkr.toml",
            """
title = "After knee replacement, week 6"
patient = " p017 "
[[exercises]]
id = "wall_squat"
sets = 2
rest_s = 45
[exercises.overrides.hold]
when = [{ signal = "knee", op = "between", value = [100.0, 120.0] }]
[exercises.overrides.faults.too_shallow]
when = [{ signal = "knee", op = "between", value = [120.0, 150.0] }]

[[exercises]]
id = "bridge"
""",
        )
    )
    assert program.title == "After knee replacement, week 6"
    assert program.patient == "p017"
    squat, bridge = program.exercises
    assert squat.spec.hold.when[0].value == (100.0, 120.0)
    assert squat.spec.faults[0].when[0].value == (120.0, 150.0)
    assert (squat.spec.targets.sets, squat.spec.targets.rest_s) == (2, 45.0)
    assert "hold.when" in squat.overridden and bridge.overridden == ()
    assert bridge.spec == load_spec("bridge")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[exercises.overrides.hold]\ndepth = 110", "hold.depth: unknown key"),
        ("[exercises.overrides.faults.wobble]\nmin_duration_s = 1", "no fault 'wobble'"),
        (
            '[exercises.overrides.hold]\nwhen = [{signal="knee", op="between", value=[120, 100]}]',
            "inverted band",
        ),
        ("[exercises.overrides.targets]\nsets = 'three'", "targets.sets: expected an integer"),
    ],
)
def test_program_override_errors_name_the_field(tmp_path, body, message):
    path = write(tmp_path / "p.toml", f'[[exercises]]\nid = "wall_squat"\n{body}\n')
    with pytest.raises(SpecError) as error:
        load_program(path)
    assert "p.toml: exercises[0] (wall_squat) overrides" in str(error.value)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "exercises: give at least one"),
        ('owner = "x"\n[[exercises]]\nid = "squat"', "owner: unknown key"),
        ('[[exercises]]\nid = "squat"\nreps = 3', "exercises[0].reps: unknown key"),
        ('[[exercises]]\nid = "sqaut"', "unknown exercise 'sqaut'"),
        ('patient = 17\n[[exercises]]\nid = "squat"', "patient: expected a string"),
    ],
)
def test_program_file_errors(tmp_path, text, message):
    with pytest.raises(SpecError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_program(write(tmp_path / "p.toml", text))


def test_a_mistyped_key_does_not_hide_the_other_problems_of_its_entry(tmp_path):
    """An unknown key and a wrong value in one entry, and an unknown id beside an
    unknown key in another: all four are listed."""
    text = (
        '[[exercises]]\nid = "bridge"\nsets = 0\nrepeats = 3\n'
        '[[exercises]]\nid = "brige"\nrest = 30\n'
    )
    with pytest.raises(SpecError) as error:
        load_program(write(tmp_path / "p.toml", text))
    assert list(error.value.problems) == [
        "exercises[0].repeats: unknown key",
        "exercises[0].sets: 0 is out of range: expected from 1 to 20",
        "exercises[1].rest: unknown key",
        "exercises[1].id: unknown exercise 'brige' (did you mean 'bridge'?) "
        "(see `formcheck specs list`)",
    ]
