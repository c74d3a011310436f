"""The offline analysis as a library call: the spec's settings reach every stage,
the analysis writes nothing, and its report carries the engine's result whole."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest
from builders import performance

from formcheck.engine import analyze_poses
from formcheck.landmarks import INDEX
from formcheck.pipeline import AnalysisOptions, analysis_from_poses, analyze
from formcheck.report import SCHEMA_VERSION, validate_report
from formcheck.report.result import primary_digits, rounded
from formcheck.sources import SourceInfo, write_replay
from formcheck.specs import load_spec
from formcheck.specs.loader import parse_spec
from formcheck.specs.parse import to_table

INFO = SourceInfo("clip.mp4", 640, 480, 30.0, None, None)


def with_visibility_min(exercise: str, visibility_min: float):
    table = to_table(load_spec(exercise))
    table["session"]["visibility_min"] = visibility_min
    return parse_spec(table, "test")


def capped(poses, visibility: float):
    return [dataclasses.replace(p, visibility=np.minimum(p.visibility, visibility)) for p in poses]


@pytest.mark.parametrize(("visibility_min", "reps"), [(0.3, 5), (0.5, 0)])
def test_the_spec_visibility_min_reaches_the_smoother_the_engine_and_the_warnings(
    tmp_path, visibility_min, reps
):
    """Landmarks seen at visibility 0.4: a spec that accepts 0.3 counts the five
    bridges through ``analyze`` exactly as the engine alone does."""
    poses = capped(performance("bridge", reps=5), 0.4)
    spec = with_visibility_min("bridge", visibility_min)
    landmarks = write_replay(tmp_path / "bridge.npz", poses)
    analysis = analyze(landmarks, spec)
    assert analysis.session.reps_total == analyze_poses(spec, poses).reps_total == reps
    # Landmarks below the gate are unseen: nobody is seen at all (the engine's word).
    unseen = "no person detected in 100% of frames" in analysis.report.warnings
    assert unseen == (reps == 0)


def test_a_report_states_each_data_quality_finding_once():
    """Both knees are hard to see in 60% of frames: one warning says so, not two that
    disagree (the engine's judgement at the spec's threshold is the only one)."""
    knees = [INDEX["left_knee"], INDEX["right_knee"]]
    poses = list(performance("squat"))
    for i in range(int(0.6 * len(poses))):
        visibility = poses[i].visibility.copy()
        visibility[knees] = 0.45
        poses[i] = dataclasses.replace(poses[i], visibility=visibility)
    report = analysis_from_poses(poses, load_spec("squat"), INFO, AnalysisOptions(), "x", 0).report
    unseen = [w for w in report.warnings if "seen" in w or "visible" in w]
    assert unseen == ["what the count or the hold reads was not seen in 60% of frames"]


def test_several_people_are_reported_from_the_input():
    poses = [dataclasses.replace(p, people=2) for p in performance("squat")]
    report = analysis_from_poses(poses, load_spec("squat"), INFO, AnalysisOptions(), "x", 0).report
    assert report.warnings[-1] == (
        "more than one person in 100% of frames: the most prominent one was analysed"
    )


def test_an_analysis_writes_no_file(tmp_path, monkeypatch):
    landmarks = write_replay(tmp_path / "in" / "squat.npz", list(performance("squat")))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    before = sorted(tmp_path.rglob("*"))
    analyze(landmarks, "squat")
    assert sorted(tmp_path.rglob("*")) == before and not os.listdir(work)


def test_report_json_is_the_contract_with_version_time_and_rounded_floats():
    poses = list(performance("bridge", "backbend", reps=2))
    analysis = analysis_from_poses(poses, load_spec("bridge"), INFO, AnalysisOptions(), "x", 9)
    doc = analysis.report.to_dict()
    validate_report(doc)
    assert doc["schema_version"] == SCHEMA_VERSION
    assert doc["formcheck_version"] and doc["analysed_at"].endswith("+00:00")
    rep = doc["reps"]["details"][0]
    assert rep["peak"] == round(rep["peak"], 1) and rep["start_s"] == round(rep["start_s"], 3)
    assert all(len(str(rep[k]).split(".")[-1]) <= 3 for k in ("start_s", "end_s", "hold_s"))
    assert doc["input"]["duration_s"] == round(doc["input"]["duration_s"], 3)
    assert doc["analysis"]["sampling"] == {"mode": "full", "frames_analysed": 9}
    # Whatever the engine reports reaches the JSON: reps, holds, faults, cues, states, targets.
    engine = analysis.session.to_dict()
    placed = {"exercise_id", "side", "warnings", "limitations", "t_s", "signals"}
    assert set(engine) - placed <= set(doc)


@pytest.mark.parametrize(
    ("exercise", "peak", "rounded_peak"),
    [("bridge", 171.2345, 171.2), ("plank_shoulder_taps", 0.061234, 0.061)],
)
def test_rep_values_are_rounded_to_their_unit(exercise, peak, rounded_peak):
    """0.1° for an angle, 0.1% of a body length for a fraction."""
    spec = load_spec(exercise)
    assert spec.reps is not None
    doc = rounded({"details": [{"peak": peak, "end_s": 1.23456}]}, primary_digits(spec))
    assert doc == {"details": [{"peak": rounded_peak, "end_s": 1.235}]}


def test_analyze_names_its_input_path_in_the_report(tmp_path):
    landmarks = write_replay(
        tmp_path / "bridge.npz", list(performance("bridge", reps=2)), source_path="b.mp4"
    )
    report = analyze(Path(landmarks), "bridge").report
    assert report.source.path == "b.mp4" and report.analysis.backend == "replay"
