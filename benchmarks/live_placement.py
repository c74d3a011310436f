"""How small may a person be in the image before landmarks degrade? (``TOO_FAR_SIZE``)

Takes ``--frames`` frames spread over a side-view clip, shrinks each onto a grey
canvas of the original size, and runs a fresh Tasks estimator per scale. For
each scale it prints the body size (larger extent of the body-core landmarks and
the nose over the image's larger side), how many frames had a person, and the
knee angle's difference from the full-size frame.

Usage::

    python benchmarks/live_placement.py CLIP SIDE [--frames 12]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import cv2
import numpy as np

from formcheck.kinematics import joint_angle
from formcheck.landmarks import BODY_CORE, INDEX
from formcheck.live.guidance import body_size
from formcheck.pose import create_estimator
from formcheck.sources import open_source
from formcheck.types import Frame, PoseFrame

SCALES = (1.0, 0.7, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15)


def shrunk(image: np.ndarray, scale: float) -> np.ndarray:
    """``image`` scaled by ``scale`` and centred on a grey canvas of its own size."""
    h, w = image.shape[:2]
    small = cv2.resize(image, (max(2, int(w * scale)), max(2, int(h * scale))), cv2.INTER_AREA)
    canvas = np.full_like(image, 128)
    y0, x0 = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
    canvas[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
    return canvas


def knee_deg(pose: PoseFrame, side: str) -> float:
    xy = pose.pixel_xy()
    hip, knee, ankle = (xy[INDEX[f"{side}_{part}"]] for part in ("hip", "knee", "ankle"))
    return float(joint_angle(hip, knee, ankle))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", type=Path)
    parser.add_argument("side", choices=["left", "right"])
    parser.add_argument("--frames", type=int, default=12)
    args = parser.parse_args(argv)
    with open_source(args.clip) as source:
        frames = list(source)
    picked = [frames[i] for i in np.linspace(0, len(frames) - 1, args.frames).astype(int)]
    print(f"core landmarks: {', '.join(BODY_CORE)}, nose")
    reference: np.ndarray | None = None
    for scale in SCALES:
        estimator = create_estimator("tasks")
        knees, sizes = [], []
        for i, frame in enumerate(picked):
            pose = estimator.process(Frame(shrunk(frame.image, scale), i, i * 0.5))
            knees.append(knee_deg(pose, args.side) if pose.detected else np.nan)
            sizes.append(body_size(pose) if pose.detected else np.nan)
        estimator.close()
        knee = np.array(knees)
        reference = knee if reference is None else reference
        error = np.abs(knee - reference)
        found = int(np.isfinite(knee).sum())
        if found == 0:
            print(f"scale {scale:.2f}: nobody detected in {len(picked)} frames")
            continue
        print(
            f"scale {scale:.2f}: size {np.nanmedian(sizes):.3f}, detected {found}/{len(picked)}, "
            f"knee |diff| median {np.nanmedian(error):.1f} max {np.nanmax(error):.1f} deg"
        )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("GLOG_minloglevel", "2")
    sys.exit(main())
