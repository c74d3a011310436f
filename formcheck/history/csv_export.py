"""A patient's sessions as CSV: one row per session, one value per cell.

Numbers are plain numbers; a text cell that a spreadsheet would run as a formula
(starting with ``=``, ``+``, ``-``, ``@``, tab or CR) gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from formcheck.history.model import History

CSV_COLUMNS: tuple[str, ...] = (
    "date",
    "started_at",
    "exercise",
    "title",
    "source",
    "recording",
    "reps_total",
    "reps_left",
    "reps_right",
    "reps_good",
    "reps_target_min",
    "reps_target_max",
    "rom_mean_deg",
    "best_hold_s",
    "hold_target_min_s",
    "faults",
    "dosage",
    "pain_before",
    "pain_after",
    "warnings",
    "report",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def history_csv(history: History) -> str:
    """The CSV text of ``history.sessions`` (oldest first)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in history.sessions:
        roms = [r.rom for r in s.reps if r.rom is not None]
        form = Counter(f.id for f in s.faults if f.kind == "form")
        dosage = Counter(f.id for f in s.faults if f.kind == "dosage")
        low, high = s.reps_target or (None, None)
        row = [
            s.session_date.isoformat(),
            s.started_at.isoformat() if s.started_at else None,
            s.exercise,
            s.exercise_title,
            s.source,
            s.recording,
            s.reps_total,
            s.reps_left,
            s.reps_right,
            s.reps_good,
            low,
            high,
            sum(roms) / len(roms) if roms else None,
            s.best_hold_s,
            s.hold_target_s[0] if s.hold_target_s else None,
            "; ".join(f"{k} x{n}" for k, n in sorted(form.items())),
            "; ".join(f"{k} x{n}" for k, n in sorted(dosage.items())),
            s.pain_before,
            s.pain_after,
            "; ".join(s.warnings),
            s.report_path,
        ]
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()
