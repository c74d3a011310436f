"""Reports: the versioned JSON contract (and, later, CSV and HTML views of it)."""

from formcheck.report.contract import (
    DISCLAIMER,
    SCHEMA_VERSION,
    ReportError,
    validate_report,
    write_report,
)

__all__ = ["DISCLAIMER", "SCHEMA_VERSION", "ReportError", "validate_report", "write_report"]
