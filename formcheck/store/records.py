"""What the store keeps of one session, built from a JSON report.

A :class:`Session` is one analysed recording or live set of one exercise by one
patient on one day: the report's counts, reps, holds, faults and targets, plus
what the report does not know (the patient, the date, the pain ratings, where the
report was written). :func:`record_from_report` reads the report contract
(docs/report.md) defensively, so reports of other schema versions still record;
the store keeps the whole report beside these fields.

The identity of a session (:func:`session_key`) is the patient, the exercise,
what was analysed (the recording's content hash, or a live set) and, only when
one was given, the date: re-importing the same recordings replaces their
sessions instead of adding new ones, while importing one recording under two
explicit dates makes two sessions.
"""

from __future__ import annotations

import hashlib
import json
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from formcheck.bounds import PATIENT_MAX_CHARS
from formcheck.errors import ExitCode, FormcheckError

FaultKind = Literal["form", "dosage"]
SOURCES: tuple[str, ...] = ("analyze", "batch", "live")
PAIN_MIN, PAIN_MAX = 0, 10
_EARLIEST_RECORDING = datetime(1990, 1, 1)


class InvalidSession(FormcheckError):
    """A patient label, pain rating or date that cannot be recorded (exit code 2)."""

    exit_code = ExitCode.USAGE


def check_patient(patient: str) -> str:
    """``patient`` stripped, or :class:`InvalidSession` when it cannot be a label.

    A patient is a pseudonym (``p017``, ``Knee-clinic 12``): 1 to 64 characters,
    no control characters.
    """
    text = patient.strip()
    if not text:
        raise InvalidSession("the patient label is empty")
    if len(text) > PATIENT_MAX_CHARS:
        raise InvalidSession(
            f"the patient label {text[:20]!r}... is longer than {PATIENT_MAX_CHARS} characters"
        )
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text):
        raise InvalidSession(f"the patient label {text!r} contains control characters")
    return text


def check_pain(value: int | None, when: str) -> int | None:
    """A pain rating 0-10 (``None``: not asked or skipped)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not PAIN_MIN <= value <= PAIN_MAX:
        raise InvalidSession(f"pain {when} must be a whole number from 0 to 10, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class RepRow:
    """One rep (docs/report.md, rep details); angles in degrees, times in seconds."""

    index: int
    side: str | None
    start_s: float | None
    end_s: float | None
    peak: float | None
    rom: float | None
    outbound_s: float | None
    return_s: float | None
    hold_s: float | None
    good: bool

    @property
    def timing(self) -> tuple[float | None, float | None, float | None]:
        """``(outbound_s, return_s, hold_s)``: the rep's tempo."""
        return (self.outbound_s, self.return_s, self.hold_s)


@dataclass(frozen=True, slots=True)
class HoldRow:
    """One hold: time in the correct posture, against its target."""

    side: str | None
    start_s: float | None
    end_s: float | None
    duration_s: float
    target_s: float | None


@dataclass(frozen=True, slots=True)
class FaultRow:
    """A form fault (``kind="form"``) or a dosage shortfall (``kind="dosage"``)."""

    kind: FaultKind
    id: str
    start_s: float | None
    end_s: float | None
    severity: str | None
    side: str | None
    message: str


@dataclass(frozen=True)
class Session:
    """One session of one exercise, as the store keeps it.

    Attributes:
        patient: the patient's pseudonym.
        session_date: the day it was done (the patient's local calendar).
        started_at: local start time, or ``None`` when only the day is known.
        sitting: groups the sets done in one sitting (a live session, an analysis);
            pain is rated once per sitting.
        exercise, exercise_title, kind: the spec's id, title and kind.
        spec_version: digest of the spec the analysis used (program overrides count).
        source: ``analyze``, ``batch`` or ``live``.
        recording: the recording's name (or ``live``), report_path: its JSON report.
        reps_*: counts; ``reps_left``/``reps_right`` are ``None`` without sides.
        reps_target: the prescription (low, high) per set, hold_target_s likewise;
            target_per_side: they apply to each side.
        best_hold_s: the longest hold (any side), ``None`` without holds.
        pain_before, pain_after: 0-10, ``None`` when not rated.
        form_assessed: the spec judges form (has faults); False for one that only
            counts or times, where "good form" would mean nothing; ``None``: unknown.
        rom_unit: unit of the reps' ``rom`` and ``peak`` (``"°"`` for angles, ``""``
            for fractions of a length; ``None``: unknown).
        id: the store's number for it (``None`` until stored).
    """

    patient: str
    session_date: date
    started_at: datetime | None
    sitting: str
    exercise: str
    exercise_title: str
    kind: str
    spec_version: str | None
    source: str
    recording: str
    report_path: str | None
    duration_s: float | None
    reps_total: int
    reps_left: int | None
    reps_right: int | None
    reps_good: int
    reps_target: tuple[int, int] | None
    hold_target_s: tuple[float, float] | None
    target_per_side: bool | None
    sets_prescribed: int | None
    target_met: bool | None
    best_hold_s: float | None
    pain_before: int | None
    pain_after: int | None
    form_assessed: bool | None = None
    rom_unit: str | None = None
    warnings: tuple[str, ...] = ()
    reps: tuple[RepRow, ...] = ()
    holds: tuple[HoldRow, ...] = ()
    faults: tuple[FaultRow, ...] = ()
    id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "patient", check_patient(self.patient))
        check_pain(self.pain_before, "before")
        check_pain(self.pain_after, "after")
        if self.source not in SOURCES:
            raise InvalidSession(f"source must be one of {SOURCES}, got {self.source!r}")

    @property
    def good_share(self) -> float | None:
        """Share of reps with good form (``None`` without reps)."""
        return self.reps_good / self.reps_total if self.reps_total else None


@dataclass(frozen=True)
class SessionRecord:
    """A session to store, with its identity and the whole report it came from."""

    session: Session
    key: str
    report: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionTime:
    """When a session happened and whether the day was given explicitly."""

    day: date
    started_at: datetime | None
    explicit: bool


def session_time(
    given: date | None, recorded: datetime | None, now: datetime | None = None
) -> SessionTime:
    """The session's date: ``given`` (``--date``), else the recording's own time,
    else now.

    Example:
        >>> session_time(date(2026, 11, 1), None).day
        datetime.date(2026, 11, 1)
    """
    if given is not None:
        return SessionTime(given, None, True)
    moment = recorded or (now or datetime.now()).replace(microsecond=0)
    return SessionTime(moment.date(), moment, False)


def session_key(patient: str, exercise: str, fingerprint: str, explicit_day: date | None) -> str:
    """The identity of a session (hex SHA-256), stable across re-imports."""
    parts = [patient, exercise, fingerprint, explicit_day.isoformat() if explicit_day else None]
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()


def spec_digest(spec: Any) -> str:
    """A short digest of a spec's whole content: it changes when the spec (or a
    program's override of it) does."""
    from formcheck.specs.parse import to_table

    text = json.dumps(to_table(spec), sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def recording_fingerprint(path: Path) -> str:
    """SHA-256 of a recording: a file's bytes, or an image folder's names and bytes."""

    def file_sha256(file: Path) -> str:
        with file.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()

    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        listing = [(p.relative_to(path).as_posix(), file_sha256(p)) for p in files]
        return hashlib.sha256(json.dumps(listing).encode("utf-8")).hexdigest()
    return file_sha256(path)


def recording_time(path: Path) -> datetime | None:
    """The local time a video was recorded, from its ``creation_time`` metadata.

    ``None`` for files without it (or with a placeholder such as 1970), image
    folders and landmark files.
    """
    if not path.is_file() or path.suffix.lower() == ".npz":
        return None
    import av

    try:
        with av.open(str(path)) as container:
            tags = [container.metadata, *(s.metadata for s in container.streams)]
    except (av.FFmpegError, OSError, UnicodeDecodeError):
        return None
    for tag in tags:
        text = str(tag.get("creation_time", "")).strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            continue
        if moment.tzinfo is not None:
            moment = moment.astimezone().replace(tzinfo=None)
        if _EARLIEST_RECORDING <= moment <= datetime.now():
            return moment.replace(microsecond=0)
    return None


# --- reading the report contract ---------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _count(value: Any) -> int | None:
    number = _number(value)
    return round(number) if number is not None else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _range(value: Any) -> tuple[float, float] | None:
    """A ``[low, high]`` pair of numbers, else ``None``."""
    if isinstance(value, (list, tuple)) and len(value) == 2:
        low, high = _number(value[0]), _number(value[1])
        if low is not None and high is not None:
            return (low, high)
    return None


def _reps(report: Mapping[str, Any]) -> tuple[RepRow, ...]:
    details = _dicts((report.get("reps") or {}).get("details"))
    return tuple(
        RepRow(
            index=_count(rep.get("index")) or i + 1,
            side=_text(rep.get("side")),
            start_s=_number(rep.get("start_s")),
            end_s=_number(rep.get("end_s")),
            peak=_number(rep.get("peak")),
            rom=_number(rep.get("rom")),
            outbound_s=_number(rep.get("outbound_s")),
            return_s=_number(rep.get("return_s")),
            hold_s=_number(rep.get("hold_s")),
            good=rep.get("good") is True,
        )
        for i, rep in enumerate(details)
    )


def _holds(report: Mapping[str, Any]) -> tuple[HoldRow, ...]:
    return tuple(
        HoldRow(
            side=_text(hold.get("side")),
            start_s=_number(hold.get("start_s")),
            end_s=_number(hold.get("end_s")),
            duration_s=_number(hold.get("duration_s")) or 0.0,
            target_s=_number(hold.get("target_s")),
        )
        for hold in _dicts(report.get("holds"))
    )


def _faults(report: Mapping[str, Any]) -> tuple[FaultRow, ...]:
    """Form faults, then dosage shortfalls (from the report's ``dosage``)."""
    rows = [
        FaultRow(
            kind="form",
            id=(fault_id := _text(item.get("id")) or "form"),
            start_s=_number(item.get("start_s")),
            end_s=_number(item.get("end_s")),
            severity=_text(item.get("severity")),
            side=_text(item.get("side")),
            message=_text(item.get("message")) or fault_id,
        )
        for item in _dicts(report.get("faults"))
    ]
    rows += [
        FaultRow("dosage", dosage_id, None, None, None, None, message)
        for dosage_id, message in _shortfalls(report)
    ]
    return tuple(rows)


def _shortfalls(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(id, message)`` of each way the session fell short of its prescription: too
    few reps (per side where prescribed so), reps not held long enough at the working
    position, a hold shorter than prescribed."""
    dosage, view = report.get("dosage"), report.get("view")
    if not isinstance(dosage, Mapping):
        return []
    if isinstance(view, Mapping) and view.get("not_measurable") is True:
        return []  # filmed from where the count cannot be measured: no shortfall known
    found = []
    reps_target = _range(dosage.get("reps_target"))
    reps = report.get("reps")
    reps = reps if isinstance(reps, Mapping) else {}
    if dosage.get("per_side") is True:
        sides = [_count(reps.get(side)) for side in ("left", "right")]
        done = min((n for n in sides if n is not None), default=None)
        per = " on a side"
    else:
        done, per = _count(dosage.get("reps_done")), ""
    if reps_target is not None and done is not None and done < reps_target[0]:
        found.append(("reps_below_target", f"{done} reps{per} of {reps_target[0]:g} prescribed"))
    held, holds = _count(dosage.get("reps_held")), dosage.get("peak_holds_s")
    target_s = _number(dosage.get("peak_hold_target_s"))
    if held is not None and isinstance(holds, list) and target_s is not None and held < len(holds):
        name = _text(dosage.get("peak_name")) or "working position"
        found.append(
            ("peak_hold_short", f"{name} held {target_s:g} s on {held} of {len(holds)} reps")
        )
    hold_target, best = _range(dosage.get("hold_target_s")), _number(dosage.get("best_hold_s"))
    if hold_target is not None and best is not None and best < hold_target[0]:
        found.append(("hold_below_target", f"longest hold {best:.1f} s of {hold_target[0]:g} s"))
    return found


def record_from_report(
    report: Mapping[str, Any],
    *,
    patient: str,
    source: str,
    fingerprint: str,
    when: SessionTime,
    sitting: str | None = None,
    report_path: str | None = None,
    spec_version: str | None = None,
    pain_before: int | None = None,
    pain_after: int | None = None,
    form_assessed: bool | None = None,
    rom_unit: str | None = None,
) -> SessionRecord:
    """A :class:`SessionRecord` (session, identity and report) ready to store.

    Args:
        report: a JSON report (docs/report.md).
        patient: the patient's pseudonym.
        source: ``analyze``, ``batch`` or ``live``.
        fingerprint: what was analysed: :func:`recording_fingerprint` of the
            recording, or an id of the live set.
        when: :func:`session_time`.
        sitting: the sitting the session belongs to (default: its own fingerprint).
        report_path: where its JSON report was written.
        spec_version: :func:`spec_digest` of the spec used.
        pain_before, pain_after: 0-10 or ``None``.
        form_assessed, rom_unit: from the spec (see :class:`Session`).

    The report may be of any schema version: missing keys become ``None`` or empty.

    Raises:
        InvalidSession: bad patient label or pain rating.
    """
    exercise = report.get("exercise") or {}
    reps = report.get("reps") or {}
    targets = report.get("targets") or {}
    details = _reps(report)
    holds = _holds(report)
    reps_target = _range(targets.get("reps"))
    recording = _text((report.get("input") or {}).get("path")) or source
    session = Session(
        patient=patient,
        session_date=when.day,
        started_at=when.started_at,
        sitting=sitting or fingerprint,
        exercise=_text(exercise.get("id")) or "unknown",
        exercise_title=_text(exercise.get("title")) or _text(exercise.get("id")) or "unknown",
        kind=_text(exercise.get("kind")) or "reps",
        spec_version=spec_version,
        source=source,
        recording=Path(recording).name,
        report_path=report_path,
        duration_s=_number((report.get("input") or {}).get("duration_s")),
        reps_total=_count(reps.get("total")) or len(details),
        reps_left=_count(reps.get("left")),
        reps_right=_count(reps.get("right")),
        reps_good=sum(rep.good for rep in details),
        reps_target=(round(reps_target[0]), round(reps_target[1])) if reps_target else None,
        hold_target_s=_range(targets.get("hold_s")),
        target_per_side=_flag(targets.get("per_side")),
        sets_prescribed=_count(targets.get("sets")),
        target_met=_flag(targets.get("met")),
        best_hold_s=max((h.duration_s for h in holds), default=None),
        pain_before=pain_before,
        pain_after=pain_after,
        form_assessed=form_assessed,
        rom_unit=rom_unit,
        warnings=tuple(w for w in report.get("warnings") or [] if isinstance(w, str)),
        reps=details,
        holds=holds,
        faults=_faults(report),
    )
    key = session_key(
        session.patient, session.exercise, fingerprint, when.day if when.explicit else None
    )
    return SessionRecord(session, key, report)
