"""The hostile-input battery: the command line as a careless user or script meets it.

Every case asserts the exit code, a one-line message naming the problem and no
traceback (an exception escaping ``main`` fails the case). Cases about bounds
run the real command in a subprocess with a timeout and a peak-memory ceiling
(the child reports its own peak RSS, ``VmHWM``, as it exits). No case may load the pose model: bad
input is refused before it (the ``no_pose_model`` fixture fails any case that
tries). Fixtures are generated here; nothing comes from ``../shared``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from formcheck.batch.lock import batch_lock
from formcheck.cli import main
from formcheck.pipeline import AnalysisOptions
from formcheck.render.video import VideoWriter
from formcheck.sources import write_replay
from formcheck.specs import specs_dir
from formcheck.types import PoseFrame

ADDRESS_SPACE_BYTES = 6 << 30  # a safety net: no case may take the machine down


@pytest.fixture(autouse=True)
def no_pose_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: AnalysisOptions) -> None:
        raise AssertionError("the pose model was loaded for input that should be refused")

    monkeypatch.setattr(AnalysisOptions, "create_estimator", refuse)


# --- generated fixtures -------------------------------------------------------------------


def video(path: Path, frames: int = 12, width: int = 64, height: int = 48) -> Path:
    """A tiny real H.264 MP4 at 10 fps."""
    with VideoWriter(path, width, height, 10.0) as writer:
        for i in range(frames):
            writer.write(np.full((height, width, 3), 20 * i % 255, np.uint8), i / 10.0)
    return path


def huge_mjpeg(path: Path, side: int = 8192, frames: int = 2) -> Path:
    """A few MB of Motion-JPEG whose frames decode to ``side`` x ``side`` pixels."""
    ok, jpeg = cv2.imencode(
        ".jpg", np.zeros((side, side, 3), np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 5]
    )
    assert ok
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mjpeg", rate=10)
        stream.width = stream.height = side
        stream.pix_fmt = "yuvj420p"
        for i in range(frames):
            packet = av.Packet(jpeg.tobytes())
            packet.stream, packet.pts, packet.dts = stream, i, i
            packet.time_base = Fraction(1, 10)
            container.mux(packet)
    return path


def landmarks(path: Path, frames: int, step_s: float = 0.1) -> Path:
    poses = [PoseFrame.empty(i, i * step_s, 64, 48) for i in range(frames)]
    return write_replay(path, poses, source_path="clip.mp4", backend="tasks")


def npz_bomb(path: Path) -> Path:
    """A replay archive of a few KB whose first array declares 8 GB."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**9,)}
    )
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("index.npy", "w", force_zip64=True) as member,
    ):
        member.write(header.getvalue())
        for _ in range(8):
            member.write(bytes(1 << 20))
    return path


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


BRIDGE = (specs_dir() / "bridge.toml").read_text(encoding="utf-8")
DEEP_ARRAYS = "a = " + "[" * 5000 + "]" * 5000 + "\n"
DEEP_TABLES = "a = " + "{b = " * 3000 + "1" + "}" * 3000 + "\n"
DEEP_KEYS = "a" + ".b" * 3000 + " = 1\n"


def analyze(d: Path, target: Path | str, *extra: str) -> list[str]:
    """``formcheck analyze TARGET -e bridge --out D/out EXTRA...`` (a later ``-e`` wins)."""
    return ["analyze", str(target), "-e", "bridge", "--out", str(d / "out"), *extra]


def image(path: Path, side: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.zeros((side, side, 3), np.uint8))
    return path


def program(body: str) -> str:
    return f'[[exercises]]\nid = "bridge"\n{body}\n'


# --- running a case -----------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    """``formcheck ARGV`` in this process: (exit code, stderr)."""
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse's usage errors
        code = int(stop.code or 0)
    return code, capsys.readouterr().err


def assert_one_line_error(err: str, message: str) -> None:
    assert "Traceback" not in err
    # `specs validate` lists a file's problems under its name, one "  - " line each.
    errors = [line for line in err.splitlines() if "error:" in line or line.startswith("  - ")]
    assert len(errors) == 1, err
    assert message in errors[0], err
    assert "\x1b" not in err and "\r" not in err


Case = tuple[str, Callable[[Path], list[str]], int, str]


def validate(d: Path, content: str | bytes, name: str = "s.toml") -> list[str]:
    return ["specs", "validate", str(write(d / name, content))]


def live_program(d: Path, content: str | bytes) -> list[str]:
    return ["live", "--program", str(write(d / "p.toml", content))]


def batch(d: Path, *extra: str) -> list[str]:
    return ["batch", str(d), "--out", str(d / "o"), *extra]


def manifest(d: Path, content: str | bytes) -> list[str]:
    return batch(d, "--manifest", str(write(d / "m.csv", content)))


MANIFEST = "file,exercise,patient,program\n"
LATIN_1_PROGRAM = program("# caf\xe9").encode("latin-1")
NOT_UTF8 = "not UTF-8"
TOO_DEEP = "nested more than 16 deep"

CASES: list[Case] = [
    # analyze: inputs
    ("missing", lambda d: analyze(d, d / "missing.mp4"), 3, "no such file"),
    ("zero-bytes", lambda d: analyze(d, write(d / "e.mp4", b"")), 3, "file is empty"),
    ("empty-folder", lambda d: analyze(d, d), 3, "contains no images"),
    ("text-as-mp4", lambda d: analyze(d, write(d / "n.mp4", "notes")), 3, "is not a video"),
    ("single-image", lambda d: analyze(d, image(d / "p.png", 64)), 3, "is a single image"),
    ("one-frame", lambda d: analyze(d, video(d / "v.mp4", frames=1)), 3, "too short"),
    ("2x2-pixels", lambda d: analyze(d, video(d / "v.mp4", 3, 2, 2)), 3, "too small"),
    ("a-fifth-of-a-second", lambda d: analyze(d, landmarks(d / "l.npz", 3)), 3, "too short"),
    ("ansi-in-name", lambda d: analyze(d, d / "x\x1b[2J\r.mp4"), 3, "x\\x1b[2J\\r.mp4"),
    ("non-utf8-name", lambda d: analyze(d, os.fsdecode(bytes(d) + b"/caf\xe9.mp4")), 3, "caf"),
    # analyze: outputs and values
    ("out-is-a-file", lambda d: analyze(d, "v", "--out", str(write(d / "f", "x"))), 2, "is a file"),
    ("out-under-proc", lambda d: analyze(d, "v", "--out", "/proc/fc"), 2, "write to '/proc/fc'"),
    ("landmarks-to-folder", lambda d: analyze(d, "v", "--save-landmarks", str(d)), 2, "a folder"),
    ("landmarks-in-proc", lambda d: analyze(d, "v", "--save-landmarks", "/proc/l"), 2, "/proc/l"),
    *[
        (f"cutoff-{v}", lambda d, v=v: analyze(d, "v.mp4", f"--cutoff-hz={v}"), 2, "--cutoff-hz")
        for v in ("0", "-1", "nan", "inf", "1e400", "61")
    ],
    *[
        (f"threads-{v}", lambda d, v=v: analyze(d, "v.mp4", f"--threads={v}"), 2, "--threads")
        for v in ("0", "-3", "1.5", "many")
    ],
    ("unknown-exercise", lambda d: analyze(d, video(d / "v.mp4"), "-e", "juggling"), 2, "juggling"),
    # specs validate
    ("spec-latin-1", lambda d: validate(d, "# Brücke\n".encode("latin-1")), 2, NOT_UTF8),
    ("spec-utf-16", lambda d: validate(d, BRIDGE.encode("utf-16")), 2, "UTF-16"),
    ("spec-random-bytes", lambda d: validate(d, np.random.default_rng(0).bytes(3000)), 2, NOT_UTF8),
    ("spec-deep-arrays", lambda d: validate(d, DEEP_ARRAYS), 2, TOO_DEEP),
    ("spec-deep-tables", lambda d: validate(d, DEEP_TABLES), 2, TOO_DEEP),
    ("spec-deep-dotted-keys", lambda d: validate(d, DEEP_KEYS), 2, TOO_DEEP),
    ("spec-2-mb", lambda d: validate(d, "# x\n" * 600_000), 2, "bytes are read"),
    (
        "spec-1e9-sets",
        lambda d: validate(d, BRIDGE.replace("sets = 2", "sets = 1000000000"), "bridge.toml"),
        2,
        "targets.sets: 1000000000 is out of range",
    ),
    (
        "spec-nan-hold",
        lambda d: validate(d, BRIDGE.replace("hold_s = 2.0", "hold_s = nan"), "bridge.toml"),
        2,
        "reps.peak_hold_s",
    ),
    # live: refused before a camera or a model is opened
    (
        "program-1e26-sets",
        lambda d: live_program(d, program("sets = 99999999999999999999999999")),
        2,
        "exercises[0].sets",
    ),
    ("program-latin-1", lambda d: live_program(d, LATIN_1_PROGRAM), 2, NOT_UTF8),
    ("program-deep", lambda d: live_program(d, program(DEEP_ARRAYS)), 2, TOO_DEEP),
    (
        "program-spec-file-outside",
        lambda d: live_program(d, program('spec_file = "../../etc/bridge.toml"')),
        2,
        "not in the program's folder",
    ),
    ("program-51-exercises", lambda d: live_program(d, program("") * 51), 2, "at most 50"),
    (
        "live-out-is-a-file",
        lambda d: ["live", "-e", "bridge", "--out", str(write(d / "f", "x"))],
        2,
        "is a file, not a folder",
    ),
    ("live-camera--1", lambda d: ["live", "-e", "bridge", "--camera=-1"], 2, "--camera"),
    # batch
    ("batch-out-is-a-file", lambda d: batch(d, "--out", str(write(d / "f", "x"))), 2, "is a file"),
    ("batch-out-under-proc", lambda d: batch(d, "--out", "/proc/x"), 2, "write to '/proc/x'"),
    ("scheduler-not-a-url", lambda d: batch(d, "--scheduler", "notaurl"), 2, "not a Dask"),
    ("scheduler-port-0", lambda d: batch(d, "--scheduler", "tcp://h:0"), 2, "port must be"),
    ("workers-0", lambda d: batch(d, "--workers", "0"), 2, "--workers"),
    ("batch-cutoff-nan", lambda d: batch(d, "--cutoff-hz", "nan"), 2, "--cutoff-hz"),
    (
        "manifest-latin-1",
        lambda d: manifest(d, b"file,exercise,patient\nv,b,Zo\xeb\n"),
        2,
        NOT_UTF8,
    ),
    (
        "manifest-program-latin-1",
        lambda d: manifest(d, f"{MANIFEST}v,bridge,p,{write(d / 'p.toml', LATIN_1_PROGRAM).name}"),
        2,
        NOT_UTF8,
    ),
    (
        "manifest-100001-rows",
        lambda d: manifest(d, MANIFEST + "".join(f"v{i}.mp4,bridge,p,\n" for i in range(100_001))),
        2,
        "more than 100000 rows",
    ),
    (
        "bench-out-under-proc",
        lambda d: ["bench", str(video(d / "v.mp4")), "--out", "/proc/x/r"],
        2,
        "cannot write '/proc/x/r/latency.json'",
    ),
    ("bench-0-frames", lambda d: ["bench", "--max-frames", "0"], 2, "--max-frames"),
    ("manifest-huge-cell", lambda d: manifest(d, f"{MANIFEST}v,b,{'p' * 5000},\n"), 2, "'patient'"),
]


@pytest.mark.parametrize(
    ("make", "code", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_hostile_input_gets_its_exit_code_and_a_one_line_error(
    tmp_path, capsys, monkeypatch, make, code, message
):
    monkeypatch.chdir(tmp_path)
    exit_code, err = run(capsys, make(tmp_path))
    assert exit_code == code, err
    assert_one_line_error(err, message)


def test_a_second_batch_on_the_same_out_is_refused(tmp_path, capsys) -> None:
    video(tmp_path / "in" / "p1__bridge.mp4")
    out = tmp_path / "out"
    out.mkdir()
    with batch_lock(out):
        code, err = run(capsys, ["batch", str(tmp_path / "in"), "--out", str(out)])
    assert code == 2
    assert_one_line_error(err, "another formcheck batch is writing to")


# --- bounded cases: a real process, a timeout, a memory ceiling ----------------------------


@dataclass(frozen=True)
class Finished:
    code: int
    out: str
    err: str
    seconds: float
    peak_rss_mb: float


# The child caps its own address space before importing formcheck (a preexec_fn is not
# safe in a process with threads, which pytest may have by then).
# It reports its peak RSS as it exits: from /proc (VmHWM, this program's memory only),
# because wait4's ru_maxrss keeps the high-water mark of the pytest process it was
# forked from (Linux carries it across exec), 770 MB once MediaPipe tests have run.
_CAPPED_FORMCHECK = (
    "import atexit, os, resource, runpy, sys; "
    f"resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE_BYTES}, {ADDRESS_SPACE_BYTES})); "
    "hwm = lambda: next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')); "
    "atexit.register(lambda: open(os.environ['PEAK_RSS_FILE'], 'w').write(hwm())); "
    "sys.argv[0] = 'formcheck'; runpy.run_module('formcheck', run_name='__main__')"
)


def run_bounded(argv: list[str], cwd: Path, timeout_s: float) -> Finished:
    """``python -m formcheck ARGV`` with an address-space cap; killed after ``timeout_s``."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory() as peak_dir,
    ):
        peak_file = Path(peak_dir) / "peak_rss_kb"
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-c", _CAPPED_FORMCHECK, *argv],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            env={**os.environ, "PEAK_RSS_FILE": str(peak_file)},
        )
        timer = threading.Timer(timeout_s, process.kill)
        timer.start()
        try:
            _, status, _ = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        text_out, text_err = (
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
        )
        assert seconds < timeout_s, f"still running after {timeout_s} s: {argv}"
        peak_rss_mb = int(peak_file.read_text()) / 1024
    return Finished(process.returncode, text_out, text_err, seconds, peak_rss_mb)


BOUNDED: list[tuple[str, Callable[[Path], list[str]], int, str, float]] = [
    (
        "8192x8192-video",
        lambda d: analyze(d, huge_mjpeg(d / "big.mkv")),
        3,
        "too large to analyse: 8192x8192",
        400,
    ),
    (
        "image-bomb-folder",
        lambda d: analyze(d, image(d / "frames" / "0.png", 8192).parent),
        3,
        "too large to analyse",
        400,
    ),
    (
        "npz-bomb",
        lambda d: analyze(d, npz_bomb(d / "bomb.npz")),
        4,
        "declares 8000000000 bytes",
        400,
    ),
    ("fifo-as-video", lambda d: analyze(d, fifo(d / "f.mp4")), 3, "not a regular file", 400),
    (
        "fifo-as-spec",
        lambda d: ["specs", "validate", str(fifo(d / "s.toml"))],
        2,
        "not a regular file",
        400,
    ),
    (
        "program-1e26-sets",
        lambda d: [
            "live",
            "--program",
            str(write(d / "p.toml", program("sets = 99999999999999999999999999"))),
        ],
        2,
        "out of range",
        400,
    ),
]


@pytest.mark.parametrize(
    ("make", "code", "message", "max_rss_mb"), [c[1:] for c in BOUNDED], ids=[c[0] for c in BOUNDED]
)
def test_bounded_case_ends_in_time_and_memory(tmp_path, make, code, message, max_rss_mb) -> None:
    finished = run_bounded(make(tmp_path), tmp_path, 120)
    assert finished.code == code, finished.err
    assert_one_line_error(finished.err, message)
    assert finished.peak_rss_mb < max_rss_mb


def _strings(data: object) -> list[str]:
    if isinstance(data, dict):
        return [*data, *(t for v in data.values() for t in _strings(v))]
    if isinstance(data, list):
        return [t for v in data for t in _strings(v)]
    return [data] if isinstance(data, str) else []


def test_batch_of_hostile_files_lists_each_one_and_writes_valid_reports(tmp_path) -> None:
    """FIFO, device, non-UTF-8 name, CR and a formula in a name, junk content: each is a
    failed row with its reason, the batch goes on, and every file written is valid."""
    root, out = tmp_path / "in", tmp_path / "out"
    root.mkdir()
    fifo(root / "p1__bridge__fifo.mp4")
    os.symlink("/dev/zero", root / "p2__bridge__device.mp4")
    write(Path(os.fsdecode(bytes(root) + b"/p3__bridge__caf\xe9.mp4")), "junk")
    write(root / "p4__bridge__x\r=cmd|' -C calc'!A0.mp4", "junk")
    write(root / "=HYPERLINK(1)__bridge.mp4", "junk")
    finished = run_bounded(["batch", str(root), "--out", str(out), "--workers", "1"], tmp_path, 240)
    assert finished.code == 5, finished.err
    assert "Traceback" not in finished.err and "\r" not in finished.err
    summary = (out / "summary.csv").read_bytes().decode("utf-8-sig")  # with its BOM
    rows = list(csv.DictReader(io.StringIO(summary, newline="")))
    assert len(rows) == 5 and all(row["status"] == "failed" for row in rows)
    by_name = {row["file"]: row for row in rows}
    assert "not a regular file" in by_name["p1__bridge__fifo.mp4"]["error"]
    assert "not a regular file" in by_name["p2__bridge__device.mp4"]["error"]
    assert "p3__bridge__caf\\xe9.mp4" in by_name
    assert "p4__bridge__x\r=cmd|' -C calc'!A0.mp4" in by_name  # one cell, not a new row
    assert "'=HYPERLINK(1)__bridge.mp4" in by_name
    state = json.loads((out / "batch-state.json").read_bytes().decode("utf-8"))
    for text in _strings(state):  # no lone surrogate: strict JSON readers accept every one
        text.encode("utf-8")
    index = (out / "index.html").read_bytes().decode("utf-8")
    assert '<meta http-equiv="Content-Security-Policy"' in index
