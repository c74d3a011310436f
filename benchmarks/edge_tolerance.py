"""How far past the picture's edge is a MediaPipe landmark still usable? (``edge_margin_frac``)

Takes real clips in which the whole body is in the picture, crops every frame
so that one edge of the picture cuts into the body, and runs the pose model
(Tasks, VIDEO mode, as ``formcheck analyze`` does) on the cropped clip and on
the original. For every limb landmark and frame it records how far the
landmark lies past the cropped picture's edge (``past_edge``, in units of the
cropped picture's width or height, as formcheck's normalised coordinates have
it; negative inside) and how much the joint angle it takes part in moved
against the uncropped run. Only landmarks MediaPipe calls visible in the cropped
run count (formcheck ignores the others anyway). The tolerance formcheck uses is
the upper end of the last ``past_edge`` bin, from the edge outward, whose angle
error stays within ``--slack-deg`` of a landmark's just inside the edge, for the
typical landmark (median and 75th percentile; the worst tenth is large inside the
picture too): as good as what formcheck already trusted.

Usage::

    python benchmarks/edge_tolerance.py [--out benchmarks/results/edge_tolerance.md]
        [--rows ROWS.npy] [--from-rows ROWS.npy]

``--rows`` keeps the measured points (outside the repository: they come from the
clips' pixels); ``--from-rows`` recomputes the table from them without the model.

Needs the real clips of ``../shared/realclips`` (never copied into the repository).
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from formcheck.atomic import write_text_atomic
from formcheck.kinematics import joint_angle
from formcheck.landmarks import INDEX
from formcheck.pose import create_estimator
from formcheck.sources import open_source
from formcheck.types import Frame, PoseFrame

REALCLIPS = Path(__file__).resolve().parents[2] / "shared" / "realclips"

# (clip, edges to cut into): whole body in the picture, varied postures and sources.
CLIPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bridge/be18_glute_bridge.mp4", ("left", "bottom")),
    ("bridge/hans_glute_bridges.mp4", ("left", "bottom")),
    ("hip_hinge/pal_good_morning.mp4", ("bottom", "top")),
    ("hip_hinge/pal_single_leg_deadlift.mp4", ("bottom", "left")),
    ("lunge/be18_lunge_stepup.mp4", ("bottom",)),
    ("plank/be18_plank_leg_raise.mp4", ("right", "bottom")),
)
# How deep the crop cuts into the body: a fraction of the body's extent along the cut.
CUTS = (0.05, 0.15, 0.3)
# Limb landmarks and the joint angle (a, b, c) each one takes part in.
ANGLES = {
    "wrist": ("shoulder", "elbow", "wrist"),
    "elbow": ("shoulder", "elbow", "wrist"),
    "ankle": ("hip", "knee", "ankle"),
    "knee": ("hip", "knee", "ankle"),
    "heel": ("hip", "knee", "ankle"),
    "foot_index": ("hip", "knee", "ankle"),
}
BINS = (-np.inf, -0.05, -0.025, 0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, np.inf)
# Every STRIDE-th frame, at most MAX_FRAMES of them: the poses spread over the clip.
STRIDE = 3
MAX_FRAMES = 50


def run(frames: list[Frame], box: tuple[int, int, int, int] | None) -> list[PoseFrame]:
    """Poses of ``frames`` (cropped to ``box`` = x0, y0, x1, y1 when given)."""
    estimator = create_estimator("tasks", people_probe_s=None)
    poses = []
    try:
        for frame in frames:
            image = frame.image
            if box is not None:
                x0, y0, x1, y1 = box
                image = np.ascontiguousarray(image[y0:y1, x0:x1])
            poses.append(estimator.process(Frame(image, frame.index, frame.t_s)))
    finally:
        estimator.close()
    return poses


def crop_box(
    reference: list[PoseFrame], width: int, height: int, edge: str, cut: float
) -> tuple[int, int, int, int]:
    """A crop whose ``edge`` lies ``cut`` of the body's extent inside the body's
    median extreme on that side."""
    xy = np.array([p.pixel_xy() for p in reference if p.detected])[:, 11:]
    lo = np.nanmedian(np.nanmin(xy, axis=1), axis=0)
    hi = np.nanmedian(np.nanmax(xy, axis=1), axis=0)
    extent = hi - lo
    x0, y0, x1, y1 = 0, 0, width, height
    if edge == "left":
        x0 = int(lo[0] + cut * extent[0])
    elif edge == "right":
        x1 = int(hi[0] - cut * extent[0])
    elif edge == "top":
        y0 = int(lo[1] + cut * extent[1])
    else:
        y1 = int(hi[1] - cut * extent[1])
    return x0, y0, x1, y1


def measure(
    reference: list[PoseFrame],
    cropped: list[PoseFrame],
    box: tuple[int, int, int, int],
    edge: str,
) -> list[tuple[float, float, float]]:
    """(past_edge, joint-angle error in degrees, visibility) per limb landmark and frame."""
    x0, y0, x1, y1 = box
    size = np.array([x1 - x0, y1 - y0], dtype=float)
    axis = 0 if edge in ("left", "right") else 1
    rows = []
    for ref, got in zip(reference, cropped, strict=True):
        if not (ref.detected and got.detected):
            continue
        ref_xy = ref.pixel_xy()
        got_xy = got.pixel_xy() + np.array([x0, y0])
        norm = (ref_xy - np.array([x0, y0])) / size  # the true point in the crop's coordinates
        for side in ("left", "right"):
            for part, triplet in ANGLES.items():
                i = INDEX[f"{side}_{part}"]
                past = -norm[i, axis] if edge in ("left", "top") else norm[i, axis] - 1.0
                ids = [INDEX[f"{side}_{name}"] for name in triplet]
                want = joint_angle(*(ref_xy[j] for j in ids))
                have = joint_angle(*(got_xy[j] for j in ids))
                if np.isfinite(want) and np.isfinite(have):
                    rows.append((float(past), float(abs(have - want)), float(got.visibility[i])))
    return rows


def table(rows: np.ndarray) -> list[dict[str, float]]:
    """Error statistics per past-edge bin, of the landmarks called visible."""
    rows = rows[rows[:, 2] >= 0.5]
    out = []
    for low, high in itertools.pairwise(BINS):
        sel = rows[(rows[:, 0] >= low) & (rows[:, 0] < high)]
        if len(sel) == 0:
            continue
        out.append(
            {
                "low": low,
                "high": high,
                "n": len(sel),
                "median": float(np.median(sel[:, 1])),
                "p75": float(np.percentile(sel[:, 1], 75)),
                "p90": float(np.percentile(sel[:, 1], 90)),
            }
        )
    return out


def tolerance(bins: list[dict[str, float]], slack_deg: float) -> float:
    """The upper end of the last past-edge bin (from 0 outward, without a gap)
    whose angle error is within ``slack_deg`` of the bin just inside the edge."""
    edge = next(b for b in bins if b["high"] == 0.0)
    margin = 0.0
    for b in (b for b in bins if b["low"] >= 0.0):
        if b["median"] > edge["median"] + slack_deg or b["p75"] > edge["p75"] + slack_deg:
            break
        margin = b["high"]
    return margin


def measure_all() -> tuple[np.ndarray, list[str]]:
    """Every clip cropped at every edge and cut: the points, and what was run."""
    rows: list[tuple[float, float, float]] = []
    runs = []
    for name, edges in CLIPS:
        with open_source(REALCLIPS / name) as source:
            frames = [frame for i, frame in enumerate(source) if i % STRIDE == 0][:MAX_FRAMES]
            width, height = source.info.width, source.info.height
        reference = run(frames, None)
        for edge in edges:
            for cut in CUTS:
                box = crop_box(reference, width, height, edge, cut)
                found = measure(reference, run(frames, box), box, edge)
                rows += found
                runs.append(f"{name} {edge} {cut:.0%} ({len(found)} points)")
                print(runs[-1], file=sys.stderr)
    return np.array(rows), runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/edge_tolerance.md"))
    parser.add_argument("--slack-deg", type=float, default=3.0)
    parser.add_argument("--rows", type=Path, help="also save the raw points here (.npy)")
    parser.add_argument("--from-rows", type=Path, help="recompute from points saved by --rows")
    args = parser.parse_args(argv)
    started, load0 = time.time(), os.getloadavg()
    if args.from_rows is not None:
        rows, runs = np.load(args.from_rows), [f"points recomputed from {args.from_rows.name}"]
    elif not REALCLIPS.is_dir():
        print(f"real clips not found at {REALCLIPS}", file=sys.stderr)
        return 2
    else:
        rows, runs = measure_all()
    if args.rows is not None:
        np.save(args.rows, rows)
    bins = table(rows)
    margin = tolerance(bins, args.slack_deg)
    load1 = os.getloadavg()
    lines = [
        "# Landmarks past the picture's edge",
        "",
        f"Made {datetime.datetime.now(datetime.UTC).isoformat(timespec='seconds')} "
        f"with `python benchmarks/edge_tolerance.py` ({(time.time() - started) / 60:.1f} min) "
        f"on {platform.machine()} ({os.cpu_count()} cores), load average "
        f"{load0[0]:.2f} at the start and {load1[0]:.2f} at the end.",
        "",
        f"{len(CLIPS)} real clips, each cropped so that one edge of the picture cuts "
        f"{', '.join(f'{c:.0%}' for c in CUTS)} of the body's extent; Tasks backend, "
        f"VIDEO mode, one frame in {STRIDE}, at most {MAX_FRAMES} a clip. `past edge`: how "
        "far the landmark's uncropped position lies outside the cropped picture, in units "
        "of the picture's size along the cut (negative: inside). Error: |joint angle of the "
        "cropped run - joint angle of the uncropped run| of the 2D angle the landmark takes "
        "part in (the elbow angle for wrist and elbow; the knee angle for knee, ankle, heel "
        "and toes); only landmarks with visibility >= 0.5 in the cropped run.",
        "",
        "| past edge | points | error median (deg) | p75 (deg) | p90 (deg) |",
        "|---|---|---|---|---|",
    ]
    for b in bins:
        lines.append(
            f"| [{b['low']:.3f}, {b['high']:.3f}) | {b['n']} | {b['median']:.1f} | "
            f"{b['p75']:.1f} | {b['p90']:.1f} |"
        )
    lines += [
        "",
        f"Tolerance (median and p75 error within {args.slack_deg:.0f} deg of the bin just "
        f"inside the edge): **{margin:.3f}** of the picture's size past its edge "
        "(`session.edge_margin`).",
        "",
        "Runs: " + "; ".join(runs),
        "",
    ]
    write_text_atomic(args.out, "\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("GLOG_minloglevel", "2")
    sys.exit(main())
