"""The JSON report: a documented, versioned contract (see docs/report.md).

Later tools (batch review, dashboards) read these files, so the shape is checked
by ``validate_report`` before anything is written.
"""

from __future__ import annotations

import json
from typing import Any

from formcheck.report.result import Report

# Required keys and their JSON types; nested dicts list their own required keys.
_REQUIRED: dict[str, Any] = {
    "schema_version": str,
    "formcheck_version": str,
    "analysed_at": str,
    "exercise": {"id": str, "title": str, "kind": str},
    "input": {
        "path": str,
        "width": int,
        "height": int,
        "fps": (int, float),
        "frames": int,
        "duration_s": (int, float),
    },
    "reps": {"total": int, "left": (int, type(None)), "right": (int, type(None)), "details": list},
    "holds": list,
    "faults": list,
    "warnings": list,
    "limitations": str,
    "disclaimer": str,
}
_FAULT_KEYS = {"id": str, "start_s": (int, float), "end_s": (int, float), "message": str}
_HOLD_KEYS = {"start_s": (int, float), "end_s": (int, float), "duration_s": (int, float)}


class ReportError(ValueError):
    """A report does not follow the contract (a bug, never a user error)."""


def _check(obj: Any, spec: Any, where: str) -> None:
    if isinstance(spec, dict):
        if not isinstance(obj, dict):
            raise ReportError(f"{where} must be an object, got {type(obj).__name__}")
        for key, sub in spec.items():
            if key not in obj:
                raise ReportError(f"{where}.{key} is missing")
            _check(obj[key], sub, f"{where}.{key}")
    elif not isinstance(obj, spec) or (isinstance(obj, bool) and spec in (int, (int, float))):
        raise ReportError(f"{where} has type {type(obj).__name__}, expected {spec}")


def validate_report(report: dict[str, Any]) -> None:
    """Raise ``ReportError`` if ``report`` (a JSON report read back, or
    ``Report.to_dict()``) does not follow the contract's required part."""
    _check(report, _REQUIRED, "report")
    for i, fault in enumerate(report["faults"]):
        _check(fault, _FAULT_KEYS, f"report.faults[{i}]")
    for i, hold in enumerate(report["holds"]):
        _check(hold, _HOLD_KEYS, f"report.holds[{i}]")


def to_json(report: Report) -> str:
    """The report as indented JSON text (validated first)."""
    doc = report.to_dict()
    validate_report(doc)
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"
