"""A patient's history as a few lines for the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from formcheck.history.model import (
    RTM_DAYS_REQUIRED,
    RTM_PERIOD_DAYS,
    ExerciseTrend,
    History,
    plural,
)
from formcheck.store import PatientSummary


def _change(first: float | None, last: float | None, unit: str, digits: int = 0) -> str:
    if first is None or last is None:
        return "–"
    return f"{first:.{digits}f}{unit} → {last:.{digits}f}{unit}"


def _exercise_line(trend: ExerciseTrend) -> str:
    first, last = trend.points[0], trend.points[-1]
    n = len(trend.points)
    parts = [f"{trend.title}: {plural(n, 'session')}"]
    if trend.has_reps:
        target = last.reps_target
        prescribed = f" (prescribed {target[0]}–{target[1]})" if target else ""
        parts.append(f"reps {first.reps_total} → {last.reps_total}{prescribed}")
        digits = 2 if trend.rom_unit == "" else 0  # a fraction of a length, or degrees
        parts.append(f"ROM {_change(first.rom_mean, last.rom_mean, trend.rom_unit or '', digits)}")
    if trend.has_reps and trend.form_assessed:
        first_good, last_good = (
            None if p.good_share is None else 100 * p.good_share for p in (first, last)
        )
        parts.append(f"good form {_change(first_good, last_good, '%')}")
    elif trend.has_reps:
        parts.append("form not assessed")
    if trend.has_holds:
        best = [max(p.holds_s.values(), default=None) for p in (first, last)]
        parts.append(f"longest hold {_change(best[0], best[1], ' s', 1)}")
    return "; ".join(parts)


def history_lines(history: History) -> list[str]:
    """Days active against the 30-day count, one line per exercise, pain, faults."""
    a = history.adherence
    lines = [
        f"Patient {history.patient}: {plural(len(history.sessions), 'session')} from {a.since} to "
        f"{a.until} ({a.window_days} days)",
        f"Days active: {a.days_active} of {a.window_days}; last {RTM_PERIOD_DAYS} days "
        f"({a.period_since} to {a.until}): {a.period_days_active}, "
        f"{'meets' if a.meets_rtm else 'below'} {RTM_DAYS_REQUIRED} of {RTM_PERIOD_DAYS}",
    ]
    lines.extend(_exercise_line(t) for t in history.exercises)
    for fault in history.faults[:5]:
        lines.append(
            f"{fault.kind.capitalize()} {fault.fault_id} ({fault.exercise}): "
            f"{fault.total}x — {fault.message}"
        )
    worse = [p for p in history.pain if p.worse]
    if history.pain:
        lines.append(
            f"Pain rated in {plural(len(history.pain), 'sitting')}; higher after than before "
            f"in {len(worse)}" + (f" (last {worse[-1].day})" if worse else "")
        )
    return lines


def patient_lines(patients: Sequence[PatientSummary]) -> list[str]:
    """``formcheck history --list``: one tab-separated line per patient."""
    return [
        f"{p.patient}\t{plural(p.sessions, 'session')}\t{p.first_date} to {p.last_date}"
        for p in patients
    ]
