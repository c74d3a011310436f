"""Where a recording is cut: scene changes in the picture and jumps of the person.

Clinic and online videos join shots: hard cuts, title cards, cross-fades, jump cuts
that loop a movement. Across a cut the person's signals jump from one movement to
another, so a rep "completed" by the jump was never performed; MediaPipe's tracker also
often loses the person on the first frame of a new shot and finds them again
mid-movement. At each cut the engine (:meth:`~formcheck.engine.Engine.cut`) ends
holds and faults, and does not let the jump take a rep out of its working position.

Two cheap signals, both online (only past frames), so live and offline agree:

* **The picture.** A 32×18 grey thumbnail per frame (:func:`grey_thumbnail`). A cut
  changes most of it from one frame to the next, far more than the frames before it
  changed; a person moving or a camera panning changes it a little, frame after frame.
* **The person.** Between two frames with a person, the shoulder and hip midpoints move
  further than a body moves in that time (in torso lengths), or the torso changes size
  at once: a jump cut, or a re-detection at another place after the tracker lost the
  person. The cut is placed at the first frame after the person was last seen; a
  re-detection is trusted when the next frame confirms it. Offline the cut comes
  before the re-detected frame; live that frame waits (``CutDetector.unconfirmed``)
  and reaches the engine after the cut, one frame late, so both judge it alike.

Replayed landmarks (``.npz``) have no picture: only the person's jumps are found there.
A cut between shots in which the person stands in the same place and posture is then
not seen; it does not change a count either. A cross-fade is seen only where the person
jumps across it (the tracker follows the blend).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence

import cv2
import numpy as np

from formcheck.kinematics import body_size
from formcheck.landmarks import INDEX
from formcheck.types import PoseFrame

THUMBNAIL_SIZE = (32, 18)  # width, height in cells
_SHOULDERS = (INDEX["left_shoulder"], INDEX["right_shoulder"])
_HIPS = (INDEX["left_hip"], INDEX["right_hip"])


def grey_thumbnail(image: np.ndarray) -> np.ndarray:
    """(18, 32) float32 grey levels in [0, 1]: each cell the mean of its area.

    Every fourth pixel of every fourth row is averaged, which is enough for the
    mean of a cell tens of pixels wide and costs a fraction of a full resize.
    """
    step = max(1, min(image.shape[0] // (4 * THUMBNAIL_SIZE[1]), 4))
    sampled = np.ascontiguousarray(image[::step, ::step])
    small = cv2.resize(sampled, THUMBNAIL_SIZE, interpolation=cv2.INTER_AREA)
    grey = small.mean(axis=2) if small.ndim == 3 else small
    return (grey / 255.0).astype(np.float32)


class PictureCuts:
    """Finds hard cuts from one thumbnail per frame.

    Each thumbnail is compared after normalising its brightness and contrast (grey
    levels in standard deviations from its mean), so a light switched on, a lens flare
    or a fade of the whole picture does not count as a cut.

    Args:
        cell_change: a cell changed when its normalised level moved by more than this.
        min_changed: a cut changes at least this share of the cells at once ...
        jump_ratio: ... and this many times the mean share of the frames before it.
        history: how many earlier frames that mean covers.
        still_level: a frame whose cells moved by less than this on average repeats
            the previous picture (``new_picture`` is then False).
    """

    def __init__(
        self,
        cell_change: float = 0.6,
        min_changed: float = 0.12,
        jump_ratio: float = 4.0,
        history: int = 15,
        still_level: float = 0.001,
    ) -> None:
        self.cell_change = cell_change
        self.min_changed = min_changed
        self.jump_ratio = jump_ratio
        self.still_level = still_level
        self.new_picture = True
        self._shares: deque[float] = deque(maxlen=history)
        self._last: np.ndarray | None = None
        self._last_normal: np.ndarray | None = None

    def update(self, thumbnail: np.ndarray) -> bool:
        """True when this frame starts a new shot."""
        normal = (thumbnail - thumbnail.mean()) / (thumbnail.std() + 0.02)
        last, self._last = self._last, thumbnail
        last_normal, self._last_normal = self._last_normal, normal
        self.new_picture = True
        if last is None or last_normal is None or last.shape != thumbnail.shape:
            return False
        self.new_picture = float(np.mean(np.abs(thumbnail - last))) >= self.still_level
        share = float(np.mean(np.abs(normal - last_normal) > self.cell_change))
        before = sum(self._shares) / len(self._shares) if self._shares else 0.0
        self._shares.append(share)
        return share >= self.min_changed and share >= self.jump_ratio * before


def _whereabouts(pose: PoseFrame) -> tuple[np.ndarray, np.ndarray, float] | None:
    """Shoulder and hip midpoints and the body's size (:func:`body_size`), in pixels."""
    if not pose.detected:
        return None
    xy = pose.pixel_xy()
    size = body_size(xy)
    if not math.isfinite(size) or size <= 0:
        return None
    shoulders = 0.5 * (xy[_SHOULDERS[0]] + xy[_SHOULDERS[1]])
    hips = 0.5 * (xy[_HIPS[0]] + xy[_HIPS[1]])
    return shoulders, hips, size


class PersonJumps:
    """Finds cuts from where the person is: a jump no body makes.

    Sizes are in body sizes (:func:`_whereabouts`). Time counts from the last frame
    whose picture changed, so a video that repeats each picture for several frames
    (a slideshow of a movement) is not taken for a row of cuts. A person found
    elsewhere after being lost is a cut once the next frame finds them there too: a
    tracker that loses someone leaving the picture often finds a body on one frame
    in between, shrunk or folded, that is not there on the next.

    Args:
        max_move: how far the shoulder or hip midpoint may move from one picture to
            the next ...
        speed: ... plus this much per second that the person or a new picture was
            not seen.
        max_resize: the body may grow or shrink by at most this factor at once.
    """

    def __init__(self, max_move: float = 0.2, speed: float = 0.6, max_resize: float = 1.4):
        self.max_move = max_move
        self.speed = speed
        self.max_resize = max_resize
        self._last: tuple[np.ndarray, np.ndarray, float] | None = None
        self._seen_s = math.nan  # when the last new picture of the person came
        self._lost_since = math.nan
        # Found elsewhere after a loss, not yet confirmed: where, and the cut's time.
        self._found: tuple[tuple[np.ndarray, np.ndarray, float], float] | None = None

    @property
    def unconfirmed(self) -> bool:
        """The last frame found the person elsewhere after a loss; the next one says
        whether that is a cut."""
        return self._found is not None

    def _jumped(
        self,
        last: tuple[np.ndarray, np.ndarray, float],
        now: tuple[np.ndarray, np.ndarray, float],
        unseen_s: float,
    ) -> bool:
        moved = max(np.hypot(*(now[0] - last[0])), np.hypot(*(now[1] - last[1]))) / last[2]
        resized = max(now[2] / last[2], last[2] / now[2])
        return bool(moved > self.max_move + self.speed * unseen_s or resized > self.max_resize)

    def update(self, pose: PoseFrame, new_picture: bool = True) -> float | None:
        """The cut's time when ``pose`` shows the person jumped (for a person found
        again after a loss: when the frame after it agrees), else None.

        ``new_picture`` False: the frame repeats the previous picture.
        """
        now = _whereabouts(pose)
        found, self._found = self._found, None
        if now is None:
            if math.isnan(self._lost_since):
                self._lost_since = pose.t_s
            return None
        last, lost_since, seen_s = self._last, self._lost_since, self._seen_s
        if found is not None and not self._jumped(found[0], now, 0.0):
            self._accept(now, pose.t_s, new_picture)
            return found[1]
        if last is None or not self._jumped(last, now, pose.t_s - seen_s):
            self._accept(now, pose.t_s, new_picture)
            return None
        if math.isnan(lost_since):  # between two frames with the person: a cut at once
            self._accept(now, pose.t_s, new_picture)
            return pose.t_s
        self._found = (now, lost_since)
        return None

    def _accept(
        self, now: tuple[np.ndarray, np.ndarray, float], t_s: float, new_picture: bool
    ) -> None:
        """``now`` is where the person is."""
        self._last, self._lost_since = now, math.nan
        if new_picture or math.isnan(self._seen_s):
            self._seen_s = t_s


class CutDetector:
    """Both signals together; a cut is reported once, at its first frame.

    Args:
        min_apart_s: a second finding this close after a cut is the same cut (the
            picture changes at the cut, the person is found again a few frames later).
    """

    def __init__(self, min_apart_s: float = 0.5) -> None:
        self.min_apart_s = min_apart_s
        self._picture = PictureCuts()
        self._person = PersonJumps()
        self._last_cut_s = -math.inf

    @property
    def unconfirmed(self) -> bool:
        """The last frame may start a new shot: the next frame says (a cut reported
        then lies before it). A live engine holds the frame back until then."""
        return self._person.unconfirmed

    def update(self, pose: PoseFrame, thumbnail: np.ndarray | None = None) -> float | None:
        """The time of a cut found on this frame (it may lie a few frames back, where
        the person was lost), or None."""
        found = []
        new_picture = True
        if thumbnail is not None:
            if self._picture.update(thumbnail):
                found.append(pose.t_s)
            new_picture = self._picture.new_picture
        jumped = self._person.update(pose, new_picture)
        if jumped is not None:
            found.append(jumped)
        if not found:
            return None
        t_s = min(found)
        if t_s - self._last_cut_s < self.min_apart_s:
            return None
        self._last_cut_s = t_s
        return t_s


def find_cuts(
    poses: Sequence[PoseFrame], thumbnails: dict[int, np.ndarray] | None = None
) -> list[int]:
    """Positions in ``poses`` of the first frame after each cut, in order.

    ``thumbnails`` maps frame indices to :func:`grey_thumbnail` (None: landmarks only).
    """
    detector = CutDetector()
    position = {pose.t_s: i for i, pose in enumerate(poses)}
    cuts = []
    for pose in poses:
        t_s = detector.update(pose, None if thumbnails is None else thumbnails.get(pose.index))
        if t_s is not None:
            cuts.append(position[t_s])
    return cuts
