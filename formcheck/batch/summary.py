"""The batch overview: ``summary.csv`` and ``index.html`` across all recordings.

One row per recording. A recording that was analysed is ``ok`` or ``needs
review`` (no rep counted, no hold timed, the person mostly unseen, or many
data-quality warnings: a reviewer should look before trusting its numbers); the
others are ``failed`` (with the error) or ``not run`` (the batch was interrupted
first). The index groups the rows by patient and shows exercise titles and cue
texts; the CSV has one value per cell, numbers as plain numbers, and starts with a
UTF-8 byte-order mark so that spreadsheets read its accents and dashes. Texts from
file names, manifests, specs and reports are HTML-escaped in the index; in the CSV
every cell holding a comma, quote, CR or LF is quoted, and a text cell that a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
CR) gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from html import escape
from itertools import groupby
from typing import Any

from formcheck.report import DISCLAIMER, Report
from formcheck.report.html import href, html_page
from formcheck.report.text import fault_groups, range_text, verdict_text
from formcheck.safe_text import spreadsheet_cell

# A recording needs review when the person was seen in fewer than this share of its
# frames, or when it has at least this many data-quality warnings.
PERSON_SEEN_MIN = 0.5
MANY_WARNINGS = 3
BOM = "\ufeff"


@dataclass(frozen=True)
class FaultCount:
    """How often one fault was flagged, with its cue text."""

    id: str
    cue: str
    count: int


@dataclass(frozen=True)
class VideoSummary:
    """The overview's figures of one analysed recording (kept in the batch state).

    Attributes:
        holds: the longest hold of each side (``""``: the body, no sides), seconds.
        frames, frames_with_person: analysed frames, and those with a person.
        counts_reps, times_holds: the exercise counts reps / times holds.
        not_measurable: filmed from a view where the spec says the count or
            hold cannot be measured (the figures are not a result).
    """

    exercise_title: str
    counts_reps: bool
    times_holds: bool
    reps_total: int
    reps_good: int
    reps_left: int | None
    reps_right: int | None
    reps_target: tuple[int, int] | None
    holds: dict[str, float]
    hold_target_s: float | None
    target_met: bool | None
    faults: tuple[FaultCount, ...]
    warnings: tuple[str, ...]
    frames: int
    frames_with_person: int
    not_measurable: bool = False

    @classmethod
    def of(cls, report: Report) -> VideoSummary:
        session, spec = report.session, report.spec
        best: dict[str, float] = {}
        for hold in session.holds:
            side = hold.side if spec.per_side else ""
            best[side] = max(best.get(side, 0.0), round(hold.duration_s, 3))
        targets = session.targets
        return cls(
            exercise_title=spec.title,
            counts_reps=spec.reps is not None,
            times_holds=spec.hold is not None,
            reps_total=session.reps_total,
            reps_good=report.reps_good,
            reps_left=session.reps_left,
            reps_right=session.reps_right,
            reps_target=targets.reps,
            holds=best,
            hold_target_s=targets.hold_s[0] if targets.hold_s else None,
            target_met=targets.met,
            faults=tuple(
                FaultCount(fault_id, spans[0].message, len(spans))
                for fault_id, spans in fault_groups(session.faults).items()
            ),
            warnings=report.warnings,
            frames=report.stats.frames,
            frames_with_person=report.stats.frames_with_person,
            not_measurable=session.view.not_measurable,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VideoSummary:
        """Read back :meth:`to_dict` (from the batch state file)."""
        fields = dict(data)
        target = fields["reps_target"]
        fields["reps_target"] = tuple(target) if target else None
        fields["faults"] = tuple(FaultCount(**f) for f in fields["faults"])
        fields["warnings"] = tuple(fields["warnings"])
        return cls(**fields)

    @property
    def person_seen(self) -> float:
        """Share of frames with a person (0 without frames)."""
        return self.frames_with_person / self.frames if self.frames else 0.0

    @property
    def review_reasons(self) -> tuple[str, ...]:
        """Why a reviewer should look before trusting the figures (empty: nothing)."""
        reasons = []
        if self.not_measurable:
            reasons.append("not measurable from this camera view")
        if self.counts_reps and self.reps_total == 0 and not self.not_measurable:
            reasons.append("no rep counted")
        if self.times_holds and not self.holds and not self.not_measurable:
            reasons.append("no hold timed")
        if self.person_seen < PERSON_SEEN_MIN:
            reasons.append(f"person seen in {self.person_seen:.0%} of frames")
        if len(self.warnings) >= MANY_WARNINGS:
            reasons.append(f"{len(self.warnings)} data-quality warnings")
        return tuple(reasons)


@dataclass(frozen=True)
class BatchRow:
    """One recording in the overview.

    Attributes:
        run: ``analysed`` (this run), ``unchanged`` (an earlier run), ``failed``
            or ``not run``.
        summary: the figures, for a recording analysed now or earlier.
        report: the HTML report's path relative to REPORT_DIR, or None.
        history: the patient's history page relative to REPORT_DIR, or None
            (``formcheck batch --db``).
    """

    file: str
    patient: str
    program: str
    exercise: str
    run: str
    error: str | None = None
    summary: VideoSummary | None = None
    report: str | None = None
    history: str | None = None

    @property
    def status(self) -> str:
        """``ok``, ``needs review``, ``failed`` or ``not run``."""
        if self.summary is None:
            return "failed" if self.run == "failed" else "not run"
        return "needs review" if self.summary.review_reasons else "ok"


def _number(value: float | None, digits: int = 1) -> str:
    """A CSV number cell: integers as they are, other numbers to ``digits`` decimals."""
    if value is None:
        return ""
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def csv_columns(rows: Sequence[BatchRow]) -> list[str]:
    """The columns of ``summary.csv``: fixed ones, then one count column per fault
    id seen in the batch (``fault_<id>``)."""
    fault_ids = sorted({f.id for row in rows if row.summary for f in row.summary.faults})
    return [
        "file",
        "patient",
        "program",
        "exercise",
        "exercise_title",
        "status",
        "review_reasons",
        "run",
        "reps_total",
        "reps_good",
        "reps_left",
        "reps_right",
        "reps_target_min",
        "reps_target_max",
        "hold_s",
        "hold_left_s",
        "hold_right_s",
        "hold_target_s",
        "target_met",
        "faults_total",
        *(f"fault_{fault_id}" for fault_id in fault_ids),
        "warnings_total",
        "warnings",
        "person_seen_pct",
        "error",
        "report",
    ]


# The count and hold cells, blank when the camera view could not measure them.
_MEASURED_CELLS = (
    "reps_total",
    "reps_good",
    "reps_left",
    "reps_right",
    "hold_s",
    "hold_left_s",
    "hold_right_s",
)


def csv_row(row: BatchRow) -> dict[str, str]:
    """A row of ``summary.csv`` (text cells that look like formulas neutralised)."""
    s = row.summary
    text = {
        "file": row.file,
        "patient": row.patient,
        "program": row.program,
        "exercise": row.exercise,
        "exercise_title": s.exercise_title if s else "",
        "status": row.status,
        "review_reasons": "; ".join(s.review_reasons) if s else "",
        "run": row.run,
        "target_met": "" if s is None else {True: "yes", False: "no", None: ""}[s.target_met],
        "warnings": "; ".join(s.warnings) if s else "",
        "error": row.error or "",
        "report": row.report or "",
    }
    cells = {k: spreadsheet_cell(v) for k, v in text.items()}
    if s is None:
        return cells
    low, high = s.reps_target or (None, None)
    cells |= {
        "reps_total": _number(s.reps_total),
        "reps_good": _number(s.reps_good),
        "reps_left": _number(s.reps_left),
        "reps_right": _number(s.reps_right),
        "reps_target_min": _number(low),
        "reps_target_max": _number(high),
        "hold_s": _number(max(s.holds.values()) if s.holds else None),
        "hold_left_s": _number(s.holds.get("left")),
        "hold_right_s": _number(s.holds.get("right")),
        "hold_target_s": _number(s.hold_target_s),
        "faults_total": _number(sum(f.count for f in s.faults)),
        "warnings_total": _number(len(s.warnings)),
        "person_seen_pct": _number(100.0 * s.person_seen, 0),
    }
    cells |= {f"fault_{f.id}": _number(f.count) for f in s.faults}
    if s.not_measurable:  # blank, not 0: nothing was measured (review_reasons says why)
        cells |= dict.fromkeys(_MEASURED_CELLS, "")
    return cells


def summary_csv(rows: Sequence[BatchRow]) -> str:
    """``summary.csv`` text for the rows, starting with a UTF-8 byte-order mark."""
    out = io.StringIO()
    # CRLF line ends (RFC 4180): the csv module then quotes every cell holding a CR or
    # LF (a file name may), so a spreadsheet never splits a row.
    writer = csv.DictWriter(out, fieldnames=csv_columns(rows), lineterminator="\r\n", restval="")
    writer.writeheader()
    writer.writerows(csv_row(row) for row in rows)
    return BOM + out.getvalue()


def _reps_cell(s: VideoSummary) -> str:
    if s.not_measurable and s.counts_reps:
        return "not measured"
    if not (s.counts_reps or s.reps_total):
        return ""
    cell = f"{s.reps_good} / {s.reps_total}"
    if s.reps_left is not None:
        cell += f" (left {s.reps_left}, right {s.reps_right})"
    if s.reps_target:
        cell += f"<br><span class=meta>target {range_text(*s.reps_target)}</span>"
    return cell


def _hold_cell(s: VideoSummary) -> str:
    if s.not_measurable and s.times_holds:
        return "not measured"
    holds = ", ".join(f"{side} {sec:.1f} s".strip() for side, sec in sorted(s.holds.items()))
    if s.hold_target_s:
        holds += f"<br><span class=meta>target {s.hold_target_s:g} s</span>"
    return holds


def _status_cell(row: BatchRow) -> str:
    status = row.status
    css = {"ok": "ok", "needs review": "review", "failed": "bad"}.get(status, "meta")
    html = f'<span class="{css}">{escape(status)}</span>'
    if row.summary is not None and row.summary.review_reasons:
        html += "<br>" + escape("; ".join(row.summary.review_reasons))
    if row.error:
        html += f'<br><span class="bad">{escape(row.error)}</span>'
    if row.run == "unchanged":
        html += '<br><span class="meta">from an earlier run</span>'
    return html


_INDEX_STYLE = (
    "table.index{width:100%;table-layout:fixed}"
    "table.index th.group{background:#e7f5ff;font-size:1.05em}"
    "col.c-file{width:19%}col.c-ex{width:11%}col.c-reps{width:10%}col.c-hold{width:9%}"
    "col.c-met{width:7%}col.c-faults{width:18%}col.c-warn{width:14%}col.c-status{width:12%}"
)
_INDEX_COLUMNS = (
    ("c-file", "recording"),
    ("c-ex", "exercise"),
    ("c-reps", "reps good / total"),
    ("c-hold", "best hold"),
    ("c-met", "target met"),
    ("c-faults", "faults"),
    ("c-warn", "warnings"),
    ("c-status", "status"),
)


def _index_row(row: BatchRow) -> str:
    s = row.summary
    name = escape(row.file)
    cells = [f'<a href="{href(row.report)}">{name}</a>' if row.report else name]
    exercise = escape(s.exercise_title if s else row.exercise)
    if row.program:
        exercise += f'<br><span class="meta">program {escape(row.program)}</span>'
    cells.append(exercise)
    if s is None:
        cells += ["", "", "", "", ""]
    else:
        faults = "<br>".join(f"{escape(f.cue)} (×{f.count})" for f in s.faults)
        cells += [
            _reps_cell(s),
            _hold_cell(s),
            escape(verdict_text(s.target_met)),
            faults or '<span class="ok">none</span>',
            "<br>".join(escape(w) for w in s.warnings),
        ]
    cells.append(_status_cell(row))
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def index_html(rows: Sequence[BatchRow], title: str = "formcheck batch review") -> str:
    """``index.html``: the overview, grouped by patient, linking each recording's report."""
    counts = Counter(row.status for row in rows)
    totals = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    cols = "".join(f'<col class="{css}">' for css, _ in _INDEX_COLUMNS)
    head = "".join(f"<th>{escape(label)}</th>" for _, label in _INDEX_COLUMNS)
    groups = []
    ordered = sorted(rows, key=lambda row: (row.patient == "", row.patient, row.file))
    for patient, group in groupby(ordered, key=lambda row: row.patient):
        members = list(group)
        label = escape(f"Patient {patient}" if patient else "No patient given")
        history = next((row.history for row in members if row.history), None)
        if history:
            label += f' · <a href="{href(history)}">history</a>'
        groups.append(
            f'<tbody><tr><th class="group" colspan="{len(_INDEX_COLUMNS)}">'
            f"{label}</th></tr>{''.join(_index_row(row) for row in members)}</tbody>"
        )
    return html_page(
        title,
        f"<h1>{escape(title)}</h1><p class=meta>{len(rows)} recordings: "
        f'{escape(totals)}. <a href="summary.csv">summary.csv</a></p>'
        f'<table class="index"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>'
        f"{''.join(groups)}</table>"
        f'<p class="disclaimer">{escape(DISCLAIMER)}</p>',
        _INDEX_STYLE,
    )
