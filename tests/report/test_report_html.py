"""HTML report, SVG plots, signal labels and the per-frame CSV; the pages in headless
Chromium at 1280 px (no sideways scrolling, no plot label covering another)."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

import numpy as np
import pytest
from builders import performance
from chromium import SERIES_RGB, WINDOW_PX, measure_in_chromium, pixels, screenshot

from formcheck.batch.summary import BatchRow, VideoSummary, index_html
from formcheck.pipeline import AnalysisOptions, analysis_from_poses
from formcheck.report import ReportBundle, ReportContext
from formcheck.report.csv_export import frames_csv
from formcheck.report.html import (
    CONTENT_SECURITY_POLICY,
    html_page,
    render_report_html,
    signal_plots,
)
from formcheck.report.labels import signal_label
from formcheck.report.plots import Span, Threshold, line_plot_svg, nice_ticks, text_width_px
from formcheck.report.thumbnails import jpeg_thumbnail, worst_frame
from formcheck.sources.base import SourceInfo
from formcheck.specs import list_specs, load_spec
from formcheck.types import PoseFrame


def synthetic_analysis(exercise: str, fault: str | None, reps: int | None = 2):
    """The offline analysis (smoother, engine, report) of a synthetic performance."""
    spec = load_spec(exercise)
    poses = list(performance(exercise, fault, reps=reps))
    info = SourceInfo(f"{exercise}.mp4", 640, 480, 30.0, len(poses), None)
    return analysis_from_poses(poses, spec, info, AnalysisOptions(), "synthetic", len(poses))


@pytest.fixture(scope="module")
def bridge():
    """A synthetic bridge with a backbend, analysed offline."""
    return synthetic_analysis("bridge", "backbend")


# --- signal labels -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exercise", "signal", "axis"),
    [
        ("bridge", "hip", "Hip angle (°)"),
        (
            "bridge",
            "hip_line",
            "Hip above/below the shoulder–knee line (% of shoulder–knee length)",
        ),
        ("squat", "knee", "Knee angle (°)"),
        (
            "bird_dog",
            "trunk_tilt",
            "Change in the hip–shoulder line above the horizontal since the rep's start (°)",
        ),
    ],
)
def test_signal_titles_are_plain_words_with_units(exercise, signal, axis):
    assert signal_label(load_spec(exercise), signal).axis == axis


def test_every_signal_of_every_shipped_spec_has_a_title_and_unit():
    for spec in list_specs():
        for name in spec.signals:
            label = signal_label(spec, name)
            assert label.title and label.unit in ("°", "%"), (spec.id, name)


def test_fractions_are_shown_in_percent():
    label = signal_label(load_spec("bridge"), "hip_line")
    assert (label.scale, label.format(0.0612)) == (100.0, "6.1%")
    assert signal_label(load_spec("bridge"), "hip").format(171.24) == "171.2°"


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
        {"<b>knee</b>": values, "other": values},
        title='a "title" <x> (°)',
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


_TEXT = re.compile(
    r'<text x="([-\d.]+)" y="([-\d.]+)" font-size="(\d+)" text-anchor="(\w+)"[^>]*>([^<]*)</text>'
)


def text_boxes(svg: str) -> list[tuple[str, float, float, float, float]]:
    """(text, x0, y0, x1, y1) of every text drawn, by the plots' own width estimate."""
    boxes = []
    for x, y, size, anchor, text in _TEXT.findall(svg):
        text = html_lib.unescape(text)
        width = text_width_px(text, float(size))
        left = float(x) - {"start": 0.0, "middle": width / 2, "end": width}[anchor]
        boxes.append(
            (text, left, float(y) - float(size), left + width, float(y) + 0.25 * float(size))
        )
    return boxes


def overlapping(boxes) -> list[tuple[str, str]]:
    return [
        (a[0], b[0])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
    ]


def test_crowded_plot_labels_never_overlap() -> None:
    """Thresholds two units apart, many short reps and faults: every label drawn
    keeps clear of every other one."""
    t = np.linspace(0.0, 30.0, 901)
    values = {"left": 150 + 30 * np.sin(t), "right": 150 + 30 * np.cos(t)}
    thresholds = [Threshold(v, f"threshold at {v}") for v in (160.0, 161.0, 163.0, 150.0, 149.0)]
    spans = [Span(s, s + 0.8, "rep", str(i)) for i, s in enumerate(np.arange(0.0, 30.0, 0.9))]
    spans += [Span(s, s + 0.5, "fault", "knees past toes") for s in np.arange(0.0, 30.0, 1.3)]
    svg = line_plot_svg(t, values, title="Knee angle (°)", spans=spans, thresholds=thresholds)
    boxes = text_boxes(svg)
    assert overlapping(boxes) == []
    assert all(f"threshold at {v}" in svg for v in (160.0, 161.0, 163.0, 150.0, 149.0))
    assert svg.count('stroke-dasharray="5 4"') == len(thresholds)


def test_report_plots_draw_every_threshold_of_the_spec(bridge) -> None:
    hip, hip_line = signal_plots(bridge.report)
    for label in ("rep: top reached", "rep: leaving the peak", "rep: back at rest"):
        assert label in hip
    assert "incomplete lift (rep peak)" in hip  # a rep rule on the peak is a level too
    assert "backbend" in hip_line
    assert hip.startswith("<svg") and ">Hip angle (°)</text>" in hip
    assert overlapping(text_boxes(hip)) == [] and overlapping(text_boxes(hip_line)) == []


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
    session = bridge.report.session
    fault = session.faults[0]
    k = worst_frame(fault, bridge.report.spec, session.t_s, session.signals)
    line = session.signals["hip_line"]
    inside = (session.t_s >= fault.start_s) & (session.t_s <= fault.end_s)
    assert line[k] == pytest.approx(np.nanmax(line[inside]))


def _bundle(analysis, context: ReportContext) -> ReportBundle:
    thumb = jpeg_thumbnail(np.full((480, 640, 3), 128, np.uint8), analysis.smoothed[40])
    return ReportBundle(analysis.report, context, analysis.smoothed, {0: thumb})


def test_report_html_content_and_escaping(bridge) -> None:
    context = ReportContext(
        source="<script>alert(1)</script>.mp4",
        patient='"Jane" <i onmouseover=alert(2)>',
        links={"json": "report.json", "annotated_video": "annotated.mp4"},
    )
    html = render_report_html(_bundle(bridge, context))
    report = bridge.report
    assert "<script" not in html and "<i onmouseover" not in html
    assert "&quot;Jane&quot; &lt;i onmouseover=alert(2)&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.mp4" in html
    assert html.count("<svg") == 2  # hip and hip_line
    assert html.count('class="span-rep"') == 2 * 2 and 'class="span-fault"' in html
    assert html.count("data:image/jpeg;base64,") == 1
    assert report.session.limitations in html and "does not diagnose" in html
    assert '<video controls preload="metadata" width="640" src="annotated.mp4">' in html
    assert "<td>backbend</td>" in html and "Lift only to a straight line" in html
    assert f"formcheck {report.formcheck_version}" in html and report.analysed_at in html
    assert f'content="{CONTENT_SECURITY_POLICY}"' in html
    policy = CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in policy and "script" not in policy
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched from a network


# --- headless Chromium ---------------------------------------------------------------


def test_chromium_harness_sees_errors_and_overflow_and_the_policy_stops_scripts(
    tmp_path: Path,
) -> None:
    """The checks below would catch a script error and a page wider than the window
    (they are not vacuous), and a script that slipped into a formcheck page would not
    run (its Content-Security-Policy)."""
    script = "<p>x</p><script>throw new Error('kaboom')</script>"
    page = tmp_path / "bad.html"
    page.write_text(script)
    log = screenshot(page, tmp_path / "bad.png", tmp_path / "profile")
    assert "Uncaught Error: kaboom" in log
    page.write_text(html_page("injected", script))
    log = screenshot(page, tmp_path / "bad.png", tmp_path / "profile")
    assert "kaboom" not in log and "Content Security Policy" in log
    wide = tmp_path / "wide.html"
    wide.write_text('<html><body><div style="width:1500px">wide</div></body></html>')
    measured = measure_in_chromium(wide, tmp_path / "profile")
    assert measured["scrollWidth"] > measured["clientWidth"] == WINDOW_PX


def _index_rows(analyses) -> list[BatchRow]:
    rows = [
        BatchRow(
            file=f"clinic/p017/{name}__{a.report.spec.id}__a_rather_long_file_name_without_any"
            "_space_in_it_at_all_2024-05-02.mp4",
            patient=patient,
            program="p017/program.toml" if patient else "",
            exercise=a.report.spec.id,
            run="analysed",
            summary=VideoSummary.of(a.report),
            report="report.html",
        )
        for (name, patient), a in zip([("p017", "P017"), ("x", "")], analyses, strict=False)
    ]
    rows.append(
        BatchRow("<b>x</b>.mp4", "P017", "", "bridge", "failed", error="not a video: " + "x" * 200)
    )
    return rows


def test_report_and_index_render_in_chromium_at_1280_px(bridge, tmp_path: Path) -> None:
    taps = synthetic_analysis("plank_shoulder_taps", None, reps=6)
    pages = []
    for name, analysis in (("bridge", bridge), ("taps", taps)):
        page = tmp_path / f"{name}.html"
        context = ReportContext(source=f"p1__{name}.mp4", patient="p1")
        page.write_text(render_report_html(_bundle(analysis, context)), encoding="utf-8")
        pages.append(page)
    index = tmp_path / "index.html"
    index.write_text(index_html(_index_rows([bridge, taps])), encoding="utf-8")
    pages.append(index)
    for page in pages:
        png = tmp_path / f"{page.stem}.png"
        log = screenshot(page, png, tmp_path / "profile")
        assert log == "", log
        assert pixels(png).std() > 10, f"{png} is blank"
        measured = measure_in_chromium(page, tmp_path / "profile")
        assert measured["scrollWidth"] <= measured["clientWidth"] == WINDOW_PX, page.name
        assert measured["overlaps"] == [], page.name
    line_pixels = np.all(np.abs(pixels(tmp_path / "bridge.png").astype(int) - SERIES_RGB) < 40, -1)
    assert line_pixels.sum() > 500  # the plotted signal lines are on screen
