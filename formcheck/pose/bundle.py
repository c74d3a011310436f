"""Build and cache the PoseLandmarker ``.task`` bundle from the models mediapipe ships.

mediapipe 0.10.21 ships the legacy pose models inside the wheel
(``modules/pose_detection/pose_detection.tflite`` and
``modules/pose_landmark/pose_landmark_full.tflite``) but no ``.task`` bundle, and
later releases download models at run time, which fails offline. A ``.task`` bundle
is a zip holding ``pose_detector.tflite`` and ``pose_landmarks_detector.tflite``
(stored uncompressed); the Tasks API reads each model's input normalisation from
TFLite metadata, which the shipped files lack, so it is added here:

* detector: ``(pixel - 127.5) / 127.5``, i.e. input in [-1, 1];
* landmark model: ``(pixel - 0) / 255``, i.e. input in [0, 1];

as the legacy graphs' ``ImageToTensorCalculator`` ranges. Measured on
``realclips/bridge/be18_glute_bridge.mp4`` (every 8th frame, 29 frames, IMAGE
mode against legacy ``static_image_mode=True``): mean |Δx,y| 0.00065, max 0.0083
(normalised image coordinates) with these values, against 0.0015-0.0024 mean and
0.025 max for the three other combinations of [-1, 1] and [0, 1].

The bundle is cached in :func:`cache_dir` under a name keyed by the mediapipe
version and a hash of the source models and these settings, written atomically,
and rebuilt when the cached file is not a valid bundle.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import mediapipe as mp
import platformdirs

from formcheck.atomic import atomic_path
from formcheck.errors import ModelError

CACHE_ENV = "FORMCHECK_CACHE_DIR"
DETECTOR_MEMBER = "pose_detector.tflite"
LANDMARKS_MEMBER = "pose_landmarks_detector.tflite"

_MODULES = Path(mp.__file__).parent / "modules"
_DETECTOR_TFLITE = _MODULES / "pose_detection" / "pose_detection.tflite"
_LANDMARKS_TFLITE = _MODULES / "pose_landmark" / "pose_landmark_full.tflite"
# (norm_mean, norm_std) of each model's RGB input, see the module docstring.
_DETECTOR_NORM = (127.5, 127.5)
_LANDMARKS_NORM = (0.0, 255.0)


def cache_dir() -> Path:
    """formcheck's cache directory: ``$FORMCHECK_CACHE_DIR`` or the per-user cache dir."""
    override = os.environ.get(CACHE_ENV)
    return Path(override) if override else Path(platformdirs.user_cache_dir("formcheck"))


def _source_digest(detector: bytes, landmarks: bytes) -> str:
    digest = hashlib.sha256()
    for part in (detector, landmarks, repr((_DETECTOR_NORM, _LANDMARKS_NORM)).encode()):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]


def _with_image_metadata(model: bytes, norm: tuple[float, float]) -> bytes:
    """``model`` with TFLite metadata describing its RGB image input normalisation."""
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    writer = metadata_writer.MetadataWriter.create(bytearray(model))
    writer.add_image_input(norm_mean=[norm[0]], norm_std=[norm[1]])
    populated, _ = writer.populate()
    return bytes(populated)


def is_valid_bundle(path: Path) -> bool:
    """True if ``path`` is a readable zip holding both pose models, CRCs intact."""
    try:
        with zipfile.ZipFile(path) as bundle:
            names = set(bundle.namelist())
            return {DETECTOR_MEMBER, LANDMARKS_MEMBER} <= names and bundle.testzip() is None
    except (OSError, zipfile.BadZipFile):
        return False


def build_bundle(output: Path) -> None:
    """Write a PoseLandmarker bundle built from mediapipe's shipped models to ``output``.

    The file appears atomically (written to a temporary file, then renamed).
    """
    from mediapipe.tasks.python.metadata.metadata_writers import model_asset_bundle_utils

    models = {
        DETECTOR_MEMBER: _with_image_metadata(_DETECTOR_TFLITE.read_bytes(), _DETECTOR_NORM),
        LANDMARKS_MEMBER: _with_image_metadata(_LANDMARKS_TFLITE.read_bytes(), _LANDMARKS_NORM),
    }
    with atomic_path(output) as temp:
        model_asset_bundle_utils.create_model_asset_bundle(models, str(temp))


def bundle_path() -> Path:
    """Where the bundle for the installed mediapipe and its shipped models is cached.

    Raises:
        ModelError: the installed mediapipe does not ship the pose models.
    """
    for model in (_DETECTOR_TFLITE, _LANDMARKS_TFLITE):
        if not model.is_file():
            raise ModelError(
                f"mediapipe {mp.__version__} does not ship {model.name}; "
                "install mediapipe==0.10.21 or pass a .task model file"
            )
    digest = _source_digest(_DETECTOR_TFLITE.read_bytes(), _LANDMARKS_TFLITE.read_bytes())
    return cache_dir() / f"pose_landmarker_full-mp{mp.__version__}-{digest}.task"


def ensure_bundle(rebuild: bool = False) -> Path:
    """The cached bundle's path, building it first if missing, invalid or ``rebuild``.

    Args:
        rebuild: rebuild even if the cached file looks valid (e.g. it failed to load).

    Returns:
        Path of a valid ``.task`` bundle.
    """
    path = bundle_path()
    if rebuild or not is_valid_bundle(path):
        build_bundle(path)
    return path
