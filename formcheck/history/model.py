"""A patient's history over a window of days: adherence, trends, faults and pain.

:func:`build_history` is a pure function of the stored sessions, so it is tested
without a database; :func:`load_history` reads them from a
:class:`~formcheck.store.SessionStore` first.

Adherence counts *days active*: calendar days with at least one recorded
session. US remote therapeutic monitoring bills a 30-day period on data from at
least 16 of its days (and, since 2026, from 2 to 15 days under separate codes);
formcheck reports the last 30 days of the window against those counts. It is a
count of recorded days, not a billing decision.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from formcheck.errors import ExitCode, FormcheckError
from formcheck.report import DISCLAIMER
from formcheck.store import Session, SessionStore

RTM_PERIOD_DAYS = 30
RTM_DAYS_REQUIRED = 16
RTM_DAYS_LOWER_TIER = 2
_SINCE = re.compile(r"^\s*(\d{1,4})\s*([dw])\s*$", re.IGNORECASE)


class HistoryError(FormcheckError):
    """A bad window or an unknown patient (exit code 2)."""

    exit_code = ExitCode.USAGE


def parse_since(text: str, until: date) -> date:
    """The first day of a window ending at ``until``: ``30d`` (the last 30 days,
    ``until`` included), ``12w`` (weeks) or a date ``2026-10-01``.

    Example:
        >>> parse_since("30d", date(2026, 11, 30))
        datetime.date(2026, 11, 1)
    """
    match = _SINCE.match(text)
    if match:
        count = int(match.group(1)) * (7 if match.group(2).lower() == "w" else 1)
        if count < 1:
            raise HistoryError(f"--since {text!r}: the window must be at least one day")
        return until - timedelta(days=count - 1)
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise HistoryError(
            f"--since {text!r}: expected a number of days or weeks (30d, 12w) or a date "
            "(2026-10-01)"
        ) from None


def plural(count: int, noun: str) -> str:
    """``"1 session"``, ``"2 sessions"``.

    Example:
        >>> plural(1, "day"), plural(0, "day")
        ('1 day', '0 days')
    """
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


@dataclass(frozen=True)
class Adherence:
    """Days active in the window, and in its last 30 days against the RTM counts.

    Attributes:
        since, until: the window (both days included).
        sessions_per_day: days with at least one session → how many.
        period_since: first day of the 30-day period ending at ``until``.
        period_days_active: days active in that period.
    """

    since: date
    until: date
    sessions_per_day: dict[date, int]
    period_since: date
    period_days_active: int

    @property
    def window_days(self) -> int:
        return (self.until - self.since).days + 1

    @property
    def days_active(self) -> int:
        return len(self.sessions_per_day)

    @property
    def meets_rtm(self) -> bool:
        """At least 16 days active in the last 30."""
        return self.period_days_active >= RTM_DAYS_REQUIRED

    @property
    def rtm_tier(self) -> str:
        if self.meets_rtm:
            return f"{RTM_DAYS_REQUIRED}-{RTM_PERIOD_DAYS} days"
        if self.period_days_active >= RTM_DAYS_LOWER_TIER:
            return f"{RTM_DAYS_LOWER_TIER}-{RTM_DAYS_REQUIRED - 1} days"
        return f"fewer than {RTM_DAYS_LOWER_TIER} days"

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "window_days": self.window_days,
            "days_active": self.days_active,
            "sessions_per_day": {
                d.isoformat(): n for d, n in sorted(self.sessions_per_day.items())
            },
            "rtm": {
                "period": [self.period_since.isoformat(), self.until.isoformat()],
                "period_days": RTM_PERIOD_DAYS,
                "days_active": self.period_days_active,
                "days_required": RTM_DAYS_REQUIRED,
                "meets_16_of_30": self.meets_rtm,
                "tier": self.rtm_tier,
            },
        }


@dataclass(frozen=True)
class TrendPoint:
    """One session of one exercise, as its trends plot it.

    Attributes:
        roms: range of motion of each rep (degrees for angle signals).
        holds_s: the longest hold on each side (``""`` without sides).
        good_share: share of reps with good form (``None`` without reps).
    """

    session_id: int | None
    day: date
    started_at: datetime | None
    reps_total: int
    reps_left: int | None
    reps_right: int | None
    reps_good: int
    reps_target: tuple[int, int] | None
    roms: tuple[float, ...]
    holds_s: dict[str, float]
    hold_target_s: tuple[float, float] | None
    good_share: float | None

    @property
    def when(self) -> date | datetime:
        """The start time, or the day when only that is known."""
        return self.started_at or self.day

    @property
    def reps_by_side(self) -> dict[str, int]:
        """Reps counted on each side (empty for exercises without sides)."""
        sides = {"left": self.reps_left, "right": self.reps_right}
        return {side: n for side, n in sides.items() if n is not None}

    @property
    def rom_mean(self) -> float | None:
        return _mean(self.roms)

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "date": self.day.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "reps": {
                "total": self.reps_total,
                "left": self.reps_left,
                "right": self.reps_right,
                "good": self.reps_good,
                "target": list(self.reps_target) if self.reps_target else None,
            },
            "rom_per_rep": [round(r, 2) for r in self.roms],
            "rom_mean": None if self.rom_mean is None else round(self.rom_mean, 2),
            "hold_s": {side: round(s, 2) for side, s in self.holds_s.items()},
            "hold_target_s": list(self.hold_target_s) if self.hold_target_s else None,
            "good_form_share": None if self.good_share is None else round(self.good_share, 3),
        }


def _trend_point(session: Session) -> TrendPoint:
    holds: dict[str, float] = {}
    for hold in session.holds:
        side = hold.side or ""
        holds[side] = max(holds.get(side, 0.0), hold.duration_s)
    return TrendPoint(
        session_id=session.id,
        day=session.session_date,
        started_at=session.started_at,
        reps_total=session.reps_total,
        reps_left=session.reps_left,
        reps_right=session.reps_right,
        reps_good=session.reps_good,
        reps_target=session.reps_target,
        roms=tuple(r.rom for r in session.reps if r.rom is not None),
        holds_s=holds,
        hold_target_s=session.hold_target_s,
        good_share=session.good_share,
    )


@dataclass(frozen=True)
class ExerciseTrend:
    """Every session of one exercise in the window, oldest first.

    ``form_assessed`` is False when the exercise's spec judges no form (it only
    counts or times): then no share of "good form" means anything. ``rom_unit``
    is the unit of the range of motion (``"°"``; ``""`` for a fraction of a length;
    ``None``: not recorded).
    """

    exercise: str
    title: str
    kind: str
    per_side: bool
    points: tuple[TrendPoint, ...]
    form_assessed: bool = True
    rom_unit: str | None = None

    @property
    def has_reps(self) -> bool:
        return any(p.reps_total or p.reps_target for p in self.points)

    @property
    def has_holds(self) -> bool:
        return any(p.holds_s or p.hold_target_s for p in self.points)

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "title": self.title,
            "kind": self.kind,
            "per_side": self.per_side,
            "form_assessed": self.form_assessed,
            "rom_unit": self.rom_unit,
            "sessions": len(self.points),
            "points": [p.to_dict() for p in self.points],
        }


@dataclass(frozen=True)
class FaultTrend:
    """How often one fault (or dosage shortfall) of one exercise was flagged, by day."""

    exercise: str
    fault_id: str
    kind: str
    message: str
    per_day: dict[date, int]

    @property
    def total(self) -> int:
        return sum(self.per_day.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "id": self.fault_id,
            "kind": self.kind,
            "message": self.message,
            "total": self.total,
            "per_day": {d.isoformat(): n for d, n in sorted(self.per_day.items())},
        }


@dataclass(frozen=True)
class PainRating:
    """Pain 0-10 before and after one sitting (either may be missing)."""

    day: date
    started_at: datetime | None
    exercises: tuple[str, ...]
    before: int | None
    after: int | None

    @property
    def when(self) -> date | datetime:
        return self.started_at or self.day

    @property
    def ratings(self) -> dict[str, int]:
        """``before`` and ``after``, where rated."""
        both = {"before": self.before, "after": self.after}
        return {name: value for name, value in both.items() if value is not None}

    @property
    def worse(self) -> bool:
        """Pain rose during the sitting: the handouts say to stop such an exercise."""
        return self.before is not None and self.after is not None and self.after > self.before

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "exercises": list(self.exercises),
            "before": self.before,
            "after": self.after,
            "worse": self.worse,
        }


def session_dict(session: Session) -> dict[str, Any]:
    """One session as the history's JSON lists it."""
    return {
        "id": session.id,
        "date": session.session_date.isoformat(),
        "started_at": session.started_at.isoformat() if session.started_at else None,
        "exercise": session.exercise,
        "title": session.exercise_title,
        "kind": session.kind,
        "source": session.source,
        "recording": session.recording,
        "report": session.report_path,
        "duration_s": session.duration_s,
        "reps": {
            "total": session.reps_total,
            "left": session.reps_left,
            "right": session.reps_right,
            "good": session.reps_good,
            "target": list(session.reps_target) if session.reps_target else None,
        },
        "best_hold_s": session.best_hold_s,
        "hold_target_s": list(session.hold_target_s) if session.hold_target_s else None,
        "target_met": session.target_met,
        "faults": dict(Counter(f.id for f in session.faults if f.kind == "form")),
        "dosage": dict(Counter(f.id for f in session.faults if f.kind == "dosage")),
        "form_assessed": session.form_assessed,
        "warnings": list(session.warnings),
        "pain": {"before": session.pain_before, "after": session.pain_after},
        "spec_version": session.spec_version,
    }


@dataclass(frozen=True)
class History:
    """A patient's sessions in a window and what they add up to."""

    patient: str
    sessions: tuple[Session, ...]
    adherence: Adherence
    exercises: tuple[ExerciseTrend, ...]
    faults: tuple[FaultTrend, ...]
    pain: tuple[PainRating, ...]
    generated: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))

    def to_dict(self) -> dict[str, Any]:
        """The history as JSON-ready data (``formcheck history --json``)."""
        return {
            "patient": self.patient,
            "generated": self.generated.isoformat(),
            "window": {
                "since": self.adherence.since.isoformat(),
                "until": self.adherence.until.isoformat(),
            },
            "adherence": self.adherence.to_dict(),
            "sessions": [session_dict(s) for s in self.sessions],
            "exercises": [e.to_dict() for e in self.exercises],
            "faults": [f.to_dict() for f in self.faults],
            "pain": [p.to_dict() for p in self.pain],
            "disclaimer": DISCLAIMER,
        }


def _adherence(sessions: Sequence[Session], since: date, until: date) -> Adherence:
    per_day = Counter(s.session_date for s in sessions)
    period_since = until - timedelta(days=RTM_PERIOD_DAYS - 1)
    return Adherence(
        since=since,
        until=until,
        sessions_per_day=dict(sorted(per_day.items())),
        period_since=period_since,
        period_days_active=sum(1 for day in per_day if period_since <= day <= until),
    )


def _exercise_trends(sessions: Sequence[Session]) -> tuple[ExerciseTrend, ...]:
    by_exercise: dict[str, list[Session]] = defaultdict(list)
    for session in sessions:
        by_exercise[session.exercise].append(session)
    trends = []
    for exercise, group in by_exercise.items():
        latest = group[-1]
        trends.append(
            ExerciseTrend(
                exercise=exercise,
                title=latest.exercise_title,
                kind=latest.kind,
                per_side=bool(latest.target_per_side),
                points=tuple(_trend_point(s) for s in group),
                form_assessed=any(s.form_assessed is not False for s in group),
                rom_unit=latest.rom_unit,
            )
        )
    return tuple(sorted(trends, key=lambda t: t.title.lower()))


def _fault_trends(sessions: Sequence[Session]) -> tuple[FaultTrend, ...]:
    per_day: dict[tuple[str, str, str], Counter[date]] = defaultdict(Counter)
    messages: dict[tuple[str, str, str], str] = {}
    for session in sessions:
        for fault in session.faults:
            key = (session.exercise, fault.kind, fault.id)
            per_day[key][session.session_date] += 1
            messages[key] = fault.message
    trends = [
        FaultTrend(exercise, fault_id, kind, messages[(exercise, kind, fault_id)], dict(days))
        for (exercise, kind, fault_id), days in per_day.items()
    ]
    return tuple(sorted(trends, key=lambda f: (f.exercise, f.kind, -f.total, f.fault_id)))


def _pain(sessions: Sequence[Session]) -> tuple[PainRating, ...]:
    sittings: dict[str, list[Session]] = defaultdict(list)
    for session in sessions:
        if session.pain_before is not None or session.pain_after is not None:
            sittings[session.sitting].append(session)
    ratings = []
    for group in sittings.values():
        first = group[0]
        titles = tuple(dict.fromkeys(s.exercise_title for s in group))
        ratings.append(
            PainRating(
                first.session_date, first.started_at, titles, first.pain_before, first.pain_after
            )
        )
    return tuple(sorted(ratings, key=lambda p: (p.day, p.started_at or datetime.min)))


def build_history(patient: str, sessions: Sequence[Session], since: date, until: date) -> History:
    """The history of ``sessions`` (one patient's, oldest first) in ``[since, until]``."""
    inside = tuple(s for s in sessions if since <= s.session_date <= until)
    return History(
        patient=patient,
        sessions=inside,
        adherence=_adherence(inside, since, until),
        exercises=_exercise_trends(inside),
        faults=_fault_trends(inside),
        pain=_pain(inside),
    )


def load_history(
    store: SessionStore,
    patient: str,
    since: str | date | None = None,
    until: date | None = None,
    today: date | None = None,
) -> History:
    """A patient's history from the store.

    Args:
        store: an open session store.
        patient: the patient's pseudonym.
        since: ``"30d"``, ``"12w"``, a date, or ``None`` for the first session.
        until: last day of the window; ``None``: today, or the last session's day
            when that is later (a session is never hidden for being dated ahead).
        today: the current day (tests pass their own).

    Raises:
        HistoryError: the patient has no session in the store, or a bad ``since``.
    """
    span = store.span(patient)
    if span is None:
        raise HistoryError(
            f"no sessions recorded for patient {patient!r} in {store.location} "
            "(`formcheck history --list` lists the patients)"
        )
    first, last = span
    end = until or max(today or date.today(), last)
    start = parse_since(since, end) if isinstance(since, str) else since or min(first, end)
    if start > end:
        raise HistoryError(f"the window starts ({start}) after it ends ({end})")
    return build_history(patient, store.sessions(patient, start, end), start, end)
