"""A session's dosage and headline, from its reps and holds and the spec.

Dosage (how many reps, how long each was held, how long a stretch lasted) is kept
apart from form: a bridge held 0.9 s at the top where 2 s are prescribed is a good
rep held too briefly, reported as "top held 0.9 s of the 2 s target", never as a
fault. The headline fits the exercise: reps, cycles (a spec that only counts says
its form is not assessed) or a hold against its target, a side named only where
the spec tracks each side. Filmed from a view where the spec says the count (or
the hold) cannot be measured, both say so instead of giving 0 against the target.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from formcheck.engine.results import Dosage, Headline, Hold, Rep
from formcheck.specs.schema import ExerciseSpec

UNMEASURED = "not measured from this camera view"


def _range(low: float, high: float, unit: str = "") -> str:
    return f"{low:g}{unit}" if low == high else f"{low:g}-{high:g}{unit}"


def side_words(spec: ExerciseSpec, side: str) -> str:
    """How a hold's side is named to a reader: the side of a per-side spec, the
    spec's name for both sides at once (``hold.together``), nothing without sides."""
    if not spec.per_side:
        return ""
    if side == "both" and spec.hold is not None and spec.hold.together:
        return spec.hold.together
    return side


def _best_holds(holds: Sequence[Hold], sides: Sequence[str]) -> dict[str, float]:
    return {
        side: max((h.duration_s for h in holds if h.side == side), default=0.0) for side in sides
    }


def dosage(
    spec: ExerciseSpec,
    reps: Sequence[Rep],
    holds: Sequence[Hold],
    counts: dict[str, int],
    not_measurable: bool = False,
) -> Dosage:
    """The session's dosage against the spec's targets.

    Args:
        counts: reps per side when each side is tracked (``{"left": 4, ...}``),
            else one entry for the whole body.
        not_measurable: the count or hold could not be measured from the camera's view.
    """
    targets = spec.targets
    per_side = targets.per_side and spec.per_side
    notes: list[str] = []
    reps_done = sum(counts.values()) if spec.reps is not None and not not_measurable else None
    if not_measurable:
        what = "reps" if spec.reps is not None else "hold"
        notes.append(f"{what} {UNMEASURED}")
    elif spec.reps is not None and targets.reps is not None:
        low, high = targets.reps
        wanted = _range(low, high)
        if per_side:
            done = ", ".join(f"{side} {count}" for side, count in counts.items())
            met = all(count >= low for count in counts.values())
            notes.append(f"reps per side {done}: {wanted} prescribed{', met' if met else ''}")
        else:
            n = reps_done or 0
            done = f"{n} rep{'' if n == 1 else 's'}"
            notes.append(f"{done}: {wanted} prescribed{', met' if n >= low else ''}")
    peak_target = spec.reps.peak_hold_s if spec.reps and spec.reps.peak_hold_s > 0 else None
    peak_holds = tuple(rep.hold_s for rep in reps)
    reps_held = None
    peak_name = spec.reps.peak_name if spec.reps else ""
    if peak_target is not None:
        reps_held = sum(hold >= peak_target for hold in peak_holds)
        if peak_holds:
            median = statistics.median(peak_holds)
            notes.append(
                f"{peak_name} held {median:.1f} s of the {peak_target:g} s target "
                f"(median; {reps_held} of {len(peak_holds)} reps held it)"
            )
    best = total = None
    if spec.hold is not None and targets.hold_s is not None and not not_measurable:
        total = sum(h.duration_s for h in holds)
        sides = sorted({h.side for h in holds} - {"both"}) if per_side else []
        bests = _best_holds(holds, sides) if per_side else {}
        best = (
            min(bests.values(), default=0.0)
            if per_side
            else max((h.duration_s for h in holds), default=0.0)
        )
        wanted = f"the {_range(*targets.hold_s, ' s')} target"
        longest = (
            ", ".join(f"{side} {value:.1f} s" for side, value in bests.items())
            if per_side and bests
            else f"{best:.1f} s"
        )
        count = f"{len(holds)} hold{'s' if len(holds) != 1 else ''}, {total:.1f} s in all"
        notes.append(f"longest hold {longest} of {wanted} ({count})")
        together = _best_holds(holds, ["both"])["both"] if per_side else 0.0
        if together:
            notes.append(
                f"{side_words(spec, 'both')}: longest {together:.1f} s, not credited to a side"
            )
    return Dosage(
        reps_done=reps_done,
        reps_target=targets.reps,
        per_side=per_side,
        peak_name=peak_name,
        peak_hold_target_s=peak_target,
        peak_holds_s=peak_holds,
        reps_held=reps_held,
        hold_target_s=targets.hold_s,
        best_hold_s=best,
        total_hold_s=total,
        notes=tuple(notes),
    )


def headline(
    spec: ExerciseSpec,
    reps: Sequence[Rep],
    holds: Sequence[Hold],
    counts: dict[str, int],
    not_measurable: bool = False,
) -> Headline:
    """The one line that sums the session up (see the module docstring)."""
    assessed = bool(spec.faults)
    kind = "hold" if spec.hold is not None else "cycles" if spec.kind == "cycles" else "reps"
    if not_measurable:
        return Headline(kind, f"{kind.capitalize()}: {UNMEASURED}", assessed)
    if spec.hold is not None:
        target = spec.targets.hold_s
        of = f" of {target[0]:g} s" if target else ""
        if spec.per_side:
            bests = _best_holds(holds, ("left", "right"))
            held = ", ".join(f"{side} {value:.1f} s" for side, value in bests.items())
        else:
            held = f"{max((h.duration_s for h in holds), default=0.0):.1f} s"
        text = f"Hold: {held}{of}"
        together = _best_holds(holds, ["both"])["both"] if spec.per_side else 0.0
        if together:
            text += f"; {side_words(spec, 'both')} {together:.1f} s"
        if not assessed:
            text += " (form not assessed)"
        return Headline(kind, text, assessed)
    total = sum(counts.values())
    sides = f" ({', '.join(f'{s} {c}' for s, c in counts.items())})" if spec.per_side else ""
    text = f"{kind.capitalize()}: {total}{sides}"
    if not assessed:
        text += " (form not assessed)"
    elif total:
        good = sum(rep.good for rep in reps)
        text += f", good form on all {total}" if good == total else f", {good} with good form"
    return Headline(kind, text, assessed)
