"""The offline analysis as a library call: the spec's settings reach every stage,
the analysis writes nothing, and its report carries the engine's result whole; input
bounds, outputs checked before the work, and how a report names its input."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from urllib.parse import unquote_to_bytes

import numpy as np
import pytest
from builders import performance, write_video

from formcheck.cli import main
from formcheck.engine import analyze_poses
from formcheck.errors import OutputError, SourceError
from formcheck.landmarks import INDEX
from formcheck.pipeline import AnalysisOptions, analysis_from_poses, analyze, reported_path
from formcheck.report import SCHEMA_VERSION, validate_report
from formcheck.report.result import input_fields, primary_digits, rounded
from formcheck.sources import SourceInfo, write_replay
from formcheck.specs import load_spec
from formcheck.specs.loader import parse_spec
from formcheck.specs.parse import to_table
from formcheck.types import PoseFrame

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
        visibility[knees] = 0.25
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


def replay_file(path: Path, frames: int, step_s: float = 0.1, source: str = "clip.mp4") -> Path:
    poses = [PoseFrame.empty(i, i * step_s, 64, 48) for i in range(frames)]
    return write_replay(path, poses, source_path=source, backend="tasks")


@pytest.mark.parametrize(
    ("path", "private", "fields"),
    [
        ("clinic/Jane Doe/bridge.mp4", False, {"path": "clinic/Jane Doe/bridge.mp4"}),
        ("clinic/Jane Doe/bridge.mp4", True, {"path": "bridge.mp4"}),
        ("camera:0", True, {"path": "camera:0"}),
        (
            os.fsdecode(b"p/caf\xe9.mp4"),
            False,
            {"path": "p/caf\\xe9.mp4", "path_raw": "p/caf%E9.mp4"},
        ),
    ],
)
def test_report_input_fields(path: str, private: bool, fields: dict[str, str]) -> None:
    assert input_fields(reported_path(path, private)) == fields
    if "path_raw" in fields:
        assert unquote_to_bytes(fields["path_raw"]) == os.fsencode(path)


@pytest.mark.parametrize(("frames", "step_s"), [(1, 0.1), (3, 0.1), (30, 0.01)])
def test_a_recording_shorter_than_the_shortest_rep_is_refused(tmp_path, frames, step_s) -> None:
    path = replay_file(tmp_path / "l.npz", frames, step_s)
    with pytest.raises(SourceError, match=r"too short to analyse: \d+ frames? \(0\.\d\d s\)"):
        analyze(path, "bridge")


def test_a_recording_of_one_short_rep_is_analysed(tmp_path) -> None:
    """Real clips of a single squat or deadlift last 0.9 s (27-29 frames): analysed."""
    analysis = analyze(replay_file(tmp_path / "l.npz", 9, 0.1), "bridge")
    assert analysis.report.stats.duration_s == pytest.approx(0.9)  # 9 frames of 0.1 s


def test_outputs_are_checked_before_the_work(tmp_path, monkeypatch, capsys) -> None:
    def no_work(*args: object) -> None:
        raise AssertionError("the recording was read before its outputs were checked")

    monkeypatch.setattr("formcheck.pipeline.ReplaySource", no_work)
    landmarks = ["--save-landmarks", str(tmp_path)]
    out = tmp_path / "reports" / "week 3"
    code = main(["analyze", str(tmp_path / "l.npz"), "-e", "bridge", *landmarks, "-o", str(out)])
    assert code == 2
    assert "it is a folder" in capsys.readouterr().err
    assert not (tmp_path / "reports").exists()  # the failed command left no empty folders


def test_results_are_shown_even_when_the_report_cannot_be_written(
    tmp_path, capsys, monkeypatch
) -> None:
    def full_disk(bundle: object, folder: Path, stem: str, kinds: object) -> None:
        target = folder / f"{stem}.json"
        raise OutputError(f"cannot write {str(target)!r}: No space left on device")

    monkeypatch.setattr("formcheck.report.writers.write_outputs", full_disk)
    path = replay_file(tmp_path / "l.npz", 20)
    code = main(["analyze", str(path), "-e", "bridge", "--out", str(tmp_path / "o"), "--json"])
    out, err = capsys.readouterr()
    assert code == 2
    assert json.loads(out)["input"]["frames"] == 20  # the analysis is not lost
    assert err.strip().splitlines() == [
        f"formcheck: error: cannot write '{tmp_path}/o/l.bridge.json': No space left on device"
    ]


def test_private_analysis_keeps_the_file_name_only(tmp_path, capsys) -> None:
    path = replay_file(tmp_path / "l.npz", 20, source="/home/Jane Doe/week 3/bridge.mp4")
    report = analyze(path, "bridge", AnalysisOptions(private=True)).report
    assert report.to_dict()["input"]["path"] == "bridge.mp4"
    again = tmp_path / "again.npz"
    out = ["--out", str(tmp_path / "o"), "--save-landmarks", str(again)]
    assert main(["analyze", str(path), "-e", "bridge", "--private", "--json", *out]) == 0
    assert json.loads(capsys.readouterr().out)["input"]["path"] == "bridge.mp4"
    with np.load(again) as saved:
        assert str(saved["source_path"]) == "l.npz"  # the file name, not its folder


class _SlowedDown:
    """No person in any frame, on a backend that fell back from 2 threads to 1 at frame 5."""

    name = "slowed"
    threads = 1
    switches = ((5, 1),)

    def process(self, frame):
        return PoseFrame.empty(frame.index, frame.t_s, frame.image.shape[1], frame.image.shape[0])

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_the_report_says_what_the_inference_threads_did(tmp_path) -> None:
    video = write_video(tmp_path / "v.mp4", frames=12)
    report = analyze(video, "squat", estimator=_SlowedDown()).report.to_dict()
    assert report["analysis"]["inference"] == {"threads": 1, "switches": [[5, 1]]}
    validate_report(report)  # raises if the contract is broken
    replayed = analyze(replay_file(tmp_path / "l.npz", 12), "squat").report.to_dict()
    assert "inference" not in replayed["analysis"]  # no model ran
