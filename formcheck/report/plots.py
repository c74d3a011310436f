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
_MARGIN_LEFT, _MARGIN_RIGHT, _MARGIN_TOP, _MARGIN_BOTTOM = 56, 16, 42, 34
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


def text_width_px(text: str, font_px: float) -> float:
    """Estimated width of ``text`` in a sans-serif font (wide glyphs on average)."""
    return 0.62 * font_px * len(text)


@dataclass(frozen=True, slots=True)
class _Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def hits(self, other: _Box) -> bool:
        return (
            self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1
        )


def _text_box(x: float, y: float, text: str, font_px: float, anchor: str) -> _Box:
    """The box a text drawn at baseline ``y`` covers."""
    width = text_width_px(text, font_px)
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return _Box(left, y - font_px, left + width, y + 0.25 * font_px)


def _text(x: float, y: float, text: str, size: int, *, anchor: str = "start", **style: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in style.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-family="sans-serif"{extra}>{escape(text)}</text>'
    )


def spread(positions: Sequence[float], gap: float, low: float, high: float) -> list[float]:
    """``positions`` (sorted ascending) moved apart to at least ``gap`` each, kept
    within [low, high] where there is room.

    >>> spread([10.0, 12.0, 40.0], 8.0, 0.0, 100.0)
    [7.0, 15.0, 40.0]
    """
    out = list(positions)
    for _ in range(len(out)):
        moved = False
        for i in range(len(out) - 1):
            overlap = gap - (out[i + 1] - out[i])
            if overlap > 1e-9:
                out[i] -= overlap / 2
                out[i + 1] += overlap / 2
                moved = True
        if out:
            shift = max(0.0, low - out[0]) - max(0.0, out[-1] - high)
            out = [p + shift for p in out]
        if not moved:
            break
    return out


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


def line_plot_svg(
    t_s: np.ndarray,
    series: Mapping[str, np.ndarray],
    *,
    title: str,
    spans: Sequence[Span] = (),
    thresholds: Sequence[Threshold] = (),
    width: int = 1100,
    height: int = 250,
) -> str:
    """An SVG line plot of one or more signals against time.

    No two texts overlap: threshold labels are spread apart along the right edge,
    a span label that would touch another text is left out (the span stays drawn),
    and the legend has its own row under the title.

    Args:
        t_s: (T,) sample times in seconds.
        series: name → (T,) values; NaN where the signal was not measurable.
        title: plot title with its unit, e.g. ``"Hip angle (°)"`` (escaped).
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
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>'
        + _text(_MARGIN_LEFT, 16, title, 13, font_weight="bold")
    )
    finite = [v[np.isfinite(v)] for v in values.values()]
    samples = np.concatenate(finite) if finite else np.empty(0)
    if t.size == 0 or samples.size == 0:
        return (
            head
            + _text(
                width / 2, height / 2, "no measurable values", 13, anchor="middle", fill="#868e96"
            )
            + "</svg>"
        )
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
    labels: list[str] = []
    placed: list[_Box] = []
    for tick in nice_ticks(y_low, y_high):
        y = float(py(tick))
        body.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="#e9ecef"/>')
        labels.append(_text(x0 - 6, y + 4, _fmt(tick), 11, anchor="end"))
    for tick in nice_ticks(t_low, t_high, 8):
        x = float(px(tick))
        body.append(f'<line x1="{x:.1f}" y1="{y1}" x2="{x:.1f}" y2="{y1 + 4}" stroke="#495057"/>')
        labels.append(_text(x, y1 + 16, _fmt(tick), 11, anchor="middle"))
    labels.append(_text(x1, height - 4, "time (s)", 11, anchor="end"))
    # Thresholds: a dashed line each; equal values share one label, and the labels
    # are spread apart along the right edge so that none covers another.
    by_value: dict[float, list[str]] = {}
    for th in thresholds:
        names = by_value.setdefault(th.value, [])
        if th.label not in names:
            names.append(th.label)
    rows = sorted((float(py(value)), " / ".join(names)) for value, names in by_value.items())
    label_ys = spread([y - 3 for y, _ in rows], 13.0, y0 + 10, y1 - 2)
    for (y, text), label_y in zip(rows, label_ys, strict=True):
        body.append(
            f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="#495057" '
            'stroke-dasharray="5 4"/>'
        )
        labels.append(
            _text(
                x1 - 4,
                label_y,
                text,
                10,
                anchor="end",
                fill="#343a40",
                stroke="#ffffff",
                stroke_width="3",
                paint_order="stroke",
            )
        )
        placed.append(_text_box(x1 - 4, label_y, text, 10, "end"))
    legend_x = float(x0)
    if len(values) > 1:
        for i, name in enumerate(values):
            color = _SERIES_COLORS[i % len(_SERIES_COLORS)]
            body.append(
                f'<line x1="{legend_x:.1f}" y1="29" x2="{legend_x + 18:.1f}" y2="29" '
                f'stroke="{color}" stroke-width="2.5"/>'
            )
            labels.append(_text(legend_x + 22, 33, name, 11, fill=color))
            legend_x += 22 + text_width_px(name, 11) + 16
    for span in spans:
        a = float(np.clip(px(span.start_s), x0, x1))
        b = float(np.clip(px(span.end_s), x0, x1))
        w = max(b - a, 1.0)
        fill, opacity = _SPAN_FILL[span.kind], _SPAN_OPACITY[span.kind]
        body.insert(
            0,
            f'<rect class="span-{span.kind}" x="{a:.1f}" y="{y0}" width="{w:.1f}" '
            f'height="{y1 - y0}" fill="{fill}" fill-opacity="{opacity}"/>',
        )
        if span.kind == "rep":
            body.insert(
                1,
                f'<line x1="{a:.1f}" y1="{y0}" x2="{a:.1f}" y2="{y1}" stroke="{fill}" '
                'stroke-width="1" stroke-opacity="0.6"/>',
            )
        if span.kind == "fault":
            body.insert(
                1,
                f'<rect x="{a:.1f}" y="{y0}" width="{w:.1f}" height="{_FAULT_BAND_PX}" '
                f'fill="{fill}" fill-opacity="0.85"/>',
            )
        if span.label:
            y_text = y0 + (11 if span.kind == "fault" else _FAULT_BAND_PX + 12)
            box = _text_box(a + 2, y_text, span.label, 10, "start")
            if box.x1 > x1 or any(box.hits(other) for other in placed):
                continue  # the span is drawn; its label would cover another text
            placed.append(box)
            color = "#ffffff" if span.kind == "fault" else fill
            labels.append(_text(a + 2, y_text, span.label, 10, fill=color))
    body.append(
        f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" fill="none" '
        'stroke="#495057"/>'
    )
    lines = [
        f'<path class="series" d="{_path(np.asarray(px(t)), np.asarray(py(v)))}" fill="none" '
        f'stroke="{_SERIES_COLORS[i % len(_SERIES_COLORS)]}" stroke-width="1.8" '
        'stroke-linejoin="round"/>'
        for i, v in enumerate(values.values())
    ]
    # Spans and grid first, then the signal lines, the texts on top.
    return head + "".join(body) + "".join(lines) + "".join(labels) + "</svg>"
