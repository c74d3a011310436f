"""The typed report of one analysis and its JSON form, the contract of docs/report.md.

A :class:`Report` carries the engine's :class:`~formcheck.engine.SessionResult`
whole, beside what the report adds: the exercise spec, the input and its
statistics, how the analysis ran, and (live sets) the ``live`` section. Writers
and summaries read its attributes; :meth:`Report.to_dict` is the JSON contract.
Every field the engine puts in ``SessionResult.to_dict()`` reaches the JSON
unchanged, apart from the per-frame arrays and the fields the report places
itself, so what the engine learns to say needs no change here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from formcheck import __version__
from formcheck.engine import SessionResult
from formcheck.report.quality import data_quality_warnings
from formcheck.safe_text import raw_name, valid_text
from formcheck.sources.base import SourceInfo
from formcheck.specs import ExerciseSpec
from formcheck.specs.schema import (
    Change,
    Extremum,
    JointAngle,
    SegmentElevation,
    SegmentInclination,
)
from formcheck.types import PoseFrame

SCHEMA_VERSION = "1.4"
DISCLAIMER = (
    "formcheck coaches exercise form; it does not diagnose. Stop any exercise that "
    "causes or worsens pain and tell your clinician."
)
# SessionResult.to_dict() keys the report places elsewhere (or leaves out: the
# per-frame arrays go to the HTML plots and the per-frame CSV, not the JSON).
_PLACED_ELSEWHERE = frozenset({"exercise_id", "side", "warnings", "limitations", "t_s", "signals"})
# Decimal places written to the JSON: what is measured, no more.
TIME_DIGITS = 3  # milliseconds
ANGLE_DIGITS = 1  # 0.1 degree
FRACTION_DIGITS = 3  # 0.1 % of a body length


@dataclass
class FrameTally:
    """Running counts over the frames of a recording (constant memory).

    Example:
        >>> tally = FrameTally()
        >>> for i in range(3):
        ...     tally.add(PoseFrame.empty(i, i / 10, 4, 4))
        >>> round(tally.stats().duration_s, 3)
        0.3
    """

    frames: int = 0
    with_person: int = 0
    with_several_people: int = 0
    first_t_s: float = math.nan
    last_t_s: float = math.nan

    def add(self, pose: PoseFrame) -> None:
        if self.frames == 0:
            self.first_t_s = pose.t_s
        self.last_t_s = pose.t_s
        self.frames += 1
        self.with_person += pose.detected
        self.with_several_people += pose.people > 1

    def stats(self, nominal_fps: float = 0.0) -> InputStats:
        """The :class:`InputStats` of the frames so far; ``nominal_fps`` is the
        source's stated rate, used when fewer than two frames give no interval."""
        duration_s = 0.0
        if self.frames > 1:
            duration_s = (self.last_t_s - self.first_t_s) * self.frames / (self.frames - 1)
        fps = self.frames / duration_s if duration_s > 0 else float(nominal_fps or 0.0)
        return InputStats(self.frames, duration_s, fps, self.with_person, self.with_several_people)


@dataclass(frozen=True)
class InputStats:
    """What the report says about the analysed frames.

    Attributes:
        frames: frames analysed.
        duration_s: first to last timestamp plus one (mean) frame interval.
        fps: frames per second measured from the timestamps.
        frames_with_person: frames in which a person was found.
        frames_with_several_people: frames in which more than one person was found.
    """

    frames: int
    duration_s: float
    fps: float
    frames_with_person: int
    frames_with_several_people: int = 0

    @classmethod
    def from_poses(cls, poses: Iterable[PoseFrame], nominal_fps: float = 0.0) -> InputStats:
        tally = FrameTally()
        for pose in poses:
            tally.add(pose)
        return tally.stats(nominal_fps)


@dataclass(frozen=True)
class Smoothing:
    """The smoother that ran: ``method`` (``butterworth``, ``one_euro``, ``none``) and
    its settings (``cutoff_hz``, ``order``; ``min_cutoff_hz``, ``beta``, ...)."""

    method: str
    settings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, **self.settings}


@dataclass(frozen=True)
class Sampling:
    """Which frames the pose model ran on: ``full`` or ``adaptive``, and how many."""

    mode: str
    frames_analysed: int


@dataclass(frozen=True)
class Inference:
    """What the machine's load made of the pose model's thread choice
    (:mod:`formcheck.cpu`): its threads at the end of the run, and every fallback to
    fewer as ``(frame index, threads)``."""

    threads: int
    switches: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class AnalysisInfo:
    """How the analysis ran: pose backend, smoother, frame sampling and inference
    threads (offline only)."""

    backend: str
    smoothing: Smoothing
    sampling: Sampling | None = None
    inference: Inference | None = None

    @property
    def inference_threads(self) -> int | None:
        """The pose model's threads at the end of the run (None: no model ran, or a
        backend without the setting): what re-reading the video may use beside."""
        return self.inference.threads if self.inference is not None else None


@dataclass(frozen=True)
class LiveSet:
    """The ``live`` section of a live set's report: its place in the program and
    how the frames flowed (counts, latency and inference percentiles in ms, the
    analysed frames per second against the rate the spec's timing needs)."""

    program_position: int
    set: int
    sets: int
    complete: bool
    set_started_s: float
    frames_captured: int
    frames_processed: int
    frames_dropped: int
    frames_paused: int
    latency: dict[str, float | None]
    inference: dict[str, float | None]
    analysed_fps: float | None = None
    timing_fps: float | None = None

    @property
    def dropped_rate(self) -> float | None:
        return self.frames_dropped / self.frames_captured if self.frames_captured else None

    def to_dict(self) -> dict[str, Any]:
        rate = self.dropped_rate
        return {
            "program_position": self.program_position,
            "set": self.set,
            "sets": self.sets,
            "complete": self.complete,
            "clock": "session seconds, pauses excluded",
            "set_started_s": self.set_started_s,
            "frames_captured": self.frames_captured,
            "frames_processed": self.frames_processed,
            "frames_dropped": self.frames_dropped,
            "frames_paused": self.frames_paused,
            "dropped_rate": round(rate, 4) if rate is not None else None,
            "analysed_fps": self.analysed_fps,
            "timing_fps": self.timing_fps,
            "latency": self.latency,
            "inference": self.inference,
        }


def _now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Report:
    """One analysed recording (or live set).

    Attributes:
        spec: the exercise spec analysed (program overrides applied).
        source: the recording (or camera) the frames came from.
        stats: counts and timing of the analysed frames.
        analysis: backend, smoother and sampling.
        session: the engine's result, whole (per-frame ``t_s``/``signals`` included).
        live: the live section of a live set, else None.
        formcheck_version: the formcheck that made the report.
        analysed_at: when, as ISO 8601 UTC.
    """

    spec: ExerciseSpec
    source: SourceInfo
    stats: InputStats
    analysis: AnalysisInfo
    session: SessionResult
    live: LiveSet | None = None
    formcheck_version: str = __version__
    analysed_at: str = field(default_factory=_now_utc)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Data-quality findings a reviewer should know before trusting the counts."""
        return data_quality_warnings(self.stats, self.session)

    @property
    def reps_good(self) -> int:
        """Counted reps with no form fault."""
        return sum(rep.good for rep in self.session.reps)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract (docs/report.md): floats rounded to what is measured,
        NaN as None."""
        session = self.session.to_dict()
        spec = self.spec
        analysis: dict[str, Any] = {
            "backend": self.analysis.backend,
            "smoothing": self.analysis.smoothing.to_dict(),
            "frames_with_person": self.stats.frames_with_person,
            "side": session["side"],
        }
        if self.analysis.sampling is not None:
            analysis["sampling"] = {
                "mode": self.analysis.sampling.mode,
                "frames_analysed": self.analysis.sampling.frames_analysed,
            }
        if self.analysis.inference is not None:
            analysis["inference"] = {
                "threads": self.analysis.inference.threads,
                "switches": [list(switch) for switch in self.analysis.inference.switches],
            }
        doc: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "formcheck_version": self.formcheck_version,
            "analysed_at": self.analysed_at,
            "exercise": {"id": spec.id, "title": spec.title, "kind": spec.kind, "view": spec.view},
            "input": {
                **input_fields(self.source.path),
                "width": int(self.source.width),
                "height": int(self.source.height),
                "fps": self.stats.fps,
                "frames": self.stats.frames,
                "duration_s": self.stats.duration_s,
                "rotation_deg": int(self.source.rotation_deg),
            },
            "analysis": analysis,
            **{k: v for k, v in session.items() if k not in _PLACED_ELSEWHERE},
            "warnings": list(self.warnings),
            "limitations": session["limitations"],
            "disclaimer": DISCLAIMER,
        }
        if self.live is not None:
            doc["live"] = self.live.to_dict()
        return rounded(doc, primary_digits(spec))


def input_fields(path: str) -> dict[str, str]:
    """The report's ``input.path``, always valid text, and for a name that is not valid
    UTF-8 ``input.path_raw``: its exact bytes, percent-encoded.

    >>> import os
    >>> input_fields(os.fsdecode(b"caf\\xe9.mp4"))
    {'path': 'caf\\\\xe9.mp4', 'path_raw': 'caf%E9.mp4'}
    """
    fields = {"path": valid_text(path)}
    raw = raw_name(path)
    if raw is not None:
        fields["path_raw"] = raw
    return fields


def is_angle_signal(spec: ExerciseSpec, name: str) -> bool:
    """True for a signal in degrees; False for the unitless ones (fractions of a length)."""
    signal = spec.signals.get(name)
    if isinstance(signal, Extremum):
        return is_angle_signal(spec, signal.of[0])
    if isinstance(signal, Change):
        return is_angle_signal(spec, signal.of)
    return isinstance(signal, (JointAngle, SegmentElevation, SegmentInclination))


def primary_digits(spec: ExerciseSpec) -> int:
    """Decimals of the rep signal's values (a rep's ``peak`` and ``rom``)."""
    if spec.reps is not None and not is_angle_signal(spec, spec.reps.signal):
        return FRACTION_DIGITS
    return ANGLE_DIGITS


def _digits(key: str, primary: int | None) -> int | None:
    if primary is None:
        return None
    if key in ("peak", "rom"):
        return primary
    if key.endswith("_deg"):
        return ANGLE_DIGITS
    if key.endswith("fps") or key.endswith("_s") or key.endswith("_ms"):
        return TIME_DIGITS
    return None


def rounded(value: Any, primary: int | None = ANGLE_DIGITS, digits: int | None = None) -> Any:
    """``value`` as plain JSON data: floats rounded by their key's unit (seconds and
    frame rates to 3 decimals, ``*_deg`` to 1, a rep's ``peak``/``rom`` to
    ``primary``; ``primary=None`` rounds nothing), NaN and infinity as None, numpy
    scalars and tuples as Python ones.

    Example:
        >>> rounded({"start_s": 1.23456, "peak": 171.234, "hold_s": [2.0, float("nan")]})
        {'start_s': 1.235, 'peak': 171.2, 'hold_s': [2.0, None]}
    """
    if isinstance(value, dict):
        return {str(k): rounded(v, primary, _digits(str(k), primary)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v, primary, digits) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return round(value, digits) if digits is not None else value
    return value
