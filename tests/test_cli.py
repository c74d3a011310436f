"""The command line as a user meets it: summaries, reports, a bad model, empty rooms.

Bad input in general (a one-line specific error and a documented exit code,
never a traceback) is the battery of ``test_cli_battery.py``; a video with
nobody in it, or with two people, gets a warning.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from formcheck.cli import main
from formcheck.report import validate_report


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _write_video(path: Path, frames: list[np.ndarray], fps: int = 15) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        for i, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_bad_model_file_exit_4(tmp_path, capsys):
    video = _write_video(tmp_path / "v.mp4", [np.zeros((64, 64, 3), np.uint8)] * 3)
    model = tmp_path / "model.task"
    model.write_bytes(b"not a model")
    code, _, err = _run(capsys, "analyze", str(video), "-e", "bridge", "--model", str(model))
    assert code == 4
    assert "model.task" in err


@pytest.mark.mediapipe
def test_truncated_video_exit_3(realclip, tmp_path, capsys):
    data = realclip("bridge/physioplus_bridging.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    code, _, err = _run(capsys, "analyze", str(cut), "-e", "bridge", "--out", str(tmp_path))
    assert code == 3
    assert "truncated" in err


@pytest.mark.mediapipe
def test_video_with_no_person_warns_and_reports(tmp_path, capsys):
    rng = np.random.default_rng(0)
    frames = [
        np.full((240, 320, 3), 90, np.uint8) + rng.integers(0, 20, (240, 320, 3), dtype=np.uint8)
        for _ in range(20)
    ]
    video = _write_video(tmp_path / "empty_room.mp4", frames)
    code, out, _ = _run(
        capsys, "analyze", str(video), "-e", "plank", "--out", str(tmp_path / "o"), "--json"
    )
    assert code == 0
    report = json.loads(out)
    validate_report(report)
    assert "no person was detected in any frame" in report["warnings"]
    assert report["reps"]["total"] == 0 and report["holds"] == []


@pytest.mark.mediapipe
def test_video_with_two_people_warns(realclip, tmp_path, capsys):
    """Two real clips side by side: the most prominent person is analysed, with a warning."""
    clips = [realclip("bridge/physioplus_bridging.mp4"), realclip("bridge/hans_bridge_pose.mp4")]
    streams = []
    for clip in clips:
        with av.open(str(clip)) as container:
            streams.append([f.to_ndarray(format="rgb24") for f in container.decode(video=0)][:30])
    frames = []
    for a, b in zip(*streams, strict=False):
        b = np.asarray(
            __import__("cv2").resize(b, (int(b.shape[1] * a.shape[0] / b.shape[0]), a.shape[0]))
        )
        frames.append(
            np.ascontiguousarray(np.hstack([a, b])[:, : (a.shape[1] + b.shape[1]) // 2 * 2])
        )
    video = _write_video(tmp_path / "two.mp4", frames)
    code, out, _ = _run(
        capsys, "analyze", str(video), "-e", "bridge", "--out", str(tmp_path), "--json"
    )
    assert code == 0
    report = json.loads(out)
    assert any("more than one person" in w for w in report["warnings"])


@pytest.mark.mediapipe
def test_analyze_writes_report_and_replay_reproduces_it(realclip, tmp_path, capsys):
    clip = realclip("bridge/physioplus_bridging.mp4")
    landmarks = tmp_path / "lm.npz"
    code, out, _ = _run(
        capsys,
        "analyze",
        str(clip),
        "-e",
        "bridge",
        "--out",
        str(tmp_path / "a"),
        "--save-landmarks",
        str(landmarks),
        "--annotate",
    )
    assert code == 0
    assert "Reps:" in out and "does not diagnose" in out
    live = json.loads((tmp_path / "a" / "physioplus_bridging.bridge.json").read_text())
    validate_report(live)
    annotated = tmp_path / "a" / "physioplus_bridging.annotated.mp4"
    with av.open(str(annotated)) as container:
        assert sum(1 for _ in container.decode(video=0)) == live["input"]["frames"]
    code, out, _ = _run(
        capsys, "analyze", str(landmarks), "-e", "bridge", "--out", str(tmp_path / "b"), "--json"
    )
    assert code == 0
    replayed = json.loads(out)
    assert replayed["analysis"].pop("backend") == "replay"
    assert live["analysis"].pop("backend") == "tasks"
    assert replayed == live


def test_specs_commands(capsys, tmp_path):
    code, out, _ = _run(capsys, "specs", "list")
    assert code == 0 and "bridge" in out and "wall_squat" in out
    code, out, _ = _run(capsys, "specs", "show", "bridge")
    assert code == 0 and json.loads(out)["id"] == "bridge"
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\nkind = "juggle"\n')
    code, _, err = _run(capsys, "specs", "validate", str(bad))
    assert code == 2 and "bad.toml" in err
