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
* ``faults``: frames (or reps, for rep-level faults) beyond the fault threshold,
  only inside the script's active windows (rep windows or the held phase), so
  getting into and out of position is never a fault.
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
from formcheck.synth.timeline import Rep

TRUTH_SCHEMA = "formcheck-truth/1"
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


def exercise_signals(exercise: str, px: np.ndarray, side: str) -> Signals:
    """The primary and fault signals of ``exercise`` (conventions of EXERCISES.md).

    Args:
        exercise: exercise id.
        px: (T, 33, 2) pixel coordinates.
        side: the body side nearer the camera.
    """

    def p(name: str, s: str = side) -> np.ndarray:
        return _pt(px, f"{s}_{name}")

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
    if exercise in ("push_up", "plank", "plank_shoulder_taps", "side_plank"):
        sig["body_line"] = body_line
        sig["body_elevation"] = segment_elevation(p("ankle"), p("shoulder"))
    if exercise == "plank_shoulder_taps":
        for s in ("left", "right"):
            sig[f"{s}_tap"] = normalised_distance(
                p("wrist", s), p("shoulder", _other(s)), p("shoulder"), p("hip")
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
    "wall_squat": lambda s: [(None, (s["knee"] >= 75) & (s["knee"] <= 105))],
    "plank": lambda s: [
        (None, (s["body_line"] >= -0.05) & (s["body_line"] <= 0.06) & (s["body_elevation"] < 30))
    ],
    "side_plank": lambda s: [(None, np.abs(s["body_line"]) <= 0.06)],
    "bridge": lambda s: [(None, hysteresis(s["hip"], 160.0, 150.0))],
    "bird_dog": lambda s: [
        (a, (s[f"{a}_arm_elevation"] > -15) & (s[f"{_other(a)}_leg_elevation"] > -15))
        for a in ("left", "right")
    ],
    "quad_stretch": lambda s: [(side, s[f"{side}_knee"] < 60) for side in ("left", "right")],
    "knee_to_chest": lambda s: [(side, s[f"{side}_hip"] < 75) for side in ("left", "right")],
    "prone_press_up": lambda s: [(None, s["trunk_elevation"] > 20)],
}
# Rep exercises whose top holds are reported however short they are.
TOP_HOLDS = frozenset({"bridge", "bird_dog", "prone_press_up"})

FrameRule = Callable[[Signals], np.ndarray]

FRAME_FAULTS: dict[tuple[str, str], FrameRule] = {
    ("push_up", "hip_sag"): lambda s: s["body_line"] < -0.06,
    ("plank", "hip_sag"): lambda s: s["body_line"] < -0.05,
    ("plank", "hip_pike"): lambda s: s["body_line"] > 0.06,
    ("plank_shoulder_taps", "hip_sag"): lambda s: s["body_line"] < -0.05,
    ("plank_shoulder_taps", "hip_pike"): lambda s: s["body_line"] > 0.06,
    ("side_plank", "hip_sag"): lambda s: s["body_line"] < -0.06,
    ("wall_squat", "knees_past_toes"): lambda s: s["knee_forward"] > 0.08,
    ("wall_squat", "back_off_wall"): lambda s: s["trunk_inclination"] > 15,
    ("bridge", "backbend"): lambda s: s["bridge_line"] > 0.06,
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
    ("bird_dog", "hip_drop"): lambda s: np.abs(s["trunk_elevation"]) > 12,
    ("hip_hinge", "knees_bent_too_much"): lambda s: s["knee"] < 130,
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


def find_faults(
    exercise: str,
    sig: Signals,
    t_s: np.ndarray,
    reps: list[Rep],
    active: list[tuple[float, float]],
    holds: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Every fault of ``exercise`` present in the true geometry (any injected or not)."""
    found: list[tuple[str, float, float]] = []
    inside = _in_windows(t_s, active)
    for (name, fault), rule in FRAME_FAULTS.items():
        if name == exercise:
            found += [(fault, a, b) for a, b in intervals(rule(sig) & inside, t_s)]
    if exercise == "wall_squat":
        shallow = (sig["knee"] > 105) & (sig["knee"] < 150) & inside
        found += [("too_shallow", a, b) for a, b in intervals(shallow, t_s) if b - a > 2.0]
    for r in reps:
        m = _rep_mask(t_s, r)
        if exercise == "squat" and 100 < np.min(sig["knee"][m]) < 120:
            found.append(("shallow", r.start_s, r.end_s))
        if exercise == "bridge" and 140 < np.max(sig["hip"][m]) < 160:
            found.append(("incomplete_lift", r.start_s, r.end_s))
    if exercise == "bridge":
        for h in holds:
            if float(h["duration_s"]) < 2.0:
                found.append(("short_hold", float(h["start_s"]), float(h["end_s"])))
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
