"""The live session loop, usable without a window: frames in, feedback and reports out.

Each turn takes the newest captured frame (older ones were dropped by the
reader), estimates and smooths the pose, advances the :class:`ProgramRunner`,
draws the overlay and shows it (only when there is a ``present`` callback or a
video to write: a session without a window is coached by voice alone), speaks
the events and measures the end-to-end latency from capture to display (to the
end of processing when nothing is displayed). The engine
runs on a session clock that stops while paused, so a pause neither counts as
held time nor ends a rep.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np

from formcheck.cuts import CutDetector, grey_thumbnail
from formcheck.engine import EngineStatus, Event
from formcheck.errors import OutputError
from formcheck.filters import OneEuroConfig, StreamingSmoother
from formcheck.live.capture import Captured, Clock, LatestFrameReader
from formcheck.live.guidance import Placement, PlacementJudge
from formcheck.live.program_runner import FinishedSet, ProgramRunner, RunnerStep
from formcheck.live.report import set_report
from formcheck.live.speech import SilentSpeaker, Speaker
from formcheck.live.stats import CaptureCounts, LatencyHistogram, SignalHistory
from formcheck.pose import PoseEstimator
from formcheck.render.hud import overlay_state, too_few_frames_text
from formcheck.render.overlay import OverlayState, SkeletonAnnotator, annotate
from formcheck.render.video import VideoWriter
from formcheck.report import FrameTally, LiveSet, Report, ReportBundle, ReportContext, write_outputs
from formcheck.report.result import rounded
from formcheck.sampling import plan_for
from formcheck.sources import SourceInfo
from formcheck.specs import ExerciseSpec
from formcheck.types import Frame, PoseFrame

Presenter = Callable[[np.ndarray], "str | None"]
EndReason = Literal["quit", "program_complete", "source_ended", "source_failed", "interrupted"]
_TAKE_TIMEOUT_S = 0.5
_FPS_SMOOTHING = 0.1  # weight of the newest frame interval in the displayed fps
LIVE_SMOOTHING = OneEuroConfig()


@dataclass
class _SetRecorder:
    """Per-set bookkeeping, started with each new engine."""

    counts_at_start: CaptureCounts
    tally: FrameTally = field(default_factory=FrameTally)
    history: SignalHistory = field(default_factory=SignalHistory)
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)
    inference: LatencyHistogram = field(default_factory=LatencyHistogram)


@dataclass(frozen=True)
class SavedSet:
    """A set's report and the files written from it, by output kind (``json``,
    ``html``; empty when there is no ``out_dir``)."""

    report: Report
    paths: dict[str, Path]


@dataclass(frozen=True)
class LiveResult:
    """How a live session went.

    Attributes:
        sets: every set that saw frames, in order, with its report.
        end_reason: ``quit`` (q), ``program_complete``, ``source_ended`` (a file
            ran out), ``source_failed`` (the camera stopped) or ``interrupted``.
        message: a one-line explanation for the user.
        counts: frame counters of the whole session.
        latency: end-to-end latency summary (capture to display), whole session.
        inference: pose-estimation time summary, whole session.
        wall_s, cpu_s: wall-clock and process CPU time of the loop.
        analysed_fps: frames analysed per second of session time (pauses
            excluded), or None before two frames.
        threads: the pose model's inference threads at the end (None when the
            backend has no such setting); switches: ``(frame index, threads)`` of
            every fallback to fewer threads.
    """

    sets: tuple[SavedSet, ...]
    end_reason: EndReason
    message: str
    counts: CaptureCounts
    latency: dict[str, float | None]
    inference: dict[str, float | None]
    wall_s: float
    cpu_s: float
    analysed_fps: float | None = None
    threads: int | None = None
    switches: tuple[tuple[int, int], ...] = ()

    def live_section(self) -> dict[str, Any]:
        return rounded(
            {
                "end_reason": self.end_reason,
                **self.counts.to_dict(),
                "analysed_fps": self.analysed_fps,
                "latency": self.latency,
                "inference": self.inference,
                "inference_threads": self.threads,
                "thread_switches": [list(switch) for switch in self.switches],
                "wall_s": self.wall_s,
                "cpu_s": self.cpu_s,
            }
        )


def timing_fps(spec: ExerciseSpec) -> float:
    """Analysed frames per second the spec's timing needs: two in its shortest rep,
    one in its shortest fault, two in a hold's grace period, at least 2/s
    (:func:`formcheck.sampling.plan_for`'s calm interval). Below it the engine can
    miss a rep or a fault. Not the engine's ``needed_fps``, which is what its form
    checks need to be judged at all."""
    return 1.0 / plan_for(spec).calm_interval_s


class LiveLoop:
    """One live session over a started-or-not :class:`LatestFrameReader`.

    Args:
        runner: the session's sets (one exercise, or a program).
        estimator: pose estimator (``process(frame) -> PoseFrame``).
        reader: latest-frame reader over the camera or a real-time file.
        info: the source's description (for reports and the video size).
        backend: pose backend name for reports.
        smoothing: One Euro settings of the live smoother (None: unsmoothed); each
            set's smoother gates landmarks at its spec's ``visibility_min``.
        speaker: speaks cues and counts (default: silent).
        present: shows an annotated BGR image and returns the key pressed
            (``"q"``, ``"space"``, ``"r"``, ``"n"``) or None; None for no window.
        video: writer for the annotated video (``--save-video``), or None.
        out_dir: where set reports (JSON and HTML) are written as each set ends;
            None keeps them in memory only.
        say: where announcements are printed (default: ``print``); without a
            ``present`` callback (no window) reps, cues and holds are printed too.
        clock: monotonic clock shared with the reader.

    Example:
        >>> runner = ProgramRunner([load_spec("squat")])  # doctest: +SKIP
        >>> loop = LiveLoop(runner, estimator, reader, info, "tasks")  # doctest: +SKIP
        >>> result = loop.run()  # doctest: +SKIP
    """

    def __init__(
        self,
        runner: ProgramRunner,
        estimator: PoseEstimator,
        reader: LatestFrameReader,
        info: SourceInfo,
        backend: str,
        *,
        smoothing: OneEuroConfig | None = LIVE_SMOOTHING,
        speaker: Speaker | None = None,
        present: Presenter | None = None,
        video: VideoWriter | None = None,
        out_dir: Path | None = None,
        say: Callable[[str], None] = print,
        clock: Clock = time.monotonic,
    ) -> None:
        self.runner = runner
        self._estimator = estimator
        self._reader = reader
        self._info = info
        self._backend = backend
        self._smoothing = smoothing
        self.smoother = self._new_smoother()
        self._speaker = speaker or SilentSpeaker()
        self._present = present
        self._video = video
        self._out_dir = out_dir
        self._say = say
        self._clock = clock
        self.paused = False
        self.running = True
        self._end_reason: EndReason = "quit"
        self._message = "session ended (q)"
        self._processed = 0
        self._first_t_s = float("nan")
        self._paused_frames = 0
        self._offset_s = 0.0
        self._resume = False
        self._last_t_s = 0.0
        self._last_dt_s = 0.0
        self._last_shown_at = float("nan")
        self._fps = 0.0
        self._too_few_frames = False
        self._latency = LatencyHistogram()
        self._inference = LatencyHistogram()
        self._recorder = _SetRecorder(self.counts())
        self._recorded_set = runner.set_id
        self._judges: dict[str, PlacementJudge] = {}
        self._cuts = CutDetector()
        self._held: PoseFrame | None = None  # a frame waiting for the cut detector
        self.sets: list[SavedSet] = []

    # ------------------------------------------------------------------ state
    def _new_smoother(self) -> StreamingSmoother:
        return StreamingSmoother(
            "one_euro" if self._smoothing is not None else "none",
            self._smoothing,
            visibility_min=self.runner.plan.spec.session.visibility_min,
        )

    def counts(self) -> CaptureCounts:
        """The session's frame counters so far."""
        return CaptureCounts(
            self._reader.captured, self._processed, self._reader.dropped, self._paused_frames
        )

    def _judge(self) -> PlacementJudge:
        spec = self.runner.plan.spec
        if spec.id not in self._judges:
            self._judges[spec.id] = PlacementJudge(spec)
        return self._judges[spec.id]

    def _announce(self, texts: list[str]) -> None:
        for text in texts:
            self._say(text)
            self._speaker.say(text)

    # ------------------------------------------------------------------- keys
    def handle_key(self, key: str | None) -> None:
        """Act on a key: ``q`` quit, ``space`` pause/resume, ``r`` restart the set,
        ``n`` next exercise; anything else is ignored."""
        if key == "q":
            self.running = False
            self._end_reason, self._message = "quit", "session ended (q)"
        elif key == "space":
            self.paused = not self.paused
            self._resume = not self.paused
            self._say("paused" if self.paused else "resumed")
        elif key == "r" and self.runner.phase == "exercise":
            self._held = None  # a frame from before the restart
            self.runner.reset_set()
            self._apply(RunnerStep(announcements=[f"Restarting {self.runner.plan.label}."]))
        elif key == "n":
            self._held = None
            self._apply(self.runner.next_exercise(self._last_t_s))

    # ------------------------------------------------------------- one frame
    def step(self) -> bool:
        """Process the newest frame (waiting briefly for one); False when the session is over."""
        if not self.running or self.runner.phase == "done":
            return False
        item = self._reader.take(_TAKE_TIMEOUT_S)
        if item is None:
            if self._reader.finished:
                self._source_end()
                return False
            return True
        if self.paused:
            self._paused_frames += 1
            image = None
            if self._present is not None:
                image = cv2.cvtColor(item.frame.image, cv2.COLOR_RGB2BGR)
                state = OverlayState(title="formcheck", state="Paused: press space to continue")
                pose = PoseFrame.empty(item.frame.index, self._last_t_s, *image.shape[1::-1])
                annotate(image, pose, state)
            self._show(image, item)
            return self.running and self.runner.phase != "done"
        self._process(item)
        return self.running and self.runner.phase != "done"

    def _session_time(self, frame: Frame) -> float:
        if self._resume:
            self._offset_s = frame.t_s - (self._last_t_s + self._last_dt_s)
            self._resume = False
        t_s = frame.t_s - self._offset_s
        if self._processed and t_s > self._last_t_s:
            self._last_dt_s = t_s - self._last_t_s
        return t_s

    def _process(self, item: Captured) -> None:
        frame = item.frame
        t_s = self._session_time(frame)
        started = self._clock()
        pose = self._estimator.process(Frame(frame.image, frame.index, t_s))
        inference_s = self._clock() - started
        if not self._processed:
            self._first_t_s = t_s
        self._processed += 1
        self._last_t_s = t_s
        cut_s = self._cuts.update(pose, grey_thumbnail(frame.image))
        placement = self._judge().judge(pose)
        recorder = self._recorder if self.runner.phase == "exercise" else None
        plan = self.runner.plan
        if recorder is not None:
            recorder.tally.add(pose)
            recorder.inference.add(inference_s)
        self._inference.add(inference_s)
        # A frame that may start a new shot waits for the next one, which says whether
        # the cut comes before it (as offline, where the cut is known beforehand).
        held, self._held = self._held, None
        if held is not None and (cut_s is None or cut_s > held.t_s):
            self._advance(held, placement)  # no cut before it
            held = None
        if cut_s is not None:  # a new shot (a file played live), or the person re-found elsewhere
            self.smoother.reset()
            self.runner.engine.cut(cut_s)
        if held is not None:
            self._advance(held, placement)
        if self._cuts.unconfirmed:
            self._held = pose
            smoothed = pose
        else:
            smoothed = self._advance(pose, placement)
        image = None
        if self._present is not None or self._video is not None:
            image = cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR)
            skeleton = SkeletonAnnotator(visibility_min=plan.spec.session.visibility_min)
            annotate(image, smoothed, self._overlay(placement, plan.label, t_s), skeleton)
            if self._video is not None:
                self._video.write(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), t_s)
        latency_s = self._show(image, item)
        if recorder is not None and recorder is self._recorder:
            recorder.latency.add(latency_s)

    def _advance(self, pose: PoseFrame, placement: Placement) -> PoseFrame:
        """Smooth ``pose`` and step the engine with it; the smoothed pose."""
        recorder = self._recorder if self.runner.phase == "exercise" else None
        smoothed = self.smoother(pose)
        step = self.runner.update(smoothed)
        if recorder is not None:
            recorder.history.add(pose.t_s, self.runner.engine.status.signals)
        self._feedback(step.events, placement)
        self._tell_frame_rate(self.runner.engine.status)
        self._apply(step)
        return smoothed

    def _tell_frame_rate(self, status: EngineStatus) -> None:
        """Say in the terminal when frames start coming too slowly to judge form
        (the screen says it on every such frame, the set report at its end)."""
        slow = status.too_few_frames
        if slow and not self._too_few_frames:
            self._say(too_few_frames_text(status))
        self._too_few_frames = slow

    def _show(self, image: np.ndarray | None, item: Captured) -> float:
        key = self._present(image) if self._present is not None and image is not None else None
        shown_at = self._clock()
        latency_s = shown_at - item.captured_at
        self._latency.add(latency_s)
        interval = shown_at - self._last_shown_at
        if interval > 0:
            self._fps += _FPS_SMOOTHING * (1.0 / interval - self._fps)
        self._last_shown_at = shown_at
        self.handle_key(key)
        return latency_s

    # ----------------------------------------------------------- transitions
    def _apply(self, step: RunnerStep) -> None:
        if step.finished is not None:
            self._save(step.finished)
        if self.runner.set_id != self._recorded_set:
            self._recorded_set = self.runner.set_id
            self._recorder = _SetRecorder(self.counts())
            self.smoother = self._new_smoother()
        self._announce(step.announcements)
        if self.runner.phase == "done" and self.running:
            self.running = False
            self._end_reason, self._message = "program_complete", "session complete"

    def _save(self, finished: FinishedSet) -> None:
        recorder = self._recorder
        plan = finished.plan
        counts = self.counts() - recorder.counts_at_start
        live = LiveSet(
            program_position=plan.exercise_index + 1,
            set=plan.set_number,
            sets=plan.sets,
            complete=finished.complete,
            set_started_s=recorder.tally.first_t_s,
            frames_captured=counts.captured,
            frames_processed=counts.processed,
            frames_dropped=counts.dropped,
            frames_paused=counts.paused,
            latency=recorder.latency.summary(),
            inference=recorder.inference.summary(),
            analysed_fps=recorder.tally.stats().fps or None,
            timing_fps=timing_fps(plan.spec),
        )
        report = set_report(
            finished,
            self._info,
            recorder.tally,
            recorder.history,
            self._backend,
            self._smoothing,
            live,
        )
        paths: dict[str, Path] = {}
        if self._out_dir is not None:
            stem = f"{plan.exercise_index + 1:02d}-{plan.spec.id}-set{plan.set_number}"
            bundle = ReportBundle(report, ReportContext(source=Path(self._info.path).name))
            try:
                paths = write_outputs(bundle, self._out_dir, stem, ("json", "html"))
            except OutputError as error:  # the set cannot be redone: keep it in memory
                self._say(f"error: {error}; the set stays in the summary")
        self.sets.append(SavedSet(report, paths))

    def _feedback(self, events: list[Event], placement: Placement) -> None:
        """Speak reps, cues and finished holds; without a window, print them too."""
        per_side = self.runner.plan.spec.per_side
        for event in events:
            data = event.data
            spoken = printed = None
            if event.kind == "rep":
                count = str(data["index"])
                spoken = f"{data['side']} {count}" if per_side else count
                printed = f"rep {spoken}"
            elif event.kind == "cue":
                spoken = printed = data["message"]
            elif event.kind == "hold_end":
                spoken = f"held {data['duration_s']:.0f} seconds"
                printed = f"hold: {data['duration_s']:.1f} s"
            elif event.kind == "state" and data["state"] == "positioning" and placement.message:
                spoken = printed = placement.message
            if spoken is not None:
                self._speaker.say(spoken)
            if printed is not None and self._present is None:
                self._say(f"{event.t_s:7.1f} s  {printed}")

    def _overlay(self, placement: Placement, label: str, t_s: float) -> OverlayState:
        runner = self.runner
        status = runner.engine.status
        state = overlay_state(runner.plan.spec, status, self._footer(placement))
        if runner.phase == "rest":
            line = f"Rest {runner.rest_left_s(t_s):.0f} s, next: {runner.plan.label}"
            return dataclasses.replace(state, title=label, state=line, cue="")
        text = state.state
        if status.state in ("no_person", "positioning") and placement.problem:
            text = placement.message
        elif placement.problem == "too_far":
            text = f"{text} ({placement.message.lower()})"
        return dataclasses.replace(state, title=label, state=text)

    def _footer(self, placement: Placement) -> str:
        p95 = self._latency.percentile_ms(95)
        parts = [f"{self._fps:.0f} fps"]
        if p95 is not None:
            parts.append(f"p95 {p95:.0f} ms")
        parts.append(f"{self._reader.dropped} dropped")
        if placement.facing:
            parts.append(f"faces {placement.facing}")
        return " | ".join(parts)

    # ----------------------------------------------------------------- ends
    def _source_end(self) -> None:
        error = self._reader.error
        if error is None:
            self._end_reason, self._message = "source_ended", "the video ended"
        else:
            self._end_reason = "source_failed"
            self._message = f"{error}; session ended, the report was kept"
        self.running = False

    def run(self) -> LiveResult:
        """Run until q, the end of the program, the end (or failure) of the source,
        or Ctrl-C; every set that saw frames is reported."""
        wall0, cpu0 = self._clock(), time.process_time()
        self._reader.start()
        try:
            while self.step():
                pass
        except KeyboardInterrupt:
            self._end_reason, self._message = "interrupted", "session interrupted (Ctrl-C)"
        finally:
            self._reader.close()
            if self._held is not None and self.runner.phase == "exercise":
                # The last frame: no next one makes it a new shot.
                self._advance(self._held, self._judge().judge(self._held))
            finished = self.runner.finish()
            if finished is not None:
                self._save(finished)
        return LiveResult(
            sets=tuple(self.sets),
            end_reason=self._end_reason,
            message=self._message,
            counts=self.counts(),
            latency=self._latency.summary(),
            inference=self._inference.summary(),
            wall_s=self._clock() - wall0,
            cpu_s=time.process_time() - cpu0,
            analysed_fps=self._analysed_fps(),
            threads=getattr(self._estimator, "threads", None),
            switches=tuple(getattr(self._estimator, "switches", ())),
        )

    def _analysed_fps(self) -> float | None:
        span_s = self._last_t_s - self._first_t_s
        return (self._processed - 1) / span_s if self._processed > 1 and span_s > 0 else None
