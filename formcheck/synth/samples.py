"""Regenerate ``sample_videos/``: a few short rendered clips with their truth.

Run ``python -m formcheck.synth.samples [OUT_DIR]`` (default ``sample_videos``).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from formcheck.atomic import write_text_atomic
from formcheck.synth.clip import make_clip
from formcheck.synth.skeleton import Body
from formcheck.synth.video import write_clip


@dataclass(frozen=True, slots=True)
class Sample:
    """One sample clip: file stem, what it shows, and how to make it."""

    name: str
    description: str
    exercise: str
    fault: str | None = None
    reps: int | None = None
    hold_s: float | None = None
    facing: str = "right"
    view: str | None = None
    body: Body = field(default_factory=Body)
    seed: int = 0


SAMPLES: tuple[Sample, ...] = (
    Sample(
        "wall_squat",
        "Wall squat, side view facing right: slide down, 12 s hold at a ~90° knee, stand up.",
        "wall_squat",
        hold_s=12.0,
        seed=1,
    ),
    Sample(
        "plank_shoulder_taps",
        "High plank with 6 alternating shoulder taps (3 per side), front-diagonal view.",
        "plank_shoulder_taps",
        reps=6,
        facing="left",
        body=Body(height_m=1.62, build=0.9),
        seed=2,
    ),
    Sample(
        "bridge",
        "Glute bridge, 3 reps with a ~3 s top hold, side view facing right.",
        "bridge",
        reps=3,
        body=Body(height_m=1.85, build=1.15),
        seed=3,
    ),
    Sample(
        "bridge_backbend",
        "Faulty glute bridge: 3 reps arching the back (hip ~10% above the shoulder–knee line).",
        "bridge",
        fault="backbend",
        reps=3,
        seed=4,
    ),
    Sample(
        "bird_dog",
        "Bird dog, 4 alternating reps (left arm first) with ~2.5 s holds, side view facing left.",
        "bird_dog",
        reps=4,
        facing="left",
        seed=5,
    ),
    Sample(
        "plank_hip_sag",
        "Faulty forearm plank: 12 s hold with the hips sagging (body-line offset ~-0.10).",
        "plank",
        fault="hip_sag",
        hold_s=12.0,
        facing="left",
        seed=6,
    ),
)

COMMAND = "python -m formcheck.synth.samples"


def write_samples(out_dir: str | Path) -> list[Path]:
    """Render every sample into ``out_dir`` with a README; returns the video paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    lines = [
        "# Sample videos",
        "",
        "Synthetic clips rendered by `formcheck.synth` (a shaded mannequin, not a real",
        "person). Each `NAME.mp4` (H.264, 640×480, 30 fps) has a `NAME.truth.json` with",
        "the exact ground truth (schema `formcheck-truth/2`: reps, rep intervals, attempts, holds,",
        "faults and per-frame true joint angles). Regenerate them all with:",
        "",
        "```",
        COMMAND,
        "```",
        "",
        "| file | exercise | fault | what it shows |",
        "|---|---|---|---|",
    ]
    for s in SAMPLES:
        clip = make_clip(
            s.exercise,
            s.fault,
            seed=s.seed,
            reps=s.reps,
            hold_s=s.hold_s,
            facing=s.facing,
            view=s.view,
            body=s.body,
        )
        path = out / f"{s.name}.mp4"
        write_clip(clip, path, out / f"{s.name}.truth.json", seed=s.seed)
        paths.append(path)
        lines.append(f"| `{s.name}.mp4` | {s.exercise} | {s.fault or '—'} | {s.description} |")
    write_text_atomic(out / "README.md", "\n".join(lines) + "\n")
    (out / "README.md").chmod(0o644)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out_dir", nargs="?", default="sample_videos")
    args = parser.parse_args()
    for path in write_samples(args.out_dir):
        print(path)


if __name__ == "__main__":
    main()
