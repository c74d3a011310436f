"""Frame sources: container timestamps, rotation, GIFs, folders, cameras, errors."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from formcheck.errors import FormcheckError, SourceError
from formcheck.sources import (
    CameraSource,
    ImageFolderSource,
    SourceInfo,
    ThreadedReader,
    VideoSource,
    open_source,
)
from formcheck.types import Frame

MS = Fraction(1, 1000)


def _pattern(index: int, width: int = 64, height: int = 32) -> np.ndarray:
    """An RGB frame with a bright top-left quadrant and a per-frame grey level."""
    image = np.full((height, width, 3), 20 + (index * 10) % 60, dtype=np.uint8)
    image[: height // 2, : width // 2] = 235
    return image


def write_clip(
    path: Path,
    pts_ms: list[int],
    rotation: int = 0,
    codec: str = "mpeg4",
    options: dict[str, str] | None = None,
) -> list[np.ndarray]:
    """Encode ``_pattern`` frames at the given presentation times; returns the images."""
    images = [_pattern(i) for i in range(len(pts_ms))]
    with av.open(str(path), "w", options=options or {}) as out:
        stream = out.add_stream(codec, rate=30)
        stream.width, stream.height = images[0].shape[1], images[0].shape[0]
        stream.pix_fmt = "rgb8" if codec == "gif" else "yuv420p"
        stream.codec_context.time_base = MS
        if rotation:
            stream.set_display_rotation(rotation)
        for image, pts in zip(images, pts_ms, strict=True):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = pts, MS
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return images


def _noise_clip(path: Path, frames: int, options: dict[str, str] | None = None) -> None:
    """A clip of random frames (hard to compress, so the file is mostly frame data)."""
    rng = np.random.default_rng(0)
    with av.open(str(path), "w", options=options or {}) as out:
        stream = out.add_stream("mpeg4", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(frames):
            image = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        out.mux(stream.encode())


def _truncate(path: Path) -> Path:
    data = path.read_bytes()
    cut = path.with_name(f"cut_{path.name}")
    cut.write_bytes(data[: len(data) // 2])
    return cut


# --- video files ---------------------------------------------------------------


def test_timestamps_come_from_the_container_not_the_frame_rate(tmp_path: Path) -> None:
    pts_ms = [500, 533, 600, 620, 800, 810]
    write_clip(tmp_path / "vfr.mp4", pts_ms)
    with open_source(tmp_path / "vfr.mp4") as video:
        frames = list(video)
    assert [f.index for f in frames] == list(range(6))
    expected = [(p - pts_ms[0]) / 1000 for p in pts_ms]
    assert [f.t_s for f in frames] == pytest.approx(expected, abs=1e-4)


def test_video_info_and_frames(tmp_path: Path) -> None:
    images = write_clip(tmp_path / "clip.mp4", [0, 33, 67, 100])
    with open_source(str(tmp_path / "clip.mp4")) as video:
        assert isinstance(video, VideoSource)
        info = video.info
        frames = list(video)
    assert info == SourceInfo(
        path=str(tmp_path / "clip.mp4"),
        width=64,
        height=32,
        fps=pytest.approx(info.fps),
        frame_count=4,
        duration_s=pytest.approx(info.duration_s),
        rotation_deg=0,
    )
    assert info.duration_s == pytest.approx(0.133, abs=0.04)
    for frame, image in zip(frames, images, strict=True):
        assert frame.image.dtype == np.uint8 and frame.image.flags["C_CONTIGUOUS"]
        assert np.abs(frame.image.astype(int) - image).mean() < 6


@pytest.mark.parametrize("rotation", [90, -90, 180])
def test_display_rotation_is_applied(tmp_path: Path, rotation: int) -> None:
    images = write_clip(tmp_path / "rot.mp4", [0, 33, 67], rotation=rotation)
    with open_source(tmp_path / "rot.mp4") as video:
        frames = list(video)
        info = video.info
    turns = (rotation // 90) % 4
    assert info.rotation_deg == 90 * turns
    assert (info.width, info.height) == ((32, 64) if turns % 2 else (64, 32))
    upright = np.rot90(images[0], turns)
    assert frames[0].image.shape == upright.shape
    assert np.abs(frames[0].image.astype(int) - upright).mean() < 6


def test_animated_gif_uses_per_frame_delays(tmp_path: Path) -> None:
    write_clip(tmp_path / "anim.gif", [0, 100, 150, 400], codec="gif")
    with open_source(tmp_path / "anim.gif") as gif:
        frames = list(gif)
    assert [f.t_s for f in frames] == pytest.approx([0.0, 0.1, 0.15, 0.4])
    assert frames[0].image.shape == (32, 64, 3)
    assert frames[0].image[0, 0].min() > 200 and frames[0].image[-1, -1].max() < 100


def test_real_gif(realclip: Callable[[str], Path]) -> None:
    with open_source(realclip("bird_dog/chloe_bird_dog.gif")) as gif:
        frames = list(gif)
    assert len(frames) == 42
    assert frames[-1].t_s == pytest.approx(4.1)


def test_source_is_single_pass(tmp_path: Path) -> None:
    write_clip(tmp_path / "clip.mp4", [0, 33])
    with open_source(tmp_path / "clip.mp4") as video:
        assert len(list(video)) == 2
        with pytest.raises(RuntimeError, match="only be iterated once"):
            iter(video)


# --- bad inputs ----------------------------------------------------------------


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "nope.mp4"


def _empty_dir(tmp_path: Path) -> Path:
    (tmp_path / "notes.txt").write_text("no images here")
    return tmp_path


def _zero_bytes(tmp_path: Path) -> Path:
    (tmp_path / "x.mp4").touch()
    return tmp_path / "x.mp4"


def _text_as_mp4(tmp_path: Path) -> Path:
    (tmp_path / "x.mp4").write_text("this is not a video\n" * 20)
    return tmp_path / "x.mp4"


def _audio_only(tmp_path: Path) -> Path:
    with av.open(str(tmp_path / "x.mp4"), "w") as out:
        stream = out.add_stream("aac", rate=8000)
        samples = np.zeros((1, 8000), dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate = 8000
        out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return tmp_path / "x.mp4"


def _mp4_without_index(tmp_path: Path) -> Path:
    _noise_clip(tmp_path / "x.mp4", 30)
    return _truncate(tmp_path / "x.mp4")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_missing, r"^cannot open '.*nope\.mp4': no such file or directory$"),
        (_empty_dir, r"^cannot use folder '.*': it contains no images \(\.bmp, .*\)$"),
        (_zero_bytes, r"^cannot read video '.*x\.mp4': file is empty \(0 bytes\)$"),
        (_text_as_mp4, r"^'.*x\.mp4' is not a video: FFmpeg cannot read it \(Invalid data"),
        (_audio_only, r"^'.*x\.mp4' is not a video: no video stream found$"),
        (_mp4_without_index, r"^video '.*x\.mp4' is damaged, probably truncated: its MP4/MOV"),
    ],
)
def test_bad_input_raises_source_error(
    tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    with pytest.raises(SourceError, match=message) as caught:
        open_source(make(tmp_path))
    assert caught.value.exit_code == 3
    assert isinstance(caught.value, FormcheckError)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "options"),
    [("x.mp4", {"movflags": "faststart"}), ("x.avi", None)],
    ids=["mp4-index-past-end", "avi-frame-count"],
)
def test_truncated_video_yields_decodable_frames_then_raises(
    tmp_path: Path, name: str, options: dict[str, str] | None
) -> None:
    _noise_clip(tmp_path / name, 60, options)
    frames: list[Frame] = []
    with open_source(_truncate(tmp_path / name)) as video, pytest.raises(SourceError) as caught:
        frames.extend(video)
    cut = tmp_path / f"cut_{name}"
    match = re.fullmatch(
        rf"video '{re.escape(str(cut))}' is truncated: decoding stopped after frame (\d+) of 60",
        str(caught.value),
    )
    assert match is not None, str(caught.value)
    assert 10 < len(frames) < 60
    assert int(match.group(1)) == len(frames)


def test_complete_video_is_not_reported_truncated(tmp_path: Path) -> None:
    _noise_clip(tmp_path / "x.mp4", 60, {"movflags": "faststart"})
    with open_source(tmp_path / "x.mp4") as video:
        assert len(list(video)) == 60


# --- image folders -------------------------------------------------------------


def test_image_folder_sorted_by_name_with_fps_timestamps(tmp_path: Path) -> None:
    for name, grey in [("b.png", 100), ("a.jpg", 50), ("c.PNG", 150)]:
        cv2.imwrite(str(tmp_path / name), np.full((32, 40, 3), grey, dtype=np.uint8))
    (tmp_path / "readme.txt").write_text("ignored")
    with open_source(tmp_path, fps=10) as folder:
        info = folder.info
        frames = list(folder)
    assert isinstance(folder, ImageFolderSource)
    assert (info.width, info.height, info.frame_count, info.fps) == (40, 32, 3, 10)
    assert info.duration_s == pytest.approx(0.3)
    assert [f.t_s for f in frames] == pytest.approx([0.0, 0.1, 0.2])
    assert [int(f.image.mean()) for f in frames] == pytest.approx([50, 100, 150], abs=2)


def test_image_folder_default_fps_is_30(tmp_path: Path) -> None:
    for i in range(2):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.zeros((32, 32, 3), dtype=np.uint8))
    with open_source(str(tmp_path)) as folder:
        assert [f.t_s for f in folder] == pytest.approx([0.0, 1 / 30])


def test_image_folder_rejects_an_image_of_another_size(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "0.png"), np.zeros((32, 32, 3), dtype=np.uint8))
    cv2.imwrite(str(tmp_path / "1.png"), np.zeros((48, 32, 3), dtype=np.uint8))
    with open_source(tmp_path) as folder, pytest.raises(SourceError, match=r"1\.png' is 32x48"):
        list(folder)


def test_image_folder_unreadable_image(tmp_path: Path) -> None:
    (tmp_path / "0.png").write_text("not a png")
    with pytest.raises(SourceError, match=r"^cannot read image '.*0\.png': not a readable"):
        open_source(tmp_path)


# --- cameras -------------------------------------------------------------------


@pytest.mark.parametrize("spec", [99, "98"])
def test_camera_that_cannot_be_opened_names_the_index(spec: int | str) -> None:
    with pytest.raises(SourceError, match=rf"^cannot open camera {spec}: "):
        open_source(spec)


class _FakeCapture:
    """Stands in for cv2.VideoCapture: delivers ``frames`` BGR images, then fails."""

    frames = 3

    def __init__(self, index: int) -> None:
        self.index, self.sent, self.opened = index, 0, True

    def isOpened(self) -> bool:
        return self.opened

    def grab(self) -> bool:
        self.sent += 1
        return self.sent <= self.frames

    def retrieve(self) -> tuple[bool, np.ndarray]:
        image = np.zeros((4, 6, 3), dtype=np.uint8)
        image[..., 0] = 255  # blue in BGR
        return True, image

    def get(self, prop: int) -> float:
        return {cv2.CAP_PROP_FRAME_WIDTH: 6, cv2.CAP_PROP_FRAME_HEIGHT: 4}.get(prop, 30.0)

    def release(self) -> None:
        self.opened = False


def test_camera_frames_are_rgb_with_monotonic_timestamps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cv2, "VideoCapture", _FakeCapture)
    with open_source("0") as camera:
        assert isinstance(camera, CameraSource)
        assert camera.info.path == "camera:0" and camera.info.frame_count is None
        frames: list[Frame] = []
        with pytest.raises(
            SourceError, match=r"^camera 0 stopped delivering frames after frame 3$"
        ):
            frames.extend(camera)
    assert [f.index for f in frames] == [0, 1, 2]
    assert frames[0].t_s == 0.0
    assert all(a.t_s <= b.t_s for a, b in pairwise(frames))
    assert frames[0].image[0, 0].tolist() == [0, 0, 255]


def test_closed_camera_ends_iteration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cv2, "VideoCapture", _FakeCapture)
    camera = open_source(0)
    frames = iter(camera)
    next(frames)
    camera.close()
    assert list(frames) == []


# --- threaded reader -----------------------------------------------------------


def _frames(count: int) -> Iterator[Frame]:
    for index in range(count):
        yield Frame(np.zeros((2, 2, 3), dtype=np.uint8), index, index / 30)


def _reader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "formcheck-reader"]


def test_threaded_reader_keeps_order() -> None:
    assert [f.index for f in ThreadedReader(_frames(50), maxsize=2)] == list(range(50))
    assert _reader_threads() == []


def test_threaded_reader_propagates_source_errors_after_earlier_frames() -> None:
    def failing() -> Iterator[Frame]:
        yield from _frames(3)
        raise SourceError("video 'x.mp4' is truncated: decoding stopped after frame 3 of 9")

    seen: list[int] = []
    with pytest.raises(SourceError, match="after frame 3 of 9"):
        seen.extend(f.index for f in ThreadedReader(failing()))
    assert seen == [0, 1, 2]
    assert _reader_threads() == []


def test_threaded_reader_stops_when_the_consumer_breaks() -> None:
    produced: list[int] = []

    def endless() -> Iterator[Frame]:
        index = 0
        while True:
            produced.append(index)
            yield Frame(np.zeros((2, 2, 3), dtype=np.uint8), index, index / 30)
            index += 1

    for frame in ThreadedReader(endless(), maxsize=4):
        if frame.index == 5:
            break
    assert _reader_threads() == []
    assert len(produced) <= 5 + 1 + 4 + 1  # consumed, in flight, queued, blocked put


def test_threaded_reader_over_a_video_matches_direct_decoding(tmp_path: Path) -> None:
    write_clip(tmp_path / "clip.mp4", [0, 40, 90, 100, 180])
    with open_source(tmp_path / "clip.mp4") as direct:
        expected = [(f.index, f.t_s, f.image.sum()) for f in direct]
    with open_source(tmp_path / "clip.mp4") as video:
        got = [(f.index, f.t_s, f.image.sum()) for f in ThreadedReader(video)]
    assert got == expected


def test_threaded_reader_rejects_empty_queue() -> None:
    with pytest.raises(ValueError, match="maxsize must be >= 1"):
        ThreadedReader(_frames(1), maxsize=0)
