"""The session store: record sessions, read a patient's sessions back, erase a patient.

Example:
    >>> with open_store("/tmp/sessions.db") as store:  # doctest: +SKIP
    ...     store.record(record_from_report(report, patient="p017", ...))
    ...     sessions = store.sessions("p017", since=date(2026, 11, 1))
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from formcheck import __version__
from formcheck.report.result import rounded
from formcheck.store.backend import Backend, SQLiteBackend, enable_wal, open_backend, resolve_target
from formcheck.store.records import (
    FaultRow,
    HoldRow,
    RepRow,
    Session,
    SessionRecord,
    check_patient,
)
from formcheck.store.schema import MIGRATIONS, Migration, migrate, schema_version

# sessions columns in Session field order (id, reps, holds and faults apart).
_SESSION_COLUMNS: tuple[str, ...] = (
    "patient",
    "session_date",
    "started_at",
    "sitting",
    "exercise",
    "exercise_title",
    "kind",
    "spec_version",
    "source",
    "recording",
    "report_path",
    "duration_s",
    "reps_total",
    "reps_left",
    "reps_right",
    "reps_good",
    "reps_target_min",
    "reps_target_max",
    "hold_target_min_s",
    "hold_target_max_s",
    "target_per_side",
    "sets_prescribed",
    "target_met",
    "best_hold_s",
    "pain_before",
    "pain_after",
    "form_assessed",
    "rom_unit",
    "warnings",
)
_FLAG_COLUMNS = ("target_per_side", "target_met", "form_assessed")  # 0/1/NULL
# Written on insert only: a re-import keeps the day the session was first stored
# under (its date may have come from "today").
_KEPT_ON_REIMPORT = frozenset({"session_date", "started_at"})
_WRITE_COLUMNS = (*_SESSION_COLUMNS, "recorded_at", "formcheck_version", "report")
_REP_COLUMNS = (
    "idx",
    "side",
    "start_s",
    "end_s",
    "peak",
    "rom",
    "outbound_s",
    "return_s",
    "hold_s",
    "good",
)
_HOLD_COLUMNS = ("idx", "side", "start_s", "end_s", "duration_s", "target_s")
_FAULT_COLUMNS = ("idx", "kind", "fault_id", "start_s", "end_s", "severity", "side", "message")
_CHILD_TABLES = (("reps", _REP_COLUMNS), ("holds", _HOLD_COLUMNS), ("faults", _FAULT_COLUMNS))


@dataclass(frozen=True)
class Recorded:
    """The outcome of recording one session: its id, and False when it replaced
    a session already stored under the same identity (a re-import)."""

    id: int
    new: bool


@dataclass(frozen=True)
class PatientSummary:
    """One line of ``formcheck history --list``."""

    patient: str
    sessions: int
    first_date: date
    last_date: date


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _session_values(session: Session) -> list[Any]:
    low, high = session.reps_target or (None, None)
    hold_low, hold_high = session.hold_target_s or (None, None)
    return [
        session.patient,
        session.session_date.isoformat(),
        session.started_at.isoformat() if session.started_at else None,
        session.sitting,
        session.exercise,
        session.exercise_title,
        session.kind,
        session.spec_version,
        session.source,
        session.recording,
        session.report_path,
        session.duration_s,
        session.reps_total,
        session.reps_left,
        session.reps_right,
        session.reps_good,
        low,
        high,
        hold_low,
        hold_high,
        _flag(session.target_per_side),
        session.sets_prescribed,
        _flag(session.target_met),
        session.best_hold_s,
        session.pain_before,
        session.pain_after,
        _flag(session.form_assessed),
        session.rom_unit,
        json.dumps(list(session.warnings)),
    ]


def _child_rows(session_id: int, session: Session) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "reps": [
            (session_id, r.index, r.side, r.start_s, r.end_s, r.peak, r.rom, *r.timing, int(r.good))
            for r in session.reps
        ],
        "holds": [
            (session_id, i, h.side, h.start_s, h.end_s, h.duration_s, h.target_s)
            for i, h in enumerate(session.holds)
        ],
        "faults": [
            (session_id, i, f.kind, f.id, f.start_s, f.end_s, f.severity, f.side, f.message)
            for i, f in enumerate(session.faults)
        ],
    }


def _session_from_row(row: Sequence[Any], children: dict[str, list[Any]]) -> Session:
    values = dict(zip(("id", *_SESSION_COLUMNS), row, strict=True))
    low, high = values.pop("reps_target_min"), values.pop("reps_target_max")
    hold_low, hold_high = values.pop("hold_target_min_s"), values.pop("hold_target_max_s")
    started = values.pop("started_at")
    values.update({c: None if values[c] is None else bool(values[c]) for c in _FLAG_COLUMNS})
    values.update(
        session_date=date.fromisoformat(values["session_date"]),
        started_at=datetime.fromisoformat(started) if started else None,
        reps_target=(low, high) if low is not None else None,
        hold_target_s=(hold_low, hold_high) if hold_low is not None else None,
        warnings=tuple(json.loads(values["warnings"])),
    )
    return Session(
        **values,
        reps=tuple(children["reps"]),
        holds=tuple(children["holds"]),
        faults=tuple(children["faults"]),
    )


class SessionStore:
    """Sessions of every patient in one database (see :func:`open_store`).

    Use it as a context manager, or call :meth:`close`. One store object is
    for one thread; every process opens its own.
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    @property
    def location(self) -> str:
        """The database file, or the server URL without its password."""
        return self.backend.location

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.backend.close()

    # --- writing ----------------------------------------------------------------------

    def record(self, record: SessionRecord) -> Recorded:
        """Store one session; a session with the same identity is replaced."""
        return self.record_many([record])[0]

    def record_many(self, records: Iterable[SessionRecord]) -> list[Recorded]:
        """Store several sessions in one transaction (all or none)."""
        now = datetime.now().astimezone().isoformat(timespec="seconds")
        done: list[Recorded] = []
        backend = self.backend
        with backend.errors(), backend.write():
            for record in records:
                done.append(self._write(record, now))
        return done

    def _write(self, record: SessionRecord, now: str) -> Recorded:
        """Insert a session, or replace the one stored under its key.

        The insert does nothing on a conflict (it waits for a concurrent insert of
        the same key to commit first); then the update takes the row, so two
        processes importing the same recording at once serialise on it.
        """
        backend = self.backend
        report = json.dumps(
            rounded(record.report, primary=None),
            separators=(",", ":"),
            allow_nan=False,
            default=str,
        )
        values = dict(
            zip(
                _WRITE_COLUMNS,
                [*_session_values(record.session), now, __version__, report],
                strict=True,
            )
        )
        inserted = backend.query(
            _insert_sql("sessions", ("session_key", *_WRITE_COLUMNS))
            + " ON CONFLICT (session_key) DO NOTHING RETURNING id",
            (record.key, *values.values()),
        )
        if inserted:
            session_id = inserted[0][0]
        else:
            kept = [c for c in _WRITE_COLUMNS if c not in _KEPT_ON_REIMPORT]
            ((session_id,),) = backend.query(
                f"UPDATE sessions SET {', '.join(f'{c} = ?' for c in kept)} "
                "WHERE session_key = ? RETURNING id",
                (*(values[c] for c in kept), record.key),
            )
            for table, _ in _CHILD_TABLES:  # its reps, holds and faults are replaced
                backend.execute(f"DELETE FROM {table} WHERE session_id = ?", (session_id,))
        rows = _child_rows(session_id, record.session)
        for table, columns in _CHILD_TABLES:
            backend.executemany(_insert_sql(table, ("session_id", *columns)), rows[table])
        return Recorded(int(session_id), new=bool(inserted))

    def delete_patient(self, patient: str) -> tuple[int, str]:
        """Erase every session of ``patient``.

        Returns:
            The number of sessions deleted, and what became of the freed space.
        """
        patient = check_patient(patient)
        backend = self.backend
        mine = "SELECT id FROM sessions WHERE patient = ?"
        with backend.errors():
            with backend.write():
                for table, _ in _CHILD_TABLES:
                    backend.execute(f"DELETE FROM {table} WHERE session_id IN ({mine})", (patient,))
                deleted = backend.execute("DELETE FROM sessions WHERE patient = ?", (patient,))
                count = int(deleted.rowcount)
            note = backend.after_delete() if count else ""
        return count, note

    # --- reading ----------------------------------------------------------------------

    def patients(self) -> list[PatientSummary]:
        """Every patient with their number of sessions and first and last day."""
        with self.backend.errors():
            rows = self.backend.query(
                "SELECT patient, COUNT(*), MIN(session_date), MAX(session_date) "
                "FROM sessions GROUP BY patient ORDER BY patient"
            )
        return [
            PatientSummary(name, int(n), date.fromisoformat(first), date.fromisoformat(last))
            for name, n, first, last in rows
        ]

    def span(self, patient: str) -> tuple[date, date] | None:
        """The first and last day of a patient's sessions (``None``: no session)."""
        with self.backend.errors():
            ((first, last),) = self.backend.query(
                "SELECT MIN(session_date), MAX(session_date) FROM sessions WHERE patient = ?",
                (check_patient(patient),),
            )
        return (date.fromisoformat(first), date.fromisoformat(last)) if first else None

    def sessions(
        self, patient: str, since: date | None = None, until: date | None = None
    ) -> list[Session]:
        """A patient's sessions from ``since`` to ``until`` (inclusive; ``None``:
        unbounded), oldest first, with their reps, holds and faults."""
        patient = check_patient(patient)
        where = "s.patient = ? AND s.session_date >= ? AND s.session_date <= ?"
        params = (patient, (since or date.min).isoformat(), (until or date.max).isoformat())
        backend = self.backend
        with backend.errors(), backend.read():
            rows = backend.query(
                f"SELECT s.id, {', '.join('s.' + c for c in _SESSION_COLUMNS)} "
                f"FROM sessions s WHERE {where} "
                "ORDER BY s.session_date, s.started_at, s.id",
                params,
            )
            children: dict[int, dict[str, list[Any]]] = defaultdict(
                lambda: {"reps": [], "holds": [], "faults": []}
            )
            for table, columns in _CHILD_TABLES:
                found = backend.query(
                    f"SELECT c.session_id, {', '.join('c.' + c for c in columns)} "
                    f"FROM {table} c JOIN sessions s ON s.id = c.session_id "
                    f"WHERE {where} ORDER BY c.session_id, c.idx",
                    params,
                )
                for session_id, *values in found:
                    children[session_id][table].append(_CHILD_TYPES[table](values))
        return [_session_from_row(row, children[row[0]]) for row in rows]

    def report(self, session_id: int) -> dict[str, Any] | None:
        """The whole JSON report stored with a session (``None``: no such session)."""
        with self.backend.errors():
            rows = self.backend.query("SELECT report FROM sessions WHERE id = ?", (session_id,))
        return json.loads(rows[0][0]) if rows else None


def _rep(values: Sequence[Any]) -> RepRow:
    index, side, start_s, end_s, peak, rom, outbound_s, return_s, hold_s, good = values
    return RepRow(index, side, start_s, end_s, peak, rom, outbound_s, return_s, hold_s, bool(good))


def _hold(values: Sequence[Any]) -> HoldRow:
    return HoldRow(*values[1:])


def _fault(values: Sequence[Any]) -> FaultRow:
    return FaultRow(*values[1:])


_CHILD_TYPES = {"reps": _rep, "holds": _hold, "faults": _fault}


def open_store(
    db: str | os.PathLike[str] | None = None, migrations: Sequence[Migration] = MIGRATIONS
) -> SessionStore:
    """Open the session database, creating it or upgrading its schema as needed.

    Args:
        db: a SQLite file path or a ``postgresql://`` URL; ``None``: ``$FORMCHECK_DB``,
            else ``sessions.db`` in the user's data folder.
        migrations: the schema's migrations (tests add their own).

    Raises:
        StoreError: the database cannot be reached, is damaged, belongs to another
            application or to a newer formcheck (nothing is written to it then).
    """
    backend = open_backend(resolve_target(db))
    try:
        with backend.errors():
            version = schema_version(backend)  # refuses foreign files before any write
        if isinstance(backend, SQLiteBackend):
            enable_wal(backend)
        if version != migrations[-1].version:
            migrate(backend, migrations)
    except BaseException:
        backend.close()
        raise
    return SessionStore(backend)
