"""The ``formcheck`` command: a thin layer over the library API.

Every subcommand has a description and examples (``formcheck COMMAND --help``);
``--out``/``-o`` is a folder everywhere; options that take a list take all its
values after one flag. Defaults, backend names, exit codes and output names are
the library's (:mod:`formcheck.errors`, :mod:`formcheck.report.writers`), read here.
Every value has its limits in :mod:`formcheck.bounds`; text from file names and
specs is printed with its control characters escaped.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from datetime import date
from functools import partial
from pathlib import Path
from typing import NoReturn, TextIO

from formcheck import __version__
from formcheck.atomic import DEFAULT_OUT_DIR, check_writable, output_folder
from formcheck.bounds import cli_type
from formcheck.errors import ExitCode, FormcheckError, UsageError, exit_codes_text
from formcheck.pose import BACKENDS, DEFAULT_BACKEND
from formcheck.safe_text import for_terminal

BENCH_OUT = "benchmarks/results"
_RAW = argparse.RawDescriptionHelpFormatter


def _say(text: str, file: TextIO | None = None) -> None:
    """Print text that may hold file names or spec texts: control characters escaped."""
    print(for_terminal(text), file=file or sys.stdout)


def _wrap(text: str) -> str:
    """A description filled to the width of a terminal (the formatter keeps it raw)."""
    return textwrap.fill(text, 79)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (no usage block; ``--help`` shows
    it) and whose "invalid choice" errors suggest the nearest choice."""

    def error(self, message: str) -> NoReturn:
        found = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if found:
            from formcheck.specs import did_you_mean

            choices = re.findall(r"'([^']*)'", found.group(2))
            message += did_you_mean(found.group(1), choices)
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


@contextmanager
def _frame_bar(label: str) -> Iterator[Callable[[int, int | None], None] | None]:
    """A tqdm progress bar of frames on stderr, only on a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(
        desc=for_terminal(label), unit="frame", file=sys.stderr, dynamic_ncols=True, leave=False
    )

    def progress(done: int, total: int | None) -> None:
        if total and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        bar.close()


# ----------------------------------------------------------------- analyze
def _check_analyze_input(video: Path, annotate: bool) -> None:
    """Usage errors a user meets before any work: a folder of videos (batch's job)
    and ``--annotate`` on saved landmarks (there is no video to draw on)."""
    from formcheck.sources import REPLAY_SUFFIX, VIDEO_EXTENSIONS

    if video.is_dir() and any(
        p.suffix.lower() in VIDEO_EXTENSIONS for p in video.iterdir() if p.is_file()
    ):
        raise UsageError(
            f"{str(video)!r} is a folder of videos; analyze takes one recording (a video, "
            f"an image folder or a {REPLAY_SUFFIX} landmark file). For a folder of videos use: "
            f"formcheck batch {video} -o REPORT_DIR -e EXERCISE"
        )
    if annotate and video.suffix.lower() == REPLAY_SUFFIX:
        raise UsageError(
            f"--annotate draws on the original video, and {str(video)!r} is a landmark file: "
            "run analyze on the video itself, or leave out --annotate"
        )


def _cmd_analyze(args: argparse.Namespace) -> int:
    from formcheck.pipeline import analyze, reported_path
    from formcheck.report import ReportBundle, ReportContext, output_name, output_stem
    from formcheck.report.contract import to_json
    from formcheck.report.text import closing_lines, summary_lines
    from formcheck.report.writers import write_outputs
    from formcheck.sources import REPLAY_SUFFIX, write_replay
    from formcheck.specs import load_spec

    video = Path(args.input)
    _check_analyze_input(video, args.annotate)
    spec = load_spec(args.exercise)
    recording = _record_options(args, args.patient)
    recording.check()
    # Every output is checked before the work, which a failed write would lose; a
    # command that fails leaves no empty output folder behind.
    with output_folder(args.out) as out_dir:
        stem = output_stem(video, spec.id)
        links: dict[str, str] = {}
        if args.annotate:
            links["annotated_video"] = output_name(stem, "annotated_video")
            check_writable(out_dir / links["annotated_video"])
        landmarks = Path(args.save_landmarks) if args.save_landmarks else None
        if landmarks is not None:
            check_writable(landmarks)
        store = recording.open()  # before the analysis: a bad --db fails at once
        with store or nullcontext():
            with _frame_bar(video.name) as progress:
                analysis = analyze(video, spec, _analysis_options(args), progress=progress)
            report = analysis.report
            # The results are shown before anything is written: a write that fails anyway
            # (a full disk) loses no result.
            if args.json:
                sys.stdout.write(to_json(report))
            else:
                _say("\n".join(summary_lines(report) + closing_lines(report)))
            thumbnails: dict[int, bytes] = {}
            if video.suffix.lower() != REPLAY_SUFFIX and not args.private:  # frames of the patient
                from formcheck.report.thumbnails import fault_thumbnails

                thumbnails = fault_thumbnails(video, report, analysis.smoothed)
            if args.annotate:
                from formcheck.render.video import write_annotated

                write_annotated(video, analysis, out_dir / links["annotated_video"])
            context = ReportContext(source=video.name, links=links)
            bundle = ReportBundle(
                report, context, analysis.smoothed, thumbnails, private=args.private
            )
            paths = write_outputs(bundle, out_dir, stem, ("json", "html"))
            if landmarks is not None:
                write_replay(
                    landmarks,
                    analysis.poses,
                    source_path=reported_path(str(video), args.private),
                    backend=report.analysis.backend,
                )
            notes = []
            if store is not None:
                from formcheck.store.ingest import analysis_record, recorded_line

                record = analysis_record(report, video, paths["json"], recording)
                notes.append(recorded_line(store, store.record(record), record))
        if args.json:
            print("\n".join(notes), file=sys.stderr, end="\n" if notes else "")
            return ExitCode.OK
        _say(f"Report: {paths['html']} (JSON: {paths['json']})")
        if args.annotate:
            _say(f"Annotated video: {out_dir / links['annotated_video']}")
        if landmarks is not None:
            _say(f"Landmarks: {landmarks}")
        if notes:
            _say("\n".join(notes))
        return ExitCode.OK


# ------------------------------------------------------------------- batch
def _cmd_batch(args: argparse.Namespace) -> int:
    from formcheck.batch import (
        BatchOptions,
        dask_plan,
        default_workers,
        local_plan,
        plan_jobs,
        run_batch,
        stderr_progress,
    )

    input_dir = Path(args.input_dir)
    with output_folder(args.out) as out_dir:  # removed again if the batch cannot start
        jobs = plan_jobs(
            input_dir,
            out_dir,
            exercise=args.exercise,
            manifest=Path(args.manifest) if args.manifest else None,
        )
        options = BatchOptions(
            analysis=_analysis_options(args),
            annotate=args.annotate,
            force=args.force,
        )
        sessions = None
        if not args.no_db and any(job.patient for job in jobs):
            from formcheck.history import BatchSessions
            from formcheck.store import open_store

            sessions = BatchSessions(open_store(args.db), args.date)
        elif args.db or args.date:
            raise UsageError(
                "--db/--date record sessions, but no video names a patient (manifest column "
                "patient, or file names <patient>__<exercise>__...)"
            )
        run = partial(run_batch, options=options, progress=stderr_progress(), sessions=sessions)
        with sessions.store if sessions is not None else nullcontext():
            if args.scheduler:
                with dask_plan(args.scheduler) as plan:
                    result = run(jobs, out_dir, plan)
            else:
                result = run(jobs, out_dir, local_plan(args.workers or default_workers()))
    counts = ", ".join(
        f"{result.count(status)} {status}"
        for status in ("ok", "needs review", "failed", "not run")
        if result.count(status)
    )
    _say(f"{len(result.rows)} videos: {counts}. Overview: {out_dir / 'index.html'}")
    if sessions is not None:
        _say(sessions.summary_line(result))
    if result.interrupted:
        _say("formcheck: interrupted; run the same command again to finish", sys.stderr)
    return result.exit_code


# ------------------------------------------------------------------- specs
def _cmd_specs(args: argparse.Namespace) -> int:
    from formcheck.specs import SpecError, list_specs, load_spec, validate_file

    if args.specs_command == "list":
        for spec in list_specs():
            _say(f"{spec.id:24s} {spec.kind:17s} {spec.view:6s} {spec.title}")
        return ExitCode.OK
    if args.specs_command == "show":
        spec = load_spec(args.id)
        _say(json.dumps(dataclasses.asdict(spec), indent=2))
        return ExitCode.OK
    failed = 0
    for name in args.files:
        try:
            _say(f"{name}: ok, {validate_file(name)}")
        except SpecError as error:
            failed += 1
            problems = error.problems
            count = f"{len(problems)} problem{'s' * (len(problems) != 1)}"
            lines = [f"{name}: {count}"]
            prefix = f"{name}: "
            lines += [f"  - {p.removeprefix(prefix)}" for p in problems]
            _say("\n".join(lines), sys.stderr)
    return ExitCode.USAGE if failed else ExitCode.OK


# -------------------------------------------------------------------- live
def _cmd_live(args: argparse.Namespace) -> int:
    from datetime import datetime

    from formcheck.errors import SourceError
    from formcheck.live import LiveOptions, run_live
    from formcheck.live.pain import PAIN_NOTICE, ask_pain
    from formcheck.live.session import session_patient, session_specs, session_summary

    program = Path(args.program) if args.program else None
    specs = session_specs(args.exercise, program)
    recording = _record_options(args, args.patient or session_patient(program))
    with ExitStack() as stack:
        # -o DIR is made for the session and removed again if the session cannot start
        out_dir = stack.enter_context(output_folder(args.out)) if args.out else None
        store = recording.open()
        ask = store is not None and sys.stdin.isatty()
        if store is not None:
            stack.enter_context(store)
            print(PAIN_NOTICE)
            if recording.pain_before is None and ask:
                recording = dataclasses.replace(
                    recording, pain_before=ask_pain("now, before you start")
                )
        options = LiveOptions(
            camera=args.camera,
            source=Path(args.source) if args.source else None,
            realtime=args.realtime,
            out_dir=out_dir,  # None: a new folder per session
            mute=args.mute,
            window=not args.no_window,
            save_video=args.save_video,
            backend=args.backend,
            model=Path(args.model) if args.model else None,
            private=args.private,
        )
        started = datetime.now().replace(microsecond=0)
        result, reports = run_live(specs, options, say=_say)
        _say("\n".join(session_summary(result, reports)))
        if store is not None and result.sets:
            from formcheck.store.ingest import live_records

            if recording.pain_after is None and ask:
                pain_after = ask_pain("now, after the session")
                recording = dataclasses.replace(recording, pain_after=pain_after)
            sets = [(saved.report, saved.paths.get("json")) for saved in result.sets]
            recorded = store.record_many(live_records(sets, started, recording))
            where = f"for patient {recording.patient} in {store.location}"
            _say(f"{len(recorded)} set(s) recorded {where}")
    if result.end_reason == "source_failed":
        return SourceError.exit_code
    return ExitCode.INTERRUPTED if result.end_reason == "interrupted" else ExitCode.OK


# ----------------------------------------------------------------- history
def _cmd_history(args: argparse.Namespace) -> int:
    from formcheck.history import patient_lines
    from formcheck.store import check_patient, open_store

    if sum(bool(x) for x in (args.patient, args.list, args.delete)) != 1:
        raise UsageError("give a PATIENT, or --list, or --delete PATIENT")
    if (args.list or args.delete) and (args.json or args.html or args.csv or args.since):
        raise UsageError("--json, --html, --csv and --since go with a PATIENT")
    with open_store(args.db) as store:
        if args.list:
            patients = store.patients()
            print("\n".join(patient_lines(patients)), end="\n" if patients else "")
            if not patients:
                print(f"No sessions recorded in {store.location}.", file=sys.stderr)
            return ExitCode.OK
        if args.delete:
            return _delete_patient(store, check_patient(args.delete), args.yes)
        return _show_history(store, args)


def _delete_patient(store, patient: str, confirmed: bool) -> int:
    from formcheck.history.model import plural

    span = store.span(patient)
    if span is None:
        print(f"No sessions of patient {patient!r} in {store.location}; nothing deleted.")
        return ExitCode.OK
    if not confirmed:
        if not sys.stdin.isatty():
            raise UsageError("--delete erases a patient's sessions for good: add --yes")
        answer = input(
            f"Erase every session of {patient} ({span[0]} to {span[1]}) from "
            f"{store.location}? This cannot be undone. [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing deleted.")
            return ExitCode.OK
    count, note = store.delete_patient(patient)
    print(f"Deleted {plural(count, 'session')} of patient {patient} from {store.location}; {note}.")
    print("Report files written by analyze, batch and live are not touched.")
    return ExitCode.OK


def _show_history(store, args: argparse.Namespace) -> int:
    from formcheck.history import history_lines, load_history, write_history

    history = load_history(store, args.patient, since=args.since, until=args.until)
    written = write_history(history, html=args.html, csv=args.csv)
    if args.json:
        sys.stdout.write(json.dumps(history.to_dict(), indent=2) + "\n")
    else:
        print("\n".join(history_lines(history)))
    for line in written:
        print(line, file=sys.stderr if args.json else sys.stdout)
    return ExitCode.OK


# ------------------------------------------------------------------- bench
def _cmd_bench(args: argparse.Namespace) -> int:
    from formcheck.bench import RESULTS_STEM, run_benchmark, write_results

    if args.contention:
        return _cmd_bench_contention(args)
    videos = [Path(v) for v in args.videos] or sorted(Path("sample_videos").glob("*.mp4"))[:2]
    if not videos:
        raise UsageError("no video given and no sample_videos/*.mp4 found")
    for video in videos:
        _check_bench_video(video)
    for suffix in (".json", ".md"):
        check_writable(Path(args.out) / f"{RESULTS_STEM}{suffix}")  # before minutes of timing
    with _step_bar() as progress:
        results = run_benchmark(
            videos,
            args.exercise,
            backends=tuple(args.backend),
            model=Path(args.model) if args.model else None,
            resolutions=tuple(args.resolution),
            max_frames=args.max_frames,
            repeats=args.repeats,
            progress=progress,
        )
    return _print_results(*write_results(results, Path(args.out), _bench_command()))


def _cmd_bench_contention(args: argparse.Namespace) -> int:
    from formcheck.bench_contention import (
        RESULTS_STEM,
        Formcheck,
        run_contention,
        sample_restart_clip,
        write_results,
    )

    if len(args.videos) > 1:
        raise UsageError("--contention takes one video")
    video = Path(args.videos[0]) if args.videos else Path("sample_videos/bridge.mp4")
    _check_bench_video(video)
    for suffix in (".json", ".md"):
        check_writable(Path(args.out) / f"{RESULTS_STEM}{suffix}")  # before minutes of timing
    base = Formcheck("today's default", args.base_python) if args.base_python else None
    results = run_contention(
        video,
        args.exercise,
        base=base,
        repeats=args.repeats,
        log=lambda line: print(line, file=sys.stderr),
        restart_clip=sample_restart_clip(),
    )
    return _print_results(*write_results(results, Path(args.out), _bench_command()))


def _check_bench_video(video: Path) -> None:
    if not video.is_file():
        from formcheck.errors import SourceError

        raise SourceError(f"cannot open {str(video)!r}: no such file")


def _bench_command() -> str:
    return ("formcheck bench " + " ".join(sys.argv[2:])).strip()


def _print_results(json_path: Path, md_path: Path) -> int:
    _say(md_path.read_text(encoding="utf-8"))
    _say(f"Results: {json_path}, {md_path}")
    return ExitCode.OK


@contextmanager
def _step_bar() -> Iterator[Callable[[int, int, str], None] | None]:
    """A tqdm bar of benchmark measurements on stderr, only on a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(unit="run", file=sys.stderr, dynamic_ncols=True, leave=False)

    def progress(done: int, total: int, what: str) -> None:
        bar.total = total
        bar.set_description_str(for_terminal(what[-40:]), refresh=False)
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        bar.close()


# ----------------------------------------------------------------- parsers
def _add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default=DEFAULT_BACKEND,
        help="pose backend (default: %(default)s)",
    )
    parser.add_argument("--model", metavar="FILE.task", help="a .task pose model (tasks backend)")


def _add_exercise_argument(
    parser: argparse.ArgumentParser | argparse._MutuallyExclusiveGroup, required: bool, what: str
) -> None:
    parser.add_argument(
        "--exercise",
        "-e",
        required=required,
        metavar="ID|SPEC.toml",
        help=f"{what}: a bundled exercise id (`formcheck specs list`) or a spec file "
        "(PATH.toml); outputs are named after the spec's id",
    )


def _add_analysis_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``analyze`` and ``batch`` (one AnalysisOptions field each)."""
    from formcheck.filters import ButterworthConfig

    _add_backend_arguments(parser)
    parser.add_argument(
        "--threads",
        type=cli_type("--threads"),
        metavar="N",
        help="pose-model inference threads per video (default: chosen from what other "
        "programs leave idle, at most each batch worker's share of the cores, fewer when "
        "inference slows down mid-run); results do not depend on it",
    )
    parser.add_argument(
        "--cutoff-hz",
        type=cli_type("--cutoff-hz"),
        default=ButterworthConfig().cutoff_hz,
        metavar="HZ",
        help="low-pass cut-off of the offline smoother, 0.1 to 60 Hz (default: %(default)s Hz)",
    )
    parser.add_argument("--no-smoothing", action="store_true", help="analyse raw landmarks")
    parser.add_argument(
        "--sampling",
        choices=["full", "adaptive"],
        default="full",
        help="run the pose model on every frame (full, default) or only where the "
        "exercise's thresholds need it, interpolating the rest (adaptive: about half the "
        "frames; experimental: its counts differed from full rate on 8 of 124 benchmark "
        "clips, see benchmarks/results/sampling_equivalence.md)",
    )
    _add_private_argument(parser)


def _add_private_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--private",
        action="store_true",
        help="leave out what identifies the patient: reports keep the input's file name "
        "without its folder, have no fault thumbnails, and frames.csv no face landmarks",
    )


def _scheduler(text: str) -> str:
    from formcheck.batch.executors import SchedulerError, scheduler_address

    try:
        return scheduler_address(text)
    except SchedulerError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _analysis_options(args: argparse.Namespace):
    from formcheck.filters import ButterworthConfig
    from formcheck.pipeline import AnalysisOptions

    return AnalysisOptions(
        backend=args.backend,
        model=Path(args.model) if args.model else None,
        smoothing=ButterworthConfig(cutoff_hz=args.cutoff_hz, enabled=not args.no_smoothing),
        sampling=args.sampling,
        threads=args.threads,
        private=args.private,
    )


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date such as 2026-11-01, got {text!r}"
        ) from None


def _pain(text: str) -> int:
    from formcheck.store import PAIN_MAX, PAIN_MIN

    if not text.isdigit() or not PAIN_MIN <= int(text) <= PAIN_MAX:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from {PAIN_MIN} to {PAIN_MAX}, got {text!r}"
        )
    return int(text)


def _db_help() -> str:
    from formcheck.store import DB_ENV, DB_FILE_NAME

    return (
        "session database: a SQLite file, or a postgresql:// URL (needs formcheck[postgres]); "
        f"default: ${DB_ENV}, else {DB_FILE_NAME} in the user's data folder"
    )


def _add_store_arguments(
    parser: argparse.ArgumentParser, *, patient: bool = True, pain: bool = True
) -> None:
    """Options that record a session in the store (one RecordOptions field each;
    analyze, batch and live)."""
    if patient:
        parser.add_argument(
            "--patient",
            metavar="NAME",
            help="the patient's pseudonym (never a real name): record the session in the "
            "session store",
        )
    parser.add_argument("--db", metavar="PATH|URL", help=_db_help())
    parser.add_argument(
        "--date",
        type=_day,
        metavar="YYYY-MM-DD",
        help="the session's date (default: the recording's own date, else today)",
    )
    if pain:
        for moment in ("before", "after"):
            parser.add_argument(
                f"--pain-{moment}",
                type=_pain,
                metavar="0-10",
                help=f"the patient's pain rating {moment} the session",
            )


def _record_options(args: argparse.Namespace, patient: str | None):
    from formcheck.store.ingest import RecordOptions

    return RecordOptions(
        patient=patient,
        db=args.db,
        day=args.date,
        pain_before=args.pain_before,
        pain_after=args.pain_after,
    )


_ANALYZE_EPILOG = """examples:
  formcheck analyze sample_videos/bridge.mp4 -e bridge
      writes formcheck-out/bridge.bridge.json and bridge.bridge.html
  formcheck analyze clip.mp4 -e my_bridge.toml -o reports --annotate
      a spec file of your own (its id names the outputs), plus an annotated MP4
  formcheck analyze clip.mp4 -e squat --save-landmarks clip.npz
  formcheck analyze clip.npz -e squat
      re-run the analysis on saved landmarks, without the pose model
  formcheck analyze clip.mp4 -e bridge --patient p017 --pain-before 3 --pain-after 2
      also record the session of patient p017 in the session store (see history)

A folder of videos is batch's job: formcheck batch FOLDER -o REPORT_DIR."""

_BATCH_EPILOG = """where each video's exercise comes from:
  --exercise ID     every video is this exercise
  --manifest FILE   a CSV with columns file,exercise,patient[,program]; paths are relative
                    to INPUT_DIR and may not leave it; videos it does not list fall back
                    to the file name
  the file name     <patient>__<exercise>__<anything>.<ext>, e.g. p017__bridge__week3.mp4

examples:
  formcheck batch clinic/ -o reports -e bridge
  formcheck batch clinic/ -o reports --manifest clinic/manifest.csv --workers 2

Writes REPORT_DIR/index.html (the overview, grouped by patient), summary.csv and,
per video, <video>.<exercise>.json, .frames.csv and .html under videos/. A rerun skips
videos whose content and settings are unchanged; failed videos are retried. Ctrl-C
or SIGTERM stops cleanly: finished reports are kept, rerun to finish.
Videos that name a patient are recorded in the session store (--db; re-importing
the same videos replaces their sessions) and the overview links each patient to
REPORT_DIR/patients/<patient>-<digest>.html, their history.
Exit codes: 0 all analysed, 5 some failed (listed in the overview), 2 bad usage,
3 INPUT_DIR missing or without videos, or the session store unusable, 4 pose
model unusable, 130 interrupted. See docs/batch.md and docs/history.md."""

_LIVE_EPILOG = """examples:
  formcheck live -e squat
      webcam 0; reports in formcheck-out/live-<date>_<time>/
  formcheck live --program patient.toml -o session-reports
  formcheck live -e bridge --source clip.mp4 --realtime --no-window

keys (in the window): q quit, space pause, r restart the set, n next exercise.
Without a window (--no-window, or no display), reps, cues and holds are printed as
they happen. Each set's report (JSON and HTML) is written when the set ends.
With a patient (--patient, or the program's patient), the pain is asked before and
after (Enter skips) and each set is recorded in the session store (--db)."""

_HISTORY_EPILOG = """examples:
  formcheck history p017                      summary of every session of p017
  formcheck history p017 --since 30d --html p017.html --csv p017.csv
  formcheck history p017 --json               the history as JSON
  formcheck history --list                    patients in the store
  formcheck history --delete p017 --yes       erase every session of p017
Exit codes: 0 done, 2 bad usage or unknown patient, 3 the session store cannot be
opened (missing server, damaged or foreign file: it is never overwritten)."""

_BENCH_EPILOG = """examples:
  formcheck bench
      the first two bundled samples, every backend, 480/720/1080p
  formcheck bench clip.mp4 --backend tasks --resolution 480 720 --repeats 5 -o /tmp/bench

Writes latency.json and latency.md into the --out folder. Run it on an idle machine:
the results record the load average at the start and the end, and flag measurements
whose repeats disagree. See benchmarks/README.md."""

_SPECS_EPILOG = """examples:
  formcheck specs list
  formcheck specs show bridge
  formcheck specs validate my_bridge.toml patient_program.toml
      every problem in each file is listed; exit code 2 if any file is invalid"""


def build_parser() -> argparse.ArgumentParser:
    from formcheck.bench import DEFAULT_MAX_FRAMES, DEFAULT_REPEATS, DEFAULT_RESOLUTIONS

    parser = _Parser(
        prog="formcheck",
        formatter_class=_RAW,
        description=_wrap(
            "Exercise form checker for physical-therapy home programs: rep counts, "
            "hold timers and form faults from a video or a webcam. It coaches form; it does "
            "not diagnose."
        ),
        epilog=f"exit codes:\n{exit_codes_text()}\n\n"
        "Run `formcheck COMMAND --help` for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"formcheck {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    analyze = sub.add_parser(
        "analyze",
        help="analyse one recording: summary, JSON and HTML report",
        formatter_class=_RAW,
        description=_wrap(
            "Analyse one recording (a video, an image folder, or landmarks saved "
            "with --save-landmarks) and write its JSON and self-contained HTML report into "
            "the --out folder, named <video>.<exercise>.json and .html."
        ),
        epilog=_ANALYZE_EPILOG,
    )
    analyze.add_argument(
        "input", metavar="INPUT", help="video file, image folder, or a .npz landmark file"
    )
    _add_exercise_argument(analyze, True, "the exercise performed")
    analyze.add_argument(
        "--out",
        "-o",
        default=DEFAULT_OUT_DIR,
        metavar="DIR",
        help="output folder (default: %(default)s)",
    )
    analyze.add_argument(
        "--annotate", action="store_true", help="also write an annotated MP4 (needs a video)"
    )
    _add_analysis_arguments(analyze)
    analyze.add_argument(
        "--save-landmarks",
        metavar="FILE.npz",
        help="save the raw landmarks, to re-run the analysis later without the pose model",
    )
    analyze.add_argument(
        "--json", action="store_true", help="print the JSON report instead of the summary"
    )
    _add_store_arguments(analyze)
    analyze.set_defaults(func=_cmd_analyze)

    batch = sub.add_parser(
        "batch",
        help="analyse a folder of recordings in parallel: reports and an overview",
        formatter_class=_RAW,
        description=_wrap(
            "Analyse every video under INPUT_DIR (recursively: "
            ".mp4 .mov .avi .mkv .webm .gif) and write, per video, a JSON report, a per-frame "
            "CSV and an HTML report with plots, plus REPORT_DIR/index.html and summary.csv."
        ),
        epilog=_BATCH_EPILOG,
    )
    batch.add_argument("input_dir", metavar="INPUT_DIR", help="folder of recordings")
    batch.add_argument("--out", "-o", required=True, metavar="REPORT_DIR", help="output folder")
    source = batch.add_mutually_exclusive_group()
    _add_exercise_argument(source, False, "the exercise of every video")
    source.add_argument("--manifest", metavar="FILE", help="CSV: file,exercise,patient[,program]")
    batch.add_argument(
        "--workers",
        type=cli_type("--workers"),
        metavar="N",
        help="parallel worker processes, one pose model each (default and maximum: the "
        "CPU cores this process may use)",
    )
    batch.add_argument("--annotate", action="store_true", help="also write annotated MP4s")
    batch.add_argument(
        "--scheduler",
        type=_scheduler,
        metavar="tcp://HOST:PORT",
        help="run on this Dask scheduler instead of local processes (needs "
        "formcheck[distributed]; workers must see INPUT_DIR at the same path)",
    )
    batch.add_argument("--force", action="store_true", help="re-analyse unchanged videos too")
    _add_analysis_arguments(batch)
    _add_store_arguments(batch, patient=False, pain=False)
    batch.add_argument(
        "--no-db", action="store_true", help="do not record the sessions in the session store"
    )
    batch.set_defaults(func=_cmd_batch)

    live = sub.add_parser(
        "live",
        help="live coaching from a webcam (or a video played in real time)",
        formatter_class=_RAW,
        description=_wrap(
            "Coach one exercise, or a patient's whole program, live: skeleton, "
            "angles, counters, hold timer and one cue at a time on screen, spoken where "
            "espeak-ng is installed. Each set's report is written to the --out folder."
        ),
        epilog=_LIVE_EPILOG,
    )
    _add_exercise_argument(live, False, "the exercise (or one exercise of --program)")
    live.add_argument("--program", metavar="FILE", help="a patient's program file (.toml)")
    live_input = live.add_mutually_exclusive_group()
    live_input.add_argument(
        "--camera",
        type=cli_type("--camera"),
        default=0,
        metavar="N",
        help="webcam index (default: %(default)s)",
    )
    live_input.add_argument("--source", metavar="FILE", help="a video file instead of a camera")
    live.add_argument(
        "--realtime",
        action="store_true",
        help="play --source at its own frame rate, dropping late frames like a camera",
    )
    live.add_argument(
        "--out",
        "-o",
        metavar="DIR",
        help=f"report folder (default: {DEFAULT_OUT_DIR}/live-<date>_<time>)",
    )
    live.add_argument("--mute", action="store_true", help="no spoken cues")
    live.add_argument(
        "--no-window", action="store_true", help="no window: print reps and cues instead"
    )
    live.add_argument(
        "--save-video",
        action="store_true",
        help="also save the annotated video (not stored by default, for privacy)",
    )
    _add_private_argument(live)
    _add_backend_arguments(live)
    _add_store_arguments(live)
    live.set_defaults(func=_cmd_live)

    history = sub.add_parser(
        "history",
        help="a patient's sessions: adherence, trends, faults, pain (JSON, HTML, CSV)",
        formatter_class=_RAW,
        description=_wrap(
            "A patient's recorded sessions over a window of days: days active "
            "(and the last 30 days against the 16-of-30 count of remote therapeutic "
            "monitoring), an adherence calendar, per-exercise trends, faults over time and "
            "pain before and after."
        ),
        epilog=_HISTORY_EPILOG,
    )
    history.add_argument("patient", nargs="?", metavar="PATIENT", help="the patient's pseudonym")
    history.add_argument("--db", metavar="PATH|URL", help=_db_help())
    history.add_argument(
        "--since",
        metavar="30d|12w|DATE",
        help="first day of the window: a number of days or weeks before --until, or a "
        "date (default: the patient's first session)",
    )
    history.add_argument(
        "--until",
        type=_day,
        metavar="YYYY-MM-DD",
        help="last day of the window (default: today, or the last session if later)",
    )
    history.add_argument("--json", action="store_true", help="print the history as JSON")
    history.add_argument("--html", metavar="FILE", help="write a self-contained HTML page")
    history.add_argument("--csv", metavar="FILE", help="write the sessions as CSV")
    history.add_argument("--list", action="store_true", help="list the patients")
    history.add_argument(
        "--delete", metavar="PATIENT", help="erase every session of PATIENT (privacy)"
    )
    history.add_argument("--yes", action="store_true", help="with --delete: do not ask")
    history.set_defaults(func=_cmd_history)

    specs = sub.add_parser(
        "specs",
        help="list, show or validate exercise specs and program files",
        formatter_class=_RAW,
        description=_wrap(
            "The exercise library: each exercise is a spec file "
            "(exercise_specs/*.toml, format in exercise_specs/README.md); a program file "
            "lists a patient's exercises with their own targets."
        ),
        epilog=_SPECS_EPILOG,
    )
    specs_sub = specs.add_subparsers(dest="specs_command", required=True, metavar="ACTION")
    actions = {
        "list": "list the bundled exercises",
        "show": "print one spec as JSON",
        "validate": "check spec and program files, listing every problem",
    }
    parsers = {
        name: specs_sub.add_parser(
            name, help=what, description=what, formatter_class=_RAW, epilog=_SPECS_EPILOG
        )
        for name, what in actions.items()
    }
    show, validate = parsers["show"], parsers["validate"]
    show.add_argument("id", metavar="ID|SPEC.toml")
    validate.add_argument("files", nargs="+", metavar="FILE.toml")
    specs.set_defaults(func=_cmd_specs)

    bench = sub.add_parser(
        "bench",
        help="CPU latency benchmark: per-stage timing and ratios",
        formatter_class=_RAW,
        description=_wrap(
            "Time each stage of the frame pipeline on this CPU and compare the "
            "full pipeline with the inference-only floor, a naive peer loop, the backends "
            "and input resolutions."
        ),
        epilog=_BENCH_EPILOG,
    )
    bench.add_argument("videos", nargs="*", metavar="VIDEO", help="default: the bundled samples")
    bench.add_argument(
        "--exercise", "-e", default="bridge", metavar="ID", help="spec driving the engine stage"
    )
    bench.add_argument(
        "--backend",
        nargs="+",
        choices=BACKENDS,
        default=list(BACKENDS),
        metavar="NAME",
        help=f"backends to compare (default: {' '.join(BACKENDS)})",
    )
    bench.add_argument("--model", metavar="FILE.task", help="also time a user .task model")
    bench.add_argument(
        "--resolution",
        nargs="+",
        type=cli_type("--resolution"),
        default=list(DEFAULT_RESOLUTIONS),
        metavar="HEIGHT",
        help=f"input heights to compare (default: {' '.join(map(str, DEFAULT_RESOLUTIONS))})",
    )
    bench.add_argument(
        "--max-frames",
        type=cli_type("--max-frames"),
        default=DEFAULT_MAX_FRAMES,
        metavar="N",
        help="frames per measurement after the warm-up (default: %(default)s)",
    )
    bench.add_argument(
        "--repeats",
        type=cli_type("--repeats"),
        default=DEFAULT_REPEATS,
        metavar="N",
        help="runs of each measurement (default: %(default)s)",
    )
    bench.add_argument(
        "--out",
        "-o",
        default=BENCH_OUT,
        metavar="DIR",
        help="results folder: latency.json and latency.md, with --contention "
        "contention.json and contention.md (default: %(default)s)",
    )
    bench.add_argument(
        "--contention",
        action="store_true",
        help="speed on a busy computer instead: analyze, a 2-worker batch and live on one "
        "video, idle and beside 1 and 2 competing processes started and stopped here "
        "(see benchmarks/README.md; run it alone, it times wall clock)",
    )
    bench.add_argument(
        "--base-python",
        metavar="PYTHON",
        help="with --contention, also run the formcheck of this interpreter (e.g. a "
        "checkout of main in its own venv) for the idle comparison",
    )
    bench.set_defaults(func=_cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except FormcheckError as err:
        _say(f"formcheck: error: {err}", sys.stderr)
        return int(err.exit_code)
    except KeyboardInterrupt:
        _say("formcheck: interrupted", sys.stderr)
        return ExitCode.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
