"""Record poses to a replay file and read them back instead of running a model.

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
so a recording round-trips bit for bit. ``formcheck/pose/REPLAY_FORMAT.md`` holds
the same description for people who read the files with other tools.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from formcheck.atomic import atomic_path
from formcheck.bounds import INPUT
from formcheck.errors import ModelError
from formcheck.landmarks import NUM_LANDMARKS
from formcheck.sources.base import SourceInfo
from formcheck.types import Frame, PoseFrame

FORMAT_VERSION = 1
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


class LandmarkRecorder:
    """Collects :class:`PoseFrame` objects and saves them as a replay file.

    Args:
        source_path: what the poses were estimated from, stored for reference.
        backend: name of the estimator that produced them.

    Example:
        >>> recorder = LandmarkRecorder("squat.mp4", backend="tasks")  # doctest: +SKIP
        >>> for frame in video:  # doctest: +SKIP
        ...     recorder.add(estimator.process(frame))
        >>> recorder.save(Path("squat.landmarks.npz"))  # doctest: +SKIP
    """

    def __init__(self, source_path: str = "", backend: str = "") -> None:
        self._source_path = source_path
        self._backend = backend
        self._poses: list[PoseFrame] = []

    def __len__(self) -> int:
        return len(self._poses)

    def add(self, pose: PoseFrame) -> None:
        """Append one frame's pose (frames must share one image size)."""
        first = self._poses[0] if self._poses else pose
        if (pose.width, pose.height) != (first.width, first.height):
            raise ValueError(
                f"pose of frame {pose.index} is {pose.width}x{pose.height}, "
                f"earlier frames are {first.width}x{first.height}"
            )
        self._poses.append(pose)

    def save(self, path: Path) -> None:
        """Write the replay file atomically (temporary file, then rename).

        Raises:
            ValueError: nothing was recorded.
        """
        if not self._poses:
            raise ValueError("no poses recorded: nothing to save")
        poses = self._poses
        arrays: dict[str, np.ndarray] = {
            "format_version": np.array(FORMAT_VERSION),
            "source_path": np.array(self._source_path),
            "backend": np.array(self._backend),
            "width": np.array(poses[0].width),
            "height": np.array(poses[0].height),
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


# The largest array a replay file of the longest recording holds (image_xyz, float64).
_MAX_ARRAY_BYTES = int(INPUT["frames"].high or 0) * NUM_LANDMARKS * 3 * 8


def _check_declared_sizes(path: Path) -> None:
    """Refuse an archive whose arrays declare more data than the longest recording has,
    from the headers alone: a few compressed kilobytes can declare gigabytes."""
    headers = {(1, 0): np.lib.format.read_array_header_1_0}
    headers[(2, 0)] = np.lib.format.read_array_header_2_0
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            with archive.open(member) as stream:
                version = np.lib.format.read_magic(stream)
                if version not in headers:
                    raise ValueError(f"{member.filename}: .npy format {version} is not read")
                shape, _, dtype = headers[version](stream)
            size = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
            if size > _MAX_ARRAY_BYTES:
                raise ValueError(
                    f"{member.filename} declares {size} bytes, more than a recording of "
                    f"{INPUT['frames'].high:g} frames holds"
                )


def _load(path: Path) -> dict[str, np.ndarray]:
    """Read and validate a replay file; every problem is a ModelError naming the key."""
    name = str(path)
    if not path.is_file():
        raise ModelError(f"replay file {name!r} not found")
    try:
        _check_declared_sizes(path)
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


class ReplayEstimator:
    """A pose "estimator" that returns the poses saved in a replay file.

    Args:
        path: replay file written by :meth:`LandmarkRecorder.save`.

    Attributes:
        source_path: what the poses were estimated from.
        backend: the estimator that produced them.
        width, height: image size of the recorded frames.

    Raises:
        ModelError: the file is missing, not an ``.npz``, lacks a key, or has an
            array of the wrong shape (the message names the key).
    """

    name = "replay"

    def __init__(self, path: Path) -> None:
        self._path = path
        data = _load(path)
        self.source_path = str(data["source_path"])
        self.backend = str(data["backend"])
        self.width = int(data["width"])
        self.height = int(data["height"])
        self._data = data
        self._row = {int(index): row for row, index in enumerate(data["index"])}

    def __len__(self) -> int:
        return len(self._row)

    def _pose(self, row: int) -> PoseFrame:
        data = self._data
        return PoseFrame(
            index=int(data["index"][row]),
            t_s=float(data["t_s"][row]),
            width=self.width,
            height=self.height,
            image_xyz=data["image_xyz"][row].copy(),
            world_xyz=data["world_xyz"][row].copy(),
            visibility=data["visibility"][row].copy(),
            presence=data["presence"][row].copy(),
            people=int(data["people"][row]),
        )

    def process(self, frame: Frame) -> PoseFrame:
        """The saved pose for ``frame.index`` (its saved time, not ``frame.t_s``).

        Raises:
            ModelError: the file holds no pose for that frame index.
        """
        row = self._row.get(frame.index)
        if row is None:
            raise ModelError(
                f"replay file {str(self._path)!r} has no pose for frame {frame.index} "
                f"(it holds {len(self._row)} frames)"
            )
        return self._pose(row)

    def source_info(self) -> SourceInfo:
        """A :class:`SourceInfo` for the recorded source, derived from the file.

        ``fps`` is 1 / the median frame interval (0.0 with fewer than two frames),
        ``duration_s`` the last frame's time plus that interval, ``rotation_deg`` 0
        (the recorded size is already upright).
        """
        t_s = self._data["t_s"]
        steps = np.diff(t_s)
        step = float(np.median(steps)) if steps.size else 0.0
        return SourceInfo(
            path=self.source_path,
            width=self.width,
            height=self.height,
            fps=1.0 / step if step > 0 else 0.0,
            frame_count=len(self._row),
            duration_s=float(t_s[-1]) + step if t_s.size else 0.0,
        )

    def iter_poses(self) -> Iterator[PoseFrame]:
        """Every saved pose, in recorded order; needs no video and no model."""
        for row in range(len(self._row)):
            yield self._pose(row)

    def reset(self) -> None:
        """Nothing to forget: replay has no tracking state."""

    def close(self) -> None:
        """Nothing to release: the file was read completely when opened."""
