"""``formcheck live`` as a library call: open everything, run the loop, close everything."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

from formcheck.atomic import DEFAULT_OUT_DIR, write_text_atomic
from formcheck.cpu import helper_threads, limit_helper_threads
from formcheck.errors import OutputError
from formcheck.live.capture import LatestFrameReader
from formcheck.live.loop import LiveLoop, LiveResult
from formcheck.live.program_runner import ProgramRunner
from formcheck.live.speech import create_speaker
from formcheck.live.window import Window, display_available, notice_image
from formcheck.pipeline import reported_path
from formcheck.pose import DEFAULT_BACKEND, create_estimator
from formcheck.render.video import VideoWriter
from formcheck.report import DISCLAIMER
from formcheck.report.text import summary_lines
from formcheck.sources import FrameSource, SourceInfo, open_source
from formcheck.specs import ExerciseSpec, SpecError, load_program, load_spec
from formcheck.specs.loader import did_you_mean

KEY_HELP = "Keys: q quit, space pause, r restart the set, n next exercise."


@dataclass(frozen=True)
class LiveOptions:
    """Settings of a live session (each default lives here, once).

    Attributes:
        camera: webcam index, used when ``source`` is None.
        source: a video file to play instead of a camera.
        realtime: play ``source`` at its own frame rate against the wall clock,
            dropping frames the loop is too slow for (like a camera); otherwise
            every frame is analysed, as fast as the loop goes.
        out_dir: report folder; None: a new folder per session,
            ``formcheck-out/live-<date>_<time>`` in the current directory.
        mute: no speech.
        window: show the OpenCV window (only where a display exists).
        save_video: also write the annotated video (off by default, for privacy).
        backend: pose backend (``"tasks"`` or ``"legacy"``).
        model: a ``.task`` model for the Tasks backend.
        private: reports keep the ``source`` file's name without its folder.
    """

    camera: int = 0
    source: Path | None = None
    realtime: bool = False
    out_dir: Path | None = None
    mute: bool = False
    window: bool = True
    save_video: bool = False
    backend: str = DEFAULT_BACKEND
    model: Path | None = None
    private: bool = False


_MAX_SAME_SECOND = 1000


def default_out_dir(now: float | None = None) -> Path:
    """A new, empty per-session folder where the user sees it:
    ``formcheck-out/live-<local date>_<time>`` in the current directory.

    The folder is created here, exclusively: a second session started in the same
    second gets ``live-<date>_<time>-2`` (then ``-3``...), never the first one's folder.

    Raises:
        OutputError: the folder cannot be created.
    """
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S", time.localtime(now))
    sessions = Path(DEFAULT_OUT_DIR)
    try:
        sessions.mkdir(parents=True, exist_ok=True)
        for n in range(1, _MAX_SAME_SECOND + 1):
            folder = sessions / (f"live-{stamp}" if n == 1 else f"live-{stamp}-{n}")
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            return folder
    except OSError as error:
        raise OutputError(f"cannot create a session folder in {str(sessions)!r}: {error}") from None
    raise OutputError(f"{_MAX_SAME_SECOND} sessions started at {stamp}: none created")


def safety_notice(specs: Sequence[ExerciseSpec], keys: bool = True) -> list[str]:
    """What the patient reads before starting: the safety notice, then each
    exercise's camera placement and instructions, then (with a window) the keys."""
    lines = ["SAFETY: " + DISCLAIMER]
    for spec in specs:
        lines.append(f"{spec.title}: {spec.camera.placement}")
        lines.extend(f"  - {text}" for text in spec.instructions)
    if keys:
        lines.append(KEY_HELP)
    return lines


def _open_source(options: LiveOptions) -> FrameSource:
    helpers = helper_threads()
    limit_helper_threads(helpers)
    source = options.source if options.source is not None else options.camera
    return open_source(source, decoder_threads=helpers)


def run_live(
    specs: Sequence[ExerciseSpec],
    options: LiveOptions,
    say: Callable[[str], None] = print,
) -> tuple[LiveResult, Path]:
    """Run a live session of ``specs`` (in order, with their sets and rests).

    Args:
        specs: the exercises, program overrides applied.
        options: camera or file, output, window, speech.
        say: prints the notice, info lines and announcements.

    Returns:
        The session result and the folder its reports were written to.

    Raises:
        SourceError: the camera cannot be opened (the message names its index)
            or the file cannot be read.
        ModelError: the pose model cannot be loaded.
    """
    show_window, reason = display_available() if options.window else (False, "")
    for line in safety_notice(specs, keys=show_window):
        say(line)
    if reason:
        say(reason)
    speaker, speech_note = create_speaker(options.mute)
    say(speech_note)
    out_dir = options.out_dir or default_out_dir()
    with ExitStack() as cleanup:  # closes what was opened, last first, however it ends
        cleanup.callback(speaker.close)
        try:
            source = cleanup.enter_context(_open_source(options))
            info = source.info
            if options.private:
                info = replace(info, path=reported_path(info.path, private=True))
            estimator = create_estimator(options.backend, model=options.model)
            cleanup.callback(estimator.close)
            video = None
            if options.save_video:
                video = VideoWriter(out_dir / "session.mp4", info.width, info.height, info.fps)
                cleanup.callback(video.close)
            is_file = options.source is not None
            reader = LatestFrameReader(
                source,
                realtime=is_file and options.realtime,
                lossless=is_file and not options.realtime,
            )
            window = Window() if show_window else None
            if window is not None:
                cleanup.callback(window.close)
            model = options.model
            backend = options.backend if model is None else f"tasks:{model.name}"
            loop = LiveLoop(
                ProgramRunner(specs),
                estimator,
                reader,
                info,
                backend,
                speaker=speaker,
                present=window.show if window is not None else None,
                video=video,
                out_dir=out_dir,
                say=say,
            )
            if window is not None and not _acknowledged(window, specs, info):
                loop.handle_key("q")
            result = loop.run()
        except BaseException:
            if options.out_dir is None:  # the folder made for this session: nothing to keep
                _discard_if_empty(out_dir)
            raise
    try:
        write_text_atomic(out_dir / "session.json", _session_json(result))
    except OutputError as error:  # the session cannot be redone: its summary still shows
        say(f"error: {error}")
    return result, out_dir


def _discard_if_empty(folder: Path) -> None:
    """Remove a session folder (and ``formcheck-out`` above it) that a session which
    never started left empty."""
    for path in (folder, folder.parent):
        try:
            path.rmdir()
        except OSError:  # not empty, or already gone
            return


def _acknowledged(window: Window, specs: Sequence[ExerciseSpec], info: SourceInfo) -> bool:
    """Show the safety notice until a key is pressed; False if it was q (or closed)."""
    lines = [*safety_notice(specs), "Press space to start, q to quit."]
    card = notice_image(lines, info.width or 1280, info.height or 720)
    while (key := window.show(card, wait_ms=100)) is None:
        pass
    return key != "q"


def _session_json(result: LiveResult) -> str:
    sets = []
    for saved in result.sets:
        live = saved.report.live
        assert live is not None  # every live set report has its live section
        sets.append(
            {
                "report": saved.paths["json"].name if "json" in saved.paths else None,
                "exercise": saved.report.spec.id,
                "set": live.set,
                "complete": live.complete,
                "reps": saved.report.session.reps_total,
            }
        )
    return json.dumps({"live": result.live_section(), "sets": sets}, indent=2) + "\n"


def session_specs(exercise: str | None, program: Path | None) -> list[ExerciseSpec]:
    """The exercises of a session: one bundled exercise, a whole program, or one
    exercise of a program (with the patient's overrides).

    Raises:
        SpecError: no exercise and no program, an unknown id, or an invalid file.
    """
    if program is None:
        if exercise is None:
            raise SpecError("give an exercise (--exercise ID) or a program (--program FILE)")
        return [load_spec(exercise)]
    specs = [item.spec for item in load_program(program).exercises]
    if exercise is None:
        return specs
    chosen = [spec for spec in specs if spec.id == exercise]
    if not chosen:
        known = [spec.id for spec in specs]
        raise SpecError(
            f"{program}: the program has no exercise {exercise!r}"
            f"{did_you_mean(exercise, known)}; it has {', '.join(known)}"
        )
    return chosen


def session_patient(program: Path | None) -> str | None:
    """The patient a program file names (its ``patient`` key), else None."""
    return (load_program(program).patient or None) if program is not None else None


def session_summary(result: LiveResult, out_dir: Path) -> list[str]:
    """The end-of-session summary: each set, then frames and latency, then where
    the reports are."""
    lines = []
    for saved in result.sets:
        lines += summary_lines(saved.report)
        if "html" in saved.paths:
            lines.append(f"  report: {saved.paths['html']}")
    if not result.sets:
        lines.append("No exercise frames were analysed.")
    counts = result.counts
    latency = result.latency
    lines.append(
        f"Frames: {counts.captured} captured, {counts.processed} analysed, "
        f"{counts.dropped} dropped; latency p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms"
    )
    lines.append(f"{result.message}. Reports: {out_dir}")
    return lines
