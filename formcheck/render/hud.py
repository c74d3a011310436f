"""What the heads-up display says, derived from the engine's status and the spec.

Shared by the live window and annotated videos so both show the same thing.
"""

from __future__ import annotations

import math

from formcheck.engine import EngineStatus
from formcheck.landmarks import resolve
from formcheck.render.overlay import AngleLabel, OverlayState
from formcheck.specs import ExerciseSpec
from formcheck.specs.schema import JointAngle

STATE_TEXT = {
    "no_person": "No person in view",
    "positioning": "Step back into view",
    "exercising": "Exercising",
    "resting": "Resting",
    "set_complete": "Set complete",
}


def _target_text(spec: ExerciseSpec) -> str:
    reps = spec.targets.reps
    if not reps:
        return ""
    low, high = reps
    return f" / {low}" if low == high else f" / {low}-{high}"


def _angle_labels(spec: ExerciseSpec, status: EngineStatus) -> tuple[AngleLabel, ...]:
    """Joint angles drawn at their joint (the middle landmark of the triplet)."""
    labels = []
    for name, signal in spec.signals.items():
        if not isinstance(signal, JointAngle):
            continue
        sides = (status.side,) if status.side in ("left", "right") else ("left", "right")
        for side in sides:
            value = status.signals.get(name, status.signals.get(f"{name}.{side}"))
            if value is None or not math.isfinite(value):
                continue
            labels.append(AngleLabel(resolve(signal.points[1], side), f"{value:.0f}"))
    return tuple(labels)


def too_few_frames_text(status: EngineStatus) -> str:
    """What the screen says while frames come too slowly to judge form ("" otherwise)."""
    if not status.too_few_frames:
        return ""
    return (
        f"Too few frames to judge form ({status.analysed_fps:.1f}/s, "
        f"needs {status.needed_fps:.0f}/s): counting only"
    )


def overlay_state(spec: ExerciseSpec, status: EngineStatus, footer: str = "") -> OverlayState:
    """The HUD content for one frame: reps, or cycles for a spec that only counts,
    per side only where the spec tracks each side; holds show their timer."""
    counters: list[str] = []
    if spec.reps is not None:
        noun = "Cycles" if spec.kind == "cycles" else "Reps"
        counters.append(f"{noun} {status.reps_total}{_target_text(spec)}")
        if status.reps_left is not None:
            counters.append(f"Left {status.reps_left}   Right {status.reps_right}")
    slow = too_few_frames_text(status)
    return OverlayState(
        title=spec.title,
        state=STATE_TEXT.get(status.state, status.state.replace("_", " ").capitalize()),
        counters=tuple(counters),
        hold_s=status.hold_s,
        hold_target_s=status.hold_target_s,
        hold_label=spec.reps.peak_name.capitalize() if spec.reps else "Hold",
        cue=status.cue or slow,
        cue_is_fault=bool(status.cue or slow),
        angles=_angle_labels(spec, status),
        footer=footer,
    )
