"""The session database's tables, their version, and the migrations between versions.

``formcheck_meta`` holds ``application = formcheck`` and ``schema_version``. Opening
a database applies, in one transaction under an exclusive lock, every migration
newer than its version: two processes opening a new database at once create the
tables once, and a migration that fails leaves the database as it was. A
database written by a newer formcheck (a version this code does not know) is
refused rather than guessed at, and so is a database that belongs to another
application.

Migrations are only ever appended; a released one is never edited. Types are
chosen to mean the same on SQLite and PostgreSQL: dates and times are ISO 8601
text (they sort as text), booleans are 0/1 integers, measurements are
``DOUBLE PRECISION``, and the whole JSON report is kept as text in the last
column, so what the report carries beyond these columns is never lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from formcheck.store.backend import Backend, StoreError

APPLICATION = "formcheck"
META_TABLE = "formcheck_meta"
SESSION_TABLES = ("sessions", "reps", "holds", "faults")


@dataclass(frozen=True)
class Migration:
    """One step of the schema.

    Attributes:
        version: the schema version once this step is applied.
        description: what it changes, for people reading the history.
        statements: SQL run in order; ``{id}`` is replaced by the backend's
            auto-numbered primary key type.
    """

    version: int
    description: str
    statements: tuple[str, ...]


_PAIN = "INTEGER CHECK ({0} IS NULL OR ({0} >= 0 AND {0} <= 10))"

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "sessions with their reps, holds, faults and the whole JSON report",
        (
            f"CREATE TABLE {META_TABLE} (key VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL)",
            f"""CREATE TABLE sessions (
                id {{id}},
                session_key VARCHAR(64) NOT NULL UNIQUE,
                patient TEXT NOT NULL,
                session_date VARCHAR(10) NOT NULL,
                started_at VARCHAR(32),
                sitting TEXT NOT NULL,
                exercise TEXT NOT NULL,
                exercise_title TEXT NOT NULL,
                kind TEXT NOT NULL,
                spec_version TEXT,
                source TEXT NOT NULL,
                recording TEXT NOT NULL,
                report_path TEXT,
                duration_s DOUBLE PRECISION,
                reps_total INTEGER NOT NULL,
                reps_left INTEGER,
                reps_right INTEGER,
                reps_good INTEGER NOT NULL,
                reps_target_min INTEGER,
                reps_target_max INTEGER,
                hold_target_min_s DOUBLE PRECISION,
                hold_target_max_s DOUBLE PRECISION,
                target_per_side INTEGER,
                sets_prescribed INTEGER,
                target_met INTEGER,
                best_hold_s DOUBLE PRECISION,
                pain_before {_PAIN.format("pain_before")},
                pain_after {_PAIN.format("pain_after")},
                form_assessed INTEGER,
                rom_unit TEXT,
                warnings TEXT NOT NULL,
                recorded_at VARCHAR(40) NOT NULL,
                formcheck_version TEXT NOT NULL,
                report TEXT NOT NULL
            )""",
            "CREATE INDEX sessions_by_patient_date ON sessions (patient, session_date)",
            """CREATE TABLE reps (
                session_id BIGINT NOT NULL REFERENCES sessions (id),
                idx INTEGER NOT NULL,
                side TEXT,
                start_s DOUBLE PRECISION,
                end_s DOUBLE PRECISION,
                peak DOUBLE PRECISION,
                rom DOUBLE PRECISION,
                outbound_s DOUBLE PRECISION,
                return_s DOUBLE PRECISION,
                hold_s DOUBLE PRECISION,
                good INTEGER NOT NULL,
                PRIMARY KEY (session_id, idx)
            )""",
            """CREATE TABLE holds (
                session_id BIGINT NOT NULL REFERENCES sessions (id),
                idx INTEGER NOT NULL,
                side TEXT,
                start_s DOUBLE PRECISION,
                end_s DOUBLE PRECISION,
                duration_s DOUBLE PRECISION NOT NULL,
                target_s DOUBLE PRECISION,
                PRIMARY KEY (session_id, idx)
            )""",
            """CREATE TABLE faults (
                session_id BIGINT NOT NULL REFERENCES sessions (id),
                idx INTEGER NOT NULL,
                kind TEXT NOT NULL,
                fault_id TEXT NOT NULL,
                start_s DOUBLE PRECISION,
                end_s DOUBLE PRECISION,
                severity TEXT,
                side TEXT,
                message TEXT NOT NULL,
                PRIMARY KEY (session_id, idx)
            )""",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def schema_version(backend: Backend) -> int:
    """The database's schema version (0 when it is new), reading only.

    Raises:
        StoreError: the database belongs to another application.
    """
    tables = backend.table_names()
    if META_TABLE not in tables:
        # A SQLite file is formcheck's alone; a PostgreSQL schema may be shared,
        # but not with tables of the names formcheck uses.
        clash = sorted(tables if backend.name == "sqlite" else tables & set(SESSION_TABLES))
        if clash:
            raise StoreError(
                f"{backend.location!r} is not a formcheck session database (it holds the "
                f"tables {', '.join(clash[:5])}); formcheck left it unchanged: choose "
                "another --db"
            )
        return 0
    meta = dict(backend.query(f"SELECT key, value FROM {META_TABLE}"))
    if meta.get("application") != APPLICATION or not str(meta.get("schema_version")).isdigit():
        raise StoreError(
            f"{backend.location!r} has a {META_TABLE} table that formcheck did not write; "
            "formcheck left it unchanged: choose another --db"
        )
    return int(meta["schema_version"])


def _check_known(backend: Backend, version: int, latest: int) -> None:
    if version > latest:
        raise StoreError(
            f"the session database {backend.location!r} has schema version {version}, "
            f"written by a newer formcheck; this one knows up to version {latest}: "
            "upgrade formcheck"
        )


def migrate(backend: Backend, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the database to the newest version in ``migrations``; returns it.

    Raises:
        StoreError: a foreign or newer database, or a migration that failed (the
            database is then left at its previous version).
    """
    latest = migrations[-1].version
    with backend.errors(), backend.write():
        backend.lock_schema()
        version = schema_version(backend)  # again, locked: another process may have migrated
        _check_known(backend, version, latest)
        for migration in migrations:
            if migration.version <= version:
                continue
            for statement in migration.statements:
                backend.execute(statement.replace("{id}", backend.id_column))
            _set_meta(backend, "application", APPLICATION)
            _set_meta(backend, "schema_version", str(migration.version))
            version = migration.version
    return version


def _set_meta(backend: Backend, key: str, value: str) -> None:
    backend.execute(f"DELETE FROM {META_TABLE} WHERE key = ?", (key,))
    backend.execute(f"INSERT INTO {META_TABLE} (key, value) VALUES (?, ?)", (key, value))
