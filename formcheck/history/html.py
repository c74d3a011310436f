"""A patient's history as one self-contained HTML page: opens offline, runs no script.

Adherence (days active, the 30-day count against 16, a calendar), then per
exercise the trends (reps against the prescription, range of motion per rep,
hold time, share of reps with good form), faults over time, pain before and
after, and every session. Charts are inline SVG; every text that comes from the
data (patient, exercise titles, fault messages, file names) is HTML-escaped.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, timedelta
from html import escape

from formcheck.history.charts import BandPoint, Point, Series, date_chart_svg
from formcheck.history.model import (
    RTM_DAYS_REQUIRED,
    RTM_PERIOD_DAYS,
    ExerciseTrend,
    FaultTrend,
    History,
    PainRating,
    plural,
)
from formcheck.report import DISCLAIMER
from formcheck.report.html import html_page, table
from formcheck.store import Session

_STYLE = """
.months{display:flex;flex-wrap:wrap;gap:16px}.month caption{font-weight:bold;text-align:left}
.month td,.month th{width:26px;height:22px;text-align:center;padding:1px;font-size:12px}
.month td.out{color:#ced4da;background:#f8f9fa}.month td.active{background:#2f9e44;color:#fff}
.big{font-size:1.3em;font-weight:bold}
td.worse{color:#c92a2a;font-weight:bold}
"""
_WEEKS_MAX = 16  # faults are counted by week up to this many weeks, else by month


def _month_table(year: int, month: int, history: History) -> str:
    adherence = history.adherence
    rows = []
    for week in calendar.Calendar().monthdatescalendar(year, month):
        cells = []
        for day in week:
            if day.month != month:
                cells.append("<td></td>")
                continue
            count = adherence.sessions_per_day.get(day, 0)
            inside = adherence.since <= day <= adherence.until
            css = "out" if not inside else "active" if count else ""
            title = f"{day.isoformat()}: {plural(count, 'session')}"
            cells.append(f'<td class="{css}" title="{title}">{day.day}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = "".join(f"<th>{name[:2]}</th>" for name in calendar.day_abbr)
    return (
        f'<table class="month"><caption>{calendar.month_name[month]} {year}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _calendar(history: History) -> str:
    since, until = history.adherence.since, history.adherence.until
    months = []
    year, month = since.year, since.month
    while (year, month) <= (until.year, until.month):
        months.append(_month_table(year, month, history))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f'<div class="months">{"".join(months)}</div>'


def _adherence(history: History) -> str:
    a = history.adherence
    met = "met" if a.meets_rtm else "not met"
    css = "ok" if a.meets_rtm else "bad"
    return (
        "<h2>Adherence</h2>"
        f'<p><span class="big">{a.days_active} of {a.window_days} days active</span> '
        f"({a.since.isoformat()} to {a.until.isoformat()}; a day is active when at least "
        "one session was recorded).</p>"
        f"<p>Last {RTM_PERIOD_DAYS} days ({a.period_since.isoformat()} to "
        f"{a.until.isoformat()}): <b>{plural(a.period_days_active, 'day')} active</b>; "
        f'{RTM_DAYS_REQUIRED} of {RTM_PERIOD_DAYS}: <span class="{css}">{met}</span> '
        f"({escape(a.rtm_tier)}). This counts recorded days; it is not a billing decision.</p>"
        + _calendar(history)
    )


def _rom_unit(unit: str | None) -> str:
    """Degrees, a fraction of a length, or unsaid when the session did not record it."""
    if unit is None:
        return ""
    return unit or "fraction of a length"


def _trend_charts(trend: ExerciseTrend, since: date, until: date) -> list[str]:
    points = trend.points
    charts = []
    if trend.has_reps:
        if trend.per_side and any(p.reps_by_side for p in points):
            reps = [
                Series(
                    side,
                    [Point(p.when, p.reps_by_side[side]) for p in points if side in p.reps_by_side],
                )
                for side in ("left", "right")
            ]
            title = "Reps per session, each side"
        else:
            reps = [Series("reps", [Point(p.when, p.reps_total) for p in points])]
            title = "Reps per session"
        band = [BandPoint(p.when, *p.reps_target) for p in points if p.reps_target]
        charts.append(
            date_chart_svg(
                reps,
                title=title,
                since=since,
                until=until,
                band=band,
                band_label="prescribed",
                y_floor=0.0,
            )
        )
        roms = [Point(p.when, r) for p in points for r in p.roms]
        means = [Point(p.when, m) for p in points if (m := p.rom_mean) is not None]
        charts.append(
            date_chart_svg(
                [Series("each rep", roms, "dots"), Series("session mean", means)],
                title="Range of motion per rep",
                unit=_rom_unit(trend.rom_unit),
                since=since,
                until=until,
            )
        )
    if trend.has_reps and trend.form_assessed:
        good = [Point(p.when, 100 * p.good_share) for p in points if p.good_share is not None]
        charts.append(
            date_chart_svg(
                [Series("good form", good)],
                title="Reps with good form",
                unit="%",
                since=since,
                until=until,
                y_floor=0.0,
                y_ceiling=100.0,
            )
        )
    if trend.has_holds:
        sides = sorted({side for p in points for side in p.holds_s})
        holds = [
            Series(
                side or "hold",
                [Point(p.when, p.holds_s[side]) for p in points if side in p.holds_s],
            )
            for side in sides
        ]
        band = [BandPoint(p.when, *p.hold_target_s) for p in points if p.hold_target_s]
        charts.append(
            date_chart_svg(
                holds,
                title="Longest hold per session",
                unit="s",
                since=since,
                until=until,
                band=band,
                band_label="prescribed",
                y_floor=0.0,
            )
        )
    return charts


def _exercise_section(trend: ExerciseTrend, history: History) -> str:
    a = history.adherence
    charts = "".join(f"<figure>{svg}</figure>" for svg in _trend_charts(trend, a.since, a.until))
    return (
        f"<h2>{escape(trend.title)}</h2><p class=meta>{plural(len(trend.points), 'session')} "
        f"({escape(trend.exercise)}, {escape(trend.kind)})</p>{charts}"
    )


def _periods(since: date, until: date) -> list[tuple[date, date, str]]:
    """Columns of the fault table: weeks (Monday first) or calendar months."""
    periods = []
    if (until - since).days < 7 * _WEEKS_MAX:
        start = since - timedelta(days=since.weekday())
        while start <= until:
            end = start + timedelta(days=6)
            periods.append((start, end, f"{start.strftime('%b')} {start.day}"))
            start = end + timedelta(days=1)
        return periods
    year, month = since.year, since.month
    while (year, month) <= (until.year, until.month):
        last = date(year, month, calendar.monthrange(year, month)[1])
        periods.append((date(year, month, 1), last, f"{calendar.month_abbr[month]} {year}"))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return periods


def _faults(faults: Sequence[FaultTrend], history: History) -> str:
    if not faults:
        return "<h2>Faults over time</h2><p>No form fault or dosage shortfall was recorded.</p>"
    periods = _periods(history.adherence.since, history.adherence.until)
    titles = {t.exercise: t.title for t in history.exercises}
    weekly = (periods[0][1] - periods[0][0]).days == 6
    rows = []
    for fault in faults:
        counts = [
            sum(n for day, n in fault.per_day.items() if start <= day <= end)
            for start, end, _ in periods
        ]
        rows.append(
            [
                escape(titles.get(fault.exercise, fault.exercise)),
                escape(fault.message) + f" <span class=meta>({escape(fault.fault_id)})</span>",
                escape("form" if fault.kind == "form" else "dosage"),
                str(fault.total),
                *[str(n) if n else "" for n in counts],
            ]
        )
    headers = ["exercise", "fault", "kind", "total", *[label for _, _, label in periods]]
    by = "week (starting Monday)" if weekly else "month"
    return (
        f"<h2>Faults over time</h2><p class=meta>Times each was flagged, by {by}. "
        "Form faults are about how a rep was done; dosage is about how much (reps, hold "
        f"time, tempo) against the prescription.</p>{table(headers, rows)}"
    )


def _pain(ratings: Sequence[PainRating], history: History) -> str:
    intro = (
        "<h2>Pain before and after</h2><p>Stop any exercise that causes or worsens pain and "
        "tell your clinician.</p>"
    )
    if not ratings:
        return intro + "<p>No pain rating was recorded in this window.</p>"
    a = history.adherence
    series = [
        Series(name, [Point(r.when, r.ratings[name]) for r in ratings if name in r.ratings])
        for name in ("before", "after")
    ]
    chart = date_chart_svg(
        series,
        title="Pain",
        unit="0-10",
        since=a.since,
        until=a.until,
        y_floor=0.0,
        y_ceiling=10.0,
    )
    rows = []
    for r in ratings:
        when = r.started_at.strftime("%Y-%m-%d %H:%M") if r.started_at else r.day.isoformat()
        change = "worse after" if r.worse else ""
        rows.append(
            [
                escape(when),
                escape(", ".join(r.exercises)),
                "–" if r.before is None else str(r.before),
                "–" if r.after is None else str(r.after),
                f'<span class="bad">{change}</span>' if change else "",
            ]
        )
    worse = sum(r.worse for r in ratings)
    note = (
        f'<p class="warn">Pain was higher after than before in {plural(worse, "sitting")}.</p>'
        if worse
        else ""
    )
    pain_table = table(["when", "exercises", "before", "after", ""], rows)
    return f"{intro}{note}<figure>{chart}</figure>{pain_table}"


def _hold_text(session: Session) -> str:
    if session.best_hold_s is None:
        return ""
    target = f" ({session.hold_target_s[0]:g} s)" if session.hold_target_s else ""
    return f"{session.best_hold_s:.1f} s{escape(target)}"


def _sessions(sessions: Sequence[Session]) -> str:
    rows = []
    for s in reversed(sessions):
        when = (
            s.started_at.strftime("%Y-%m-%d %H:%M") if s.started_at else s.session_date.isoformat()
        )
        target = f" ({s.reps_target[0]}–{s.reps_target[1]})" if s.reps_target else ""
        reps = f"{s.reps_good} / {s.reps_total}{target}" if s.reps_total or s.reps_target else ""
        faults: dict[str, int] = {}
        for fault in s.faults:
            faults[fault.id] = faults.get(fault.id, 0) + 1
        pain = (
            ""
            if s.pain_before is None and s.pain_after is None
            else (
                f"{'–' if s.pain_before is None else s.pain_before} → "
                f"{'–' if s.pain_after is None else s.pain_after}"
            )
        )
        rows.append(
            [
                escape(when),
                escape(s.exercise_title),
                escape(reps),
                _hold_text(s),
                escape("; ".join(f"{k} ×{n}" for k, n in sorted(faults.items()))),
                escape(pain),
                escape(s.source),
                escape(s.recording),
            ]
        )
    headers = [
        "when",
        "exercise",
        "reps good / total (prescribed)",
        "longest hold (target)",
        "faults",
        "pain before → after",
        "from",
        "recording",
    ]
    return f"<h2>Sessions</h2>{table(headers, rows)}"


def render_history_html(history: History) -> str:
    """The whole page for ``history``."""
    a = history.adherence
    count = len(history.sessions)
    title = f"Exercise history: {history.patient}"
    body = (
        f"<style>{_STYLE}</style><h1>{escape(title)}</h1>"
        f"<p class=meta>{plural(count, 'session')} from {a.since.isoformat()} to "
        f"{a.until.isoformat()}. Generated {escape(history.generated.isoformat(sep=' '))} by "
        "formcheck.</p>"
        + _adherence(history)
        + "".join(_exercise_section(t, history) for t in history.exercises)
        + _faults(history.faults, history)
        + _pain(history.pain, history)
        + _sessions(history.sessions)
        + f'<p class="disclaimer">{escape(DISCLAIMER)}</p>'
    )
    return html_page(title, body)
