"""Synthetic session reports: a clinic's months of home sessions, with known answers.

:func:`synthetic_report` writes a report in the JSON contract (docs/report.md) for
given counts, ranges of motion and holds; :func:`synthetic_clinic` spreads such
sessions over patients and days (each patient with a program of exercises and an
adherence rate; range of motion and form improve and pain falls over time). The
session-store tests and ``benchmarks/history_store.py`` use them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from formcheck.report import DISCLAIMER, SCHEMA_VERSION
from formcheck.specs import ExerciseSpec, load_spec

# Exercises patients are given in the synthetic clinic (reps, alternating, holds).
PROGRAM_EXERCISES: tuple[str, ...] = (
    "bridge",
    "bird_dog",
    "cat_cow",
    "hip_hinge",
    "pelvic_tilt_supine",
    "plank",
    "side_plank",
    "knee_to_chest",
    "wall_squat",
    "prone_press_up",
)
_REP_S = 3.0  # seconds per synthetic rep
_PER_SIDE = ("both", "alternating")


def _sides(spec: ExerciseSpec) -> tuple[str, ...]:
    return ("left", "right") if spec.sides in _PER_SIDE else (spec.sides,)


def synthetic_report(
    spec: ExerciseSpec,
    *,
    reps: int,
    good: int,
    rom_deg: float,
    hold_s: float,
    path: str = "synthetic.mp4",
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """A JSON report of one synthetic session of ``spec``.

    Args:
        spec: the exercise.
        reps: reps done (spread over the sides of a per-side exercise); ignored
            for holds.
        good: how many of them had no fault (the others get the spec's first fault).
        rom_deg: mean range of motion per rep (each rep varies by ±5 %).
        hold_s: each hold's duration, for hold exercises.
        path: the recording's name in ``input.path``.
        rng: source of the per-rep variation (default: seeded 0).
    """
    rng = rng or random.Random(0)
    sides = _sides(spec)
    fault = spec.faults[0] if spec.faults else None
    details, faults, holds = [], [], []
    t = 1.0
    target = spec.targets.hold_s[0] if spec.targets.hold_s else None
    if spec.kind == "hold":
        for side in sides:
            holds.append(
                {
                    "side": side,
                    "start_s": t,
                    "end_s": t + hold_s,
                    "duration_s": hold_s,
                    "target_s": target,
                }
            )
            t += hold_s + 2.0
    else:
        for i in range(reps):
            side = sides[i % len(sides)]
            flagged = fault if i >= good else None
            details.append(
                {
                    "index": i + 1,
                    "side": side,
                    "start_s": t,
                    "end_s": t + _REP_S,
                    "peak": 90.0 + rom_deg,
                    "rom": rom_deg * rng.uniform(0.95, 1.05),
                    "outbound_s": 1.0,
                    "return_s": 1.0,
                    "hold_s": 0.5,
                    "faults": [flagged.id] if flagged else [],
                    "good": flagged is None,
                }
            )
            if flagged is not None:
                faults.append(
                    {
                        "id": flagged.id,
                        "start_s": t,
                        "end_s": t + _REP_S,
                        "message": flagged.cue,
                        "severity": flagged.severity,
                        "side": side,
                    }
                )
            t += _REP_S
    counted = [r["side"] for r in details]
    per_side = len(sides) == 2
    targets = spec.targets
    met = (
        hold_s >= (target or 0.0)
        if spec.kind == "hold"
        else targets.reps is not None and len(details) >= targets.reps[0] * (1 + per_side)
    )
    duration = t + 1.0
    return {
        "schema_version": SCHEMA_VERSION,
        "exercise": {"id": spec.id, "title": spec.title, "kind": spec.kind, "view": spec.view},
        "input": {
            "path": path,
            "width": 1280,
            "height": 720,
            "fps": 30.0,
            "frames": round(duration * 30),
            "duration_s": duration,
            "rotation_deg": 0,
        },
        "analysis": {
            "backend": "synthetic",
            "smoothing": {"method": "none"},
            "frames_with_person": round(duration * 30),
            "side": sides[0],
        },
        "reps": {
            "total": len(details),
            "left": counted.count("left") if per_side else None,
            "right": counted.count("right") if per_side else None,
            "details": details,
        },
        "holds": holds,
        "faults": faults,
        "targets": {
            "reps": list(targets.reps) if targets.reps else None,
            "hold_s": list(targets.hold_s) if targets.hold_s else None,
            "sets": targets.sets,
            "rest_s": targets.rest_s,
            "per_side": targets.per_side,
            "source": targets.source,
            "met": met,
        },
        "states": [{"state": "exercising", "start_s": 0.0, "end_s": duration}],
        "cues": [],
        "warnings": [],
        "limitations": spec.limitations,
        "disclaimer": DISCLAIMER,
    }


@dataclass(frozen=True)
class SyntheticSession:
    """One synthetic session: who, when, its report and the pain ratings."""

    patient: str
    day: date
    started_at: datetime
    report: dict[str, Any]
    pain_before: int | None
    pain_after: int | None


def synthetic_clinic(
    sessions: int,
    patients: int,
    first_day: date,
    days: int = 365,
    seed: int = 0,
) -> Iterator[SyntheticSession]:
    """``sessions`` synthetic sessions of ``patients`` patients over ``days`` days.

    Each patient has a program of 2 to 4 exercises done on each of their active
    days; their active days are drawn at random (about the same number for each
    patient, so together they make ``sessions``). Range of motion and the share
    of good reps grow over the year, pain falls. Deterministic for a seed.
    """
    rng = random.Random(seed)
    specs = {exercise: load_spec(exercise) for exercise in PROGRAM_EXERCISES}
    programs = [rng.sample(PROGRAM_EXERCISES, rng.randint(2, 4)) for _ in range(patients)]
    per_patient = -(-sessions // patients)  # ceiling
    made = 0
    for number, program in enumerate(programs):
        patient = f"p{number + 1:04d}"
        active = min(days, -(-per_patient // len(program)))
        for day_index in sorted(rng.sample(range(days), active)):
            day = first_day + timedelta(days=day_index)
            progress = day_index / max(days - 1, 1)
            start = datetime.combine(day, datetime.min.time()) + timedelta(
                hours=rng.randint(7, 20), minutes=rng.randint(0, 59)
            )
            pain = max(0, round(6 - 4 * progress + rng.uniform(-1, 1)))
            pain_after = max(0, min(10, pain + rng.choice((-1, 0, 0, 1))))
            rated = rng.random() < 0.7  # most sittings are rated, before and after
            for order, exercise in enumerate(program):
                if made == sessions:
                    return
                spec = specs[exercise]
                reps = rng.randint(6, 14)
                yield SyntheticSession(
                    patient,
                    day,
                    start + timedelta(minutes=5 * order),
                    synthetic_report(
                        spec,
                        reps=reps,
                        good=round(reps * min(1.0, 0.5 + 0.5 * progress + rng.uniform(-0.1, 0.1))),
                        rom_deg=40 + 15 * progress + rng.uniform(-3, 3),
                        hold_s=20 + 15 * progress + rng.uniform(-5, 5),
                        path=f"{patient}__{exercise}__{day.isoformat()}.mp4",
                        rng=rng,
                    ),
                    pain if rated else None,
                    pain_after if rated else None,
                )
                made += 1
