"""Per-frame CSV: one row per analysed frame with the engine's signals and the landmarks.

Columns, in order:

* ``frame`` (index in the source), ``t_s`` (seconds), ``people`` (persons found);
* one column per engine signal (``SessionResult.signals``: angles in degrees,
  offsets as fractions; per-side signals are named ``<signal>.<side>``);
* ``<landmark>_x``, ``_y`` (normalised image coordinates, y down), ``_z``
  (MediaPipe relative depth) and ``_visibility`` for the 33 landmarks, **after**
  the offline smoother: the values the signals were computed from (without the
  11 face landmarks when privacy is asked for).

A missing value (no person, landmark not visible) is an empty cell. Numbers have
six significant digits.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence

import numpy as np

from formcheck.landmarks import FACE_LANDMARKS, INDEX, LANDMARK_NAMES
from formcheck.types import PoseFrame

_COORDS = ("x", "y", "z")


def _cell(value: float) -> str:
    return f"{value:.6g}" if math.isfinite(value) else ""


def frames_csv(
    poses: Sequence[PoseFrame],
    t_s: np.ndarray,
    signals: Mapping[str, np.ndarray],
    face: bool = True,
) -> str:
    """The per-frame table as CSV text.

    Args:
        poses: the smoothed poses, one per analysed frame.
        t_s: (T,) frame times of the engine's signals; T must equal ``len(poses)``.
        signals: name → (T,) per-frame values.
        face: include the face landmarks (``FACE_LANDMARKS``: nose, eyes, ears,
            mouth); without them the table cannot help recognise the patient.

    Raises:
        ValueError: the signals and poses are not aligned frame by frame.

    Example:
        >>> frames_csv([], np.empty(0), {}).splitlines()[0][:20]
        'frame,t_s,people,nos'
    """
    if len(t_s) != len(poses):
        raise ValueError(f"{len(t_s)} signal frames for {len(poses)} poses")
    for name, values in signals.items():
        if len(values) != len(poses):
            raise ValueError(f"signal {name!r} has {len(values)} frames for {len(poses)} poses")
    names = [name for name in LANDMARK_NAMES if face or name not in FACE_LANDMARKS]
    kept = [INDEX[name] for name in names]
    header = ["frame", "t_s", "people", *signals]
    for name in names:
        header += [f"{name}_{c}" for c in _COORDS] + [f"{name}_visibility"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    columns = [np.asarray(values, dtype=np.float64) for values in signals.values()]
    for i, pose in enumerate(poses):
        row = [str(pose.index), _cell(float(pose.t_s)), str(pose.people)]
        row += [_cell(float(column[i])) for column in columns]
        landmarks = np.column_stack([pose.image_xyz, pose.visibility])[kept]
        row += [_cell(float(v)) for v in landmarks.ravel()]
        writer.writerow(row)
    return out.getvalue()
