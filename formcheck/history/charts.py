"""Values over calendar days as inline SVG: pure functions from points to SVG text.

A session sits at its day plus its time of day (noon when only the day is known),
so several sessions on one day stand side by side. A prescription is drawn as a
shaded band (a dashed line for a fixed number) that holds from one session to the
next. Every text is XML-escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape
from typing import Literal

from formcheck.report.plots import nice_ticks, svg_head, svg_message

_COLORS = ("#1f5fbf", "#d9480f", "#2b8a3e", "#862e9c")
_BAND_FILL = "#2f9e44"
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 30, 34
# Tick spacings to choose from, in days (months are spaced by calendar month).
_DAY_STEPS = (1, 2, 7, 14)
_MONTH_STEPS = (1, 2, 3, 6, 12)
_MAX_TICKS = 8


@dataclass(frozen=True, slots=True)
class Point:
    """One value at one moment (``when``: a day, or a local date-time)."""

    when: date | datetime
    value: float


@dataclass(frozen=True, slots=True)
class Series:
    """A named set of points, drawn as a line with markers or as dots alone."""

    name: str
    points: Sequence[Point]
    style: Literal["line", "dots"] = "line"


@dataclass(frozen=True, slots=True)
class BandPoint:
    """The range prescribed from ``when`` on, until the next band point."""

    when: date | datetime
    low: float
    high: float


def day_position(when: date | datetime) -> float:
    """Days since 0001-01-01 with the time of day as a fraction (noon for a bare day).

    Example:
        >>> day_position(date(1, 1, 2))
        1.5
    """
    if isinstance(when, datetime):
        seconds = when.hour * 3600 + when.minute * 60 + when.second
        return when.toordinal() - 1 + seconds / 86400
    return when.toordinal() - 1 + 0.5


def date_ticks(since: date, until: date) -> list[date]:
    """At most eight round days between ``since`` and ``until`` (days, weeks or months).

    Example:
        >>> date_ticks(date(2026, 11, 1), date(2026, 11, 3))
        [datetime.date(2026, 11, 1), datetime.date(2026, 11, 2), datetime.date(2026, 11, 3)]
    """
    span = (until - since).days + 1
    for step in _DAY_STEPS:
        if span / step <= _MAX_TICKS:
            start = since if step < 7 else since + timedelta(days=(7 - since.weekday()) % 7)
            return [
                start + timedelta(days=i)
                for i in range(0, until.toordinal() - start.toordinal() + 1, step)
            ]
    months = (until.year - since.year) * 12 + until.month - since.month + 1
    step = next((m for m in _MONTH_STEPS if months / m <= _MAX_TICKS), months)
    ticks: list[date] = []
    year, month = since.year, since.month
    while True:
        if date(year, month, 1) >= since and (month - 1) % step == 0:
            ticks.append(date(year, month, 1))
        month += 1
        if month > 12:
            year, month = year + 1, 1
        if date(year, month, 1) > until:
            return ticks


def _tick_label(day: date, since: date, until: date) -> str:
    if (until - since).days > 120:
        return day.strftime("%b %Y")
    return f"{day.strftime('%b')} {day.day}"


def date_chart_svg(
    series: Sequence[Series],
    *,
    title: str,
    since: date,
    until: date,
    unit: str = "",
    band: Sequence[BandPoint] = (),
    band_label: str = "",
    y_floor: float | None = None,
    y_ceiling: float | None = None,
    width: int = 900,
    height: int = 220,
) -> str:
    """An SVG chart of values over the days from ``since`` to ``until``.

    Args:
        series: the values; a ``line`` series joins its points in time order.
        title: chart title (escaped); ``unit`` is shown after it.
        since, until: the days on the x axis (both included).
        band: the prescribed range over time, drawn shaded; ``band_label`` names it.
        y_floor, y_ceiling: values the y axis always includes (0 for counts, 100 %).
        width, height: size in CSS pixels.
    """
    label = f"{title} ({unit})" if unit else title
    head = svg_head(label, width, height)
    values = [p.value for s in series for p in s.points if math.isfinite(p.value)]
    values += [v for b in band for v in (b.low, b.high)]
    values += [v for v in (y_floor, y_ceiling) if v is not None]
    if not any(s.points for s in series):
        return head + svg_message("nothing recorded", width, height)
    y_low, y_high = min(values), max(values)
    pad = 0.08 * (y_high - y_low) or max(abs(y_high) * 0.1, 1.0)
    y_low = y_low if y_floor is not None and y_low >= y_floor else y_low - pad
    y_high += pad
    x_low, x_high = float(since.toordinal() - 1), float(until.toordinal())
    x0, x1, y0, y1 = _LEFT, width - _RIGHT, _TOP, height - _BOTTOM

    def px(position: float) -> float:
        return x0 + (position - x_low) / (x_high - x_low) * (x1 - x0)

    def py(value: float) -> float:
        return y1 - (value - y_low) / (y_high - y_low) * (y1 - y0)

    body: list[str] = []
    ordered = sorted(band, key=lambda b: day_position(b.when))
    for i, item in enumerate(ordered):
        start = x0 if i == 0 else px(day_position(item.when))
        end = px(day_position(ordered[i + 1].when)) if i + 1 < len(ordered) else x1
        top, bottom = py(item.high), py(item.low)
        if item.high > item.low:
            body.append(
                f'<rect class="band" x="{start:.1f}" y="{top:.1f}" '
                f'width="{max(end - start, 1):.1f}" height="{bottom - top:.1f}" '
                f'fill="{_BAND_FILL}" fill-opacity="0.16"/>'
            )
        else:  # a fixed target: a dashed line
            body.append(
                f'<line class="band" x1="{start:.1f}" y1="{top:.1f}" x2="{end:.1f}" '
                f'y2="{top:.1f}" stroke="{_BAND_FILL}" stroke-width="2" stroke-dasharray="6 4"/>'
            )
    for tick in nice_ticks(y_low, y_high, 4):
        y = py(tick)
        body.append(
            f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="#e9ecef"/>'
            f'<text x="{x0 - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'font-family="sans-serif">{tick:g}</text>'
        )
    for day in date_ticks(since, until):
        x = px(day.toordinal() - 1)
        body.append(
            f'<line x1="{x:.1f}" y1="{y1}" x2="{x:.1f}" y2="{y1 + 4}" stroke="#495057"/>'
            f'<text x="{x:.1f}" y="{y1 + 16}" font-size="11" text-anchor="middle" '
            f'font-family="sans-serif">{escape(_tick_label(day, since, until))}</text>'
        )
    body.append(
        f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" fill="none" '
        f'stroke="#495057"/>'
    )
    legend_x = width - _RIGHT
    legend = [(band_label, _BAND_FILL)] if band and band_label else []
    legend += [(s.name, _COLORS[i % len(_COLORS)]) for i, s in enumerate(series)]
    for name, color in reversed(legend):
        body.append(
            f'<text x="{legend_x}" y="18" font-size="11" text-anchor="end" fill="{color}" '
            f'font-family="sans-serif">{escape(name)}</text>'
        )
        legend_x -= 10 + 7 * len(name)
    for i, line in enumerate(series):
        color = _COLORS[i % len(_COLORS)]
        points = sorted(
            ((day_position(p.when), p.value) for p in line.points if math.isfinite(p.value)),
        )
        if line.style == "line" and len(points) > 1:
            path = " ".join(
                f"{'L' if j else 'M'}{px(x):.1f} {py(v):.1f}" for j, (x, v) in enumerate(points)
            )
            body.append(
                f'<path class="series" d="{path}" fill="none" stroke="{color}" '
                'stroke-width="1.8" stroke-linejoin="round"/>'
            )
        radius, opacity = (3.5, 1.0) if line.style == "line" else (2.2, 0.45)
        body.extend(
            f'<circle class="point" cx="{px(x):.1f}" cy="{py(v):.1f}" r="{radius}" '
            f'fill="{color}" fill-opacity="{opacity}"/>'
            for x, v in points
        )
    return head + "".join(body) + "</svg>"
