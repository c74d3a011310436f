"""Signal-over-time plots as inline SVG: pure functions from arrays to SVG text.

The HTML report embeds the SVG directly, so it opens offline with no script and
no external file. Every text drawn (titles, series names, span labels) is
XML-escaped here. Missing values (NaN) break the line instead of being bridged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal

import numpy as np

SpanKind = Literal["rep", "hold", "fault"]
_SERIES_COLORS = ("#1f5fbf", "#d9480f", "#2b8a3e", "#862e9c", "#5c677d")
_SPAN_FILL = {"rep": "#4c6ef5", "hold": "#2f9e44", "fault": "#e03131"}
_SPAN_OPACITY = {"rep": 0.08, "hold": 0.14, "fault": 0.22}
_MARGIN_LEFT, _MARGIN_RIGHT, _MARGIN_TOP, _MARGIN_BOTTOM = 56, 16, 30, 34
_FAULT_BAND_PX = 14


@dataclass(frozen=True, slots=True)
class Span:
    """A time interval to mark on a plot.

    Attributes:
        start_s, end_s: interval in seconds on the plot's clock.
        kind: ``"rep"`` (shaded, with boundary lines), ``"hold"`` (shaded) or
            ``"fault"`` (a red band along the top plus a light shade).
        label: short text drawn at the span's start (rep number, fault id).
    """

    start_s: float
    end_s: float
    kind: SpanKind
    label: str = ""


@dataclass(frozen=True, slots=True)
class Threshold:
    """A horizontal reference line (a spec threshold) with its label."""

    value: float
    label: str


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten apart) covering [low, high].

    Example:
        >>> nice_ticks(0.0, 9.3)
        [0.0, 2.0, 4.0, 6.0, 8.0]
    """
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    raw = (high - low) / max(count, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 5.0, 10.0) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + 1e-9 * step:
        ticks.append(round(value, 10) + 0.0)
        value += step
    return ticks


def _fmt(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


def _path(xs: np.ndarray, ys: np.ndarray) -> str:
    """SVG path data; a NaN sample ends the current segment."""
    parts: list[str] = []
    pen_down = False
    for x, y in zip(xs, ys, strict=True):
        if not (math.isfinite(x) and math.isfinite(y)):
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{x:.1f} {y:.1f}")
        pen_down = True
    return " ".join(parts)


def svg_head(label: str, width: int, height: int) -> str:
    """The opening of a plot: an ``<svg>`` of the given size with ``label`` (escaped) as
    its accessible name and its title, on white."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>'
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>'
        f'<text x="{_MARGIN_LEFT}" y="18" font-size="13" font-weight="bold" '
        f'font-family="sans-serif">{escape(label)}</text>'
    )


def svg_message(message: str, width: int, height: int) -> str:
    """The rest of a plot that has nothing to draw: ``message`` (escaped) in grey."""
    return (
        f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" '
        f'font-size="13" fill="#868e96" font-family="sans-serif">{escape(message)}</text></svg>'
    )


def line_plot_svg(
    t_s: np.ndarray,
    series: Mapping[str, np.ndarray],
    *,
    title: str,
    unit: str = "",
    spans: Sequence[Span] = (),
    thresholds: Sequence[Threshold] = (),
    width: int = 900,
    height: int = 240,
) -> str:
    """An SVG line plot of one or more signals against time.

    Args:
        t_s: (T,) sample times in seconds.
        series: name → (T,) values; NaN where the signal was not measurable.
        title: plot title (escaped).
        unit: y-axis unit shown after the title, e.g. ``"°"``.
        spans: rep, hold and fault intervals to mark.
        thresholds: horizontal reference lines.
        width, height: size in CSS pixels.

    Returns:
        A standalone ``<svg>`` element as text.

    Raises:
        ValueError: a series does not have the shape of ``t_s``.
    """
    t = np.asarray(t_s, dtype=np.float64)
    values = {name: np.asarray(v, dtype=np.float64) for name, v in series.items()}
    for name, v in values.items():
        if v.shape != t.shape:
            raise ValueError(f"series {name!r} has shape {v.shape}, expected {t.shape}")
    label = f"{title} ({unit})" if unit else title
    head = svg_head(label, width, height)
    finite = [v[np.isfinite(v)] for v in values.values()]
    samples = np.concatenate(finite) if finite else np.empty(0)
    if t.size == 0 or samples.size == 0:
        return head + svg_message("no measurable values", width, height)
    refs = np.array([th.value for th in thresholds], dtype=np.float64)
    y_low = float(min(samples.min(), refs.min() if refs.size else np.inf))
    y_high = float(max(samples.max(), refs.max() if refs.size else -np.inf))
    pad = 0.06 * (y_high - y_low) or max(abs(y_high) * 0.1, 1.0)
    y_low, y_high = y_low - pad, y_high + pad
    t_low, t_high = float(np.nanmin(t)), float(np.nanmax(t))
    if t_high <= t_low:
        t_high = t_low + 1.0
    x0, x1 = _MARGIN_LEFT, width - _MARGIN_RIGHT
    y0, y1 = _MARGIN_TOP, height - _MARGIN_BOTTOM

    def px(time: float | np.ndarray) -> float | np.ndarray:
        return x0 + (np.asarray(time) - t_low) / (t_high - t_low) * (x1 - x0)

    def py(value: float | np.ndarray) -> float | np.ndarray:
        return y1 - (np.asarray(value) - y_low) / (y_high - y_low) * (y1 - y0)

    body: list[str] = []
    for span in spans:
        a = float(np.clip(px(span.start_s), x0, x1))
        b = float(np.clip(px(span.end_s), x0, x1))
        w = max(b - a, 1.0)
        fill, opacity = _SPAN_FILL[span.kind], _SPAN_OPACITY[span.kind]
        body.append(
            f'<rect class="span-{span.kind}" x="{a:.1f}" y="{y0}" width="{w:.1f}" '
            f'height="{y1 - y0}" fill="{fill}" fill-opacity="{opacity}"/>'
        )
        if span.kind == "rep":
            body.append(
                f'<line x1="{a:.1f}" y1="{y0}" x2="{a:.1f}" y2="{y1}" stroke="{fill}" '
                f'stroke-width="1" stroke-opacity="0.6"/>'
            )
        if span.kind == "fault":
            body.append(
                f'<rect x="{a:.1f}" y="{y0}" width="{w:.1f}" height="{_FAULT_BAND_PX}" '
                f'fill="{fill}" fill-opacity="0.85"/>'
            )
        if span.label:
            y_text = y0 + (11 if span.kind == "fault" else _FAULT_BAND_PX + 12)
            color = "#ffffff" if span.kind == "fault" else fill
            body.append(
                f'<text x="{a + 2:.1f}" y="{y_text}" font-size="10" fill="{color}" '
                f'font-family="sans-serif">{escape(span.label)}</text>'
            )
    for tick in nice_ticks(y_low, y_high):
        y = float(py(tick))
        body.append(
            f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="#e9ecef"/>'
            f'<text x="{x0 - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'font-family="sans-serif">{_fmt(tick)}</text>'
        )
    for tick in nice_ticks(t_low, t_high, 8):
        x = float(px(tick))
        body.append(
            f'<line x1="{x:.1f}" y1="{y1}" x2="{x:.1f}" y2="{y1 + 4}" stroke="#495057"/>'
            f'<text x="{x:.1f}" y="{y1 + 16}" font-size="11" text-anchor="middle" '
            f'font-family="sans-serif">{_fmt(tick)}</text>'
        )
    body.append(
        f'<text x="{x1}" y="{height - 4}" font-size="11" text-anchor="end" '
        f'font-family="sans-serif">time (s)</text>'
        f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" fill="none" '
        f'stroke="#495057"/>'
    )
    for th in thresholds:
        y = float(py(th.value))
        body.append(
            f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="#495057" '
            f'stroke-dasharray="5 4"/><text x="{x1 - 4}" y="{y - 3:.1f}" font-size="10" '
            f'text-anchor="end" fill="#495057" font-family="sans-serif">'
            f"{escape(th.label)}</text>"
        )
    lines: list[str] = []
    legend_x = width - _MARGIN_RIGHT
    for i, (name, v) in reversed(list(enumerate(values.items()))):
        color = _SERIES_COLORS[i % len(_SERIES_COLORS)]
        # px and py map arrays to arrays (a float only for a float).
        path = _path(np.asarray(px(t)), np.asarray(py(v)))
        lines.append(
            f'<path class="series" d="{path}" fill="none" stroke="{color}" '
            f'stroke-width="1.8" stroke-linejoin="round"/>'
        )
        body.append(
            f'<text x="{legend_x}" y="18" font-size="11" text-anchor="end" fill="{color}" '
            f'font-family="sans-serif">{escape(name)}</text>'
        )
        legend_x -= 8 + 7 * len(name)
    # Background spans and grid first, the signal lines on top.
    return head + "".join(body) + "".join(lines) + "</svg>"
