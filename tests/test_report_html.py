"""HTML report, SVG plots and per-frame CSV; the pages in headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from formcheck.batch.summary import index_html
from formcheck.batch.thumbnails import jpeg_thumbnail, worst_frame
from formcheck.engine import analyze_poses
from formcheck.report.csv_export import frames_csv
from formcheck.report.html import (
    CONTENT_SECURITY_POLICY,
    ReportContext,
    html_page,
    render_report_html,
)
from formcheck.report.plots import Span, Threshold, line_plot_svg, nice_ticks
from formcheck.specs import load_spec
from formcheck.synth.clip import make_clip, pose_frames
from formcheck.types import PoseFrame

REQUIRE_ENV = "FORMCHECK_REQUIRE_SHARED"
SERIES_RGB = (0x1F, 0x5F, 0xBF)  # first series colour in formcheck.report.plots


@pytest.fixture(scope="module")
def bridge():
    """A synthetic bridge with a backbend: report, spec, session and poses."""
    from formcheck.pipeline import AnalysisOptions, InputStats, build_report
    from formcheck.sources.base import SourceInfo

    spec = load_spec("bridge")
    poses = pose_frames(make_clip("bridge", "backbend", seed=0, reps=2))
    session = analyze_poses(spec, poses)
    info = SourceInfo("bridge.mp4", 640, 480, 30.0, len(poses), None)
    stats = InputStats.from_poses(poses, AnalysisOptions().min_visibility)
    report = build_report(spec, info, stats, session, "synthetic", {"method": "none"})
    return report, spec, session, poses


# --- plots ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [
        (1.0, 1.0, [1.0]),
        (0.0, 9.3, [0.0, 2.0, 4.0, 6.0, 8.0]),
        (118.0, 204.0, [120.0, 140.0, 160.0, 180.0, 200.0]),
        (-0.3, 0.12, [-0.3, -0.2, -0.1, 0.0, 0.1]),
    ],
)
def test_nice_ticks(low: float, high: float, ticks: list[float]) -> None:
    assert nice_ticks(low, high) == pytest.approx(ticks)


def test_plot_breaks_line_at_nan_and_escapes_text() -> None:
    t = np.arange(6, dtype=float)
    values = np.array([1.0, 2.0, np.nan, 3.0, 4.0, 5.0])
    svg = line_plot_svg(
        t,
        {"<b>knee</b>": values},
        title='a "title" <x>',
        unit="°",
        spans=[Span(1.0, 2.0, "fault", "<script>"), Span(3, 4, "rep", "1"), Span(0, 5, "hold")],
        thresholds=[Threshold(2.5, "<enter>")],
    )
    path = re.search(r'class="series" d="([^"]*)"', svg).group(1)
    assert path.count("M") == 2 and path.count("L") == 3
    assert "<script>" not in svg and "<b>" not in svg and "<enter>" not in svg
    assert "&lt;script&gt;" in svg and "a &quot;title&quot; &lt;x&gt; (°)" in svg
    assert svg.count('class="span-') == 3


def test_plot_without_values_says_so() -> None:
    svg = line_plot_svg(np.arange(3.0), {"knee": np.full(3, np.nan)}, title="knee")
    assert "no measurable values" in svg and 'class="series"' not in svg


def test_plot_rejects_misaligned_series() -> None:
    with pytest.raises(ValueError, match="shape"):
        line_plot_svg(np.arange(3.0), {"knee": np.zeros(4)}, title="knee")


# --- CSV -----------------------------------------------------------------------------


def test_frames_csv_columns_and_missing_values() -> None:
    seen = PoseFrame(0, 0.0, 10, 10, np.zeros((33, 3)), np.zeros((33, 3)), np.ones(33), np.ones(33))
    unseen = PoseFrame.empty(1, 0.1, 10, 10)
    text = frames_csv([seen, unseen], np.array([0.0, 0.1]), {"knee": np.array([90.0, np.nan])})
    header, first, second = text.splitlines()
    columns = header.split(",")
    assert columns[:4] == ["frame", "t_s", "people", "knee"]
    assert len(columns) == 4 + 33 * 4 and columns[-1] == "right_foot_index_visibility"
    assert first.split(",")[:4] == ["0", "0", "1", "90"]
    assert second.split(",")[:5] == ["1", "0.1", "0", "", ""]
    with pytest.raises(ValueError, match="poses"):
        frames_csv([seen], np.array([0.0, 0.1]), {})


# --- the report ----------------------------------------------------------------------


def test_worst_frame_is_the_most_arched(bridge) -> None:
    report, spec, session, _ = bridge
    fault = report["faults"][0]
    k = worst_frame(fault, spec, session.t_s, session.signals)
    line = session.signals["hip_line"]
    inside = (session.t_s >= fault["start_s"]) & (session.t_s <= fault["end_s"])
    assert line[k] == pytest.approx(np.nanmax(line[inside]))


def test_report_html_content_and_escaping(bridge) -> None:
    report, spec, session, poses = bridge
    thumb = jpeg_thumbnail(np.full((480, 640, 3), 128, np.uint8), poses[40])
    context = ReportContext(
        source="<script>alert(1)</script>.mp4",
        patient='"Jane" <i onmouseover=alert(2)>',
        json_href="report.json",
        csv_href="frames.csv",
        video_href="annotated.mp4",
    )
    html = render_report_html(report, spec, session.t_s, session.signals, context, {0: thumb})
    assert "<script" not in html and "<i onmouseover" not in html
    assert "&quot;Jane&quot; &lt;i onmouseover=alert(2)&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.mp4" in html
    assert html.count("<svg") == 2  # hip and hip_line
    assert html.count('class="span-rep"') == 2 * 2 and 'class="span-fault"' in html
    assert html.count("data:image/jpeg;base64,") == 1
    assert report["limitations"] in html and report["disclaimer"] in html
    assert '<video controls preload="metadata" width="640" src="annotated.mp4">' in html
    assert "<td>backbend</td>" in html and "°" in html
    assert f'content="{CONTENT_SECURITY_POLICY}"' in html
    policy = CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in policy and "script" not in policy
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched from a network


# --- headless Chromium ---------------------------------------------------------------


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    reason = "headless Chromium is not installed (Debian: apt-get install chromium)"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}; {REQUIRE_ENV}=1 requires it")
    pytest.skip(reason)


def screenshot(page: Path, png: Path, profile: Path) -> str:
    """Render ``page`` to ``png`` (1280×2000); returns Chromium's console log lines."""
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        f"--screenshot={png}",
        "--window-size=1280,2000",
        page.resolve().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert png.is_file(), done.stderr[-2000:]
    return "\n".join(line for line in done.stderr.splitlines() if ":CONSOLE" in line)


def _pixels(png: Path) -> np.ndarray:
    import cv2

    image = cv2.imread(str(png), cv2.IMREAD_COLOR)
    assert image is not None
    return image[:, :, ::-1]  # RGB


def test_chromium_harness_sees_console_errors_and_the_policy_stops_scripts(tmp_path: Path):
    """The console check below would catch a script error (it is not vacuous), and a
    script that slipped into a formcheck page would not run (its Content-Security-Policy)."""
    script = "<p>x</p><script>throw new Error('kaboom')</script>"
    page = tmp_path / "bad.html"
    page.write_text(script)
    log = screenshot(page, tmp_path / "bad.png", tmp_path / "profile")
    assert "Uncaught Error: kaboom" in log
    page.write_text(html_page("injected", script))
    log = screenshot(page, tmp_path / "bad.png", tmp_path / "profile")
    assert "kaboom" not in log and "Content Security Policy" in log


def test_report_and_index_render_in_chromium(bridge, tmp_path: Path) -> None:
    report, spec, session, poses = bridge
    thumb = jpeg_thumbnail(np.full((480, 640, 3), 90, np.uint8), poses[40])
    context = ReportContext(source="p1__bridge.mp4", patient="p1")
    page = tmp_path / "report.html"
    page.write_text(
        render_report_html(report, spec, session.t_s, session.signals, context, {0: thumb}),
        encoding="utf-8",
    )
    summary = {
        "reps_total": 2,
        "reps_good": 0,
        "reps_target": [8, 12],
        "holds": {},
        "faults": {"backbend": 2},
        "warnings": [],
    }
    index = tmp_path / "index.html"
    index.write_text(
        index_html(
            [
                {
                    "file": "p1__bridge.mp4",
                    "status": "ok",
                    "summary": summary,
                    "report": "report.html",
                    "patient": "p1",
                    "exercise": "bridge",
                },
                {"file": "<b>x</b>.mp4", "status": "failed", "error": "not a video"},
            ]
        ),
        encoding="utf-8",
    )
    for html in (page, index):
        png = tmp_path / f"{html.stem}.png"
        log = screenshot(html, png, tmp_path / "profile")
        assert log == "", log
        pixels = _pixels(png)
        assert pixels.std() > 10, f"{png} is blank"
    line_pixels = np.all(np.abs(_pixels(tmp_path / "report.png").astype(int) - SERIES_RGB) < 40, -1)
    assert line_pixels.sum() > 500  # the plotted signal lines are on screen
