"""The session store: every analysed session remembered, per patient.

A session (one recording or live set of one exercise) is recorded from its JSON
report with the patient's pseudonym, the day, optional pain ratings and the
path of the report; video is never stored. SQLite is the default (a file in the
user's data folder, or ``--db PATH`` / ``$FORMCHECK_DB``); a ``postgresql://``
URL writes to a PostgreSQL server instead (``pip install 'formcheck[postgres]'``).

Library use::

    from formcheck.store import open_store, record_from_report, session_time

    with open_store("clinic.db") as store:
        store.record(record_from_report(report, patient="p017", source="analyze",
                                        fingerprint=sha256, when=session_time(None, None)))
        sessions = store.sessions("p017")
"""

from formcheck.store.backend import (
    DB_ENV,
    DB_FILE_NAME,
    StoreError,
    default_db_path,
    resolve_target,
)
from formcheck.store.records import (
    PAIN_MAX,
    PAIN_MIN,
    FaultRow,
    HoldRow,
    InvalidSession,
    RepRow,
    Session,
    SessionRecord,
    SessionTime,
    check_pain,
    check_patient,
    record_from_report,
    recording_fingerprint,
    recording_time,
    session_time,
    spec_digest,
)
from formcheck.store.schema import MIGRATIONS, SCHEMA_VERSION, Migration
from formcheck.store.store import PatientSummary, Recorded, SessionStore, open_store

__all__ = [
    "DB_ENV",
    "DB_FILE_NAME",
    "MIGRATIONS",
    "PAIN_MAX",
    "PAIN_MIN",
    "SCHEMA_VERSION",
    "FaultRow",
    "HoldRow",
    "InvalidSession",
    "Migration",
    "PatientSummary",
    "Recorded",
    "RepRow",
    "Session",
    "SessionRecord",
    "SessionStore",
    "SessionTime",
    "StoreError",
    "check_pain",
    "check_patient",
    "default_db_path",
    "open_store",
    "record_from_report",
    "recording_fingerprint",
    "recording_time",
    "resolve_target",
    "session_time",
    "spec_digest",
]
