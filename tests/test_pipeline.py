"""formcheck.pipeline without a pose model: input bounds, outputs checked first, report names."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import unquote_to_bytes

import numpy as np
import pytest

from formcheck.cli import main
from formcheck.errors import OutputError, SourceError
from formcheck.pipeline import AnalysisOptions, analyze, input_fields
from formcheck.pose.replay import LandmarkRecorder
from formcheck.types import PoseFrame


def replay_file(path: Path, frames: int, step_s: float = 0.1, source: str = "clip.mp4") -> Path:
    recorder = LandmarkRecorder(source, "tasks")
    for i in range(frames):
        recorder.add(PoseFrame.empty(i, i * step_s, 64, 48))
    recorder.save(path)
    return path


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
    assert input_fields(path, private) == fields
    if "path_raw" in fields:
        assert unquote_to_bytes(fields["path_raw"]) == os.fsencode(path)


@pytest.mark.parametrize(("frames", "step_s"), [(1, 0.1), (9, 0.1), (30, 0.01)])
def test_a_recording_shorter_than_a_second_is_refused(tmp_path, frames, step_s) -> None:
    path = replay_file(tmp_path / "l.npz", frames, step_s)
    with pytest.raises(SourceError, match=r"too short to analyse: \d+ frames? \(0\.\d\d s\)"):
        analyze(path, "bridge")


def test_outputs_are_checked_before_the_work(tmp_path, monkeypatch) -> None:
    def no_work(*args: object) -> None:
        raise AssertionError("the recording was read before its outputs were checked")

    monkeypatch.setattr("formcheck.pipeline.ReplayEstimator", no_work)
    options = AnalysisOptions(save_landmarks=tmp_path)
    with pytest.raises(OutputError, match="it is a folder"):
        analyze(tmp_path / "l.npz", "bridge", options)


def test_results_are_shown_even_when_the_report_cannot_be_written(
    tmp_path, capsys, monkeypatch
) -> None:
    def full_disk(report: object, path: Path) -> Path:
        raise OutputError(f"cannot write {str(path)!r}: No space left on device")

    monkeypatch.setattr("formcheck.report.write_report", full_disk)
    path = replay_file(tmp_path / "l.npz", 20)
    code = main(["analyze", str(path), "-e", "bridge", "--out", str(tmp_path / "o"), "--json"])
    out, err = capsys.readouterr()
    assert code == 2
    assert json.loads(out)["input"]["frames"] == 20  # the analysis is not lost
    assert err.strip().splitlines() == [
        f"formcheck: error: cannot write '{tmp_path}/o/l.bridge.json': No space left on device"
    ]


def test_private_analysis_keeps_the_file_name_only(tmp_path) -> None:
    path = replay_file(tmp_path / "l.npz", 20, source="/home/Jane Doe/week 3/bridge.mp4")
    options = AnalysisOptions(private=True, save_landmarks=tmp_path / "again.npz")
    report = analyze(path, "bridge", options).report
    assert report["input"]["path"] == "bridge.mp4"
    with np.load(tmp_path / "again.npz") as saved:
        assert str(saved["source_path"]) == "bridge.mp4"
