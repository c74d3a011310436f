"""Connections to the session database: a SQLite file, or a PostgreSQL server.

Both speak the same SQL (written with ``?`` placeholders; PostgreSQL gets ``%s``)
through their DB-API drivers: Python's own ``sqlite3`` for the default file, and
psycopg 3 (the optional ``formcheck[postgres]`` extra) for a clinic's server.

SQLite runs in WAL mode with a busy timeout, and every write takes the write
lock up front (``BEGIN IMMEDIATE``), so several processes can record at once:
they queue for the lock instead of failing. A file that is not a SQLite
database, or that is damaged, is reported with :class:`StoreError` and never
written to: the checks that decide this only read.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import platformdirs

from formcheck.errors import ExitCode, FormcheckError

DB_ENV = "FORMCHECK_DB"
DB_FILE_NAME = "sessions.db"
BUSY_TIMEOUT_S = 60.0
CONNECT_TIMEOUT_S = 10
WAL_RETRY_S = 0.05  # between tries of the WAL switch while another process holds the file
POSTGRES_SCHEMES = ("postgresql", "postgres")
_SQLITE_HEADER = b"SQLite format 3\x00"
_SQLITE_HEADER_BYTES = 100
# Any constant works: it only has to be the same for every formcheck process.
_PG_SCHEMA_LOCK = 0x666F726D  # "form"

Params = Sequence[Any]


class StoreError(FormcheckError):
    """The session database cannot be opened, read or written (exit code 3)."""

    exit_code = ExitCode.INPUT


def default_db_path() -> Path:
    """``<user data dir>/sessions.db`` (e.g. ``~/.local/share/formcheck`` on Linux)."""
    return Path(platformdirs.user_data_dir("formcheck")) / DB_FILE_NAME


def resolve_target(db: str | os.PathLike[str] | None) -> str:
    """The database to use: ``db``, else ``$FORMCHECK_DB``, else the default file."""
    if db is not None and str(db):
        return str(db)
    return os.environ.get(DB_ENV) or str(default_db_path())


def is_postgres_url(target: str) -> bool:
    """True for ``postgresql://...`` (or ``postgres://...``) URLs."""
    return urlsplit(target).scheme in POSTGRES_SCHEMES


def redact(url: str) -> str:
    """A URL safe to print: the password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = (parts.username or "") + ":***"
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[-1]}"))


class Backend(ABC):
    """One open connection and the SQL dialect it needs.

    Attributes:
        name: ``"sqlite"`` or ``"postgresql"``.
        location: what to show the user (a path, or the URL without its password).
        id_column: the DDL of an auto-numbered integer primary key.
    """

    name = ""
    id_column = ""

    def __init__(self, connection: Any, location: str) -> None:
        self.connection = connection
        self.location = location

    def sql(self, text: str) -> str:
        """``text`` in this driver's placeholder style."""
        return text

    def execute(self, text: str, params: Params = ()) -> Any:
        """Run one statement; returns the driver's cursor."""
        return self.connection.execute(self.sql(text), tuple(params))

    def executemany(self, text: str, rows: Sequence[Params]) -> None:
        if rows:
            self.connection.executemany(self.sql(text), rows)

    def query(self, text: str, params: Params = ()) -> list[tuple[Any, ...]]:
        return list(self.execute(text, params).fetchall())

    @abstractmethod
    def table_names(self) -> set[str]:
        """Names of the tables this database holds (in the current schema)."""

    @abstractmethod
    def write(self) -> contextlib.AbstractContextManager[None]:
        """A write transaction; concurrent writers wait for each other."""

    @abstractmethod
    def read(self) -> contextlib.AbstractContextManager[None]:
        """A read transaction: one consistent snapshot for several queries."""

    @abstractmethod
    def lock_schema(self) -> None:
        """Inside ``write()``: make schema changes exclusive to this process."""

    @abstractmethod
    def after_delete(self) -> str:
        """Make deleted rows unrecoverable where the backend allows; says what was done."""

    @abstractmethod
    def errors(self) -> contextlib.AbstractContextManager[None]:
        """Turn driver errors into :class:`StoreError` naming the database."""

    def close(self) -> None:
        self.connection.close()


class SQLiteBackend(Backend):
    """A SQLite file in WAL mode."""

    name = "sqlite"
    id_column = "INTEGER PRIMARY KEY"

    def table_names(self) -> set[str]:
        rows = self.query("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        self.connection.execute("BEGIN")
        try:
            yield
        finally:
            self.connection.execute("COMMIT")

    def lock_schema(self) -> None:
        """Nothing to do: ``BEGIN IMMEDIATE`` already shuts out every other writer."""

    def after_delete(self) -> str:
        # secure_delete zeroed the freed pages in the WAL; a checkpoint copies them
        # over the old content in the database file itself.
        busy, _, _ = self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            return (
                "another process has the database open: the deleted data is unreadable "
                "through formcheck but stays in the file until it closes"
            )
        return "the freed space was overwritten with zeros"

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            raise StoreError(sqlite_problem(self.location, error)) from error


class PostgresBackend(Backend):
    """A PostgreSQL database reached through psycopg 3."""

    name = "postgresql"
    id_column = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"

    def sql(self, text: str) -> str:
        if "%" in text:
            raise ValueError(f"SQL must not contain '%' (psycopg placeholders): {text!r}")
        return text.replace("?", "%s")

    def executemany(self, text: str, rows: Sequence[Params]) -> None:
        if rows:
            with self.connection.cursor() as cursor:
                cursor.executemany(self.sql(text), rows)

    def table_names(self) -> set[str]:
        rows = self.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
        return {name for (name,) in rows}

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self.connection.transaction():
            yield

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self.connection.transaction():
            self.connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield

    def lock_schema(self) -> None:
        self.execute("SELECT pg_advisory_xact_lock(?)", (_PG_SCHEMA_LOCK,))

    def after_delete(self) -> str:
        return "PostgreSQL keeps the deleted rows on disk until VACUUM reclaims them"

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        import psycopg

        try:
            yield
        except psycopg.Error as error:
            detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise StoreError(
                f"PostgreSQL database {self.location}: {detail or type(error).__name__}"
            ) from error


def sqlite_problem(location: str, error: sqlite3.Error) -> str:
    """A one-line explanation of a SQLite error, for the user."""
    text = str(error)
    if isinstance(error, sqlite3.DatabaseError) and (
        "malformed" in text or "not a database" in text or "corrupt" in text
    ):
        return (
            f"the session database {location!r} is damaged ({text}); formcheck left it "
            "unchanged: restore it from a backup, or move it away to start a new one"
        )
    if "locked" in text or "busy" in text:
        return (
            f"the session database {location!r} stayed locked by another process for "
            f"{BUSY_TIMEOUT_S:.0f} s ({text})"
        )
    return f"session database {location!r}: {text}"


def _check_sqlite_file(path: Path) -> None:
    """Refuse a path that is not a SQLite database, reading only."""
    if path.is_dir():
        raise StoreError(f"session database {str(path)!r} is a folder, not a file")
    if not path.exists():
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(_SQLITE_HEADER_BYTES)
    except OSError as error:
        raise StoreError(f"cannot read session database {str(path)!r}: {error}") from None
    if not head:
        return  # an empty file: SQLite makes it a new database
    if not head.startswith(_SQLITE_HEADER):
        raise StoreError(
            f"{str(path)!r} is not a SQLite database (its first bytes are not the SQLite "
            "header); formcheck left it unchanged: give --db a new file or a formcheck "
            "session database"
        )
    if len(head) < _SQLITE_HEADER_BYTES:
        raise StoreError(
            f"the session database {str(path)!r} is damaged (truncated to {len(head)} bytes); "
            "formcheck left it unchanged"
        )


def open_sqlite(path: Path) -> SQLiteBackend:
    """Open (creating if needed) the SQLite file at ``path``.

    Raises:
        StoreError: not a SQLite file, damaged, or its folder cannot be created.
    """
    _check_sqlite_file(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"cannot create the folder of {str(path)!r}: {error}") from None
    location = str(path)
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as error:
        raise StoreError(sqlite_problem(location, error)) from None
    backend = SQLiteBackend(connection, location)
    with backend.errors():
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA secure_delete = ON")
    return backend


def enable_wal(backend: SQLiteBackend) -> None:
    """Switch a formcheck SQLite file to WAL mode (readers never block the writer).

    Changing the journal mode needs the file to itself. While another process holds a
    write lock on it (creating the same new database), SQLite answers "locked" at once
    instead of waiting its busy timeout (the wait could deadlock), so the switch is
    retried for up to ``BUSY_TIMEOUT_S``, as long as any other write waits.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    with backend.errors():
        while True:
            try:
                (mode,) = backend.execute("PRAGMA journal_mode = WAL").fetchone()
                break
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() >= deadline:
                    raise
                time.sleep(WAL_RETRY_S)
    if str(mode).lower() != "wal":
        raise StoreError(
            f"session database {backend.location!r}: cannot use WAL mode (journal mode "
            f"stays {mode!r}); is it on a network drive?"
        )


def open_postgres(url: str) -> PostgresBackend:
    """Connect to a PostgreSQL database by URL (``postgresql://user@host/db``).

    Raises:
        StoreError: psycopg is not installed, or the server cannot be reached.
    """
    try:
        import psycopg
    except ImportError:
        raise StoreError(
            "a PostgreSQL --db needs the psycopg driver: pip install 'formcheck[postgres]'"
        ) from None
    location = redact(url)
    try:
        connection = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.Error as error:
        first = str(error).strip().splitlines()
        raise StoreError(
            f"cannot connect to PostgreSQL {location}: {first[0] if first else error}"
        ) from None
    return PostgresBackend(connection, location)


def open_backend(target: str) -> Backend:
    """A PostgreSQL URL or a SQLite file path → an open :class:`Backend`."""
    if is_postgres_url(target):
        return open_postgres(target)
    if re.match(r"^[a-z][a-z0-9+.-]*://", target):
        raise StoreError(
            f"unsupported database URL {redact(target)!r}: give a file path (SQLite) "
            "or a postgresql:// URL"
        )
    return open_sqlite(Path(target).expanduser())
