"""The labelled real clips of ``../shared/realclips`` that formcheck can be evaluated on.

Shared by the accuracy and batch real-time-factor benchmarks. The clips are read in
place and never copied into the repository.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

import numpy as np

REALCLIPS = Path(__file__).resolve().parents[2] / "shared" / "realclips"

# Real-clip exercise folders → formcheck spec ids. Folders without a spec (back
# extension on a bench, sit-ups, lunges...) are listed as not evaluated.
REAL_SPEC = {
    "squat": "squat",
    "pushup": "push_up",
    "bridge": "bridge",
    "plank": "plank",
    "hip_hinge": "hip_hinge",
    "side_plank": "side_plank",
    "bird_dog": "bird_dog",
    "cat_cow": "cat_cow",
    "knee_to_chest": "knee_to_chest",
    "quad_stretch": "quad_stretch",
    "wall_squat": "wall_squat",
    "plank_shoulder_tap": "plank_shoulder_taps",
}


def labelled_clips() -> tuple[list[dict[str, Any]], list[str]]:
    """Labelled clips with a spec (file, exercise, view, label, true_reps and/or form),
    and the labelled ones left out, with why."""
    with (REALCLIPS / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        manifest = list(csv.DictReader(handle, delimiter="\t"))
    jobs, skipped = [], []
    for row in manifest:
        video = REALCLIPS / row["file"]
        label = row["label_from_source"]
        if label in ("", "none"):
            continue
        spec = REAL_SPEC.get(row["exercise"])
        if spec is None:
            skipped.append(
                f"{row['file']} ({row['exercise']}: no formcheck spec for this exercise)"
            )
            continue
        job: dict[str, Any] = {
            "file": row["file"],
            "exercise": spec,
            "view": row["camera_view"],
            "label": label,
        }
        labels = video.with_suffix(".labels.csv")
        cycles = video.with_name(video.stem + ".cycles.npy")
        if labels.exists():
            with labels.open() as handle:
                job["true_reps"] = sum(float(r["label"]) == 1.0 for r in csv.DictReader(handle))
        elif cycles.exists():
            job["true_reps"] = int(len(np.load(cycles)))
        elif label.startswith("rep_count="):
            job["true_reps"] = int(label.split("=")[1].split()[0].rstrip(";"))
        low = label.lower()
        if low.startswith(("correct", "good")):
            job["form"] = "correct"
        elif low.startswith(("wrong", "incorrect", "bad")):
            job["form"] = "incorrect"
        if "true_reps" in job or "form" in job:
            jobs.append(job)
    return jobs, skipped


def add_clip_set_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the benchmarks that run the accuracy clip set."""
    parser.add_argument("--n", type=int, default=40, help="synthetic clips (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-real", action="store_true")
