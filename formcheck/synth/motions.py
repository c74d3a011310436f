"""The registry of scripted exercises: which faults each can perform, its defaults.

Exercise and fault ids are those of docs/EXERCISES.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from formcheck.synth import floor, prone, standing, stretches
from formcheck.synth.timeline import Request, Script


@dataclass(frozen=True, slots=True)
class Motion:
    """A scripted exercise.

    Attributes:
        script: builds the performance for a request.
        faults: fault ids the script can inject.
        kind: "reps" or "hold".
        reps: default repetition count (rep exercises).
        hold_s: default hold duration in seconds (holds and per-side stretches).
    """

    script: Callable[[Request], Script]
    faults: tuple[str, ...]
    kind: str
    reps: int = 0
    hold_s: float = 0.0


MOTIONS: dict[str, Motion] = {
    "squat": Motion(standing.squat, ("shallow",), "reps", reps=6),
    "hip_hinge": Motion(standing.hip_hinge, ("knees_bent_too_much",), "reps", reps=6),
    "wall_squat": Motion(
        standing.wall_squat,
        ("too_shallow", "knees_past_toes", "back_off_wall"),
        "hold",
        hold_s=30.0,
    ),
    "quad_stretch": Motion(standing.quad_stretch, (), "hold", hold_s=15.0),
    "push_up": Motion(prone.push_up, ("hip_sag",), "reps", reps=6),
    "plank": Motion(prone.plank, ("hip_sag", "hip_pike"), "hold", hold_s=30.0),
    "plank_shoulder_taps": Motion(prone.plank_shoulder_taps, (), "reps", reps=10),
    "prone_press_up": Motion(prone.prone_press_up, ("short_hold",), "reps", reps=3),
    "bridge": Motion(floor.bridge, ("backbend", "incomplete_lift", "short_hold"), "reps", reps=5),
    "bird_dog": Motion(
        floor.bird_dog,
        ("arm_below_horizontal", "leg_below_horizontal", "trunk_tilt"),
        "reps",
        reps=6,
    ),
    "cat_cow": Motion(floor.cat_cow, (), "reps", reps=5),
    "knee_to_chest": Motion(floor.knee_to_chest, (), "hold", hold_s=15.0),
    "side_plank": Motion(floor.side_plank, ("hip_sag",), "hold", hold_s=20.0),
    "pigeon_pose": Motion(stretches.pigeon_pose, (), "hold", hold_s=10.0),
    "figure_four_stretch": Motion(stretches.figure_four_stretch, (), "hold", hold_s=15.0),
    "decompression_position": Motion(stretches.decompression_position, (), "hold", hold_s=20.0),
    "pelvic_tilt_seated": Motion(stretches.pelvic_tilt_seated, (), "reps", reps=5),
    "pelvic_tilt_supine": Motion(stretches.pelvic_tilt_supine, (), "reps", reps=3),
}
