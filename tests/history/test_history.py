"""A patient's history: adherence, trends, faults, pain; JSON, CSV, HTML and the CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from chromium import SERIES_RGB, pixels, screenshot

from formcheck.cli import main
from formcheck.history import (
    HistoryError,
    build_history,
    history_csv,
    history_lines,
    load_history,
    page_name,
    parse_since,
    render_history_html,
)
from formcheck.history.charts import (
    BandPoint,
    Point,
    Series,
    date_chart_svg,
    date_ticks,
    day_position,
)
from formcheck.live.pain import ask_pain
from formcheck.sources import write_replay
from formcheck.specs import load_spec
from formcheck.store import Session, open_store, record_from_report, session_time
from formcheck.synth.clip import make_clip, pose_frames
from formcheck.synth.sessions import synthetic_clinic, synthetic_report

BRIDGE = load_spec("bridge")
PLANK = load_spec("plank")
UNTIL = date(2026, 11, 30)


def session(day: date, spec=BRIDGE, patient: str = "p1", **kw) -> Session:
    """A stored-looking session of ``spec`` on ``day``."""
    report = synthetic_report(
        spec,
        reps=kw.pop("reps", 4),
        good=kw.pop("good", 3),
        rom_deg=kw.pop("rom_deg", 50.0),
        hold_s=kw.pop("hold_s", 25.0),
    )
    when = session_time(None, kw.pop("started_at", datetime.combine(day, datetime.min.time())))
    record = record_from_report(
        report, patient=patient, source="analyze", fingerprint=str(day), when=when, **kw
    )
    return record.session


# --- the window ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "since"),
    [
        ("1d", date(2026, 11, 30)),
        ("30d", date(2026, 11, 1)),
        ("2w", date(2026, 11, 17)),
        (" 2W ", date(2026, 11, 17)),
        ("2026-10-01", date(2026, 10, 1)),
    ],
)
def test_parse_since(text: str, since: date) -> None:
    assert parse_since(text, UNTIL) == since


@pytest.mark.parametrize("text", ["0d", "30", "last month", "2026-13-01", ""])
def test_parse_since_rejects(text: str) -> None:
    with pytest.raises(HistoryError, match="--since"):
        parse_since(text, UNTIL)


# --- adherence ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("active_days", "meets", "tier"),
    [
        (0, False, "fewer than 2 days"),
        (1, False, "fewer than 2 days"),
        (2, False, "2-15 days"),
        (15, False, "2-15 days"),
        (16, True, "16-30 days"),
        (30, True, "16-30 days"),
    ],
)
def test_days_active_against_16_of_30(active_days: int, meets: bool, tier: str) -> None:
    days = [UNTIL - timedelta(days=i) for i in range(active_days)]
    sessions = [session(d) for d in days] + [session(d, PLANK) for d in days]  # 2 a day
    sessions.append(session(UNTIL - timedelta(days=30)))  # the day before the 30-day period
    history = build_history("p1", sessions, UNTIL - timedelta(days=59), UNTIL)
    a = history.adherence
    assert a.period_since == date(2026, 11, 1)
    assert a.period_days_active == active_days
    assert a.days_active == active_days + 1 and a.window_days == 60
    assert (a.meets_rtm, a.rtm_tier) == (meets, tier)
    assert all(n == 2 for d, n in a.sessions_per_day.items() if d >= a.period_since)


def test_sessions_outside_the_window_are_left_out() -> None:
    sessions = [session(date(2026, 10, 1)), session(date(2026, 11, 2)), session(date(2026, 12, 1))]
    history = build_history("p1", sessions, date(2026, 11, 1), UNTIL)
    assert [s.session_date for s in history.sessions] == [date(2026, 11, 2)]
    assert history.adherence.days_active == 1


# --- trends, faults, pain -----------------------------------------------------------


def test_trends_per_exercise() -> None:
    sessions = [
        session(date(2026, 11, 2), reps=4, good=1, rom_deg=40.0),
        session(date(2026, 11, 3), PLANK, hold_s=18.0),
        session(date(2026, 11, 4), reps=10, good=10, rom_deg=60.0),
    ]
    history = build_history("p1", sessions, date(2026, 11, 1), UNTIL)
    bridge, plank = history.exercises
    assert (bridge.title, plank.title) == ("Bridge", "Plank")
    assert [p.reps_total for p in bridge.points] == [4, 10]
    assert [p.good_share for p in bridge.points] == [0.25, 1.0]
    assert [len(p.roms) for p in bridge.points] == [4, 10]
    assert bridge.points[1].rom_mean == pytest.approx(60.0, abs=3.0)  # each rep within 5 %
    assert bridge.points[0].reps_target == (8, 12)
    assert bridge.has_reps and not bridge.has_holds
    assert plank.has_holds and not plank.has_reps
    assert plank.points[0].holds_s == {"facing": 18.0}
    assert plank.points[0].hold_target_s == (30.0, 30.0)


def test_form_not_assessed_shows_no_good_form() -> None:
    """A spec without faults only counts: its 100 % "good" reps mean nothing."""
    cat_cow = load_spec("cat_cow")
    counted = [
        replace(session(date(2026, 11, 2) + timedelta(days=i), cat_cow), form_assessed=False)
        for i in range(3)
    ]
    judged = [session(date(2026, 11, 2)), replace(session(date(2026, 11, 3)), rom_unit="°")]
    history = build_history("p1", counted + judged, date(2026, 11, 1), UNTIL)
    bridge, cats = history.exercises
    assert (bridge.form_assessed, cats.form_assessed) == (True, False)
    assert bridge.rom_unit == "°" and cats.rom_unit is None
    html = render_history_html(history)
    cat_section = html[html.index("<h2>Cat-cow</h2>") : html.index("<h2>Faults over time")]
    assert "Reps with good form" not in cat_section and "Range of motion per rep" in cat_section
    assert "Reps with good form" in html[: html.index("<h2>Cat-cow</h2>")]
    lines = history_lines(history)
    assert any(
        line.startswith("Cat-cow: 3 sessions") and "form not assessed" in line for line in lines
    )
    assert any(line.startswith("Bridge:") and "ROM 50° → 50°" in line for line in lines)


def test_faults_counted_by_day() -> None:
    sessions = [
        session(date(2026, 11, 2), reps=4, good=1),  # 3 faulty reps
        session(date(2026, 11, 2), reps=4, good=3, started_at=datetime(2026, 11, 2, 18)),
        session(date(2026, 11, 5), reps=4, good=4),
    ]
    (fault,) = build_history("p1", sessions, date(2026, 11, 1), UNTIL).faults
    assert (fault.exercise, fault.kind, fault.fault_id) == ("bridge", "form", "backbend")
    assert fault.per_day == {date(2026, 11, 2): 4} and fault.total == 4


def test_pain_is_one_rating_per_sitting() -> None:
    morning = datetime(2026, 11, 2, 9)
    sessions = [
        session(date(2026, 11, 2), sitting="s1", pain_before=3, pain_after=5, started_at=morning),
        session(
            date(2026, 11, 2),
            PLANK,
            sitting="s1",
            pain_before=3,
            pain_after=5,
            started_at=morning + timedelta(minutes=5),
        ),
        session(date(2026, 11, 3), sitting="s2", pain_before=4, pain_after=2),
        session(date(2026, 11, 4), sitting="s3"),  # not rated
        session(date(2026, 11, 5), sitting="s4", pain_after=1),
    ]
    pain = build_history("p1", sessions, date(2026, 11, 1), UNTIL).pain
    assert [(p.day.day, p.before, p.after, p.worse) for p in pain] == [
        (2, 3, 5, True),
        (3, 4, 2, False),
        (5, None, 1, False),
    ]
    assert pain[0].exercises == ("Bridge", "Plank")


def test_json_lists_sessions_with_dates_and_reps() -> None:
    sessions = [session(date(2026, 11, 1)), session(date(2026, 11, 3), reps=6, good=6)]
    data = build_history("p1", sessions, date(2026, 11, 1), UNTIL).to_dict()
    data = json.loads(json.dumps(data))  # plain JSON all the way down
    assert [(s["date"], s["reps"]["total"]) for s in data["sessions"]] == [
        ("2026-11-01", 4),
        ("2026-11-03", 6),
    ]
    assert data["adherence"]["days_active"] == 2
    assert data["adherence"]["rtm"]["meets_16_of_30"] is False
    assert data["exercises"][0]["points"][1]["good_form_share"] == 1.0
    assert "does not diagnose" in data["disclaimer"]


# --- from the store -----------------------------------------------------------------


def _stored(db: Path, sessions: list[Session]) -> None:
    with open_store(db) as store:
        for i, s in enumerate(sessions):
            record = record_from_report(
                synthetic_report(
                    BRIDGE, reps=s.reps_total, good=s.reps_good, rom_deg=45.0, hold_s=0
                ),
                patient=s.patient,
                source="analyze",
                fingerprint=f"clip{i}",
                when=session_time(s.session_date, None),
            )
            store.record(record)


def test_load_history_window_defaults(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    _stored(db, [session(date(2026, 9, 1)), session(date(2026, 11, 2)), session(date(2027, 1, 5))])
    with open_store(db) as store:
        everything = load_history(store, "p1", today=UNTIL)
        recent = load_history(store, "p1", since="30d", until=UNTIL)
        with pytest.raises(HistoryError, match="no sessions recorded for patient 'p9'"):
            load_history(store, "p9")
        with pytest.raises(HistoryError, match="starts"):
            load_history(store, "p1", since=date(2026, 12, 1), until=UNTIL)
    # the window runs from the first session to the last, later than today: nothing hidden
    assert (everything.adherence.since, everything.adherence.until) == (
        date(2026, 9, 1),
        date(2027, 1, 5),
    )
    assert len(everything.sessions) == 3
    assert [s.session_date for s in recent.sessions] == [date(2026, 11, 2)]


# --- charts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("since", "until", "ticks"),
    [
        (date(2026, 11, 1), date(2026, 11, 1), ["2026-11-01"]),
        (date(2026, 11, 1), date(2026, 11, 10), [f"2026-11-{d:02d}" for d in (1, 3, 5, 7, 9)]),
        (
            date(2026, 11, 1),
            date(2026, 11, 30),
            ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30"],
        ),
        (date(2026, 1, 15), date(2026, 12, 31), [f"2026-{m:02d}-01" for m in (3, 5, 7, 9, 11)]),
    ],
)
def test_date_ticks(since: date, until: date, ticks: list[str]) -> None:
    assert [t.isoformat() for t in date_ticks(since, until)] == ticks


def test_day_position_places_a_session_at_its_time() -> None:
    assert day_position(datetime(1, 1, 1, 6)) == 0.25
    assert day_position(date(1, 1, 1)) == 0.5


# --- what users read ----------------------------------------------------------------

EVIL = '<script>alert("x")</script>'


def _evil_history():
    report = synthetic_report(BRIDGE, reps=4, good=2, rom_deg=50.0, hold_s=0.0)
    report["exercise"]["title"] = f"Bridge {EVIL}"
    report["faults"][0]["message"] = f"</style>{EVIL}"
    report["faults"][0]["id"] = "a&b<c>"
    report["warnings"] = [EVIL]
    report["input"]["path"] = f"/x/{EVIL}.mp4"
    record = record_from_report(
        report,
        patient=f'p"1{EVIL}',
        source="analyze",
        fingerprint="f",
        when=session_time(date(2026, 11, 2), None),
        report_path=f"=HYPERLINK({EVIL})",
        pain_before=2,
        pain_after=6,
    )
    others = [session(date(2026, 11, 2) + timedelta(days=i), rom_deg=40.0 + i) for i in range(1, 9)]
    plank = [
        session(date(2026, 11, 3) + timedelta(days=i), PLANK, hold_s=20.0 + i) for i in range(5)
    ]
    return build_history(
        record.session.patient, [record.session, *others, *plank], date(2026, 11, 1), UNTIL
    )


def test_html_escapes_every_text_from_the_data() -> None:
    html = render_history_html(_evil_history())
    assert "<script" not in html and html.count("</style>") == 2  # the page's own two
    assert "&lt;/style&gt;&lt;script&gt;" in html and "a&amp;b&lt;c&gt;" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched from a network
    assert "16 of 30: <span" in html and "worse after" in html


def test_csv_one_row_per_session_and_no_formulas() -> None:
    history = _evil_history()
    rows = list(csv.DictReader(io.StringIO(history_csv(history))))
    assert len(rows) == len(history.sessions) == 14
    first = rows[0]
    assert first["date"] == "2026-11-02" and first["reps_total"] == "4"
    assert first["report"].startswith("'=HYPERLINK")
    assert first["pain_before"] == "2" and first["pain_after"] == "6"
    assert first["faults"] == "a&b<c> x1; backbend x1"


def test_text_summary() -> None:
    lines = history_lines(_evil_history())
    assert lines[1] == (
        "Days active: 9 of 30; last 30 days (2026-11-01 to 2026-11-30): 9, below 16 of 30"
    )
    assert any(line.startswith("Plank: 5 sessions; longest hold 20.0 s → 24.0 s") for line in lines)


def test_history_page_renders_in_chromium(tmp_path: Path) -> None:
    page = tmp_path / "history.html"
    page.write_text(render_history_html(_evil_history()), encoding="utf-8")
    png = tmp_path / "history.png"
    log = screenshot(page, png, tmp_path / "profile")
    assert log == "", log  # no script ran, nothing failed to load
    image = pixels(png)
    assert image.std() > 10, "blank page"
    series = np.all(np.abs(image.astype(int) - SERIES_RGB) < 40, -1)
    assert series.sum() > 300  # the trend lines are on screen


# --- the command line ---------------------------------------------------------------


@pytest.fixture(scope="module")
def landmarks(tmp_path_factory) -> Path:
    """A replay file of two synthetic bridges (analyze runs without MediaPipe)."""
    path = tmp_path_factory.mktemp("lm") / "bridge.npz"
    poses = list(pose_frames(make_clip("bridge", None, seed=0, reps=2)))
    return write_replay(path, poses, source_path="bridge.mp4", backend="synthetic")


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_two_analyze_runs_then_history(landmarks: Path, tmp_path: Path, capsys) -> None:
    """The issue's "done when", on replayed landmarks."""
    db = str(tmp_path / "p.db")
    for day in ("2026-11-01", "2026-11-03"):
        code, out, _ = _run(
            capsys, "analyze", str(landmarks), "-e", "bridge", "--out", str(tmp_path / "out"),
            "--patient", "P1", "--db", db, "--date", day,
        )  # fmt: skip
        assert code == 0 and f"Session recorded: patient P1, bridge, {day}" in out
    code, out, _ = _run(capsys, "history", "P1", "--db", db, "--json")
    assert code == 0
    sessions = json.loads(out)["sessions"]
    assert [(s["date"], s["reps"]["total"]) for s in sessions] == [
        ("2026-11-01", 2),
        ("2026-11-03", 2),
    ]
    page = tmp_path / "p1.html"
    code, out, _ = _run(capsys, "history", "P1", "--db", db, "--html", str(page))
    assert code == 0 and "Days active: 2 of" in out and page.is_file()
    log = screenshot(page, tmp_path / "p1.png", tmp_path / "profile")
    assert log == ""
    code, out, _ = _run(capsys, "history", "--list", "--db", db)
    assert out.startswith("P1\t2 sessions\t2026-11-01 to 2026-11-03")


def test_history_cli_errors(landmarks: Path, tmp_path: Path, capsys) -> None:
    db, out = tmp_path / "p.db", tmp_path / "reports"
    code, _, err = _run(
        capsys, "analyze", str(landmarks), "-e", "bridge", "--db", str(db), "-o", str(out)
    )
    assert code == 2 and "--db record a session: name the patient with --patient" in err
    assert not out.exists() and not db.exists()  # a usage error makes no output
    code, _, err = _run(capsys, "history", "nobody", "--db", str(db))
    assert code == 2 and "no sessions recorded for patient 'nobody'" in err
    code, _, err = _run(capsys, "history", "--db", str(db))
    assert code == 2 and "give a PATIENT" in err
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database")
    code, _, err = _run(capsys, "history", "--list", "--db", str(notes))
    assert code == 3 and "is not a SQLite database" in err and err.count("\n") == 1
    assert notes.read_text() == "not a database"


def test_delete_needs_yes_without_a_terminal(tmp_path: Path, capsys) -> None:
    db = tmp_path / "p.db"
    _stored(db, [session(date(2026, 11, 2)), session(date(2026, 11, 3), patient="p2")])
    code, _, err = _run(capsys, "history", "--delete", "p1", "--db", str(db))
    assert code == 2 and "add --yes" in err
    code, out, _ = _run(capsys, "history", "--delete", "p1", "--yes", "--db", str(db))
    assert code == 0 and "Deleted 1 session of patient p1" in out
    code, out, _ = _run(capsys, "history", "--list", "--db", str(db))
    assert out.startswith("p2\t")


def test_pain_questions(capsys) -> None:
    answers = iter(["", "7", "eleven", "11", "-1", "4"])
    assert ask_pain("now", read=lambda q: next(answers)) is None  # Enter skips
    assert ask_pain("now", read=lambda q: next(answers)) == 7
    assert ask_pain("now", read=lambda q: next(answers), say=lambda t: None) is None  # 3 wrong

    def closed(question: str) -> str:
        raise EOFError

    assert ask_pain("now", read=closed) is None


# --- batch --------------------------------------------------------------------------


def test_page_names_are_safe_and_distinct() -> None:
    names = {page_name(p) for p in ("p1", "P1", "../x", "..\\x", "a/b", "CON", "é")}
    assert len(names) == 7
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+-[0-9a-f]{8}\.html", n) for n in names)


def test_synthetic_clinic_is_deterministic_and_complete() -> None:
    first = list(synthetic_clinic(50, 4, date(2026, 1, 1), days=60, seed=3))
    again = list(synthetic_clinic(50, 4, date(2026, 1, 1), days=60, seed=3))
    assert len(first) == 50 and first == again
    assert {s.patient for s in first} <= {"p0001", "p0002", "p0003", "p0004"}
    assert all(date(2026, 1, 1) <= s.day < date(2026, 3, 2) for s in first)


def test_chart_draws_a_range_as_a_band_and_a_fixed_target_as_a_line() -> None:
    points = [Point(date(2026, 11, 2), 10.0), Point(date(2026, 11, 9), 12.0)]
    since, until = date(2026, 11, 1), date(2026, 11, 30)
    ranged = date_chart_svg(
        [Series("reps", points)], title="<reps>", since=since, until=until,
        band=[BandPoint(date(2026, 11, 2), 8, 12)],
    )  # fmt: skip
    fixed = date_chart_svg(
        [Series("reps", points)], title="reps", since=since, until=until,
        band=[BandPoint(date(2026, 11, 2), 10, 10), BandPoint(date(2026, 11, 9), 12, 12)],
    )  # fmt: skip
    assert ranged.count('<rect class="band"') == 1 and "&lt;reps&gt;" in ranged
    assert fixed.count('<line class="band"') == 2 and '<rect class="band"' not in fixed
    assert ranged.count('class="point"') == 2 and ranged.count('class="series"') == 1
    empty = date_chart_svg([Series("reps", [])], title="reps", since=since, until=until)
    assert "nothing recorded" in empty
