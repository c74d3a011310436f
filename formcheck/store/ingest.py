"""From a written report to a stored session: the one call ``analyze``, ``batch`` and
``live`` make after writing their reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from formcheck.store.records import (
    SessionRecord,
    record_from_report,
    recording_fingerprint,
    recording_time,
    session_time,
    spec_digest,
)


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
    spec: Any = None,
    pain_before: int | None = None,
    pain_after: int | None = None,
) -> SessionRecord:
    """The record of one report, with its date and identity worked out.

    Args:
        report: the JSON report as written.
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
            the unit of its rep signal.
        pain_before, pain_after: 0-10 or ``None``.
    """
    if fingerprint is None:
        if recording is None:
            raise ValueError("report_record needs a recording or a fingerprint")
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


def rep_unit(spec: Any) -> str | None:
    """The unit of a spec's rep signal (``"°"``, ``""``), ``None`` without reps."""
    if spec is None or spec.reps is None:
        return None
    from formcheck.report.html import signal_unit

    return signal_unit(spec, spec.reps.signal)


def live_records(
    sets: Sequence[tuple[Mapping[str, Any], Path | None]],
    *,
    patient: str,
    started: datetime,
    specs: Sequence[Any],
    day: date | None = None,
    pain_before: int | None = None,
    pain_after: int | None = None,
) -> list[SessionRecord]:
    """The records of a live session's sets: one sitting, rated once for pain.

    Args:
        sets: each set's report (with its ``live`` section) and where it was written.
        patient: the patient's pseudonym.
        started: when the session started; each set starts ``set_started_s`` later.
        specs: the session's specs (program overrides applied), by their ids.
        day: ``--date``, else the day of ``started``.
        pain_before, pain_after: the session's ratings, or ``None``.
    """
    by_id = {spec.id: spec for spec in specs}
    sitting = f"live:{started.isoformat()}"
    records = []
    for report, path in sets:
        live = report.get("live") or {}
        exercise = str((report.get("exercise") or {}).get("id"))
        position = f"{live.get('program_position')}:{exercise}:{live.get('set')}"
        records.append(
            report_record(
                report,
                patient=patient,
                source="live",
                report_path=path,
                fingerprint=f"{sitting}:{position}",
                day=day,
                started_at=started + timedelta(seconds=live.get("set_started_s") or 0.0),
                sitting=sitting,
                spec=by_id.get(exercise),
                pain_before=pain_before,
                pain_after=pain_after,
            )
        )
    return records
