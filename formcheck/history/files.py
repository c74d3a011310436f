"""Writing a patient's history to files: the self-contained HTML page and the CSV."""

from __future__ import annotations

from pathlib import Path

from formcheck.atomic import write_text_atomic
from formcheck.history.csv_export import history_csv
from formcheck.history.html import render_history_html
from formcheck.history.model import History


def write_history(
    history: History, *, html: str | Path | None = None, csv: str | Path | None = None
) -> list[str]:
    """Write the history's HTML page and/or CSV (atomically); returns one line per
    file written, saying what it is and where."""
    written = []
    if html:
        write_text_atomic(Path(html), render_history_html(history))
        written.append(f"History page: {html}")
    if csv:
        write_text_atomic(Path(csv), history_csv(history))
        written.append(f"Sessions CSV: {csv}")
    return written
