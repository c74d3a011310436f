"""Replay files: the poses of a run saved once (:func:`write_replay`) and read back as
a source of poses (:class:`ReplaySource`) instead of frames and a model.

A replay file lets the analysis be re-run (new filters, specs, thresholds)
without MediaPipe and without the video. It is a NumPy ``.npz`` archive
(``numpy.savez_compressed``, no pickled objects) with these members, T being the
number of recorded frames and 33 the MediaPipe landmark count:

=================  ===========  ==================================================
key                shape/dtype  meaning
=================  ===========  ==================================================
``format_version`` () int       ``FORMAT_VERSION`` (1); other values are refused
``source_path``    () str       video/folder/camera the poses came from ("" if unknown)
``backend``        () str       estimator that produced them ("tasks", "legacy", ...)
``width``          () int       image width in pixels
``height``         () int       image height in pixels
``index``          (T,) int64   frame index in the source, unique
``t_s``            (T,) float64 presentation time in seconds
``image_xyz``      (T,33,3) f8  normalised image coordinates (y down), NaN if absent
``world_xyz``      (T,33,3) f8  world coordinates in metres, hip-centred, NaN if absent
``visibility``     (T,33) f8    visibility probability, 0 when no person
``presence``       (T,33) f8    presence probability, 0 when no person
``people``         (T,) int64   people found in the frame (0: ``PoseFrame.empty``)
=================  ===========  ==================================================

The per-frame arrays are exactly the :class:`~formcheck.types.PoseFrame` fields,
so a recording round-trips bit for bit. ``formcheck/sources/REPLAY_FORMAT.md`` holds
the same description for people who read the files with other tools.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from formcheck.atomic import atomic_path
from formcheck.errors import ModelError
from formcheck.landmarks import NUM_LANDMARKS
from formcheck.sources.base import SourceInfo
from formcheck.types import PoseFrame

FORMAT_VERSION = 1
REPLAY_SUFFIX = ".npz"
_SCALARS = ("format_version", "source_path", "backend", "width", "height")
# Trailing shape of each per-frame array (the leading dimension is T).
_PER_FRAME: dict[str, tuple[int, ...]] = {
    "index": (),
    "t_s": (),
    "image_xyz": (NUM_LANDMARKS, 3),
    "world_xyz": (NUM_LANDMARKS, 3),
    "visibility": (NUM_LANDMARKS,),
    "presence": (NUM_LANDMARKS,),
    "people": (),
}


def write_replay(
    path: Path, poses: Sequence[PoseFrame], *, source_path: str = "", backend: str = ""
) -> Path:
    """Save ``poses`` as a replay file, atomically (temporary file, then rename).

    Args:
        path: the ``.npz`` to write.
        poses: one pose per analysed frame, in order, all of one image size.
        source_path: what the poses were estimated from, stored for reference.
        backend: the estimator that produced them.

    Raises:
        ValueError: no poses, or poses of different image sizes.

    Example:
        >>> analysis = analyze("squat.mp4", "squat")  # doctest: +SKIP
        >>> write_replay(Path("squat.npz"), analysis.poses, backend="tasks")  # doctest: +SKIP
    """
    if not poses:
        raise ValueError("no poses recorded: nothing to save")
    first = poses[0]
    for pose in poses:
        if (pose.width, pose.height) != (first.width, first.height):
            raise ValueError(
                f"pose of frame {pose.index} is {pose.width}x{pose.height}, "
                f"earlier frames are {first.width}x{first.height}"
            )
    arrays: dict[str, np.ndarray] = {
        "format_version": np.array(FORMAT_VERSION),
        "source_path": np.array(source_path),
        "backend": np.array(backend),
        "width": np.array(first.width),
        "height": np.array(first.height),
        "index": np.array([p.index for p in poses], dtype=np.int64),
        "t_s": np.array([p.t_s for p in poses], dtype=np.float64),
        "image_xyz": np.stack([p.image_xyz for p in poses]),
        "world_xyz": np.stack([p.world_xyz for p in poses]),
        "visibility": np.stack([p.visibility for p in poses]),
        "presence": np.stack([p.presence for p in poses]),
        "people": np.array([p.people for p in poses], dtype=np.int64),
    }
    with atomic_path(path) as temp, temp.open("wb") as out:
        np.savez_compressed(out, **arrays)
    return path


def _load(path: Path) -> dict[str, np.ndarray]:
    """Read and validate a replay file; every problem is a ModelError naming the key."""
    name = str(path)
    if not path.is_file():
        raise ModelError(f"replay file {name!r} not found")
    try:
        with np.load(path, allow_pickle=False) as archive:
            data = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise ModelError(f"{name!r} is not a replay file (.npz): {error}") from None
    for key in (*_SCALARS, *_PER_FRAME):
        if key not in data:
            raise ModelError(f"replay file {name!r} lacks {key!r}")
    for key in _SCALARS:
        if data[key].shape != ():
            raise ModelError(
                f"replay file {name!r}: {key!r} must be a scalar, got shape {data[key].shape}"
            )
    if int(data["format_version"]) != FORMAT_VERSION:
        raise ModelError(
            f"replay file {name!r} has format_version {data['format_version']}, "
            f"this formcheck reads {FORMAT_VERSION}"
        )
    frames = len(data["index"]) if data["index"].ndim == 1 else -1
    for key, tail in _PER_FRAME.items():
        if data[key].shape != (frames, *tail) or data[key].dtype.kind not in "iuf":
            raise ModelError(
                f"replay file {name!r}: {key!r} has shape {data[key].shape} "
                f"({data[key].dtype}), expected numbers of shape {(max(frames, 0), *tail)}"
            )
    if len(np.unique(data["index"])) != frames:
        raise ModelError(f"replay file {name!r}: 'index' repeats a frame index")
    return data


class ReplaySource:
    """The poses saved in a replay file: a source of poses that needs no video and no model.

    Args:
        path: replay file written by :func:`write_replay`.

    Attributes:
        info: the recorded source, derived from the file: ``fps`` is 1 / the median
            frame interval (0.0 with fewer than two frames), ``duration_s`` the last
            frame's time plus that interval, ``rotation_deg`` 0 (the recorded size
            is already upright).
        backend: the estimator that produced the poses.

    Raises:
        ModelError: the file is missing, not an ``.npz``, lacks a key, or has an
            array of the wrong shape (the message names the key).

    Example:
        >>> replay = ReplaySource(Path("squat.npz"))  # doctest: +SKIP
        >>> poses = list(replay)  # doctest: +SKIP
    """

    def __init__(self, path: Path) -> None:
        data = _load(path)
        self.backend = str(data["backend"])
        self._data = data
        t_s = data["t_s"]
        steps = np.diff(t_s)
        step = float(np.median(steps)) if steps.size else 0.0
        self.info = SourceInfo(
            path=str(data["source_path"]),
            width=int(data["width"]),
            height=int(data["height"]),
            fps=1.0 / step if step > 0 else 0.0,
            frame_count=len(t_s),
            duration_s=float(t_s[-1]) + step if t_s.size else 0.0,
        )

    def __len__(self) -> int:
        return len(self._data["index"])

    def _pose(self, row: int) -> PoseFrame:
        data = self._data
        return PoseFrame(
            index=int(data["index"][row]),
            t_s=float(data["t_s"][row]),
            width=self.info.width,
            height=self.info.height,
            image_xyz=data["image_xyz"][row].copy(),
            world_xyz=data["world_xyz"][row].copy(),
            visibility=data["visibility"][row].copy(),
            presence=data["presence"][row].copy(),
            people=int(data["people"][row]),
        )

    def __iter__(self) -> Iterator[PoseFrame]:
        """Every saved pose, in recorded order."""
        for row in range(len(self)):
            yield self._pose(row)
