"""Self-contained HTML report of one analysis: opens offline, runs no script.

Plots are inline SVG (:mod:`formcheck.report.plots`), fault thumbnails are base64
JPEG ``data:`` URLs, the style sheet is inline; the only links are relative ones
to sibling files (the JSON report, the per-frame CSV, the annotated video).
Every text that comes from a file name, a manifest, a spec or a report is
HTML-escaped, and a Content-Security-Policy forbids scripts and outside requests.
The page fits a 1280 px wide window without scrolling sideways.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape
from urllib.parse import quote

import numpy as np

from formcheck.engine import Hold
from formcheck.engine.summary import side_words
from formcheck.report.bundle import ReportBundle
from formcheck.report.labels import SignalLabel, signal_label
from formcheck.report.plots import Span, Threshold, line_plot_svg
from formcheck.report.result import DISCLAIMER, Report
from formcheck.report.text import (
    fault_title,
    span_text,
    targets_text,
    verdict_text,
)
from formcheck.specs.schema import Condition, ExerciseSpec

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;
color:#212529;max-width:1180px;padding:0 16px}
h1{font-size:1.5em;margin-bottom:4px}h2{font-size:1.15em;margin-top:28px;border-bottom:1px solid
#dee2e6;padding-bottom:4px}h3{font-size:1em;margin:18px 0 4px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #dee2e6;padding:4px 8px;
text-align:left;vertical-align:top;overflow-wrap:anywhere}th{background:#f1f3f5}
.meta{color:#495057}.ok{color:#2b8a3e}.bad{color:#c92a2a}.review{color:#b35c00}
.warn{background:#fff3bf;padding:8px}.disclaimer{background:#e7f5ff;padding:8px;margin-top:24px}
figure{margin:8px 0}.thumb{max-width:360px;width:100%;display:block}
svg.plot{max-width:100%;height:auto}video{max-width:100%}
"""

# What each output kind is called in the report's links.
_LINK_LABELS = {
    "json": "JSON report",
    "frames_csv": "per-frame CSV",
    "annotated_video": "annotated video",
}


CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; media-src 'self' file:; "
    "base-uri 'none'; form-action 'none'"
)
"""No script, no request anywhere: inline style, ``data:`` thumbnails and the sibling
annotated video only, even if some text slipped through unescaped."""


def html_page(title: str, body: str, style: str = "") -> str:
    """A complete HTML document with the report style sheet (plus ``style``);
    ``title`` is escaped."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}{style}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def href(relative_path: str) -> str:
    """A relative POSIX path as an escaped ``href`` value (percent-encoded, then HTML)."""
    return escape(quote(relative_path), quote=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], css: str = "") -> str:
    """An HTML table (of class ``css``, if given); headers are escaped here, cells
    must be escaped HTML already."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    cls = f' class="{css}"' if css else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _seconds(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.1f} s"


def _thresholds(spec: ExerciseSpec) -> dict[str, list[Threshold]]:
    """Every spec threshold on a plotted signal, by signal name: the rep band, the
    rep rules on the peak, the hold band and the frame faults."""
    out: dict[str, list[Threshold]] = {}

    def add(signal: str | None, cond: Condition, label: str) -> None:
        if signal is None:
            return
        values = cond.value if isinstance(cond.value, tuple) else (cond.value,)
        out.setdefault(signal, []).extend(Threshold(float(v), label) for v in values)

    if spec.reps is not None:
        rule = spec.reps
        out[rule.signal] = [
            Threshold(rule.enter, "rep: top reached" if rule.peak == "high" else "rep: bottom"),
            Threshold(rule.exit, "rep: leaving the peak"),
            Threshold(rule.rest, "rep: back at rest"),
        ]
    if spec.hold is not None:
        for cond in spec.hold.when:
            add(cond.signal, cond, "hold band")
    for fault in spec.faults:
        for cond in fault.when:
            if fault.scope == "frame":
                add(cond.signal, cond, fault_title(fault.id))
            elif cond.metric == "peak" and spec.reps is not None:
                add(spec.reps.signal, cond, f"{fault_title(fault.id)} (rep peak)")
    return out


def _spans(report: Report) -> list[Span]:
    session = report.session
    per_side = report.spec.per_side
    spans = [
        Span(r.start_s, r.end_s, "rep", f"{r.index}{r.side[:1].upper() if per_side else ''}")
        for r in session.reps
    ]
    spans += [Span(h.start_s, h.end_s, "hold") for h in session.holds]
    spans += [Span(f.start_s, f.end_s, "fault", fault_title(f.id)) for f in session.faults]
    return spans


def signal_plots(report: Report) -> list[str]:
    """One SVG plot per spec signal (left and right together), reps/holds/faults
    marked, every threshold drawn; values in the signal's display unit."""
    spec, session = report.spec, report.session
    groups: dict[str, dict[str, np.ndarray]] = {}
    for name, values in session.signals.items():
        base, _, side = name.partition(".")
        groups.setdefault(base, {})[side or base] = values
    thresholds = _thresholds(spec)
    spans = _spans(report)
    plots = []
    for base, series in groups.items():
        label = signal_label(spec, base)
        plots.append(
            line_plot_svg(
                session.t_s,
                {name: values * label.scale for name, values in series.items()},
                title=label.axis,
                spans=spans,
                thresholds=[
                    Threshold(th.value * label.scale, th.label) for th in thresholds.get(base, ())
                ],
            )
        )
    return plots


def _rep_table(report: Report, label: SignalLabel | None) -> str:
    reps = report.session.reps
    if not reps:
        return "<p>No rep was counted.</p>"
    rows = []
    for rep in reps:
        tempo = " / ".join(_seconds(v) for v in (rep.outbound_s, rep.hold_s, rep.return_s))
        faults = ", ".join(fault_title(f) for f in rep.faults) or "none"
        value = label.format if label is not None else (lambda v: f"{v:.3g}")
        rows.append(
            [
                escape(str(rep.index)),
                escape(rep.side if report.spec.per_side else ""),
                escape(span_text(rep.start_s, rep.end_s)),
                escape(value(rep.rom)),
                escape(value(rep.peak)),
                escape(tempo),
                f'<span class="{"ok" if rep.good else "bad"}">{escape(faults)}</span>',
            ]
        )
    headers = ["#", "side", "time", "range of motion", "peak", "out / hold / back", "faults"]
    return table(headers, rows)


def _hold_table(report: Report) -> str:
    holds = report.session.holds
    if not holds:
        return "<p>No hold was timed.</p>" if report.spec.hold is not None else ""
    rows = []
    for hold in holds:
        met = hold.target_met
        rows.append(
            [
                escape(side_words(report.spec, hold.side)),
                escape(span_text(hold.start_s, hold.end_s)),
                escape(_seconds(hold.duration_s)),
                escape(_seconds(hold.target_s) if hold.target_s else "–"),
                f'<span class="{"ok" if met else "bad"}">{verdict_text(met)}</span>',
            ]
        )
    return table(["side", "time", "held", "target", "target met"], rows)


def _fault_table(bundle: ReportBundle) -> str:
    faults = bundle.report.session.faults
    if not faults:
        return "<p>No form fault was flagged.</p>"
    rows = []
    for i, fault in enumerate(faults):
        jpeg = bundle.thumbnails.get(i)
        image = (
            f'<img class="thumb" alt="worst frame of {escape(fault_title(fault.id))}" '
            f'src="data:image/jpeg;base64,{base64.b64encode(jpeg).decode("ascii")}">'
            if jpeg
            else "–"
        )
        rows.append(
            [
                escape(fault_title(fault.id)),
                escape(fault.severity),
                escape(fault.side),
                escape(span_text(fault.start_s, fault.end_s)),
                escape(fault.message),
                image,
            ]
        )
    return table(["fault", "severity", "side", "time", "what to do", "worst frame"], rows)


def _target(report: Report) -> str:
    targets = report.session.targets
    wanted = targets_text(targets)
    if not wanted:
        return ""
    source = f" (source: {escape(targets.source)})" if targets.source else ""
    return (
        f"<p>Target: {escape(wanted)} — <b>{verdict_text(targets.met)}</b>"
        f'<br><span class="meta">{source}</span></p>'
    )


def render_report_html(bundle: ReportBundle) -> str:
    """The HTML report of one analysis (or one live set): a complete document."""
    report, context = bundle.report, bundle.context
    spec, stats, source = report.spec, report.stats, report.source
    meta = [f"File: {escape(context.source)}"]
    if context.patient:
        meta.append(f"Patient: {escape(context.patient)}")
    if context.program:
        meta.append(f"Program: {escape(context.program)}")
    if report.live is not None:
        live = report.live
        done = "" if live.complete else " (not completed)"
        meta.append(f"Live session, set {live.set} of {live.sets}{done}")
    meta.append(
        f"{stats.duration_s:.1f} s, {stats.frames} frames, {stats.fps:.1f} fps, "
        f"{source.width}×{source.height}"
    )
    meta.append(
        f"Analysed {escape(report.analysed_at)} by formcheck {escape(report.formcheck_version)} "
        f"({escape(report.analysis.backend)})"
    )
    links = [
        f'<a href="{href(link)}">{_LINK_LABELS.get(kind, escape(kind))}</a>'
        for kind, link in context.links.items()
    ]
    session = report.session
    # A hold exercise's headline is its longest hold already.
    longest_holds = [
        f"{f'Longest hold {side_words(spec, h.side)}'.rstrip()}: {h.duration_s:.1f} s"
        for h in _best_holds(report)
        if session.headline.kind != "hold"
    ]
    parts = [
        f"<h1>{escape(spec.title)} <small class=meta>({escape(spec.id)})</small></h1>",
        f'<p class="meta">{"<br>".join(meta)}</p>',
        f"<p>{' · '.join(links)}</p>" if links else "",
        f"<p><b>{escape(session.headline.text)}.</b></p>",
        "".join(f"<p><b>{escape(line)}</b></p>" for line in longest_holds),
        "".join(f'<p class="meta">{escape(note)}</p>' for note in session.dosage.notes),
        _target(report),
    ]
    if report.warnings:
        items = "".join(f"<li>{escape(w)}</li>" for w in report.warnings)
        parts.append(f'<div class="warn"><b>Data quality</b><ul>{items}</ul></div>')
    plots = signal_plots(report)
    if plots:
        parts.append("<h2>Signals over time</h2>")
        parts.append(
            '<p class="meta">Blue bands: reps (numbered); green: holds; red: faults; '
            "dashed lines: the exercise's thresholds.</p>"
        )
        parts += [f"<figure>{svg}</figure>" for svg in plots]
    primary = signal_label(spec, spec.reps.signal) if spec.reps is not None else None
    if spec.reps is not None or report.session.reps:
        parts += ["<h2>Reps</h2>", _rep_table(report, primary)]
    hold_table = _hold_table(report)
    if hold_table:
        parts += ["<h2>Holds</h2>", hold_table]
    parts += ["<h2>Faults</h2>", _fault_table(bundle)]
    video = context.links.get("annotated_video")
    if video:
        parts += [
            "<h2>Annotated video</h2>",
            f'<video controls preload="metadata" width="640" src="{href(video)}"></video>',
        ]
    parts += [
        "<h2>Limitations</h2>",
        f"<p>{escape(report.session.limitations)}</p>",
        f'<p class="disclaimer">{escape(DISCLAIMER)}</p>',
    ]
    return html_page(f"{spec.title} — {context.source}", "\n".join(p for p in parts if p))


def _best_holds(report: Report) -> list[Hold]:
    """The longest hold of each side (of the body when the spec has no sides)."""
    best: dict[str, Hold] = {}
    for hold in report.session.holds:
        key = hold.side if report.spec.per_side else ""
        if key not in best or hold.duration_s > best[key].duration_s:
            best[key] = hold
    return [best[key] for key in sorted(best)]
