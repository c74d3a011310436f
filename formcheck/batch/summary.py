"""The batch overview: ``summary.csv`` and ``index.html`` across all recordings.

One row per recording: patient, program, exercise, reps good/total against the
target, best hold against the target, faults, warnings, status or error, and the
link to its report. Texts from file names, manifests, specs and reports are
HTML-escaped in the index; in the CSV every cell holding a comma, quote, CR or LF
is quoted, and a text cell that a spreadsheet would run as a formula (starting
with ``=``, ``+``, ``-``, ``@``, tab or CR) gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from formcheck.report import DISCLAIMER
from formcheck.report.html import href, html_page
from formcheck.safe_text import spreadsheet_cell

CSV_COLUMNS: tuple[str, ...] = (
    "file",
    "patient",
    "program",
    "exercise",
    "status",
    "reps_good",
    "reps_total",
    "reps_target",
    "hold_s",
    "hold_target_s",
    "target_met",
    "faults",
    "warnings",
    "error",
    "report",
)
_NUMERIC = frozenset({"reps_good", "reps_total", "hold_s", "hold_target_s"})


def summarize(report: Mapping[str, Any]) -> dict[str, Any]:
    """The summary fields of one JSON report (JSON-friendly, stored in the batch state)."""
    targets = report.get("targets") or {}
    reps_target = targets.get("reps")
    hold_target = targets.get("hold_s")
    best: dict[str, float] = {}
    for hold in report["holds"]:
        side = hold.get("side") or ""
        best[side] = max(best.get(side, 0.0), float(hold["duration_s"]))
    faults = Counter(f["id"] for f in report["faults"])
    details = report["reps"]["details"]
    return {
        "exercise_title": report["exercise"]["title"],
        "kind": report["exercise"]["kind"],
        "reps_total": report["reps"]["total"],
        "reps_good": sum(1 for r in details if r.get("good")),
        "reps_target": list(reps_target) if reps_target else None,
        "holds": best,
        "hold_target_s": hold_target[0] if hold_target else None,
        "target_met": targets.get("met"),
        "faults": dict(faults),
        "warnings": list(report["warnings"]),
    }


def _range(values: Sequence[float] | None) -> str:
    if not values:
        return ""
    low, high = values
    return f"{low:g}" if low == high else f"{low:g}–{high:g}"


def _holds(holds: Mapping[str, float]) -> str:
    return ", ".join(f"{side} {s:.1f}".strip() for side, s in sorted(holds.items()))


def csv_row(row: Mapping[str, Any]) -> dict[str, str]:
    """A summary row (job fields + ``summary``) as ``CSV_COLUMNS`` strings."""
    s = row.get("summary") or {}
    met = s.get("target_met")
    values = {
        "file": row["file"],
        "patient": row.get("patient", ""),
        "program": row.get("program", ""),
        "exercise": row.get("exercise", ""),
        "status": row["status"],
        "reps_good": str(s["reps_good"]) if s else "",
        "reps_total": str(s["reps_total"]) if s else "",
        "reps_target": _range(s.get("reps_target")),
        "hold_s": _holds(s.get("holds") or {}),
        "hold_target_s": f"{s['hold_target_s']:g}" if s.get("hold_target_s") else "",
        "target_met": "" if met is None else ("yes" if met else "no"),
        "faults": "; ".join(f"{k} ×{n}" for k, n in sorted((s.get("faults") or {}).items())),
        "warnings": "; ".join(s.get("warnings") or []),
        "error": row.get("error") or "",
        "report": row.get("report") or "",
    }
    return {k: v if k in _NUMERIC else spreadsheet_cell(v) for k, v in values.items()}


def summary_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """``summary.csv`` text for the rows."""
    out = io.StringIO()
    # CRLF line ends (RFC 4180): the csv module then quotes every cell holding a CR or
    # LF (a file name may), so a spreadsheet never splits a row.
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(csv_row(row) for row in rows)
    return out.getvalue()


def index_html(rows: Sequence[Mapping[str, Any]], title: str = "formcheck batch review") -> str:
    """``index.html``: the overview table linking each recording's report."""
    counts = Counter(row["status"] for row in rows)
    totals = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    headers = (
        "file",
        "patient",
        "program",
        "exercise",
        "reps good / total (target)",
        "best hold s (target)",
        "faults",
        "warnings",
        "status",
    )
    body = []
    for row in rows:
        cells = csv_row(row)
        s = row.get("summary") or {}
        link = row.get("report")
        name = escape(row["file"])
        reps = ""
        if s and (s.get("reps_total") or s.get("reps_target")):
            target = f" ({escape(cells['reps_target'])})" if cells["reps_target"] else ""
            reps = f"{s['reps_good']} / {s['reps_total']}{target}"
        hold = escape(cells["hold_s"])
        if cells["hold_target_s"]:
            hold += f" ({escape(cells['hold_target_s'])})"
        status = escape(row["status"])
        if row.get("error"):
            status += f'<br><span class="bad">{escape(row["error"])}</span>'
        css = "bad" if row["status"] == "failed" else "ok" if s else ""
        cells_html = [
            f'<a href="{href(link)}">{name}</a>' if link else name,
            escape(row.get("patient", "")),
            escape(row.get("program", "")),
            escape(row.get("exercise", "")),
            reps,
            hold,
            escape(cells["faults"]),
            escape(cells["warnings"]),
            f'<span class="{css}">{status}</span>',
        ]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells_html) + "</tr>")
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return html_page(
        title,
        f"<h1>{escape(title)}</h1><p class=meta>{len(rows)} recordings: {escape(totals)}. "
        '<a href="summary.csv">summary.csv</a></p>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f'<p class="disclaimer">{escape(DISCLAIMER)}</p>',
    )
