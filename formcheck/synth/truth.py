"""Ground truth of a synthetic clip, measured on the true projected joints.

Every signal is computed with ``formcheck.kinematics`` on the exact pixel
coordinates of the projected landmarks, with the thresholds of
docs/EXERCISES.md; nothing is copied from the script's intentions except the
repetition boundaries.

Rules (documented once, here):

* ``holds``: maximal stretches inside the exercise's hold band. For hold
  exercises stretches shorter than 1 s are dropped (the transition of a piked
  plank crosses the band briefly); top holds of rep exercises (bridge,
  bird dog, press-up) are all kept, so a short hold is visible.
* ``reps``: the scripted attempts that reach the exercise's peak band (its top
  hold band, e.g. bridge hip > 160, bird dog arm and leg above -15). An attempt
  that falls short is not a rep (docs/EXERCISES.md); it stays in ``attempts``
  and its fault (``incomplete_lift``, ``arm_below_horizontal``, ...) stays.
* ``faults``: frames (or reps, for rep-level faults) beyond the fault threshold,
  only inside the script's active windows (rep windows or the held phase; from
  the first rep to the last for a rule of phase ``any``), so getting into and
  out of position is never a fault. A frame fault must persist
  as the spec's rule requires (its ``min_duration_s``; runs closer than its
  ``clear_s`` merge), read from the loaded spec, so a blip the engine rightly
  ignores is not a true fault. Faults on a change from the person's own neutral
  (``REP_CHANGE_FAULTS``) measure the change from the signal's value at the
  start of each scripted attempt. A short hold at the top is dosage, not a fault:
  it shows in ``holds`` (every top hold of a rep exercise is kept).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from formcheck.kinematics import (
    forward_offset,
    joint_angle,
    line_offset,
    normalised_distance,
    segment_elevation,
    segment_inclination,
)
from formcheck.landmarks import INDEX
from formcheck.specs.schema import ExerciseSpec
from formcheck.synth.timeline import Rep

TRUTH_SCHEMA = "formcheck-truth/2"
MIN_HOLD_S = 1.0

Signals = dict[str, np.ndarray]


def _pt(px: np.ndarray, name: str) -> np.ndarray:
    return px[:, INDEX[name]]


def _other(side: str) -> str:
    return "right" if side == "left" else "left"


def joint_angles(px: np.ndarray) -> Signals:
    """Per-frame 2D joint angles of both sides: knee, hip, elbow, shoulder."""
    out: Signals = {}
    for s in ("left", "right"):
        p = {n: _pt(px, f"{s}_{n}") for n in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")}
        out[f"{s}_knee"] = joint_angle(p["hip"], p["knee"], p["ankle"])
        out[f"{s}_hip"] = joint_angle(p["shoulder"], p["hip"], p["knee"])
        out[f"{s}_elbow"] = joint_angle(p["shoulder"], p["elbow"], p["wrist"])
        out[f"{s}_shoulder"] = joint_angle(p["elbow"], p["shoulder"], p["hip"])
    return out


def exercise_signals(exercise: str, px: np.ndarray, world: np.ndarray, side: str) -> Signals:
    """The primary and fault signals of ``exercise`` (conventions of EXERCISES.md).

    Args:
        exercise: exercise id.
        px: (T, 33, 2) pixel coordinates.
        world: (T, 33, 3) scene coordinates in metres (world-space signals).
        side: the body side nearer the camera.
    """

    def p(name: str, s: str = side) -> np.ndarray:
        return _pt(px, f"{s}_{name}")

    def w(name: str, s: str) -> np.ndarray:
        return _pt(world, f"{s}_{name}")

    sig: Signals = {}
    body_line = line_offset(p("hip"), p("shoulder"), p("ankle"))
    if exercise in ("squat", "wall_squat", "hip_hinge"):
        sig["knee"] = joint_angle(p("hip"), p("knee"), p("ankle"))
        sig["trunk_inclination"] = segment_inclination(p("hip"), p("shoulder"))
    if exercise == "wall_squat":
        sig["knee_forward"] = forward_offset(
            p("knee"), p("foot_index"), p("heel"), p("foot_index"), p("knee"), p("ankle")
        )
    if exercise == "push_up":
        sig["elbow"] = joint_angle(p("shoulder"), p("elbow"), p("wrist"))
    if exercise in ("push_up", "plank", "side_plank"):
        sig["body_line"] = body_line
        sig["body_elevation"] = segment_elevation(p("ankle"), p("shoulder"))
    if exercise in ("plank", "side_plank"):
        sig["knee"] = joint_angle(p("hip"), p("knee"), p("ankle"))
    if exercise == "plank_shoulder_taps":
        for s in ("left", "right"):
            sig[f"{s}_tap"] = normalised_distance(
                p("wrist", s),
                p("shoulder", _other(s)),
                p("shoulder", "left"),
                p("shoulder", "right"),
            )
    if exercise == "bridge":
        sig["hip"] = joint_angle(p("shoulder"), p("hip"), p("knee"))
        sig["bridge_line"] = line_offset(p("hip"), p("shoulder"), p("knee"))
    if exercise == "bird_dog":
        for s in ("left", "right"):
            sig[f"{s}_arm_elevation"] = segment_elevation(p("shoulder", s), p("wrist", s))
            sig[f"{s}_leg_elevation"] = segment_elevation(p("hip", s), p("ankle", s))
    if exercise in ("bird_dog", "prone_press_up", "cat_cow"):
        sig["trunk_elevation"] = segment_elevation(p("hip"), p("shoulder"))
    if exercise == "cat_cow":
        sig["head_elevation"] = segment_elevation(p("shoulder"), _pt(px, "nose"))
    if exercise == "quad_stretch":
        for s in ("left", "right"):
            sig[f"{s}_knee"] = joint_angle(p("hip", s), p("knee", s), p("ankle", s))
    if exercise == "pigeon_pose":
        for s in ("left", "right"):
            sig[f"{s}_knee_world"] = joint_angle(w("hip", s), w("knee", s), w("ankle", s))
    if exercise == "figure_four_stretch":
        for s in ("left", "right"):
            sig[f"{s}_crossed"] = normalised_distance(
                w("ankle", s), w("knee", _other(s)), w("hip", s), w("knee", s)
            )
    if exercise == "decompression_position":
        sig["hip"] = joint_angle(p("shoulder"), p("hip"), p("knee"))
        sig["knee"] = joint_angle(p("hip"), p("knee"), p("ankle"))
        sig["trunk_elevation"] = segment_elevation(p("hip"), p("shoulder"))
    if exercise == "knee_to_chest":
        for s in ("left", "right"):
            sig[f"{s}_hip"] = joint_angle(p("shoulder", s), p("hip", s), p("knee", s))
    return sig


def intervals(mask: np.ndarray, t_s: np.ndarray) -> list[tuple[float, float]]:
    """Maximal runs of True as (start_s, end_s): first and last frame times of each run."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(m.astype(np.int8)))
    return [
        (float(t_s[a]), float(t_s[b - 1])) for a, b in zip(edges[::2], edges[1::2], strict=True)
    ]


def hysteresis(values: np.ndarray, enter: float, leave: float) -> np.ndarray:
    """True from the first frame above ``enter`` until the next frame below ``leave``."""
    out = np.zeros(len(values), dtype=bool)
    inside = False
    for i, v in enumerate(values):
        inside = v > enter if not inside else not v < leave
        out[i] = inside
    return out


HoldRule = Callable[[Signals], list[tuple[str | None, np.ndarray]]]

HOLD_RULES: dict[str, HoldRule] = {
    "wall_squat": lambda s: [(None, (s["knee"] >= 75) & (s["knee"] <= 120))],
    # In a plank, straight or not (its faults say how straight): see exercise_specs/plank.toml.
    "plank": lambda s: [
        (
            None,
            (s["body_line"] >= -0.16)
            & (s["body_line"] <= 0.25)
            & (s["body_elevation"] < 30)
            & (s["knee"] > 140),
        )
    ],
    "side_plank": lambda s: [(None, (np.abs(s["body_line"]) <= 0.06) & (s["knee"] > 140))],
    "bridge": lambda s: [(None, hysteresis(s["hip"], 160.0, 150.0))],
    "bird_dog": lambda s: [
        (a, (s[f"{a}_arm_elevation"] > -15) & (s[f"{_other(a)}_leg_elevation"] > -15))
        for a in ("left", "right")
    ],
    "quad_stretch": lambda s: [(side, s[f"{side}_knee"] < 60) for side in ("left", "right")],
    "knee_to_chest": lambda s: [(side, s[f"{side}_hip"] < 75) for side in ("left", "right")],
    "prone_press_up": lambda s: [(None, s["trunk_elevation"] > 20)],
    "pigeon_pose": lambda s: [
        (f, (s[f"{f}_knee_world"] < 110) & (s[f"{_other(f)}_knee_world"] > 130))
        for f in ("left", "right")
    ],
    "figure_four_stretch": lambda s: [(x, s[f"{x}_crossed"] < 0.8) for x in ("left", "right")],
    "decompression_position": lambda s: [
        (
            None,
            (s["hip"] >= 70)
            & (s["hip"] <= 115)
            & (s["knee"] >= 70)
            & (s["knee"] <= 115)
            & (np.abs(s["trunk_elevation"]) <= 20),
        )
    ],
}
# Rep exercises whose top holds are reported however short they are.
TOP_HOLDS = frozenset({"bridge", "bird_dog", "prone_press_up"})

FrameRule = Callable[[Signals], np.ndarray]

FRAME_FAULTS: dict[tuple[str, str], FrameRule] = {
    ("push_up", "hip_sag"): lambda s: s["body_line"] < -0.06,
    ("plank", "hip_sag"): lambda s: s["body_line"] < -0.05,
    ("plank", "hip_pike"): lambda s: s["body_line"] > 0.06,
    ("side_plank", "hip_sag"): lambda s: s["body_line"] < -0.06,
    ("wall_squat", "too_shallow"): lambda s: (s["knee"] > 120) & (s["knee"] < 150),
    ("wall_squat", "knees_past_toes"): lambda s: s["knee_forward"] > 0.08,
    ("wall_squat", "back_off_wall"): lambda s: s["trunk_inclination"] > 15,
    ("bridge", "backbend"): lambda s: s["bridge_line"] > 0.09,
    ("bird_dog", "arm_below_horizontal"): lambda s: np.any(
        [
            (s[f"{a}_arm_elevation"] < -25) & (s[f"{_other(a)}_leg_elevation"] > -15)
            for a in ("left", "right")
        ],
        axis=0,
    ),
    ("bird_dog", "leg_below_horizontal"): lambda s: np.any(
        [
            (s[f"{_other(a)}_leg_elevation"] < -25) & (s[f"{a}_arm_elevation"] > -15)
            for a in ("left", "right")
        ],
        axis=0,
    ),
    ("hip_hinge", "knees_bent_too_much"): lambda s: s["knee"] < 130,
}


# Faults on how far a signal moved from its value at the start of the rep: (exercise,
# fault) -> (signal, largest change that is not a fault).
REP_CHANGE_FAULTS: dict[tuple[str, str], tuple[str, float]] = {
    ("bird_dog", "trunk_tilt"): ("trunk_elevation", 12.0),
}


def _in_windows(t_s: np.ndarray, windows: list[tuple[float, float]]) -> np.ndarray:
    mask = np.zeros(len(t_s), dtype=bool)
    for start, end in windows:
        mask |= (t_s >= start - 1e-9) & (t_s <= end + 1e-9)
    return mask


def _rep_mask(t_s: np.ndarray, r: Rep) -> np.ndarray:
    return (t_s >= r.start_s - 1e-9) & (t_s <= r.end_s + 1e-9)


def find_holds(exercise: str, sig: Signals, t_s: np.ndarray) -> list[dict[str, Any]]:
    """Hold intervals of ``exercise`` (see the module rules)."""
    rule = HOLD_RULES.get(exercise)
    if rule is None:
        return []
    min_s = 0.0 if exercise in TOP_HOLDS else MIN_HOLD_S
    holds = []
    for side, mask in rule(sig):
        for start, end in intervals(mask, t_s):
            if end - start >= min_s:
                holds.append(
                    {"start_s": start, "end_s": end, "duration_s": end - start, "side": side}
                )
    return sorted(holds, key=lambda h: float(h["start_s"]))


def persistent(mask: np.ndarray, t_s: np.ndarray, min_s: float, clear_s: float) -> np.ndarray:
    """``mask`` as a fault tracker sees it: runs separated by fewer than ``clear_s``
    of clear frames merge, and only runs lasting ``min_s`` (first to last frame) remain."""
    out = np.zeros(len(mask), dtype=bool)
    runs: list[list[int]] = []
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(m.astype(np.int8)))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if runs and t_s[a - 1] - t_s[runs[-1][1] + 1] < clear_s:
            runs[-1][1] = b - 1
        else:
            runs.append([a, b - 1])
    for a, b in runs:
        if t_s[b] - t_s[a] >= min_s - 1e-9:
            out[a : b + 1] = True
    return out


def _peak_masks(exercise: str, sig: Signals) -> dict[str | None, np.ndarray] | None:
    """Per side (None: the exercise has no sides), the frames inside the peak band;
    None for exercises whose every scripted attempt reaches its peak."""
    if exercise not in TOP_HOLDS:
        return None
    return dict(HOLD_RULES[exercise](sig))


def counted_reps(exercise: str, sig: Signals, t_s: np.ndarray, reps: list[Rep]) -> list[Rep]:
    """The scripted attempts that reach the peak band (see the module rules)."""
    masks = _peak_masks(exercise, sig)
    if masks is None:
        return list(reps)
    return [r for r in reps if np.any(masks[r.side][_rep_mask(t_s, r)])]


def find_faults(
    spec: ExerciseSpec,
    sig: Signals,
    t_s: np.ndarray,
    reps: list[Rep],
    active: list[tuple[float, float]],
) -> list[dict[str, Any]]:
    """Every fault of ``spec``'s exercise present in the true geometry (any injected or not).

    Args:
        spec: the loaded exercise spec (fault persistence).
        sig: the exercise's true signals.
        t_s: frame times.
        reps: every scripted attempt.
        active: the script's active windows.
    """
    exercise = spec.id
    rules = {rule.id: rule for rule in spec.faults}
    found: list[tuple[str, float, float]] = []
    in_reps = _in_windows(t_s, active)
    # A rule of phase "any" applies all through the exercise, pauses between reps included.
    throughout = _in_windows(t_s, [(active[0][0], active[-1][1])] if active else [])
    for (name, fault), frame_rule in FRAME_FAULTS.items():
        if name == exercise:
            rule = rules[fault]
            inside = throughout if rule.phase == "any" else in_reps
            mask = persistent(frame_rule(sig) & inside, t_s, rule.min_duration_s, rule.clear_s)
            found += [(fault, a, b) for a, b in intervals(mask, t_s)]
    for r in reps:
        m = _rep_mask(t_s, r)
        if exercise == "squat" and 110 < np.min(sig["knee"][m]) < 130:
            found.append(("shallow", r.start_s, r.end_s))
        if exercise == "bridge" and 140 < np.max(sig["hip"][m]) < 160:
            found.append(("incomplete_lift", r.start_s, r.end_s))
    for (name, fault), (signal, limit) in REP_CHANGE_FAULTS.items():
        if name != exercise:
            continue
        rule = rules[fault]
        moved = np.zeros(len(t_s), dtype=bool)
        for r in reps:
            m = _rep_mask(t_s, r)
            start = sig[signal][np.flatnonzero(m)[0]]
            moved |= m & (np.abs(sig[signal] - start) > limit)
        mask = persistent(moved, t_s, rule.min_duration_s, rule.clear_s)
        found += [(fault, a, b) for a, b in intervals(mask, t_s)]
    return [{"id": f, "start_s": a, "end_s": b} for f, a, b in sorted(found, key=lambda x: x[1])]


def count_reps(reps: list[Rep]) -> dict[str, int]:
    return {
        "total": len(reps),
        "left": sum(r.side == "left" for r in reps),
        "right": sum(r.side == "right" for r in reps),
    }


def rounded(values: np.ndarray, digits: int = 4) -> list[float | None]:
    """JSON-friendly list: rounded floats, None for NaN."""
    return [None if not np.isfinite(v) else round(float(v), digits) for v in values]
