"""The labelled real clips of ``../shared/realclips`` that formcheck can be evaluated on.

Shared by the accuracy and batch real-time-factor benchmarks. The clips are read in
place and never copied into the repository.
"""

from __future__ import annotations

import argparse
import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REALCLIPS = Path(__file__).resolve().parents[2] / "shared" / "realclips"
LABELS = Path(__file__).resolve().parent / "realclip_labels.csv"
# Edits whose times mark where the picture changes: a cut, the ends of a title card or
# the span of a cross-fade (``benchmarks/realclip_labels.md`` and /work/labels/PROTOCOL.md).
SCENE_EDITS = ("cut", "title", "fade")

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


@dataclass(frozen=True)
class Edit:
    """One labelled edit: ``kind`` (cut, title, fade, other_person, zoom, ...) and its
    time or time span in seconds (None when the labeller gave no time)."""

    kind: str
    start_s: float | None = None
    end_s: float | None = None


@dataclass(frozen=True)
class ClipLabel:
    """One clip labelled by eye (columns of ``realclip_labels.csv``).

    ``spec`` is None for a clip that maps to no spec (``-``). Counts and holds are
    None where the cell is empty. ``faults`` holds the fault names seen (empty when
    ``none visible``); ``faults_judged`` is False for ``unclear``.
    """

    file: str
    spec: str | None
    view: str
    reps: int | None
    reps_left: int | None
    reps_right: int | None
    hold_s: float | None
    hold_left_s: float | None
    hold_right_s: float | None
    faults: tuple[str, ...]
    faults_judged: bool
    edits: tuple[Edit, ...]
    confidence: str
    notes: str

    @property
    def source(self) -> str:
        """Where the clip came from: its file name's prefix (``calimiro``, ``pal``...)."""
        return Path(self.file).stem.split("_")[0]

    @property
    def none_visible(self) -> bool:
        return self.faults_judged and not self.faults

    def edit_spans(self, *kinds: str) -> list[tuple[float, float]]:
        """(start, end) of the timed edits of these kinds (a point edit: start = end)."""
        return [
            (e.start_s, e.start_s if e.end_s is None else e.end_s)
            for e in self.edits
            if e.kind in kinds and e.start_s is not None
        ]


def _number(cell: str, kind: type[int] | type[float]) -> Any:
    return kind(cell) if cell.strip() else None


def parse_edits(cell: str) -> tuple[Edit, ...]:
    """``"title@0-2.0;cut@11.6;text_overlay"`` → edits (a malformed time is kept untimed)."""
    edits = []
    for token in filter(None, (t.strip() for t in cell.split(";"))):
        kind, _, when = token.partition("@")
        if kind == "none":
            continue
        times = re.fullmatch(r"([\d.]+)(?:-([\d.]+))?", when.strip())
        if times is None:
            edits.append(Edit(kind.strip()))
        else:
            end = times.group(2)
            edits.append(Edit(kind.strip(), float(times.group(1)), float(end) if end else None))
    return tuple(edits)


def parse_faults(cell: str) -> tuple[tuple[str, ...], bool]:
    """``"hip_sag@1.3-3.5;shallow(rep 2)"`` → (("hip_sag", "shallow"), judged)."""
    text = cell.strip()
    if text in ("", "none visible"):
        return (), bool(text)
    names = [re.split(r"[@(]", t.strip())[0] for t in text.split(";") if t.strip()]
    judged = "unclear" not in names
    return tuple(dict.fromkeys(n for n in names if n != "unclear")), judged


def load_labels(path: Path) -> list[ClipLabel]:
    """Every row of a label file made by eye (the protocol's header), in file order."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    labels = []
    for row in rows:
        faults, judged = parse_faults(row["faults"])
        labels.append(
            ClipLabel(
                file=row["file"],
                spec=None if row["spec"].strip() in ("", "-") else row["spec"].strip(),
                view=row["view"],
                reps=_number(row["reps"], int),
                reps_left=_number(row["reps_left"], int),
                reps_right=_number(row["reps_right"], int),
                hold_s=_number(row["hold_s"], float),
                hold_left_s=_number(row["hold_left_s"], float),
                hold_right_s=_number(row["hold_right_s"], float),
                faults=faults,
                faults_judged=judged,
                edits=parse_edits(row["edits"]),
                confidence=row["confidence"],
                notes=row["notes"],
            )
        )
    return labels


def add_clip_set_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the benchmarks that run the accuracy clip set."""
    parser.add_argument("--n", type=int, default=40, help="synthetic clips (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-real", action="store_true")
