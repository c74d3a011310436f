"""The 33 MediaPipe pose landmarks: names, indices, left/right pairs and skeleton edges.

Everything downstream addresses landmarks by name (``"left_knee"``); specs may also
use a side-free name (``"knee"``) that the kinematics resolves to the side facing
the camera.
"""

from __future__ import annotations

LANDMARK_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
NUM_LANDMARKS = len(LANDMARK_NAMES)
INDEX: dict[str, int] = {name: i for i, name in enumerate(LANDMARK_NAMES)}
# The face (nose to mouth): left out of exported data when privacy is asked for.
FACE_LANDMARKS: tuple[str, ...] = LANDMARK_NAMES[: INDEX["mouth_right"] + 1]

# Side-free names usable in specs ("knee" -> "left_knee" / "right_knee").
SIDED_PARTS: tuple[str, ...] = (
    "eye_inner",
    "eye",
    "eye_outer",
    "ear",
    "shoulder",
    "elbow",
    "wrist",
    "pinky",
    "index",
    "thumb",
    "hip",
    "knee",
    "ankle",
    "heel",
    "foot_index",
)
# Image-plane mirror: index of the landmark's left/right counterpart.
MIRROR: tuple[int, ...] = tuple(
    INDEX[name.replace("left", "\0").replace("right", "left").replace("\0", "right")]
    for name in LANDMARK_NAMES
)

# Landmarks less visible than this are treated as unseen (NaN), not as a guess: the
# default of a spec's ``[session] visibility_min``, which the smoother, the engine
# and the data-quality warnings all read from the spec. MediaPipe places an occluded
# limb well enough to count with: on the labelled real clips every threshold from 0 to
# 0.3 counts one more clip exactly than 0.5 (two sources gain, none loses but the
# shoulder taps, whose spec keeps 0.5: benchmarks/results/rule_ablation.md); below 0.3
# the per-side holds read the hidden side's guesses.
VISIBILITY_MIN = 0.3

# Body landmarks the engine needs in frame for any exercise (face and hand
# details are not required).
BODY_CORE: tuple[str, ...] = (
    "left_shoulder",
    "right_shoulder",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)

# The limbs' joints, shoulders to ankles: the whole body's extent without face, hands
# and feet (body size, how sure a found pose is).
LIMB_JOINTS: tuple[str, ...] = tuple(
    f"{side}_{part}"
    for side in ("left", "right")
    for part in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
)

SKELETON_EDGES: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "right_shoulder"),
    ("left_shoulder", "left_elbow"),
    ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"),
    ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"),
    ("left_hip", "right_hip"),
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
    ("left_ankle", "left_heel"),
    ("left_heel", "left_foot_index"),
    ("left_ankle", "left_foot_index"),
    ("right_ankle", "right_heel"),
    ("right_heel", "right_foot_index"),
    ("right_ankle", "right_foot_index"),
    ("left_ear", "left_eye"),
    ("right_ear", "right_eye"),
    ("left_eye", "nose"),
    ("right_eye", "nose"),
)


def resolve(name: str, side: str) -> str:
    """Full landmark name for a possibly side-free ``name`` on ``side`` ("left"/"right").

    ``"opposite_<part>"`` names the part on the other side (shoulder taps touch
    the opposite shoulder).

    >>> resolve("knee", "left")
    'left_knee'
    >>> resolve("opposite_shoulder", "left")
    'right_shoulder'
    >>> resolve("right_hip", "left")
    'right_hip'
    """
    if name in INDEX:
        return name
    if name in SIDED_PARTS:
        return f"{side}_{name}"
    if name.startswith("opposite_") and name[9:] in SIDED_PARTS:
        return f"{'right' if side == 'left' else 'left'}_{name[9:]}"
    raise KeyError(f"unknown landmark {name!r}")


def is_known(name: str) -> bool:
    """True if ``name`` is a landmark name or a side-free part name usable in specs."""
    return (
        name in INDEX
        or name in SIDED_PARTS
        or (name.startswith("opposite_") and name[9:] in SIDED_PARTS)
    )
