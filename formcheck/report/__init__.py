"""The report stage: the typed result of an analysis and everything written from it.

``result`` (:class:`Report`, its JSON form, the input statistics), ``quality``
(the data-quality warnings, from one place), ``contract`` (validation and JSON
text), ``text`` (the terminal summary), ``labels`` (signal titles and units),
``plots`` and ``html`` (the self-contained HTML report), ``csv_export`` (the
per-frame CSV), ``thumbnails`` (each fault's worst frame), ``writers`` (output
names and the writer registry used by ``analyze``, ``batch`` and ``live``).
"""

from formcheck.report.bundle import ReportBundle, ReportContext
from formcheck.report.contract import ReportError, to_json, validate_report
from formcheck.report.result import (
    DISCLAIMER,
    SCHEMA_VERSION,
    AnalysisInfo,
    FrameTally,
    Inference,
    InputStats,
    LiveSet,
    Report,
    Sampling,
    Smoothing,
)
from formcheck.report.writers import (
    OUTPUT_SUFFIXES,
    WRITERS,
    output_name,
    output_stem,
    render_outputs,
    write_outputs,
)

__all__ = [
    "DISCLAIMER",
    "OUTPUT_SUFFIXES",
    "SCHEMA_VERSION",
    "WRITERS",
    "AnalysisInfo",
    "FrameTally",
    "Inference",
    "InputStats",
    "LiveSet",
    "Report",
    "ReportBundle",
    "ReportContext",
    "ReportError",
    "Sampling",
    "Smoothing",
    "output_name",
    "output_stem",
    "render_outputs",
    "to_json",
    "validate_report",
    "write_outputs",
]
