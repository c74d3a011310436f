"""Live mode: latest-frame capture, the session loop, programs, guidance, speech, CLI.

No test here needs a camera, a display, espeak-ng or MediaPipe: a fake estimator
returns canned side-view poses whose knee angle follows a known squat, and
cameras are fake ``cv2.VideoCapture`` objects. No test asserts on timing.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from formcheck import cli
from formcheck.errors import SourceError
from formcheck.landmarks import INDEX, NUM_LANDMARKS
from formcheck.live import (
    CommandSpeaker,
    LatestFrameReader,
    LiveLoop,
    PlacementJudge,
    ProgramRunner,
    create_speaker,
    plan_sets,
)
from formcheck.live import session as live_session
from formcheck.live.speech import SilentSpeaker
from formcheck.live.stats import LatencyHistogram, SignalHistory
from formcheck.live.window import display_available, notice_image
from formcheck.pipeline import AnalysisOptions, analysis_from_poses
from formcheck.render.video import VideoWriter
from formcheck.report import validate_report
from formcheck.sources import CameraSource, SourceInfo, open_source
from formcheck.specs import SpecError, load_program, load_spec
from formcheck.store import open_store
from formcheck.types import Frame, PoseFrame

WIDTH, HEIGHT = 480, 640
SQUAT_PERIOD_S = 3.0


# --------------------------------------------------------------------- fakes
# Pixel offsets of the other landmarks from the leg and trunk joints (facing right).
_PARTS: dict[str, tuple[str, float, float]] = {
    "elbow": ("shoulder", 5.0, 80.0),
    "wrist": ("shoulder", 10.0, 150.0),
    "pinky": ("shoulder", 12.0, 165.0),
    "index": ("shoulder", 14.0, 165.0),
    "thumb": ("shoulder", 16.0, 160.0),
    "heel": ("ankle", -12.0, 8.0),
    "foot_index": ("ankle", 35.0, 8.0),
    "ear": ("shoulder", 0.0, -55.0),
    "eye": ("shoulder", 12.0, -62.0),
    "eye_inner": ("shoulder", 14.0, -62.0),
    "eye_outer": ("shoulder", 8.0, -62.0),
    "mouth": ("shoulder", 14.0, -40.0),
    "nose": ("shoulder", 20.0, -50.0),
}


def side_pose(
    index: int,
    t_s: float,
    knee_deg: float,
    *,
    scale: float = 1.0,
    shift_x: float = 0.0,
    width_px: float = 2.0,
) -> PoseFrame:
    """A person seen side-on, facing right, with the given knee angle.

    The shank is vertical; the thigh leans back by 180 - knee degrees. Left and
    right landmarks are ``width_px`` apart (small: a side view).
    """
    ankle = np.array([240.0, 600.0])
    knee = ankle + np.array([0.0, -120.0])
    bend = math.radians(180.0 - knee_deg)
    hip = knee + 120.0 * np.array([-math.sin(bend), -math.cos(bend)])
    anchors = {"ankle": ankle, "knee": knee, "hip": hip, "shoulder": hip + np.array([10.0, -160.0])}
    points = dict(anchors)
    for part, (anchor, dx, dy) in _PARTS.items():
        points[part] = anchors[anchor] + np.array([dx, dy])
    xy = np.zeros((NUM_LANDMARKS, 2))
    for name, i in INDEX.items():
        part = "mouth" if name.startswith("mouth") else name.split("_", 1)[-1]
        offset = -width_px / 2 if "left" in name else width_px / 2 if "right" in name else 0.0
        xy[i] = points[part] + [offset, 0.0]
    centre = np.array([WIDTH / 2, HEIGHT / 2])
    xy = centre + (xy - centre) * scale + [shift_x, 0.0]
    image_xyz = np.column_stack([xy / [WIDTH, HEIGHT], np.zeros(NUM_LANDMARKS)])
    ones = np.full(NUM_LANDMARKS, 0.99)
    return PoseFrame(index, t_s, WIDTH, HEIGHT, image_xyz, image_xyz.copy(), ones, ones.copy())


def squat_knee(t_s: float) -> float:
    """175° standing at t = 0, 75° at the bottom, one rep every SQUAT_PERIOD_S."""
    return 125.0 + 50.0 * math.cos(2.0 * math.pi * t_s / SQUAT_PERIOD_S)


class FakeEstimator:
    """Canned poses: the squat of ``squat_knee`` at the frame's time (or standing still)."""

    name = "fake"

    def __init__(self, delay_s: float = 0.0, still: bool = False) -> None:
        self.delay_s = delay_s
        self.standing = side_pose(0, 0.0, 175.0) if still else None

    def process(self, frame: Frame) -> PoseFrame:
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.standing is not None:
            return dataclasses.replace(self.standing, index=frame.index, t_s=frame.t_s)
        return side_pose(frame.index, frame.t_s, squat_knee(frame.t_s))

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


def frames(n: int, fps: float = 30.0) -> Iterator[Frame]:
    image = np.zeros((64, 48, 3), dtype=np.uint8)
    for i in range(n):
        yield Frame(image, i, i / fps)


INFO = SourceInfo("fake", 48, 64, 30.0, None, None)


def make_loop(specs, n_frames: int, tmp_path: Path | None = None, **kwargs) -> LiveLoop:
    reader = LatestFrameReader(frames(n_frames), lossless=True)
    estimator = kwargs.pop("estimator", FakeEstimator())
    return LiveLoop(
        ProgramRunner(specs),
        estimator,
        reader,
        INFO,
        "fake",
        out_dir=tmp_path,
        say=lambda text: None,
        **kwargs,
    )


def write_clip(path: Path, n: int = 30, fps: int = 30) -> Path:
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(n):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 8 % 256, np.uint8))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


class FakeCapture:
    """Stands in for ``cv2.VideoCapture``: opens or not, then fails after ``good`` frames."""

    opens = True
    good = 40

    def __init__(self, index: int) -> None:
        self.index = index
        self.reads = 0
        self.opened = self.opens

    def isOpened(self) -> bool:
        return self.opened

    def get(self, prop: int) -> float:
        return 30.0

    def grab(self) -> bool:
        self.reads += 1
        time.sleep(0.001)
        return self.reads <= self.good

    def retrieve(self) -> tuple[bool, np.ndarray]:
        return True, np.zeros((48, 64, 3), dtype=np.uint8)

    def release(self) -> None:
        self.opened = False


# ------------------------------------------------------------------ capture
def test_reader_keeps_only_the_newest_frame_and_counts_the_rest():
    reader = LatestFrameReader(frames(10)).start()
    while not reader._done:  # the source is exhausted without anyone taking frames
        time.sleep(0.01)
    item = reader.take(timeout_s=1.0)
    reader.close()
    assert item is not None and item.frame.index == 9
    assert (reader.captured, reader.dropped) == (10, 9)
    assert reader.finished and reader.take(timeout_s=0.01) is None


def test_lossless_reader_delivers_every_frame():
    with LatestFrameReader(frames(25), lossless=True) as reader:
        got = []
        while (item := reader.take(timeout_s=1.0)) is not None:
            got.append(item.frame.index)
    assert got == list(range(25)) and reader.dropped == 0


def test_reader_hands_over_the_source_error():
    def failing() -> Iterator[Frame]:
        yield from frames(3)
        raise SourceError("camera 0 stopped delivering frames after frame 3")

    with LatestFrameReader(failing(), lossless=True) as reader:
        while reader.take(timeout_s=1.0) is not None:
            pass
    assert isinstance(reader.error, SourceError) and reader.finished


def test_reader_modes_are_exclusive():
    with pytest.raises(ValueError, match="real-time"):
        LatestFrameReader(frames(1), realtime=True, lossless=True)


# -------------------------------------------------------------------- stats
@pytest.mark.parametrize(
    ("latencies_ms", "p50", "p95"),
    [
        ([], None, None),
        ([5.5], 6.0, 6.0),
        ([10.2, 20.7, 30.1], 21.0, 31.0),
        ([1.0] * 95 + [500.0] * 5, 2.0, 2.0),
        ([20_000.0], 10_001.0, 10_001.0),
    ],
)
def test_latency_histogram_percentiles(latencies_ms, p50, p95):
    histogram = LatencyHistogram()
    for ms in latencies_ms:
        histogram.add(ms / 1000.0)
    assert histogram.percentile_ms(50) == p50
    assert histogram.percentile_ms(95) == p95


def test_signal_history_stays_bounded_and_uniform():
    history = SignalHistory(capacity=8)
    for i in range(100):
        history.add(float(i), {"knee": 2.0 * i, "hip": math.nan})
    t_s, signals = history.arrays()
    assert len(history) <= 8 and history.frames == 100
    assert t_s.tolist() == list(range(0, 100, history.stride)) and history.stride == 16
    assert signals["knee"].tolist() == [2.0 * t for t in t_s] and np.isnan(signals["hip"]).all()


# ----------------------------------------------------------------- guidance
@pytest.mark.parametrize(
    ("pose", "problem", "cut_off"),
    [
        (PoseFrame.empty(0, 0.0, WIDTH, HEIGHT), "no_person", ()),
        (side_pose(0, 0.0, 170.0), None, ()),
        (side_pose(0, 0.0, 170.0, shift_x=300.0), "out_of_frame", ("right",)),
        (side_pose(0, 0.0, 170.0, scale=0.2), "too_far", ()),
        (side_pose(0, 0.0, 170.0, width_px=120.0), "wrong_view", ()),
    ],
)
def test_placement_problems(pose, problem, cut_off):
    placement = PlacementJudge(load_spec("squat")).judge(pose)
    assert placement.problem == problem and placement.cut_off == cut_off
    assert bool(placement.message) == (problem is not None)


def test_placement_reports_facing_and_front_view_need():
    pose = side_pose(0, 0.0, 170.0)
    assert PlacementJudge(load_spec("squat")).judge(pose).facing == "right"
    front = [s for s in ("squat", "bridge", "plank", "bird_dog") if load_spec(s).view == "front"]
    for spec_id in front:
        assert PlacementJudge(load_spec(spec_id)).judge(pose).message == "Face the camera"


# ------------------------------------------------------------------ runner
def test_plan_sets_orders_sets_and_rests(tmp_path):
    program = tmp_path / "p.toml"
    program.write_text(
        '[[exercises]]\nid = "squat"\nsets = 2\nrest_s = 5\n'
        '[[exercises]]\nid = "bridge"\nsets = 1\nrest_s = 30\n'
    )
    specs = [item.spec for item in load_program(program).exercises]
    plans = plan_sets(specs)
    assert [(p.spec.id, p.set_number, p.sets, p.rest_s) for p in plans] == [
        ("squat", 1, 2, 5.0),
        ("squat", 2, 2, 5.0),
        ("bridge", 1, 1, 0.0),
    ]


def test_program_runs_sets_with_a_rest_and_writes_one_report_per_set(tmp_path):
    program = tmp_path / "patient.toml"
    program.write_text('[[exercises]]\nid = "squat"\nsets = 2\nrest_s = 5\n')
    specs = [item.spec for item in load_program(program).exercises]
    loop = make_loop(specs, 3000, tmp_path / "out")
    result = loop.run()
    assert result.end_reason == "program_complete"
    assert [sorted(p.name for p in saved.paths.values()) for saved in result.sets] == [
        ["01-squat-set1.html", "01-squat-set1.json"],
        ["01-squat-set2.html", "01-squat-set2.json"],
    ]
    for saved in result.sets:
        validate_report(json.loads(saved.paths["json"].read_text()))
        assert saved.report.session.reps_total == 8  # the lower bound of 8-12 completes a set
        assert saved.report.live is not None and saved.report.live.complete
        html = saved.paths["html"].read_text()
        assert "<svg" in html and "set " in html  # the knee plotted from the set's history
    first, second = (saved.report.session for saved in result.sets)
    assert second.states[0].start_s >= first.states[-1].end_s + 5.0
    assert (tmp_path / "out" / "session.json").exists() is False  # run_live writes it


def test_a_set_report_that_cannot_be_written_stays_in_the_summary(tmp_path):
    said: list[str] = []
    (tmp_path / "file").write_text("not a folder")
    loop = make_loop([load_spec("squat")], 3000, tmp_path / "file" / "out")
    loop._say = said.append
    result = loop.run()
    assert [saved.paths for saved in result.sets] == [{}, {}]  # both sets kept
    assert result.sets[0].report.session.reps_total == 8
    assert sum("error: cannot write" in line and "is a file" in line for line in said) == 2


def test_sessions_started_in_the_same_second_get_their_own_folders(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    folders = [live_session.default_out_dir(now=1_700_000_000.0) for _ in range(3)]
    assert len(set(folders)) == 3 and all(f.is_dir() for f in folders)
    assert [f.name[-2:] for f in folders[1:]] == ["-2", "-3"]


# --------------------------------------------------------------------- loop
def test_slow_processing_drops_frames_of_a_realtime_file(tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", n=30, fps=30)
    with open_source(clip) as source:
        reader = LatestFrameReader(source, realtime=True)
        loop = LiveLoop(
            ProgramRunner([load_spec("squat")]),
            FakeEstimator(delay_s=0.1),
            reader,
            source.info,
            "fake",
            out_dir=tmp_path / "out",
            say=lambda text: None,
        )
        result = loop.run()
    assert result.end_reason == "source_ended"
    assert result.counts.captured == 30
    assert result.counts.dropped > 0
    assert result.counts.processed + result.counts.dropped == 30
    (saved,) = result.sets
    validate_report(saved.report.to_dict())
    live = saved.report.live
    assert live is not None
    assert live.frames_dropped > 0 and live.latency["p95_ms"] is not None
    assert saved.report.stats.frames == result.counts.processed
    assert live.analysed_fps is not None and live.analysed_fps < 30.0  # frames were skipped
    assert result.live_section()["analysed_fps"] < 30.0


def test_live_reports_the_analysed_rate_against_what_the_spec_needs(tmp_path):
    spec = load_spec("squat")
    result = make_loop([spec], 301, tmp_path / "out").run()
    live = result.sets[0].report.to_dict()["live"]
    assert live["analysed_fps"] == 30.0  # lossless: every frame of a 30 fps stream
    assert result.live_section()["analysed_fps"] == 30.0
    # a squat rep may take 0.4 s (min_rep_s): two analysed frames in it = 5/s
    assert live["timing_fps"] == 5.0
    assert result.live_section()["inference_threads"] is None  # the fake has no threads


def test_camera_failing_mid_session_ends_cleanly_and_keeps_the_report(monkeypatch, tmp_path):
    monkeypatch.setattr("formcheck.sources.camera.cv2.VideoCapture", FakeCapture)
    with CameraSource(0) as camera:
        reader = LatestFrameReader(camera)
        loop = LiveLoop(
            ProgramRunner([load_spec("squat")]),
            FakeEstimator(),
            reader,
            camera.info,
            "fake",
            out_dir=tmp_path,
            say=lambda text: None,
        )
        result = loop.run()
    assert result.end_reason == "source_failed"
    assert "camera 0 stopped delivering frames" in result.message
    assert "report was kept" in result.message
    (saved,) = result.sets
    assert saved.paths["json"].is_file() and saved.paths["html"].is_file()
    validate_report(saved.report.to_dict())


@pytest.mark.parametrize("opens", [True, False])
def test_opencv_camera_messages_are_silenced_while_the_camera_is_open(monkeypatch, opens):
    """OpenCV logs its own device warnings ("can't open camera by index"): silenced
    while formcheck opens and reads the camera, the caller's level restored after."""
    levels = []

    class Recording(FakeCapture):
        def __init__(self, index: int) -> None:
            super().__init__(index)
            levels.append(cv2.getLogLevel())

    monkeypatch.setattr(FakeCapture, "opens", opens)
    monkeypatch.setattr("formcheck.sources.camera.cv2.VideoCapture", Recording)
    before = cv2.getLogLevel()
    if opens:
        CameraSource(0).close()
    else:
        with pytest.raises(SourceError):
            CameraSource(0)
    assert levels == [0] and cv2.getLogLevel() == before != 0


def test_unopenable_camera_names_the_index(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(FakeCapture, "opens", False)
    monkeypatch.setattr("formcheck.sources.camera.cv2.VideoCapture", FakeCapture)
    with pytest.raises(SourceError, match="camera 7"):
        open_source(7)
    out = tmp_path / "reports" / "today"
    code = cli.main(
        ["live", "-e", "squat", "--camera", "7", "--no-window", "--mute", "--out", str(out)]
    )
    assert code == 3
    assert "cannot open camera 7" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # the folders made for the session are gone


def test_long_run_keeps_buffers_bounded():
    loop = make_loop([load_spec("squat")], 3000, estimator=FakeEstimator(still=True))
    sizes = set()
    loop._reader.start()
    while loop.step():
        sizes.add((len(loop._recorder.history), loop._latency.counts.size))
    loop._reader.close()
    assert loop.counts().processed == 3000
    assert max(size for size, _ in sizes) <= loop._recorder.history.capacity
    assert {bins for _, bins in sizes} == {LatencyHistogram().counts.size}
    assert loop._latency.total == 3000


def test_keys_quit_pause_reset_and_next(tmp_path):
    specs = [load_spec("squat"), load_spec("bridge")]
    loop = make_loop(specs, 200, tmp_path)
    loop._reader.start()
    for _ in range(30):
        loop.step()
    loop.handle_key("space")
    assert loop.paused
    for _ in range(20):
        loop.step()
    assert loop.counts().paused == 20 and loop.counts().processed == 30
    loop.handle_key("space")
    loop.step()
    assert not loop.paused and loop._last_t_s == pytest.approx(30 / 30.0)  # clock stopped
    set_id = loop.runner.set_id
    loop.handle_key("r")
    assert loop.runner.set_id == set_id + 1 and loop.runner.plan.spec.id == "squat"
    loop.step()
    loop.handle_key("n")
    assert loop.runner.plan.spec.id == "bridge" and loop.running
    assert [s.report.spec.id for s in loop.sets] == ["squat"]
    loop.handle_key("other")
    assert loop.running and not loop.paused
    loop.handle_key("q")
    assert not loop.running
    loop._reader.close()


def test_window_presenter_gets_annotated_frames_and_its_keys_act(tmp_path):
    keys = iter([None] * 5 + ["space", None, None, "space", None, "q"])
    shown: list[tuple[int, ...]] = []

    def present(image: np.ndarray) -> str | None:
        shown.append(image.shape)
        return next(keys)

    loop = make_loop([load_spec("squat")], 100, tmp_path, present=present)
    result = loop.run()
    assert result.end_reason == "quit" and len(shown) == 11
    assert set(shown) == {(64, 48, 3)}
    assert result.counts.paused == 3 and result.counts.processed == 8
    assert len(result.sets) == 1


def test_session_needs_an_exercise_or_a_program(tmp_path):
    with pytest.raises(SpecError, match="--exercise"):
        live_session.session_specs(None, None)
    program = tmp_path / "p.toml"
    program.write_text('[[exercises]]\nid = "squat"\n[[exercises]]\nid = "bridge"\n')
    assert [s.id for s in live_session.session_specs(None, program)] == ["squat", "bridge"]
    assert [s.id for s in live_session.session_specs("bridge", program)] == ["bridge"]
    with pytest.raises(SpecError, match="no exercise 'plank'"):
        live_session.session_specs("plank", program)


def test_next_on_the_last_exercise_completes_the_session():
    loop = make_loop([load_spec("squat")], 10)
    loop.handle_key("n")
    assert not loop.running and loop.runner.phase == "done"
    result = loop.run()
    assert result.end_reason == "program_complete" and result.sets == ()


# ------------------------------------------------------------------- speech
def test_speaker_never_blocks_and_drops_the_oldest_phrase():
    spoken: list[str] = []
    speaking, release = threading.Event(), threading.Event()

    def slow_run(command):
        speaking.set()
        release.wait(5.0)
        spoken.append(command[-1])

    speaker = CommandSpeaker("espeak-ng", max_pending=2, run=slow_run)
    speaker.say("one")
    assert speaking.wait(5.0)
    for word in ("two", "three", "four", "five"):
        speaker.say(word)  # returns at once although "one" is still being spoken
    assert speaker.dropped == 2
    release.set()
    for _ in range(500):
        if len(spoken) == 3:
            break
        time.sleep(0.01)
    speaker.close()
    assert spoken == ["one", "four", "five"]


def test_a_cue_is_never_read_as_a_speech_program_option():
    commands: list[list[str]] = []
    spoken = threading.Event()
    speaker = CommandSpeaker(
        "espeak-ng", ["-s", "160"], run=lambda command: (commands.append(command), spoken.set())
    )
    speaker.say("-w /home/patient/.bashrc")
    assert spoken.wait(5.0)
    speaker.close()
    assert commands == [["espeak-ng", "-s", "160", "--", "-w /home/patient/.bashrc"]]


def test_speech_is_silently_off_without_espeak(monkeypatch):
    monkeypatch.setattr("formcheck.live.speech.shutil.which", lambda name: None)
    speaker, note = create_speaker()
    speaker.say("hello")
    speaker.close()
    assert "off" in note and "espeak-ng" in note
    assert create_speaker(mute=True)[1] == "speech: off (--mute)"


# ------------------------------------------------------------ window / CLI
def test_no_display_means_no_window(monkeypatch):
    monkeypatch.setattr("formcheck.live.window.sys.platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    available, reason = display_available()
    assert not available and "DISPLAY" in reason


def test_notice_card_has_the_frame_size():
    lines = live_session.safety_notice([load_spec("squat")])
    assert "pain" in lines[0]
    assert notice_image(lines, 320, 240).shape == (240, 320, 3)


def test_cli_live_on_a_file_writes_the_report_contract(monkeypatch, tmp_path, capsys):
    clip = write_clip(tmp_path / "clip.mp4", n=150)
    monkeypatch.setattr(live_session, "create_estimator", lambda *a, **k: FakeEstimator())
    out = tmp_path / "session"
    code = cli.main(
        ["live", "-e", "squat", "--source", str(clip), "--no-window", "--mute", "--out", str(out)]
    )
    text = capsys.readouterr().out
    assert code == 0
    assert "Stop any exercise that causes or worsens pain" in text
    assert "Keys:" not in text  # no window, no keys to press
    assert "s  rep 1" in text  # reps are printed as they happen
    assert "Frames: 150 captured, 150 analysed, 0 dropped" in text
    assert f"report: {out / '01-squat-set1.html'}" in text
    report = json.loads((out / "01-squat-set1.json").read_text())
    validate_report(report)
    assert (out / "session.json").is_file() and report["reps"]["total"] >= 1
    assert not list(out.glob("*.mp4"))  # no video unless --save-video


def test_cli_live_reports_go_to_a_visible_folder_by_default(monkeypatch, tmp_path, capsys):
    clip = write_clip(tmp_path / "clip.mp4", n=30)
    monkeypatch.setattr(live_session, "create_estimator", lambda *a, **k: FakeEstimator())
    monkeypatch.chdir(tmp_path)
    code = cli.main(["live", "-e", "squat", "--source", str(clip), "--no-window", "--mute"])
    assert code == 0
    (folder,) = (tmp_path / "formcheck-out").glob("live-*")
    assert (folder / "01-squat-set1.html").is_file()
    assert f"Reports: {Path('formcheck-out') / folder.name}" in capsys.readouterr().out


def test_cli_live_that_cannot_start_leaves_no_empty_folder(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    code = cli.main(["live", "-e", "squat", "--source", "missing.mp4", "--no-window", "--mute"])
    assert code != 0
    assert list(tmp_path.iterdir()) == []


def test_cli_live_asks_pain_and_records_each_set(monkeypatch, tmp_path, capsys):
    clip = write_clip(tmp_path / "clip.mp4", n=45)
    monkeypatch.setattr(live_session, "create_estimator", lambda *a, **k: FakeEstimator())
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["3", ""])  # pain 3 before, after skipped
    monkeypatch.setattr("builtins.input", lambda question: next(answers))
    db = tmp_path / "s.db"
    argv = ["live", "-e", "squat", "--source", str(clip), "--no-window", "--mute"]
    code = cli.main([*argv, "--out", str(tmp_path / "a"), "--patient", "p9", "--db", str(db)])
    text = capsys.readouterr().out
    assert code == 0
    assert text.index("Stop any exercise that causes or worsens pain") < text.index("Frames:")
    assert "1 set(s) recorded for patient p9" in text
    with open_store(db) as store:
        (session,) = store.sessions("p9")
    assert (session.source, session.exercise, session.pain_before, session.pain_after) == (
        "live", "squat", 3, None,
    )  # fmt: skip
    assert session.started_at is not None and session.report_path is not None
    assert Path(session.report_path).name == "01-squat-set1.json"


def test_cli_live_without_a_patient_records_nothing(monkeypatch, tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", n=20)
    monkeypatch.setattr(live_session, "create_estimator", lambda *a, **k: FakeEstimator())
    argv = ["live", "-e", "squat", "--source", str(clip), "--no-window", "--mute"]
    assert cli.main([*argv, "--out", str(tmp_path / "a")]) == 0
    assert cli.main([*argv, "--pain-before", "3"]) == 2  # a rating needs a patient
    assert not Path(os.environ["FORMCHECK_DB"]).exists()


def test_live_that_fails_mid_session_closes_everything_it_opened(monkeypatch, tmp_path):
    closed = []

    class FailingEstimator(FakeEstimator):
        def process(self, frame: Frame) -> PoseFrame:
            if frame.index == 10:
                raise RuntimeError("the model crashed")
            return super().process(frame)

        def close(self) -> None:
            closed.append("estimator")

    class Speaker(SilentSpeaker):
        def close(self) -> None:
            closed.append("speaker")

    class Video(VideoWriter):
        def close(self) -> None:
            super().close()
            closed.append("video")

    monkeypatch.setattr(live_session, "create_estimator", lambda *a, **k: FailingEstimator())
    monkeypatch.setattr(live_session, "create_speaker", lambda mute: (Speaker(), "muted"))
    monkeypatch.setattr(live_session, "VideoWriter", Video)
    options = live_session.LiveOptions(
        source=write_clip(tmp_path / "clip.mp4", n=30),
        out_dir=tmp_path / "out",
        window=False,
        save_video=True,
    )
    with pytest.raises(RuntimeError, match="the model crashed"):
        live_session.run_live([load_spec("squat")], options, say=lambda line: None)
    assert closed == ["video", "estimator", "speaker"]  # last opened, first closed


class CutEstimator(FakeEstimator):
    """The squat down to its bottom; from ``cut_s`` on, another shot: the person
    standing 200 px further right (a video played live that was edited)."""

    def __init__(self, cut_s: float) -> None:
        super().__init__()
        self.cut_s = cut_s

    def process(self, frame: Frame) -> PoseFrame:
        if frame.t_s < self.cut_s:
            return super().process(frame)
        return side_pose(frame.index, frame.t_s, 175.0, shift_x=200.0)


def test_a_cut_in_a_live_video_makes_no_rep_and_is_reported():
    loop = make_loop([load_spec("squat")], 90, estimator=CutEstimator(SQUAT_PERIOD_S / 2))
    report = loop.run().sets[0].report.to_dict()
    assert report["reps"]["total"] == 0  # the jump out of the bottom is no rep
    assert report["cuts"] == [pytest.approx(1.5)]


class LostAndFoundEstimator(FakeEstimator):
    """The squat down to its bottom at 1.5 s; the person lost for 0.3 s, then found
    200 px further right, standing (the tracker re-found them elsewhere)."""

    def process(self, frame: Frame) -> PoseFrame:
        if frame.t_s < 1.5:
            return super().process(frame)
        if frame.t_s < 1.8:
            return PoseFrame.empty(frame.index, frame.t_s, WIDTH, HEIGHT)
        return side_pose(frame.index, frame.t_s, 175.0, shift_x=200.0)


def test_a_person_found_elsewhere_after_a_loss_is_judged_live_as_offline():
    """Class 9: offline the cut comes before the frame that finds the person again,
    and that frame (at the start position) is the cut's witness: the bottom's way
    back was not seen, no rep. Live, the engine sees that frame only once the next
    one confirms the cut, so it judges the same."""
    spec = load_spec("squat")
    loop = make_loop([spec], 90, estimator=LostAndFoundEstimator())
    live = loop.run().sets[0].report.to_dict()
    estimator = LostAndFoundEstimator()
    poses = [estimator.process(frame) for frame in frames(90)]
    offline = analysis_from_poses(poses, spec, INFO, AnalysisOptions(), "fake", 90)
    assert offline.report.to_dict()["reps"]["total"] == 0
    assert live["reps"]["total"] == 0
    assert live["cuts"] == offline.report.to_dict()["cuts"] == [pytest.approx(1.5)]
