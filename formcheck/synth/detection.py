"""Does MediaPipe see the mannequin? Landmark error of the legacy pose model on renders.

Runs ``mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1)`` on a
few evenly spaced rendered frames per exercise and reports, per joint, the
median pixel distance between MediaPipe's landmark and the true projection.

Run ``python -m formcheck.synth.detection [--frames 6] [EXERCISE ...]``.
"""

from __future__ import annotations

import argparse

import numpy as np

from formcheck.landmarks import INDEX
from formcheck.synth.clip import SynthClip, make_clip
from formcheck.synth.motions import MOTIONS
from formcheck.synth.render import MannequinRenderer

BODY_PARTS: tuple[str, ...] = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")


def landmark_errors(
    clip: SynthClip, frames: int = 6, seed: int = 0
) -> tuple[dict[str, float], int]:
    """Median pixel error per body landmark over ``frames`` rendered frames.

    Returns:
        ({landmark name: median error px (NaN if never detected)}, frames without
        a detection).
    """
    import mediapipe as mp

    renderer = MannequinRenderer(clip, seed)
    n = len(renderer)
    indices = np.linspace(0.1 * n, 0.9 * n, frames).astype(int)
    truth_px = clip.camera.project_px(clip.joints3d)
    size = np.array([clip.camera.width, clip.camera.height])
    names = [f"{side}_{part}" for side in ("left", "right") for part in BODY_PARTS]
    errors: dict[str, list[float]] = {name: [] for name in names}
    missed = 0
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as pose:
        for i in indices:
            result = pose.process(renderer.frame(int(i)))
            if result.pose_landmarks is None:
                missed += 1
                continue
            found = np.array([[p.x, p.y] for p in result.pose_landmarks.landmark]) * size
            for name in names:
                errors[name].append(
                    float(np.linalg.norm(found[INDEX[name]] - truth_px[i, INDEX[name]]))
                )
    return {k: float(np.median(v)) if v else float("nan") for k, v in errors.items()}, missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("exercises", nargs="*", default=sorted(MOTIONS))
    parser.add_argument("--frames", type=int, default=6)
    parser.add_argument("--view", default=None)
    args = parser.parse_args()
    print(
        f"{'exercise':20s} miss  near-side median px per joint ({', '.join(BODY_PARTS)}); far side"
    )
    for exercise in args.exercises:
        kind = MOTIONS[exercise].kind
        clip = make_clip(
            exercise,
            seed=3,
            view=args.view,
            reps=2 if kind == "reps" else None,
            hold_s=4.0 if kind == "hold" else None,
        )
        errors, missed = landmark_errors(clip, args.frames, seed=3)
        near = str(clip.truth["near_side"])
        far = "left" if near == "right" else "right"
        near_px = [errors[f"{near}_{p}"] for p in BODY_PARTS]
        far_px = [errors[f"{far}_{p}"] for p in BODY_PARTS]
        print(
            f"{exercise:20s} {missed}/{args.frames}  "
            + " ".join(f"{v:5.1f}" for v in near_px)
            + f" | median {np.nanmedian(near_px):5.1f}; far {np.nanmedian(far_px):5.1f}"
        )


if __name__ == "__main__":
    main()
