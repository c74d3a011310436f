"""The JSON report: a documented, versioned contract (see docs/report.md).

Later tools (batch review, dashboards) read these files, so the shape is checked
by ``validate_report`` before anything is written, and writes are atomic.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from formcheck.atomic import write_text_atomic

SCHEMA_VERSION = "1.0"
DISCLAIMER = (
    "formcheck coaches exercise form; it does not diagnose. Stop any exercise that "
    "causes or worsens pain and tell your clinician."
)

# Required keys and their JSON types; nested dicts list their own required keys.
_REQUIRED: dict[str, Any] = {
    "schema_version": str,
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
    """Raise ``ReportError`` if ``report`` does not follow schema ``SCHEMA_VERSION``."""
    _check(report, _REQUIRED, "report")
    for i, fault in enumerate(report["faults"]):
        _check(fault, _FAULT_KEYS, f"report.faults[{i}]")
    for i, hold in enumerate(report["holds"]):
        _check(hold, _HOLD_KEYS, f"report.holds[{i}]")


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: NaN and infinity (not JSON) become null, numpy
    scalars Python numbers, tuples lists."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return jsonable(value.item())
    return value


def to_json(report: dict[str, Any]) -> str:
    """The report as indented JSON text (validated first)."""
    validate_report(report)
    return json.dumps(jsonable(report), indent=2, allow_nan=False) + "\n"


def write_report(report: dict[str, Any], path: str | Path) -> Path:
    """Validate and atomically write ``report`` to ``path``; returns the path."""
    path = Path(path)
    write_text_atomic(path, to_json(report))
    return path
