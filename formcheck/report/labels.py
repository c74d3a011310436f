"""Plain-word titles and units of spec signals, for plots and tables.

A signal is named in a spec by a short id (``hip``, ``hip_line``); a reader needs
what it measures and in which unit: "Hip angle (°)", "Hip above/below the
shoulder–knee line (% of shoulder–knee length)". The title is built from the
signal's definition, so every spec gets one without writing it twice. Fractions
of a body length are shown in percent.
"""

from __future__ import annotations

from dataclasses import dataclass

from formcheck.report.result import is_angle_signal
from formcheck.specs import ExerciseSpec
from formcheck.specs.schema import (
    Change,
    ForwardOffset,
    JointAngle,
    LineOffset,
    NormalisedDistance,
    SegmentElevation,
    SegmentInclination,
    Signal,
)

_PART_WORDS = {"foot_index": "toes", "index": "index finger", "pinky": "little finger"}


def part(name: str) -> str:
    """A landmark (or side-free part) name in words.

    >>> part("left_foot_index"), part("opposite_shoulder")
    ('left toes', 'opposite shoulder')
    """
    for side in ("left_", "right_", "opposite_"):
        if name.startswith(side):
            return f"{side[:-1]} {part(name[len(side) :])}"
    return _PART_WORDS.get(name, name.replace("_", " "))


def _line(a: str, b: str) -> str:
    return f"{part(a)}–{part(b)}"


def _title(spec: ExerciseSpec, signal: Signal) -> str:
    if isinstance(signal, JointAngle):
        return f"{part(signal.points[1])} angle"
    if isinstance(signal, SegmentElevation):
        return f"{_line(*signal.segment)} line above the horizontal"
    if isinstance(signal, SegmentInclination):
        return f"{_line(*signal.segment)} line from the vertical"
    if isinstance(signal, LineOffset):
        return f"{part(signal.point)} above/below the {_line(*signal.line)} line"
    if isinstance(signal, NormalisedDistance):
        return f"{_line(*signal.between)} distance"
    if isinstance(signal, ForwardOffset):
        return f"{part(signal.point)} ahead of the {part(signal.origin)}"
    if isinstance(signal, Change):
        return f"change in the {_title(spec, spec.signals[signal.of])} since the rep's start"
    words = [_title(spec, spec.signals[name]) for name in signal.of]
    return f"{'smaller' if signal.type == 'min' else 'larger'} of {' and '.join(words)}"


def _reference(spec: ExerciseSpec, signal: Signal) -> str:
    """The length a unitless signal is a fraction of."""
    if isinstance(signal, LineOffset):
        return _line(*signal.line)
    if isinstance(signal, (NormalisedDistance, ForwardOffset)):
        return _line(*signal.reference)
    if isinstance(signal, (JointAngle, SegmentElevation, SegmentInclination)):
        return ""
    base = signal.of if isinstance(signal, Change) else signal.of[0]
    return _reference(spec, spec.signals[base])


@dataclass(frozen=True)
class SignalLabel:
    """How to show one signal.

    Attributes:
        title: what it measures, in words ("Hip angle").
        unit: ``"°"`` or ``"%"``.
        scale: multiply stored values by this to show them (100 for fractions).
        of: for ``%``, the length it is a percentage of ("shoulder–knee length").
    """

    title: str
    unit: str
    scale: float
    of: str = ""

    @property
    def axis(self) -> str:
        """Title with its unit: "Hip angle (°)", "... (% of shoulder–knee length)"."""
        return f"{self.title} ({self.unit}{f' of {self.of}' if self.of else ''})"

    def format(self, value: float | None, digits: int = 1) -> str:
        """A value in this unit ("171.2°", "4.5%"); "–" when unknown."""
        if value is None or value != value:
            return "–"
        return f"{value * self.scale:.{digits}f}{self.unit}"


def signal_label(spec: ExerciseSpec, name: str) -> SignalLabel:
    """The title and unit of ``spec``'s signal ``name``.

    Example:
        >>> from formcheck.specs import load_spec
        >>> signal_label(load_spec("bridge"), "hip_line").axis
        'Hip above/below the shoulder–knee line (% of shoulder–knee length)'
    """
    signal = spec.signals[name]
    title = _title(spec, signal)
    title = title[:1].upper() + title[1:]
    if is_angle_signal(spec, name):
        return SignalLabel(title, "°", 1.0)
    return SignalLabel(title, "%", 100.0, f"{_reference(spec, signal)} length")
