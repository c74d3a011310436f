"""An evaluation set of rendered clips with truth, for the accuracy benchmark.

``generate_evalset(out_dir, n)`` covers every exercise correct and with each of
its faults, then adds further correct and faulty variants until ``n`` clips,
varying camera side (facing left/right), view (side or ~30° oblique; the front and
front-diagonal exercises keep their view), camera
height and distance, body height and build, and seeds. Cases depend only on
``seed``, so the set is reproducible. Writes ``NAME.mp4`` + ``NAME.truth.json``
per case and an ``index.json`` listing them.

Run ``python -m formcheck.synth.evalset OUT_DIR [--n 40] [--seed 0]``.
Generated clips are not committed; regenerate them.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from formcheck.atomic import write_text_atomic
from formcheck.synth.clip import make_clip
from formcheck.synth.motions import MOTIONS
from formcheck.synth.skeleton import Body
from formcheck.synth.video import write_clip

# Exercises filmed from the front or front-diagonal keep their view (side views vary).
NATIVE_VIEWS: dict[str, str] = {"side_plank": "front", "plank_shoulder_taps": "front_oblique"}


@dataclass(frozen=True, slots=True)
class EvalCase:
    """One clip of the evaluation set."""

    name: str
    exercise: str
    fault: str | None
    seed: int
    facing: str
    view: str
    camera_height_m: float
    distance_m: float
    height_m: float
    build: float
    reps: int | None
    hold_s: float | None


def plan_evalset(n: int = 40, seed: int = 0) -> list[EvalCase]:
    """The cases of an ``n``-clip set: all (exercise, fault) pairs first, then variants."""
    rng = np.random.default_rng(seed)
    pairs = [(ex, f) for ex, m in MOTIONS.items() for f in (None, *m.faults)]
    order = list(pairs)
    while len(order) < n:
        order += [pairs[i] for i in rng.permutation(len(pairs))]
    cases = []
    for k, (exercise, fault) in enumerate(order[:n]):
        motion = MOTIONS[exercise]
        oblique = rng.random() < 0.3
        view = NATIVE_VIEWS.get(exercise) or ("oblique" if oblique else "side")
        floor = exercise not in ("squat", "hip_hinge", "wall_squat", "quad_stretch")
        cases.append(
            EvalCase(
                name=f"{k:03d}_{exercise}_{fault or 'ok'}",
                exercise=exercise,
                fault=fault,
                seed=int(rng.integers(1_000_000)),
                facing="left" if rng.random() < 0.5 else "right",
                view=view,
                camera_height_m=round(
                    float(rng.uniform(0.35, 0.9) if floor else rng.uniform(0.7, 1.4)), 3
                ),
                distance_m=round(float(rng.uniform(2.6, 4.5)), 3),
                height_m=round(float(rng.uniform(1.52, 1.95)), 3),
                build=round(float(rng.uniform(0.85, 1.3)), 3),
                reps=int(rng.integers(3, 7)) if motion.kind == "reps" else None,
                hold_s=round(float(rng.uniform(8.0, 15.0)), 2) if motion.kind == "hold" else None,
            )
        )
    return cases


def generate_evalset(out_dir: str | Path, n: int = 40, seed: int = 0) -> list[Path]:
    """Render the ``n``-clip evaluation set into ``out_dir``; returns the video paths."""
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    cases = plan_evalset(n, seed)
    for case in cases:
        clip = make_clip(
            case.exercise,
            case.fault,
            seed=case.seed,
            view=case.view,
            facing=case.facing,
            reps=case.reps,
            hold_s=case.hold_s,
            body=Body(case.height_m, case.build),
            camera_height_m=case.camera_height_m,
            distance_m=case.distance_m,
        )
        path = out / f"{case.name}.mp4"
        write_clip(clip, path, out / f"{case.name}.truth.json", seed=case.seed)
        paths.append(path)
    index = {"schema": "formcheck-evalset/1", "seed": seed, "cases": [asdict(c) for c in cases]}
    write_text_atomic(out / "index.json", json.dumps(index, indent=1) + "\n")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out_dir")
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for path in generate_evalset(args.out_dir, args.n, args.seed):
        print(path)


if __name__ == "__main__":
    main()
