"""A patient's history from the session store: adherence, trends, faults, pain.

Library use::

    from formcheck.history import load_history, render_history_html
    from formcheck.store import open_store

    with open_store("clinic.db") as store:
        history = load_history(store, "p017", since="30d")
    history.adherence.days_active, history.to_dict(), render_history_html(history)
"""

from formcheck.history.batch import BatchSessions, page_name
from formcheck.history.csv_export import history_csv
from formcheck.history.files import write_history
from formcheck.history.html import render_history_html
from formcheck.history.model import (
    RTM_DAYS_REQUIRED,
    RTM_PERIOD_DAYS,
    Adherence,
    ExerciseTrend,
    FaultTrend,
    History,
    HistoryError,
    PainRating,
    TrendPoint,
    build_history,
    load_history,
    parse_since,
)
from formcheck.history.text import history_lines, patient_lines

__all__ = [
    "RTM_DAYS_REQUIRED",
    "RTM_PERIOD_DAYS",
    "Adherence",
    "BatchSessions",
    "ExerciseTrend",
    "FaultTrend",
    "History",
    "HistoryError",
    "PainRating",
    "TrendPoint",
    "build_history",
    "history_csv",
    "history_lines",
    "load_history",
    "page_name",
    "parse_since",
    "patient_lines",
    "render_history_html",
    "write_history",
]
