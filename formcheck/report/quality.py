"""Data-quality warnings: the one place a report's ``warnings`` come from.

The engine judges every frame against the spec (nobody there, what the count or the
hold reads not measured at the spec's ``visibility_min``, the wrong camera view) and
says which rules it could not check; those findings are its
``SessionResult.warnings``. What the engine does not see, the input's statistics add:
several people in view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from formcheck.engine import SessionResult
from formcheck.engine.session import WARNING_MIN_SHARE

if TYPE_CHECKING:
    from formcheck.report.result import InputStats


def data_quality_warnings(stats: InputStats, session: SessionResult) -> tuple[str, ...]:
    """The engine's findings, then those of the input (each from ``WARNING_MIN_SHARE``
    of frames)."""
    warnings = list(session.warnings)
    several = stats.frames_with_several_people / stats.frames if stats.frames else 0.0
    if several >= WARNING_MIN_SHARE:
        warnings.append(
            f"more than one person in {several:.0%} of frames: the most prominent one was analysed"
        )
    return tuple(warnings)
