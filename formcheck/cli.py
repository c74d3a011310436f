"""The ``formcheck`` command: a thin layer over the library API.

Every subcommand has a description and examples (``formcheck COMMAND --help``);
``--out``/``-o`` is a folder everywhere; options that take a list take all its
values after one flag. Defaults, backend names, exit codes and output names are
the library's (:mod:`formcheck.errors`, :mod:`formcheck.report.writers`), read here.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import re
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

from formcheck import __version__
from formcheck.errors import ExitCode, FormcheckError, UsageError, exit_codes_text
from formcheck.pose import BACKENDS, DEFAULT_BACKEND

ANALYZE_OUT = "formcheck-out"
_RAW = argparse.RawDescriptionHelpFormatter


def _wrap(text: str) -> str:
    """A description filled to the width of a terminal (the formatter keeps it raw)."""
    return textwrap.fill(text, 79)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose "invalid choice" errors suggest the nearest choice."""

    def error(self, message: str) -> NoReturn:
        found = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if found:
            from formcheck.specs import did_you_mean

            choices = re.findall(r"'([^']*)'", found.group(2))
            message += did_you_mean(found.group(1), choices)
        super().error(message)


@contextmanager
def _frame_bar(label: str) -> Iterator[Callable[[int, int | None], None] | None]:
    """A tqdm progress bar of frames on stderr, only on a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(desc=label, unit="frame", file=sys.stderr, dynamic_ncols=True, leave=False)

    def progress(done: int, total: int | None) -> None:
        if total and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        bar.close()


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


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
    from formcheck.pipeline import analyze
    from formcheck.report import ReportBundle, ReportContext, output_name, output_stem
    from formcheck.report.text import closing_lines, summary_lines
    from formcheck.report.writers import write_outputs
    from formcheck.sources import REPLAY_SUFFIX, write_replay
    from formcheck.specs import load_spec

    video = Path(args.input)
    _check_analyze_input(video, args.annotate)
    spec = load_spec(args.exercise)
    out_dir = Path(args.out)
    with _frame_bar(video.name) as progress:
        analysis = analyze(video, spec, _analysis_options(args), progress=progress)
    report = analysis.report
    stem = output_stem(video, spec.id)
    links: dict[str, str] = {}
    thumbnails: dict[int, bytes] = {}
    if video.suffix.lower() != REPLAY_SUFFIX:  # saved landmarks have no frames to show
        from formcheck.report.thumbnails import fault_thumbnails

        thumbnails = fault_thumbnails(video, report, analysis.smoothed)
    if args.annotate:
        from formcheck.render.video import write_annotated

        links["annotated_video"] = output_name(stem, "annotated_video")
        write_annotated(video, analysis, out_dir / links["annotated_video"])
    bundle = ReportBundle(
        report, ReportContext(source=video.name, links=links), analysis.smoothed, thumbnails
    )
    paths = write_outputs(bundle, out_dir, stem, ("json", "html"))
    if args.save_landmarks:
        write_replay(
            Path(args.save_landmarks),
            analysis.poses,
            source_path=str(video),
            backend=report.analysis.backend,
        )
    if args.json:
        sys.stdout.write(paths["json"].read_text(encoding="utf-8"))
        return ExitCode.OK
    print("\n".join(summary_lines(report) + closing_lines(report)))
    print(f"Report: {paths['html']} (JSON: {paths['json']})")
    if args.annotate:
        print(f"Annotated video: {out_dir / links['annotated_video']}")
    if args.save_landmarks:
        print(f"Landmarks: {args.save_landmarks}")
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

    input_dir, out_dir = Path(args.input_dir), Path(args.out)
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
    if args.scheduler:
        with dask_plan(args.scheduler) as plan:
            result = run_batch(jobs, out_dir, plan, options, progress=stderr_progress())
    else:
        plan = local_plan(args.workers or default_workers())
        result = run_batch(jobs, out_dir, plan, options, progress=stderr_progress())
    counts = ", ".join(
        f"{result.count(status)} {status}"
        for status in ("ok", "needs review", "failed", "not run")
        if result.count(status)
    )
    print(f"{len(result.rows)} videos: {counts}. Overview: {out_dir / 'index.html'}")
    if result.interrupted:
        print("formcheck: interrupted; run the same command again to finish", file=sys.stderr)
    return result.exit_code


# ------------------------------------------------------------------- specs
def _cmd_specs(args: argparse.Namespace) -> int:
    from formcheck.specs import SpecError, list_specs, load_spec, validate_file

    if args.specs_command == "list":
        for spec in list_specs():
            print(f"{spec.id:24s} {spec.kind:17s} {spec.view:6s} {spec.title}")
        return ExitCode.OK
    if args.specs_command == "show":
        spec = load_spec(args.id)
        print(json.dumps(dataclasses.asdict(spec), indent=2))
        return ExitCode.OK
    failed = 0
    for name in args.files:
        try:
            print(f"{name}: ok, {validate_file(name)}")
        except SpecError as error:
            failed += 1
            problems = error.problems
            count = f"{len(problems)} problem{'s' * (len(problems) != 1)}"
            lines = [f"{name}: {count}"]
            prefix = f"{name}: "
            lines += [f"  - {p.removeprefix(prefix)}" for p in problems]
            print("\n".join(lines), file=sys.stderr)
    return ExitCode.USAGE if failed else ExitCode.OK


# -------------------------------------------------------------------- live
def _cmd_live(args: argparse.Namespace) -> int:
    from formcheck.errors import SourceError
    from formcheck.live import LiveOptions, default_out_dir, run_live
    from formcheck.live.session import session_specs, session_summary

    specs = session_specs(args.exercise, Path(args.program) if args.program else None)
    options = LiveOptions(
        camera=args.camera,
        source=Path(args.source) if args.source else None,
        realtime=args.realtime,
        out_dir=Path(args.out) if args.out else default_out_dir(),
        mute=args.mute,
        window=not args.no_window,
        save_video=args.save_video,
        backend=args.backend,
        model=Path(args.model) if args.model else None,
    )
    result, out_dir = run_live(specs, options)
    print("\n".join(session_summary(result, out_dir)))
    if result.end_reason == "source_failed":
        return SourceError.exit_code
    return ExitCode.INTERRUPTED if result.end_reason == "interrupted" else ExitCode.OK


# ------------------------------------------------------------------- bench
def _cmd_bench(args: argparse.Namespace) -> int:
    from formcheck.bench import run_benchmark, write_results

    videos = [Path(v) for v in args.videos] or sorted(Path("sample_videos").glob("*.mp4"))[:2]
    if not videos:
        raise UsageError("no video given and no sample_videos/*.mp4 found")
    for video in videos:
        if not video.is_file():
            from formcheck.errors import SourceError

            raise SourceError(f"cannot open {str(video)!r}: no such file")
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
    command = "formcheck bench " + " ".join(sys.argv[2:])
    json_path, md_path = write_results(results, Path(args.out), command.strip())
    print(md_path.read_text(encoding="utf-8"))
    print(f"Results: {json_path}, {md_path}")
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
        bar.set_description_str(what[-40:], refresh=False)
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
        type=_positive_int,
        metavar="N",
        help="pose-model inference threads per video (default: every core for analyze, "
        "the cores shared out between the workers for batch); results do not depend on it",
    )
    parser.add_argument(
        "--cutoff-hz",
        type=_positive_float,
        default=ButterworthConfig().cutoff_hz,
        metavar="HZ",
        help="low-pass cut-off of the offline smoother (default: %(default)s Hz)",
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


def _analysis_options(args: argparse.Namespace):
    from formcheck.filters import ButterworthConfig
    from formcheck.pipeline import AnalysisOptions

    return AnalysisOptions(
        backend=args.backend,
        model=Path(args.model) if args.model else None,
        smoothing=ButterworthConfig(cutoff_hz=args.cutoff_hz, enabled=not args.no_smoothing),
        sampling=args.sampling,
        threads=args.threads,
    )


_ANALYZE_EPILOG = """examples:
  formcheck analyze sample_videos/bridge.mp4 -e bridge
      writes formcheck-out/bridge.bridge.json and bridge.bridge.html
  formcheck analyze clip.mp4 -e my_bridge.toml -o reports --annotate
      a spec file of your own (its id names the outputs), plus an annotated MP4
  formcheck analyze clip.mp4 -e squat --save-landmarks clip.npz
  formcheck analyze clip.npz -e squat
      re-run the analysis on saved landmarks, without the pose model

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
stops cleanly: finished reports are kept, rerun to finish.
Exit codes: 0 all analysed, 5 some failed (listed in the overview), 2 bad usage,
3 INPUT_DIR missing or without videos, 4 pose model unusable, 130 interrupted.
See docs/batch.md."""

_LIVE_EPILOG = """examples:
  formcheck live -e squat
      webcam 0; reports in formcheck-out/live-<date>_<time>/
  formcheck live --program patient.toml -o session-reports
  formcheck live -e bridge --source clip.mp4 --realtime --no-window

keys (in the window): q quit, space pause, r restart the set, n next exercise.
Without a window (--no-window, or no display), reps, cues and holds are printed as
they happen. Each set's report (JSON and HTML) is written when the set ends."""

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
        default=ANALYZE_OUT,
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
        type=_positive_int,
        metavar="N",
        help="parallel worker processes, one pose model each (default: the CPU cores "
        "this process may use)",
    )
    batch.add_argument("--annotate", action="store_true", help="also write annotated MP4s")
    batch.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run on this Dask scheduler instead of local processes (needs "
        "formcheck[distributed]; workers must see INPUT_DIR at the same path)",
    )
    batch.add_argument("--force", action="store_true", help="re-analyse unchanged videos too")
    _add_analysis_arguments(batch)
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
        "--camera", type=int, default=0, metavar="N", help="webcam index (default: %(default)s)"
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
        help="report folder (default: formcheck-out/live-<date>_<time>)",
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
    _add_backend_arguments(live)
    live.set_defaults(func=_cmd_live)

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
    specs_sub.add_parser("list", help="list the bundled exercises")
    show = specs_sub.add_parser("show", help="print one spec as JSON")
    show.add_argument("id", metavar="ID|SPEC.toml")
    validate = specs_sub.add_parser(
        "validate", help="check spec and program files, listing every problem"
    )
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
        type=_positive_int,
        default=list(DEFAULT_RESOLUTIONS),
        metavar="HEIGHT",
        help=f"input heights to compare (default: {' '.join(map(str, DEFAULT_RESOLUTIONS))})",
    )
    bench.add_argument(
        "--max-frames",
        type=_positive_int,
        default=DEFAULT_MAX_FRAMES,
        metavar="N",
        help="frames per measurement after the warm-up (default: %(default)s)",
    )
    bench.add_argument(
        "--repeats",
        type=_positive_int,
        default=DEFAULT_REPEATS,
        metavar="N",
        help="runs of each measurement (default: %(default)s)",
    )
    bench.add_argument(
        "--out",
        "-o",
        default="benchmarks/results",
        metavar="DIR",
        help="results folder: latency.json and latency.md (default: %(default)s)",
    )
    bench.set_defaults(func=_cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except FormcheckError as err:
        print(f"formcheck: error: {err}", file=sys.stderr)
        return int(err.exit_code)
    except KeyboardInterrupt:
        print("formcheck: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
