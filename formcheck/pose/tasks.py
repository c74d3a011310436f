"""MediaPipe Tasks ``PoseLandmarker`` (VIDEO mode) backend.

Tracks one person (``num_poses=1``). With the models shipped in mediapipe 0.10.21,
``num_poses=2`` never reported a second person on test composites of two people
(side by side, 720p) yet cost 1.7× the CPU, so a second person is found another
way: about once a second the tracked person's box is masked out and a
single-image landmarker looks at the rest of the frame (see
:class:`SecondPersonProbe`; on a two-person composite it finds the other person,
on a one-person clip it finds nobody). ``PoseFrame.people`` carries the result
until the next probe. MediaPipe needs strictly increasing integer millisecond
timestamps: ``frame.t_s`` is rounded to ms and bumped by 1 ms when it does not
increase.

Without a ``model`` the bundle built from mediapipe's shipped models is used
(:mod:`formcheck.pose.bundle`); a cached bundle that fails to load is rebuilt once.
MediaPipe's Python ``BaseOptions`` has no thread-count option; its C++ options do
(``acceleration.xnnpack.num_threads``), so :class:`_ThreadedBaseOptions` sets it.

Measured on the 2-core CI machine (``sample_videos/bird_dog.mp4``, 200 frames, VIDEO
mode, idle): MediaPipe's default CPU delegate 21.0 ms/frame, XNNPACK 1 thread 22.5 ms,
2 threads 13.0 ms, with bit-identical landmarks (max |Δ| 0.0); the landmark model alone
(``pose_landmark_full.tflite`` in a bare TFLite interpreter) takes 15.9 ms on one
thread and 8.5 ms on two.

Threads on a shared machine (issue 14, :mod:`formcheck.cpu`): by default the count
is chosen when the landmarker is created, from what other programs leave idle, and a
:class:`~formcheck.cpu.SlowdownWatch` on the tracked frames' inference time asks for
fewer threads when it balloons. The count is fixed inside a landmarker, so fewer
threads means a new landmarker, and a new landmarker has no tracking state: the
graph keeps the previous frame's pose box, a One Euro filter on the landmarks and a
low-pass filter (alpha 0.1) on their visibility. Measured on
``realclips/bridge/be18_glute_bridge.mp4``: a landmarker started afresh at frames 20,
60 or 120 never rejoins the continuous one (max |Δx,y| over the clip's last 20
frames still 0.011–0.020). A fresh landmarker is, however, bit-identical to the same graph restarted
(whatever the thread count), so ``restart_every_s`` makes the tracker start afresh at
fixed times of the recording in *every* run, and a fallback waits for the next of
those times: the landmarks are then the same with or without it, whatever the load.
(A blank frame instead of a restart resets the box and the One Euro filter but not
the visibility filter, so it is not enough.)

Agreement with the legacy backend (``model_complexity=1``, no smoothing) on
``realclips/bridge/be18_glute_bridge.mp4``, all 232 frames, both tracking in video
mode: mean |Δx,y| 0.0025 (normalised image coordinates) with ``num_poses=1``
(0.0041, max 0.052 with ``num_poses=2``); world landmarks mean |Δ| 0.020 m; hip
angle on the camera side mean |Δ| 2.5°, 95th percentile 6.2°, max 9.0° (measured
with ``num_poses=2``). Most of it is tracking drift (the two graphs crop the next
frame differently): single images agree to 0.00065 mean.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions, vision

from formcheck.cpu import SlowdownWatch, auto_threads
from formcheck.errors import ModelError
from formcheck.kinematics import body_size
from formcheck.landmarks import INDEX, LIMB_JOINTS
from formcheck.pose.base import pose_frame
from formcheck.pose.bundle import ensure_bundle
from formcheck.pose.native_log import quiet_native_stderr
from formcheck.types import Frame, PoseFrame


@dataclass
class _ThreadedBaseOptions(BaseOptions):
    """``BaseOptions`` that run inference on XNNPACK with ``threads`` threads."""

    threads: int = 1

    def to_pb2(self):
        proto = super().to_pb2()
        proto.acceleration.Clear()
        proto.acceleration.xnnpack.num_threads = self.threads
        return proto


def _load(model: Path, threads: int, **settings) -> vision.PoseLandmarker:
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    base = _ThreadedBaseOptions(model_asset_path=str(model), threads=threads)
    options = vision.PoseLandmarkerOptions(base_options=base, **settings)
    try:
        with quiet_native_stderr():
            return vision.PoseLandmarker.create_from_options(options)
    except (RuntimeError, ValueError) as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ModelError(
            f"cannot load pose model {str(model)!r}: not a MediaPipe pose landmarker "
            f"bundle ({reason})"
        ) from None


_LIMBS = [INDEX[name] for name in LIMB_JOINTS]
_SIDES = [
    [INDEX[name] for name in LIMB_JOINTS if name.startswith(side)] for side in ("left", "right")
]


def _mp_image(rgb: np.ndarray) -> mp.Image:
    return mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))


@dataclass(frozen=True)
class _Candidate:
    """A pose the probe found beside the tracked person: where, how big, how sure."""

    centre: np.ndarray  # pixels
    size: float  # body_size, pixels
    limb_visibility: float  # mean over the limb joints of the better-seen body side


class SecondPersonProbe:
    """Looks for a second person by masking the tracked one out of the frame.

    The single-image landmarker also finds "people" in furniture and screens (a
    folding chair beside a squat, a cabinet and an on-screen timer beside a plank), so
    a pose found there counts only when it is a person, person-sized, and persists:

    * its better-seen side is seen with confidence: the mean visibility of that side's
      shoulder, elbow, wrist, hip, knee and ankle is at least ``min_limb_visibility``
      (the far side of a person seen side-on is hidden, so one side is enough);
    * its body (:func:`~formcheck.kinematics.body_size`) is at least ``min_size`` of
      the tracked person's;
    * the next probe, ``confirm_s`` later, finds such a pose again within one body
      size of it.

    Measured on the 146 real clips of ``../shared/realclips`` (recorded landmarks, the
    probe run anew): clips warned of a second person where the labels see none fell
    from 11 to 1 (a gym mirror showing the lifter), and the 4 clips with a second
    person beside the exerciser still warn.

    Args:
        model: the same ``.task`` bundle as the tracker.
        every_s: seconds between probes (each costs one extra inference).
        margin: the masked box is the person's landmark box grown by this
            fraction of its size on every side.
        min_limb_visibility: see above.
        min_size: see above.
        confirm_s: delay of the probe that confirms a first sighting.
    """

    def __init__(
        self,
        model: Path,
        every_s: float = 1.0,
        margin: float = 0.15,
        min_limb_visibility: float = 0.8,
        min_size: float = 0.35,
        confirm_s: float = 0.1,
        threads: int = 1,
    ) -> None:
        self._model = model
        self._landmarker = self._load(threads)
        self.every_s = every_s
        self.margin = margin
        self.min_limb_visibility = min_limb_visibility
        self.min_size = min_size
        self.confirm_s = confirm_s
        self._next_t = -np.inf
        self._sighting: _Candidate | None = None
        self.people = 1

    def _load(self, threads: int) -> vision.PoseLandmarker:
        return _load(self._model, threads, running_mode=vision.RunningMode.IMAGE, num_poses=1)

    def set_threads(self, threads: int) -> None:
        """Run on ``threads`` inference threads from now on (IMAGE mode keeps no state
        between frames, so the people found do not change)."""
        self._landmarker.close()
        self._landmarker = self._load(threads)

    def update(self, frame: Frame, pose: PoseFrame) -> int:
        """People in view (1 or 2) as of the latest probe, probing when one is due."""
        if frame.t_s < self._next_t:
            return self.people
        xy = pose.pixel_xy()
        found = [c for c in self._look(frame, xy) if self._person_like(c, body_size(xy))]
        last, self._sighting = self._sighting, found[0] if found else None
        again = last is not None and any(
            np.hypot(*(c.centre - last.centre)) <= max(c.size, last.size) for c in found
        )
        self.people = 2 if again else 1
        wait = self.confirm_s if found and not again else self.every_s
        self._next_t = frame.t_s + wait
        return self.people

    def _look(self, frame: Frame, xy: np.ndarray) -> list[_Candidate]:
        """Poses in the frame with the tracked person's box masked out."""
        x0, y0 = np.nanmin(xy, axis=0)
        x1, y1 = np.nanmax(xy, axis=0)
        grow_x, grow_y = self.margin * (x1 - x0), self.margin * (y1 - y0)
        masked = frame.image.copy()
        top, bottom = max(0, int(y0 - grow_y)), max(0, int(y1 + grow_y))
        left, right = max(0, int(x0 - grow_x)), max(0, int(x1 + grow_x))
        masked[top:bottom, left:right] = frame.image.reshape(-1, 3).mean(axis=0)
        result = self._landmarker.detect(_mp_image(masked))
        size = np.array([frame.width, frame.height], dtype=np.float64)
        candidates = []
        for landmarks in result.pose_landmarks:
            found = np.array([(lm.x, lm.y) for lm in landmarks]) * size
            visibility = np.array([lm.visibility for lm in landmarks])
            candidates.append(
                _Candidate(
                    centre=found[_LIMBS].mean(axis=0),
                    size=body_size(found),
                    limb_visibility=max(float(visibility[side].mean()) for side in _SIDES),
                )
            )
        return candidates

    def _person_like(self, candidate: _Candidate, tracked_size: float) -> bool:
        return (
            candidate.limb_visibility >= self.min_limb_visibility
            and candidate.size >= self.min_size * tracked_size
        )

    def close(self) -> None:
        self._landmarker.close()


class TasksEstimator:
    """Pose from MediaPipe's ``PoseLandmarker`` in VIDEO running mode.

    Args:
        model: a ``.task`` bundle; ``None`` builds/uses the cached bundle of
            mediapipe's shipped full model.
        min_detection_confidence: person-detector score threshold.
        min_presence_confidence: pose presence threshold.
        min_tracking_confidence: below it the person is re-detected next frame.
        people_probe_s: seconds between second-person probes; ``None`` disables
            them (``people`` is then 1 whenever someone is found).
        threads: inference threads, fixed; ``None`` chooses them from the load
            (:func:`~formcheck.cpu.auto_threads`) and falls back to fewer when
            inference balloons mid-run. The landmarks never depend on the count.
        max_threads: the most threads ``None`` may choose (a batch worker's share
            of the cores); ``None``: every core this process may use.
        restart_every_s: the tracker starts afresh every this many seconds of the
            recording (a new recording's first frame: the person is detected
            again), and a fallback to fewer threads waits for the next restart, so
            the landmarks are the same with or without one. ``None``: never; a
            fallback then happens at once, and the landmarks after it are those
            of a tracker started afresh on that frame (live sessions).
        clock: times inference for the slowdown watch (injectable for tests).

    Attributes:
        threads: inference threads in use now.
        switches: ``(frame index, threads)`` for every change of thread count.

    Raises:
        ModelError: ``model`` is missing or not a loadable pose landmarker bundle.
    """

    name = "tasks"

    def __init__(
        self,
        model: Path | None = None,
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        people_probe_s: float | None = 1.0,
        threads: int | None = None,
        max_threads: int | None = None,
        restart_every_s: float | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        if restart_every_s is not None and restart_every_s <= 0:
            raise ValueError(f"restart_every_s must be positive, got {restart_every_s}")
        self._settings: dict[str, Any] = {
            "running_mode": vision.RunningMode.VIDEO,
            "num_poses": 1,
            "min_pose_detection_confidence": min_detection_confidence,
            "min_pose_presence_confidence": min_presence_confidence,
            "min_tracking_confidence": min_tracking_confidence,
        }
        self._fixed_threads = threads
        self._max_threads = max_threads
        self._restart_every_s = restart_every_s
        self._clock = clock
        self.threads = self._choose_threads()
        if model is not None:
            if not model.is_file():
                raise ModelError(f"pose model {str(model)!r} not found")
            self._landmarker = _load(model, self.threads, **self._settings)
        else:
            try:
                model = ensure_bundle()
                self._landmarker = _load(model, self.threads, **self._settings)
            except ModelError:
                model = ensure_bundle(rebuild=True)
                self._landmarker = _load(model, self.threads, **self._settings)
        self._model = model
        self._fresh = True  # the graph logs natively on its first frame
        self._people_probe_s = people_probe_s
        self._probe = self._new_probe()
        self._start_recording()

    def _choose_threads(self) -> int:
        return self._fixed_threads or auto_threads(self._max_threads)

    def _start_recording(self) -> None:
        """State of a new recording: no timestamps, no tracking, a fresh watch."""
        self._last_ms = -1
        self._first_t_s: float | None = None
        self._segment = 0
        self._tracking = False  # the previous frame had a pose, so this one is tracked
        self._pending_threads: int | None = None
        self._watch = SlowdownWatch() if self._fixed_threads is None else None
        self.switches: list[tuple[int, int]] = []

    def _new_probe(self) -> SecondPersonProbe | None:
        """A fresh second-person probe, or ``None`` if ``people_probe_s`` turned it off."""
        every_s = self._people_probe_s
        if not every_s:
            return None
        return SecondPersonProbe(self._model, every_s, threads=self.threads)

    def _restart_landmarker(self, threads: int) -> None:
        """A fresh landmarker (no tracking state) on ``threads`` threads."""
        self._landmarker.close()
        self._landmarker = _load(self._model, threads, **self._settings)
        if threads != self.threads and self._probe is not None:
            self._probe.set_threads(threads)
        self.threads = threads
        self._tracking = False
        self._fresh = True

    def reset(self) -> None:
        """Start afresh: the VIDEO-mode graph keeps its tracking state and needs
        increasing timestamps, and has no reset, so it is re-created (~0.2 s), with
        threads chosen again from the load now."""
        if self._probe is not None:
            self._probe.close()
            self._probe = None
        self._restart_landmarker(self._choose_threads())
        self._probe = self._new_probe()
        self._start_recording()

    def _before(self, frame: Frame) -> None:
        """Restart the tracker where the recording's schedule says, switching threads
        there if the watch asked; without a schedule, switch at once."""
        if self._first_t_s is None:
            self._first_t_s = frame.t_s
        segment = self._segment
        if self._restart_every_s is not None:
            segment = int((frame.t_s - self._first_t_s) // self._restart_every_s)
        due = segment != self._segment or (
            self._restart_every_s is None and self._pending_threads is not None
        )
        if not due:
            return
        self._segment = segment
        threads = self.threads if self._pending_threads is None else self._pending_threads
        self._restart_landmarker(threads)
        if self._pending_threads is not None:
            self.switches.append((frame.index, threads))
            self._pending_threads = None
            if self._watch is not None:
                self._watch.restart()

    def _after(self, inference_s: float, found: bool) -> None:
        """Feed the watch with tracked frames only (a frame that also ran the person
        detector costs more) and ask for fewer threads when inference balloons."""
        tracked, self._tracking = self._tracking, found
        watch = self._watch
        if watch is None or not tracked or self._pending_threads is not None:
            return
        if watch.add(inference_s) and self.threads > 1:
            self._pending_threads = min(self.threads - 1, auto_threads(self._max_threads))

    def process(self, frame: Frame) -> PoseFrame:
        """Pose of the tracked person in ``frame``; empty if nobody is found."""
        self._before(frame)
        first, self._fresh = self._fresh, False
        timestamp_ms = max(round(frame.t_s * 1000.0), self._last_ms + 1)
        self._last_ms = timestamp_ms
        image = _mp_image(frame.image)
        started = self._clock()
        with quiet_native_stderr() if first else contextlib.nullcontext():
            result = self._landmarker.detect_for_video(image, timestamp_ms)
        self._after(self._clock() - started, bool(result.pose_landmarks))
        if not result.pose_landmarks:
            return PoseFrame.empty(frame.index, frame.t_s, frame.width, frame.height)
        landmarks = result.pose_landmarks[0]
        presence = np.array([lm.presence for lm in landmarks], dtype=np.float64)
        pose = pose_frame(frame, landmarks, result.pose_world_landmarks[0], presence, 1)
        if self._probe is not None:
            pose.people = self._probe.update(frame, pose)
        return pose

    def close(self) -> None:
        self._landmarker.close()
        if self._probe is not None:
            self._probe.close()
