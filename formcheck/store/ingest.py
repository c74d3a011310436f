"""From an analysis to a stored session: the one call ``analyze``, ``batch`` and
``live`` make after writing their reports.

``analyze`` and ``live`` hold the typed :class:`~formcheck.report.Report`; ``batch``
records from the JSON reports its workers wrote (also those of earlier runs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formcheck.errors import UsageError
from formcheck.store.records import (
    SessionRecord,
    check_pain,
    check_patient,
    record_from_report,
    recording_fingerprint,
    recording_time,
    session_time,
    spec_digest,
)
from formcheck.store.store import Recorded, SessionStore, open_store

if TYPE_CHECKING:  # the report stage imports the engine; the store needs none of it
    from formcheck.report import Report
    from formcheck.specs.schema import ExerciseSpec


@dataclass(frozen=True)
class RecordOptions:
    """Whether and how an ``analyze`` run or a ``live`` session is recorded.

    Attributes:
        patient: the patient's pseudonym; ``None``: nothing is recorded.
        db: a SQLite file or a ``postgresql://`` URL; ``None``: ``$FORMCHECK_DB``,
            else the default file (:func:`~formcheck.store.resolve_target`).
        day: the session's date, overriding the recording's own.
        pain_before, pain_after: 0-10, ``None`` when not rated.
    """

    patient: str | None = None
    db: str | None = None
    day: date | None = None
    pain_before: int | None = None
    pain_after: int | None = None

    def open(self) -> SessionStore | None:
        """The store to record into, checked and opened before any analysis (a bad
        label or ``--db`` fails at once); ``None`` without a patient.

        Raises:
            UsageError, InvalidSession: as :meth:`check`.
            StoreError: the database cannot be opened.
        """
        self.check()
        return open_store(self.db) if self.patient else None

    def check(self) -> None:
        """Check the options without touching any file (before outputs are made).

        Raises:
            UsageError: a database, date or pain rating given without a patient.
            InvalidSession: a patient label or pain rating that cannot be recorded.
        """
        if not self.patient:
            given = [
                flag
                for flag, value in (
                    ("--db", self.db),
                    ("--date", self.day),
                    ("--pain-before", self.pain_before),
                    ("--pain-after", self.pain_after),
                )
                if value is not None
            ]
            if given:
                raise UsageError(
                    f"{', '.join(given)} record a session: name the patient with --patient"
                )
            return
        check_patient(self.patient)
        check_pain(self.pain_before, "before")
        check_pain(self.pain_after, "after")


def _patient(options: RecordOptions) -> str:
    if not options.patient:
        raise UsageError("a session is recorded for a patient: name one")
    return options.patient


def rep_unit(spec: ExerciseSpec | None) -> str | None:
    """The unit of a spec's rep signal (``"°"``, ``""`` for a fraction of a length),
    ``None`` without reps."""
    if spec is None or spec.reps is None:
        return None
    from formcheck.report.result import is_angle_signal

    return "°" if is_angle_signal(spec, spec.reps.signal) else ""


def report_record(
    report: Mapping[str, Any],
    *,
    patient: str,
    source: str,
    report_path: Path | None,
    recording: Path | None = None,
    fingerprint: str | None = None,
    day: date | None = None,
    started_at: datetime | None = None,
    sitting: str | None = None,
    spec: ExerciseSpec | None = None,
    pain_before: int | None = None,
    pain_after: int | None = None,
) -> SessionRecord:
    """The record of one JSON report (as written), with its date and identity worked out.

    Args:
        report: the JSON report.
        patient: the patient's pseudonym.
        source: ``analyze``, ``batch`` or ``live``.
        report_path: where the report was written.
        recording: the analysed file or folder: its content identifies the
            session and its ``creation_time`` dates it.
        fingerprint: the identity when already known (batch hashes every video;
            a live set has no file); default: the recording's SHA-256.
        day: ``--date``: the session's day, overriding the recording's.
        started_at: when it started (live), instead of the recording's time.
        sitting: the sitting it belongs to (live: the session; default: itself).
        spec: the spec used: its digest is stored as the spec version, with whether
            it judges form at all (a spec without faults only counts or times) and
            the unit of its rep signal; ``None``: unknown.
        pain_before, pain_after: 0-10 or ``None``.
    """
    if fingerprint is None:
        if recording is None:
            raise ValueError("a session record needs a recording or a fingerprint")
        fingerprint = recording_fingerprint(recording)
    if started_at is None and day is None and recording is not None:
        started_at = recording_time(recording)
    return record_from_report(
        report,
        patient=patient,
        source=source,
        fingerprint=fingerprint,
        when=session_time(day, started_at),
        sitting=sitting,
        report_path=str(report_path.absolute()) if report_path else None,
        spec_version=spec_digest(spec) if spec is not None else None,
        pain_before=pain_before,
        pain_after=pain_after,
        form_assessed=bool(spec.faults) if spec is not None else None,
        rom_unit=rep_unit(spec),
    )


def analysis_record(
    report: Report, recording: Path, report_path: Path | None, options: RecordOptions
) -> SessionRecord:
    """The record of one analysed recording (``formcheck analyze --patient``).

    Raises:
        UsageError: ``options`` names no patient.
    """
    return report_record(
        report.to_dict(),
        spec=report.spec,
        patient=_patient(options),
        source="analyze",
        report_path=report_path,
        recording=recording,
        day=options.day,
        pain_before=options.pain_before,
        pain_after=options.pain_after,
    )


def live_records(
    sets: Sequence[tuple[Report, Path | None]], started: datetime, options: RecordOptions
) -> list[SessionRecord]:
    """The records of a live session's sets: one sitting, rated once for pain.

    Args:
        sets: each set's report (with its ``live`` section) and where it was written.
        started: when the session started; each set starts ``set_started_s`` later.
        options: the patient, ``day`` (``--date``, else the day of ``started``) and
            the session's pain ratings.

    Raises:
        UsageError: ``options`` names no patient.
    """
    patient = _patient(options)
    sitting = f"live:{started.isoformat()}"
    records = []
    for report, path in sets:
        live = report.live
        position = f"{live.program_position}:{report.spec.id}:{live.set}" if live else "?"
        offset_s = live.set_started_s if live else 0.0
        records.append(
            report_record(
                report.to_dict(),
                spec=report.spec,
                patient=patient,
                source="live",
                report_path=path,
                fingerprint=f"{sitting}:{position}",
                day=options.day,
                started_at=started + timedelta(seconds=offset_s),
                sitting=sitting,
                pain_before=options.pain_before,
                pain_after=options.pain_after,
            )
        )
    return records


def recorded_line(store: SessionStore, recorded: Recorded, record: SessionRecord) -> str:
    """One line telling the user what was stored where."""
    session = record.session
    what = "recorded" if recorded.new else "updated (this recording was stored before)"
    return (
        f"Session {what}: patient {session.patient}, {session.exercise}, "
        f"{session.session_date.isoformat()}, in {store.location}"
    )
