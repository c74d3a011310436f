"""Self-contained HTML report of one analysis: opens offline, runs no script.

Plots are inline SVG (:mod:`formcheck.report.plots`), fault thumbnails are base64
JPEG ``data:`` URLs, the style sheet is inline; the only links are relative ones
to sibling files (the JSON report, the per-frame CSV, the annotated video).
Every text that comes from a file name, a manifest, a spec or a report is
HTML-escaped.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import quote

import numpy as np

from formcheck.report.plots import Span, Threshold, line_plot_svg
from formcheck.specs.schema import (
    Condition,
    ExerciseSpec,
    Extremum,
    JointAngle,
    SegmentElevation,
    SegmentInclination,
)

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#212529;
max-width:1100px}
h1{font-size:1.5em;margin-bottom:4px}h2{font-size:1.15em;margin-top:28px;border-bottom:1px solid
#dee2e6;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #dee2e6;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f1f3f5}
.meta{color:#495057}.ok{color:#2b8a3e}.bad{color:#c92a2a}.warn{background:#fff3bf;padding:8px}
.disclaimer{background:#e7f5ff;padding:8px;margin-top:24px}figure{margin:8px 0}
.thumb{max-width:360px;display:block}svg.plot{max-width:100%;height:auto}
"""


@dataclass(frozen=True)
class ReportContext:
    """What the HTML shows beside the JSON report.

    Attributes:
        source: the recording's name as the reviewer knows it (a relative path).
        patient: patient label ("" if unknown).
        program: program file the exercise's spec came from ("" if the bundled spec).
        json_href, csv_href, video_href: relative links to sibling files
            (``None``: not written).
    """

    source: str
    patient: str = ""
    program: str = ""
    json_href: str | None = None
    csv_href: str | None = None
    video_href: str | None = None


def html_page(title: str, body: str) -> str:
    """A complete HTML document with the report style sheet; ``title`` is escaped."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def href(relative_path: str) -> str:
    """A relative POSIX path as an escaped ``href`` value (percent-encoded, then HTML)."""
    return escape(quote(relative_path), quote=True)


def signal_unit(spec: ExerciseSpec, name: str) -> str:
    """``"°"`` for angle signals, ``""`` for the unitless ones (fractions of a length)."""
    signal = spec.signals.get(name)
    if isinstance(signal, Extremum):
        return signal_unit(spec, signal.of[0])
    if isinstance(signal, (JointAngle, SegmentElevation, SegmentInclination)):
        return "°"
    return ""


def _num(value: Any, unit: str = "", digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if unit == "°":
        return f"{value:.{digits}f}°"
    if unit == "s":
        return f"{value:.{digits}f} s"
    return f"{value:.{max(digits, 2)}f}{unit}"


def _thresholds(spec: ExerciseSpec) -> dict[str, list[Threshold]]:
    """Spec thresholds to draw, by signal name."""
    out: dict[str, list[Threshold]] = {}

    def add(cond: Condition, label: str) -> None:
        if cond.signal is None:
            return
        values = cond.value if isinstance(cond.value, tuple) else (cond.value,)
        out.setdefault(cond.signal, []).extend(Threshold(float(v), label) for v in values)

    if spec.reps is not None:
        rule = spec.reps
        out.setdefault(rule.signal, []).extend(
            [Threshold(rule.enter, "rep enter"), Threshold(rule.rest, "rep rest")]
        )
    if spec.hold is not None:
        for cond in spec.hold.when:
            add(cond, "hold band")
    for fault in spec.faults:
        if fault.scope == "frame":
            for cond in fault.when:
                add(cond, fault.id)
    return out


def _spans(report: Mapping[str, Any]) -> list[Span]:
    spans = [
        Span(r["start_s"], r["end_s"], "rep", f"{r['index']}{(r.get('side') or '')[:1].upper()}")
        for r in report["reps"]["details"]
    ]
    spans += [Span(h["start_s"], h["end_s"], "hold") for h in report["holds"]]
    spans += [Span(f["start_s"], f["end_s"], "fault", f["id"]) for f in report["faults"]]
    return spans


def signal_plots(
    report: Mapping[str, Any],
    spec: ExerciseSpec,
    t_s: np.ndarray,
    signals: Mapping[str, np.ndarray],
) -> list[str]:
    """One SVG plot per spec signal (left and right together), reps/holds/faults marked."""
    groups: dict[str, dict[str, np.ndarray]] = {}
    for name, values in signals.items():
        base, _, side = name.partition(".")
        groups.setdefault(base, {})[side or base] = values
    thresholds = _thresholds(spec)
    spans = _spans(report)
    return [
        line_plot_svg(
            t_s,
            series,
            title=base,
            unit=signal_unit(spec, base),
            spans=spans,
            thresholds=thresholds.get(base, ()),
        )
        for base, series in groups.items()
    ]


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An HTML table; cells are already-escaped HTML."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _rep_table(report: Mapping[str, Any], unit: str) -> str:
    details = report["reps"]["details"]
    if not details:
        return "<p>No rep was counted.</p>"
    rows = []
    for rep in details:
        tempo = " / ".join(_num(rep.get(k), "s") for k in ("outbound_s", "hold_s", "return_s"))
        faults = ", ".join(rep.get("faults", [])) or "none"
        rows.append(
            [
                escape(str(rep["index"])),
                escape(rep.get("side") or ""),
                f"{_num(rep['start_s'], 's')} – {_num(rep['end_s'], 's')}",
                _num(rep.get("rom"), unit),
                _num(rep.get("peak"), unit),
                tempo,
                _num(rep.get("hold_s"), "s"),
                f'<span class="{"ok" if rep.get("good") else "bad"}">{escape(faults)}</span>',
            ]
        )
    headers = ["#", "side", "time", "ROM", "peak", "tempo out / hold / back", "hold", "faults"]
    return _table(headers, rows)


def _hold_table(report: Mapping[str, Any]) -> str:
    holds = report["holds"]
    if not holds:
        return "<p>No hold was timed.</p>"
    rows = []
    for hold in holds:
        met = hold.get("target_met", hold.get("met"))
        verdict = "" if met is None else ("met" if met else "not met")
        rows.append(
            [
                escape(hold.get("side") or ""),
                f"{_num(hold['start_s'], 's')} – {_num(hold['end_s'], 's')}",
                _num(hold["duration_s"], "s"),
                _num(hold.get("target_s"), "s"),
                f'<span class="{"ok" if met else "bad"}">{verdict}</span>',
            ]
        )
    return _table(["side", "time", "held", "target", ""], rows)


def _fault_table(report: Mapping[str, Any], thumbnails: Mapping[int, bytes]) -> str:
    faults = report["faults"]
    if not faults:
        return "<p>No form fault was flagged.</p>"
    rows = []
    for i, fault in enumerate(faults):
        jpeg = thumbnails.get(i)
        image = (
            f'<img class="thumb" alt="worst frame of {escape(fault["id"])}" '
            f'src="data:image/jpeg;base64,{base64.b64encode(jpeg).decode("ascii")}">'
            if jpeg
            else "–"
        )
        rows.append(
            [
                escape(fault["id"]),
                escape(str(fault.get("severity", ""))),
                escape(fault.get("side") or ""),
                f"{_num(fault['start_s'], 's')} – {_num(fault['end_s'], 's')}",
                escape(fault["message"]),
                image,
            ]
        )
    return _table(["fault", "severity", "side", "time", "cue", "worst frame"], rows)


def _targets(report: Mapping[str, Any]) -> str:
    targets = report.get("targets") or {}
    parts = []
    if targets.get("reps"):
        low, high = targets["reps"]
        parts.append(f"reps {low}" if low == high else f"reps {low}–{high}")
    if targets.get("hold_s"):
        low, high = targets["hold_s"]
        parts.append(f"hold {low:g} s" if low == high else f"hold {low:g}–{high:g} s")
    if targets.get("sets"):
        parts.append(f"{targets['sets']} set(s)")
    if targets.get("per_side"):
        parts.append("each side")
    if not parts:
        return ""
    met = targets.get("met")
    verdict = {True: "met", False: "not met", None: "not measurable"}.get(met, "")
    source = f" (source: {escape(targets['source'])})" if targets.get("source") else ""
    return f"<p>Target: {escape(', '.join(parts))} — <b>{verdict}</b>{source}</p>"


def render_report_html(
    report: Mapping[str, Any],
    spec: ExerciseSpec,
    t_s: np.ndarray,
    signals: Mapping[str, np.ndarray],
    context: ReportContext,
    thumbnails: Mapping[int, bytes] | None = None,
) -> str:
    """The HTML report of one analysis.

    Args:
        report: the JSON report (contract in docs/report.md).
        spec: the exercise spec analysed (units, thresholds).
        t_s: (T,) frame times; signals: name → (T,) per-frame values.
        context: file name, patient and links to show.
        thumbnails: JPEG bytes of the worst frame, by index into ``report["faults"]``.

    Returns:
        A complete HTML document.
    """
    ex = report["exercise"]
    inp = report["input"]
    unit = signal_unit(spec, spec.reps.signal) if spec.reps is not None else ""
    meta = [f"File: {escape(context.source)}"]
    if context.patient:
        meta.append(f"Patient: {escape(context.patient)}")
    if context.program:
        meta.append(f"Program: {escape(context.program)}")
    meta.append(
        f"{inp['duration_s']:.1f} s, {inp['frames']} frames, {inp['fps']:.1f} fps, "
        f"{inp['width']}×{inp['height']}"
    )
    links = [
        f'<a href="{href(link)}">{label}</a>'
        for link, label in (
            (context.json_href, "JSON report"),
            (context.csv_href, "per-frame CSV"),
            (context.video_href, "annotated video"),
        )
        if link
    ]
    parts = [
        f"<h1>{escape(ex['title'])} <small class=meta>({escape(ex['id'])})</small></h1>",
        f'<p class="meta">{"<br>".join(meta)}</p>',
        f"<p>{' · '.join(links)}</p>" if links else "",
        f"<p><b>{escape(report['headline']['text'])}.</b></p>",
        "".join(f'<p class="meta">{escape(note)}</p>' for note in report["dosage"]["notes"]),
        _targets(report),
    ]
    if report["warnings"]:
        items = "".join(f"<li>{escape(w)}</li>" for w in report["warnings"])
        parts.append(f'<div class="warn"><b>Data quality</b><ul>{items}</ul></div>')
    parts.append("<h2>Signals over time</h2>")
    parts.append(
        '<p class="meta">Blue bands: reps (numbered); green: holds; red: faults; '
        "dashed: spec thresholds.</p>"
    )
    parts += [f"<figure>{svg}</figure>" for svg in signal_plots(report, spec, t_s, signals)]
    parts += ["<h2>Reps</h2>", _rep_table(report, unit)]
    parts += ["<h2>Holds</h2>", _hold_table(report)]
    parts += ["<h2>Faults</h2>", _fault_table(report, thumbnails or {})]
    if context.video_href:
        parts += [
            "<h2>Annotated video</h2>",
            f'<video controls preload="metadata" width="640" src="{href(context.video_href)}">'
            "</video>",
        ]
    parts += [
        "<h2>Limitations</h2>",
        f"<p>{escape(report['limitations'])}</p>",
        f'<p class="disclaimer">{escape(report["disclaimer"])}</p>',
    ]
    return html_page(f"{ex['title']} — {context.source}", "\n".join(p for p in parts if p))
