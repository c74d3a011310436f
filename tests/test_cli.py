"""The command line as a user meets it: summaries, reports, a bad model, empty rooms.

Bad input in general (a one-line specific error and a documented exit code,
never a traceback) is the battery of ``test_cli_battery.py``; a video with
nobody in it, or with two people, gets a warning.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from builders import performance, write_video

from formcheck.cli import build_parser, main
from formcheck.errors import EXIT_MEANINGS
from formcheck.report import validate_report
from formcheck.sources import write_replay


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


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["analyze", "v.mp4", "-e", "bridge", "--cutoff-hz", "-1"],
            "-1 is out of range: expected from 0.1 to 60 Hz",
        ),
        (
            ["analyze", "v.mp4", "-e", "bridge", "--cutoff-hz", "0"],
            "0 is out of range: expected from 0.1 to 60 Hz",
        ),
        (
            ["analyze", "v.mp4", "-e", "bridge", "--cutoff-hz", "nan"],
            "expected a finite number, got nan",
        ),
        (["analyze", "v.mp4", "-e", "bridge", "--cutoff-hz", "fast"], "expected a number"),
        (
            ["bench", "--max-frames", "0"],
            "--max-frames: 0 is out of range: expected from 1 to 100000",
        ),
        (["bench", "--resolution", "720p"], "expected an integer, got '720p'"),
        (["bench", "--backend", "task"], "(did you mean 'tasks'?)"),
        (["analyze", "v.mp4"], "the following arguments are required"),
    ],
)
def test_invalid_option_values_exit_2_with_one_line(capsys, argv, message):
    """The message alone, on one line that names the command and where help is."""
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and message in err
    assert err.count("\n") == 1 and err.startswith(f"formcheck {argv[0]}: error: "), err
    assert err.rstrip().endswith(f"(see formcheck {argv[0]} --help)")


def test_bad_model_file_exit_4(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default output folder goes there
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
    assert "no person detected in 100% of frames" in report["warnings"]
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
    folder = tmp_path / "a"
    assert f"Report: {folder / 'physioplus_bridging.bridge.html'}" in out
    live = json.loads((folder / "physioplus_bridging.bridge.json").read_text())
    validate_report(live)
    html = (folder / "physioplus_bridging.bridge.html").read_text()
    assert "<svg" in html and 'src="physioplus_bridging.bridge.annotated.mp4"' in html
    annotated = folder / "physioplus_bridging.bridge.annotated.mp4"
    with av.open(str(annotated)) as container:
        assert sum(1 for _ in container.decode(video=0)) == live["input"]["frames"]
    code, out, _ = _run(
        capsys, "analyze", str(landmarks), "-e", "bridge", "--out", str(tmp_path / "b"), "--json"
    )
    assert code == 0
    replayed = json.loads(out)
    for report in (replayed, live):
        del report["analysed_at"]
    assert replayed["analysis"].pop("backend") == "replay"
    assert live["analysis"].pop("backend") == "tasks"
    assert live["analysis"].pop("inference")["threads"] >= 1  # a replay runs no model
    assert replayed == live


def test_specs_commands(capsys, tmp_path):
    code, out, _ = _run(capsys, "specs", "list")
    assert code == 0 and "bridge" in out and "wall_squat" in out
    code, out, _ = _run(capsys, "specs", "show", "bridge")
    assert code == 0 and json.loads(out)["id"] == "bridge"


def test_specs_validate_lists_every_problem_and_names_the_file_once(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\nkind = "juggle"\nsides = 3\ncolour = "red"\n')
    code, out, err = _run(capsys, "specs", "validate", str(bad))
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0] == f"{bad}: 9 problems" and err.count(str(bad)) == 1
    assert "  - colour: unknown key" in lines
    assert (
        "  - kind: expected one of 'reps', 'alternating_reps', 'cycles', 'hold', got 'juggle'"
        in lines
    )
    assert (
        "  - sides: expected one of 'facing', 'left', 'right', 'both', 'alternating', got 3"
        in lines
    )
    assert "  - title: missing field" in lines


def test_specs_validate_checks_program_files(capsys, tmp_path):
    program = tmp_path / "patient.toml"
    program.write_text(
        'title = "Week 3"\n'
        '[[exercises]]\nid = "bridge"\nsets = 3\n'
        '[[exercises]]\nid = "wall_squat"\n'
        "[exercises.overrides.hold]\n"
        'when = [{ signal = "knee", op = "between", value = [95.0, 125.0] }]\n'
    )
    code, out, _ = _run(capsys, "specs", "validate", str(program))
    assert code == 0
    assert out == f"{program}: ok, program 'Week 3' with 2 exercises: bridge, wall_squat\n"
    bad = tmp_path / "bad_program.toml"
    bad.write_text(
        '[[exercises]]\nid = "brige"\n'
        '[[exercises]]\nid = "bridge"\nsets = "three"\n'
        '[[exercises]]\nid = "plank"\n[exercises.overrides.session]\nvisibility_min = 2.0\n'
    )
    code, _, err = _run(capsys, "specs", "validate", str(bad))
    assert code == 2 and err.count(str(bad)) == 1
    assert err.startswith(f"{bad}: 3 problems\n")
    assert "exercises[0].id: unknown exercise 'brige' (did you mean 'bridge'?)" in err
    assert "exercises[1].sets: expected an integer, got a string" in err
    assert "exercises[2] (plank) overrides: session.visibility_min: 2 is out of range" in err


def test_unknown_exercise_suggests_the_nearest(tmp_path, capsys):
    code, _, err = _run(capsys, "analyze", str(tmp_path / "v.mp4"), "-e", "brige")
    assert code == 2
    assert "unknown exercise 'brige' (did you mean 'bridge'?)" in err
    assert len(err.strip().splitlines()) == 1


def test_mistyped_command_suggests_the_nearest(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["analyse", "x.mp4"])
    assert stopped.value.code == 2
    assert "(did you mean 'analyze'?)" in capsys.readouterr().err


def test_analyze_on_a_folder_of_videos_points_to_batch(tmp_path, capsys):
    write_video(tmp_path / "videos" / "a.mp4")
    code, _, err = _run(capsys, "analyze", str(tmp_path / "videos"), "-e", "bridge")
    assert code == 2 and "is a folder of videos" in err and "formcheck batch" in err
    assert len(err.strip().splitlines()) == 1


def test_annotate_on_saved_landmarks_says_it_needs_the_video(tmp_path, capsys):
    landmarks = write_replay(tmp_path / "lm.npz", list(performance("bridge", reps=2)))
    code, _, err = _run(capsys, "analyze", str(landmarks), "-e", "bridge", "--annotate")
    assert code == 2 and "--annotate draws on the original video" in err


def test_every_command_has_a_description_and_examples(capsys):
    for command in ("analyze", "batch", "live", "bench", "specs"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert "examples:" in text and f"formcheck {command} " in text.split("examples:")[1]
        assert "-o" in text or command == "specs"
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "130  interrupted" in capsys.readouterr().out


@pytest.mark.parametrize("action", ["list", "show", "validate"])
def test_every_specs_action_has_a_description_and_examples(capsys, action):
    with pytest.raises(SystemExit):
        main(["specs", action, "--help"])
    text = capsys.readouterr().out
    usage, description, *_ = text.split("\n\n")
    assert usage.startswith(f"usage: formcheck specs {action}") and description.strip()
    assert f"formcheck specs {action}" in text.split("examples:")[1]


def test_analyze_and_live_default_to_the_one_output_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # default_out_dir makes its folder there
    from formcheck.atomic import DEFAULT_OUT_DIR
    from formcheck.live.session import default_out_dir

    args = build_parser().parse_args(["analyze", "v.mp4", "-e", "bridge"])
    assert Path(args.out) == default_out_dir().parent == Path(DEFAULT_OUT_DIR)


def test_readme_lists_the_exit_codes_the_library_defines():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    sentence = "; ".join(f"`{int(code)}` {text}" for code, text in EXIT_MEANINGS.items())
    assert f"Exit codes: {sentence}." in " ".join(readme.split())


def _capped_bridge(path: Path) -> Path:
    """Five bridges whose landmarks are all seen at visibility 0.25 at most."""
    poses = [
        dataclasses.replace(p, visibility=np.minimum(p.visibility, 0.25))
        for p in performance("bridge", reps=5)
    ]
    return write_replay(path, poses, source_path="bridge5.mp4", backend="synthetic")


def test_a_spec_visibility_min_reaches_the_whole_analysis(tmp_path, capsys):
    """A spec that accepts landmarks seen at 0.2 counts the five bridges through
    ``analyze`` as the engine alone does; the bundled spec (0.3) sees nobody."""
    landmarks = _capped_bridge(tmp_path / "bridge5.npz")
    lowered = tmp_path / "low_vis_bridge.toml"
    bundled = (Path(__file__).parents[1] / "exercise_specs" / "bridge.toml").read_text()
    lowered.write_text(
        bundled.replace('id = "bridge"', 'id = "low_vis_bridge"')
        + "\n[session]\nvisibility_min = 0.2\n"
    )
    out = tmp_path / "o"
    counts = {}
    for exercise in (str(lowered), "bridge"):
        code, _, _ = _run(capsys, "analyze", str(landmarks), "-e", exercise, "-o", str(out))
        assert code == 0
        spec_id = Path(exercise).stem
        counts[spec_id] = json.loads((out / f"bridge5.{spec_id}.json").read_text())["reps"]["total"]
    assert counts == {"low_vis_bridge": 5, "bridge": 0}


def test_the_command_line_starts_without_scipy() -> None:
    """scipy takes about a second to import: only an analysis that smooths needs it, not
    `formcheck history` or `--help` (measured 1.09 s -> 0.33 s for `history --json`)."""
    check = "import sys; from formcheck.cli import build_parser; build_parser(); "
    check += "print(sorted(m for m in ('scipy', 'mediapipe') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
