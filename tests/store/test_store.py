"""The session store, one suite run on SQLite and on PostgreSQL.

The PostgreSQL half needs a server (``FORMCHECK_TEST_POSTGRES_URL``, see
``tests/conftest.py``); each test gets a schema of its own there, dropped after.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
import pytest

from formcheck.engine.results import Dosage
from formcheck.specs import load_spec
from formcheck.store import (
    MIGRATIONS,
    InvalidSession,
    Migration,
    StoreError,
    check_patient,
    open_store,
    record_from_report,
    recording_time,
    session_time,
)
from formcheck.store.backend import enable_wal, open_sqlite, redact
from formcheck.store.ingest import report_record
from formcheck.store.schema import SCHEMA_VERSION, schema_version
from formcheck.synth.sessions import synthetic_report

BRIDGE = load_spec("bridge")
BIRD_DOG = load_spec("bird_dog")
PLANK = load_spec("plank")


def with_search_path(url: str, schema: str) -> str:
    """``url`` with its connections placed in ``schema``."""
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query), ("options", f"-csearch_path={schema}")]
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty session database: a SQLite file, or a PostgreSQL schema."""
    if request.param == "sqlite":
        yield str(tmp_path / "sessions.db")
        return
    import psycopg

    url = request.getfixturevalue("postgres_url")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        yield with_search_path(url, schema)
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


def bridge_record(patient: str = "p1", day: date | None = date(2026, 11, 1), **kw):
    report = synthetic_report(BRIDGE, reps=4, good=3, rom_deg=50.0, hold_s=0.0)
    return record_from_report(
        report,
        patient=patient,
        source="analyze",
        fingerprint=kw.pop("fingerprint", "sha-of-the-video"),
        when=kw.pop("when", session_time(day, None)),
        **kw,
    )


# --- writing and reading back -------------------------------------------------------


def test_round_trip_keeps_every_field(db: str) -> None:
    report = synthetic_report(BIRD_DOG, reps=6, good=4, rom_deg=40.0, hold_s=0.0)
    report["future_field"] = {"kept": True}
    record = record_from_report(
        report,
        patient="p017",
        source="live",
        fingerprint="live:1",
        when=session_time(None, datetime(2026, 11, 2, 9, 30)),
        sitting="morning",
        report_path="/reports/a.json",
        spec_version="abc123",
        pain_before=4,
        pain_after=2,
    )
    with open_store(db) as store:
        recorded = store.record(record)
        assert recorded.new
        (session,) = store.sessions("p017")
        assert session == replace(record.session, id=recorded.id)
        assert session.reps_left == 3 and session.reps_right == 3 and session.reps_good == 4
        assert session.target_per_side is True and session.reps_target == (8, 12)
        assert [f.id for f in session.faults] == ["arm_below_horizontal"] * 2
        assert store.report(recorded.id) == json.loads(json.dumps(report))
        assert store.report(recorded.id + 1) is None


def test_holds_and_dosage_are_stored(db: str) -> None:
    report = synthetic_report(PLANK, reps=0, good=0, rom_deg=0.0, hold_s=12.5)
    report["dosage"] = Dosage(
        reps_done=None,
        reps_target=None,
        per_side=False,
        peak_name="working position",
        peak_hold_target_s=None,
        peak_holds_s=(),
        reps_held=None,
        hold_target_s=(30.0, 30.0),
        best_hold_s=12.5,
        total_hold_s=12.5,
        notes=("longest hold 12.5 s of the 30 s target (1 hold, 12.5 s in all)",),
    ).to_dict()
    record = record_from_report(
        report, patient="p2", source="batch", fingerprint="x", when=session_time(None, None)
    )
    with open_store(db) as store:
        store.record(record)
        (session,) = store.sessions("p2")
    assert session.best_hold_s == 12.5 and session.hold_target_s == (30.0, 30.0)
    assert [(f.kind, f.id, f.message) for f in session.faults] == [
        ("dosage", "hold_below_target", "longest hold 12.5 s of 30 s")
    ]


def bridge_dosage(
    reps_done: int,
    peak_hold_target_s: float | None = None,
    peak_holds_s: tuple[float, ...] = (),
    reps_held: int | None = None,
) -> dict[str, Any]:
    """A bridge's dosage against 8-12 reps, as the report writes it."""
    return Dosage(
        reps_done=reps_done,
        reps_target=(8, 12),
        per_side=False,
        peak_name="top",
        peak_hold_target_s=peak_hold_target_s,
        peak_holds_s=peak_holds_s,
        reps_held=reps_held,
        hold_target_s=None,
        best_hold_s=None,
        total_hold_s=None,
        notes=(),
    ).to_dict()


def test_reps_short_of_the_prescription_and_short_top_holds_are_dosage(db: str) -> None:
    """A bridge of 4 reps against 8-12 whose top was held 2 s on 1 rep of 4 (issue 13:
    dosage is not form; the history shows both apart from form faults)."""
    report = synthetic_report(BRIDGE, reps=4, good=4, rom_deg=50.0, hold_s=0.0)
    report["dosage"] = bridge_dosage(
        reps_done=4, peak_hold_target_s=2.0, peak_holds_s=(0.9, 2.1, 1.0, 0.8), reps_held=1
    )
    record = record_from_report(
        report, patient="p3", source="analyze", fingerprint="y", when=session_time(None, None)
    )
    assert [(f.kind, f.id, f.message) for f in record.session.faults] == [
        ("dosage", "reps_below_target", "4 reps of 8 prescribed"),
        ("dosage", "peak_hold_short", "top held 2 s on 1 of 4 reps"),
    ]


def test_no_shortfall_is_recorded_where_the_camera_view_could_not_measure_the_count() -> None:
    """Side-on shoulder taps (issue 13, class 10): the count was not measured, so the
    history records no "reps below target"; the same report measured records one."""
    report = synthetic_report(BRIDGE, reps=0, good=0, rom_deg=50.0, hold_s=0.0)
    report["dosage"] = bridge_dosage(reps_done=0)
    when = session_time(None, None)
    for not_measurable, shortfalls in ((False, ["reps_below_target"]), (True, [])):
        report["view"] = {"expected": "side", "other_share": 1.0, "not_measurable": not_measurable}
        record = record_from_report(
            report, patient="p4", source="batch", fingerprint="z", when=when
        )
        assert [f.id for f in record.session.faults if f.kind == "dosage"] == shortfalls


def test_reimport_replaces_instead_of_duplicating(db: str) -> None:
    with open_store(db) as store:
        first = store.record(bridge_record())
        again = store.record(bridge_record())
        other_day = store.record(bridge_record(day=date(2026, 11, 3)))
        sessions = store.sessions("p1")
    assert first.new and not again.new and again.id == first.id and other_day.new
    assert [s.session_date for s in sessions] == [date(2026, 11, 1), date(2026, 11, 3)]
    assert [len(s.reps) for s in sessions] == [4, 4]  # the children were replaced, not added


def test_reimport_keeps_the_first_date_when_it_was_not_given(db: str) -> None:
    """A recording without a date of its own is dated on import; a re-import the next
    day is the same session and keeps that date."""
    monday = session_time(None, None, now=datetime(2026, 11, 2, 10))
    tuesday = session_time(None, None, now=datetime(2026, 11, 3, 10))
    with open_store(db) as store:
        store.record(bridge_record(day=None, when=monday))
        store.record(bridge_record(day=None, when=tuesday))
        (session,) = store.sessions("p1")
    assert session.session_date == date(2026, 11, 2)


def test_record_many_is_all_or_nothing(db: str) -> None:
    good = bridge_record()
    broken = bridge_record(fingerprint="another")
    object.__setattr__(broken.session, "pain_after", 11)  # past the checks, into the database
    with open_store(db) as store:
        with pytest.raises(StoreError):
            store.record_many([good, broken])
        assert store.sessions("p1") == []


def test_report_is_stored_as_plain_json(db: str) -> None:
    record = bridge_record()
    record.report["reps"]["details"][0]["rom"] = float("nan")  # as reports hold before writing
    record.report["input"]["fps"] = np.float32(29.5)
    with open_store(db) as store:
        stored = store.report(store.record(record).id)
    assert stored is not None
    assert stored["reps"]["details"][0]["rom"] is None and stored["input"]["fps"] == 29.5


def test_window_patients_and_span(db: str) -> None:
    days = [date(2026, 10, 30), date(2026, 11, 1), date(2026, 11, 5)]
    with open_store(db) as store:
        store.record_many([bridge_record("p1", d) for d in days] + [bridge_record("p2")])
        inside = store.sessions("p1", since=date(2026, 11, 1), until=date(2026, 11, 4))
        patients = store.patients()
        assert store.span("p1") == (date(2026, 10, 30), date(2026, 11, 5))
        assert store.span("nobody") is None
    assert [s.session_date for s in inside] == [date(2026, 11, 1)]
    assert [(p.patient, p.sessions, p.first_date) for p in patients] == [
        ("p1", 3, date(2026, 10, 30)),
        ("p2", 1, date(2026, 11, 1)),
    ]


def test_delete_patient_erases_only_that_patient(db: str) -> None:
    with open_store(db) as store:
        store.record_many([bridge_record("p1"), bridge_record("zz-erase-me", fingerprint="v2")])
        count, _ = store.delete_patient("zz-erase-me")
        assert count == 1
        assert store.sessions("zz-erase-me") == [] and len(store.sessions("p1")) == 1
        assert store.delete_patient("zz-erase-me")[0] == 0
        rows = store.backend.query("SELECT COUNT(*) FROM reps")
    assert rows == [(4,)]  # only p1's reps are left


def test_deleted_patient_leaves_no_trace_in_the_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with open_store(path) as store:
        store.record_many([bridge_record("p1"), bridge_record("zz-erase-me", fingerprint="v2")])
        store.delete_patient("zz-erase-me")
    leftovers = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("s.db"))
    assert b"p1" in leftovers and b"zz-erase-me" not in leftovers


@pytest.mark.parametrize(
    ("patient", "pain", "message"),
    [
        ("", None, "empty"),
        ("x" * 65, None, "longer than 64"),
        ("p1\x00", None, "control characters"),
        ("p1", 11, "from 0 to 10"),
        ("p1", -1, "from 0 to 10"),
    ],
)
def test_bad_patient_or_pain_is_refused(patient: str, pain: int | None, message: str) -> None:
    with pytest.raises(InvalidSession, match=message):
        bridge_record(patient, pain_before=pain)


def test_patient_label_is_stripped() -> None:
    assert check_patient("  p017 ") == "p017"


# --- schema versions and migrations -------------------------------------------------

ADD_NOTE = Migration(2, "a note per session", ("ALTER TABLE sessions ADD COLUMN note TEXT",))
BROKEN = Migration(2, "fails half way", ("ALTER TABLE sessions ADD COLUMN note TEXT", "NOT SQL"))


def test_new_database_gets_the_current_schema(db: str) -> None:
    with open_store(db) as store:
        assert schema_version(store.backend) == SCHEMA_VERSION
        assert {"sessions", "reps", "holds", "faults"} <= store.backend.table_names()


def test_migration_upgrades_and_keeps_the_sessions(db: str) -> None:
    with open_store(db) as store:
        store.record(bridge_record())
    with open_store(db, migrations=(*MIGRATIONS, ADD_NOTE)) as store:
        assert schema_version(store.backend) == 2
        assert store.backend.query("SELECT note FROM sessions") == [(None,)]
        assert len(store.sessions("p1")) == 1
        store.record(bridge_record(day=date(2026, 11, 2)))  # and it still records


def test_failed_migration_leaves_the_database_as_it_was(db: str) -> None:
    with open_store(db) as store:
        store.record(bridge_record())
    with pytest.raises(StoreError):
        open_store(db, migrations=(*MIGRATIONS, BROKEN))
    with open_store(db) as store:
        assert schema_version(store.backend) == 1
        assert "note" not in {c for (c,) in _columns(store)}
        assert len(store.sessions("p1")) == 1


def _columns(store) -> list[tuple[str]]:
    if store.backend.name == "sqlite":
        return [(row[1],) for row in store.backend.query("PRAGMA table_info(sessions)")]
    return store.backend.query(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'sessions' AND table_schema = current_schema()"
    )


def test_database_of_a_newer_formcheck_is_refused(db: str) -> None:
    open_store(db, migrations=(*MIGRATIONS, ADD_NOTE)).close()
    with pytest.raises(StoreError, match="newer formcheck"):
        open_store(db)


def _execute_outside_formcheck(db: str, sql: str) -> None:
    """Run ``sql`` on the database the way another program would."""
    if db.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db, autocommit=True) as connection:
            connection.execute(sql)
    else:
        with sqlite3.connect(db) as connection:
            connection.execute(sql)


def test_table_named_like_ours_but_not_ours_is_refused(db: str) -> None:
    _execute_outside_formcheck(db, "CREATE TABLE sessions (invoice_id INTEGER)")
    with pytest.raises(StoreError, match="not a formcheck session database"):
        open_store(db)


def test_meta_table_written_by_another_program_is_refused(db: str) -> None:
    open_store(db).close()
    _execute_outside_formcheck(
        db, "UPDATE formcheck_meta SET value = 'x' WHERE key = 'application'"
    )
    with pytest.raises(StoreError, match="formcheck did not write"):
        open_store(db)


# --- two processes at once ----------------------------------------------------------

_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from formcheck.specs import load_spec
    from formcheck.store import open_store, record_from_report, session_time
    from formcheck.synth.sessions import synthetic_report

    db, patient, count, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    report = synthetic_report(load_spec("bridge"), reps=3, good=3, rom_deg=45.0, hold_s=0.0)
    while not go.exists():
        time.sleep(0.005)
    with open_store(db) as store:  # both processes may create the schema at once
        for i in range(count):
            store.record(record_from_report(report, patient=patient, source="batch",
                fingerprint=f"video-{i}", when=session_time(None, None)))
    """
)


@pytest.mark.parametrize(
    "patients",
    [("first", "second"), ("same", "same")],
    ids=["different-sessions", "same-sessions"],
)
def test_two_processes_recording_at_once_lose_nothing(
    db: str, tmp_path: Path, patients: tuple[str, str]
) -> None:
    """Two processes start together on a new database (both may create the schema);
    each records its sessions one transaction at a time. With the same recordings
    (a batch imported on two machines at once) they meet on every session."""
    count = 60
    go = tmp_path / "go"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, db, patient, str(count), str(go)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for patient in patients
    ]
    go.touch()
    for writer in writers:
        _, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
    with open_store(db) as store:
        for patient in set(patients):
            sessions = store.sessions(patient)
            assert len(sessions) == count
            assert all(len(s.reps) == 3 for s in sessions)
        assert schema_version(store.backend) == SCHEMA_VERSION


def test_the_wal_switch_waits_while_another_process_creates_the_database(tmp_path: Path) -> None:
    # SQLite's busy timeout does not cover the journal-mode switch: it failed at once
    # ("database is locked") while the other writer of a new database made its schema.
    path = tmp_path / "sessions.db"
    creator = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    creator.execute("BEGIN IMMEDIATE")
    creator.execute("CREATE TABLE made_first (x)")
    threading.Timer(0.5, creator.execute, ["COMMIT"]).start()
    backend = open_sqlite(path)
    enable_wal(backend)
    assert backend.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    creator.close()


# --- files that are not a session database (SQLite) ---------------------------------


def _unchanged_after_refusal(path: Path, match: str) -> None:
    before = path.read_bytes()
    with pytest.raises(StoreError, match=match), open_store(path) as store:
        store.sessions("p1")
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists()


def test_text_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("my notes, not a database\n" * 20)
    _unchanged_after_refusal(path, "is not a SQLite database")


def test_truncated_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with open_store(path) as store:
        store.record(bridge_record())
    path.write_bytes(path.read_bytes()[:60])
    _unchanged_after_refusal(path, "damaged")


def test_database_with_damaged_pages_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with open_store(path) as store:
        store.record_many([bridge_record(fingerprint=str(i)) for i in range(20)])
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[100 : 2 * page] = bytes(range(256)) * ((2 * page - 100) // 256) + bytes(
        (2 * page - 100) % 256
    )  # the schema page and the next one: garbage
    path.write_bytes(bytes(data))
    _unchanged_after_refusal(path, "damaged|malformed")


def test_sqlite_database_of_another_application_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    _unchanged_after_refusal(path, "not a formcheck session database")
    with sqlite3.connect(path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_empty_file_becomes_a_database_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    path.touch()
    with open_store(path) as store:
        store.record(bridge_record())
        assert store.backend.query("PRAGMA journal_mode") == [("wal",)]


def test_folder_and_unknown_url_are_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a folder"):
        open_store(tmp_path)
    with pytest.raises(StoreError, match="unsupported database URL 'mysql://u:\\*\\*\\*@h/db'"):
        open_store("mysql://u:secret@h/db")


def test_default_database_comes_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FORMCHECK_DB", str(tmp_path / "env.db"))
    with open_store() as store:
        assert store.location == str(tmp_path / "env.db")


# --- PostgreSQL only ----------------------------------------------------------------


def test_unreachable_postgres_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql://someone:secret@/db?host={tmp_path}"
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL") as error:
        open_store(url)
    assert "secret" not in str(error.value)


def test_redact_hides_the_password() -> None:
    assert redact("postgresql://u:pw@h:5432/db?x=1") == "postgresql://u:***@h:5432/db?x=1"
    assert redact("postgresql://u@h/db") == "postgresql://u@h/db"


# --- from a written report ----------------------------------------------------------


def test_report_record_dates_and_identifies_a_recording(tmp_path: Path) -> None:
    video = tmp_path / "clip.npz"
    video.write_bytes(b"landmarks")
    report = synthetic_report(BRIDGE, reps=2, good=2, rom_deg=45.0, hold_s=0.0)
    given = report_record(
        report,
        patient="p1",
        source="analyze",
        report_path=None,
        recording=video,
        day=date(2026, 11, 1),
        spec=BRIDGE,
    )
    undated = report_record(
        report, patient="p1", source="analyze", report_path=None, recording=video, spec=BRIDGE
    )
    assert given.session.session_date == date(2026, 11, 1) and given.session.started_at is None
    assert (given.session.form_assessed, given.session.rom_unit) == (True, "°")
    cat_cow = report_record(
        report, patient="p1", source="live", report_path=None, fingerprint="s1",
        spec=load_spec("cat_cow"),
    )  # fmt: skip
    assert cat_cow.session.form_assessed is False  # it only counts
    assert undated.session.session_date == date.today()  # a landmark file has no date
    assert given.key != undated.key  # a given date makes its own session
    assert given.session.spec_version == undated.session.spec_version
    assert len(given.session.spec_version or "") == 12
    os.utime(video, (0, 0))
    assert (
        report_record(
            report, patient="p1", source="analyze", report_path=None, recording=video, spec=BRIDGE
        ).key
        == undated.key
    )  # the content, not the file's times, identifies it


def test_recording_time_comes_from_the_video_metadata(tmp_path: Path) -> None:
    import av

    def video(name: str, creation_time: str | None) -> Path:
        path = tmp_path / name
        with av.open(str(path), "w") as container:
            if creation_time:
                container.metadata["creation_time"] = creation_time
            stream = container.add_stream("mpeg4", rate=10)
            stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            for packet in [*stream.encode(frame), *stream.encode()]:
                container.mux(packet)
        return path

    utc = datetime(2026, 5, 2, 10, 11, 12).replace(tzinfo=UTC)
    dated = video("dated.mp4", "2026-05-02T10:11:12.000000Z")
    assert recording_time(dated) == utc.astimezone().replace(tzinfo=None)
    assert recording_time(video("undated.mp4", None)) is None
    assert recording_time(video("epoch.mp4", "1970-01-01T00:00:00Z")) is None  # a placeholder
    assert recording_time(tmp_path) is None
