"""The ``formcheck`` command: a thin layer over the library API.

Exit codes (also in the README): 0 success; 1 internal error (a bug); 2 bad
usage (a value out of range, an output that cannot be written) or an invalid
spec/program file; 3 an input that cannot be read or analysed; 4 a pose model
that cannot be loaded; 5 a batch finished with some inputs failed; 130
interrupted. Every value has its limits in ``formcheck.bounds``; text from file
names and specs is printed with its control characters escaped.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from formcheck import __version__
from formcheck.atomic import check_writable, writable_folder
from formcheck.bounds import cli_type
from formcheck.errors import FormcheckError
from formcheck.safe_text import for_terminal

EXIT_INTERRUPTED = 130


def _say(text: str, file: TextIO | None = None) -> None:
    """Print text that may hold file names or spec texts: control characters escaped."""
    print(for_terminal(text), file=file or sys.stdout)


def _progress_printer(label: str):
    """A progress callback that redraws one stderr line, only on a terminal."""
    if not sys.stderr.isatty():
        return None

    def report(done: int, total: int | None) -> None:
        if done % 10 and done != total:
            return
        of = f"/{total}" if total else ""
        sys.stderr.write(f"\r{for_terminal(label)}: frame {done}{of}")
        if total and done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return report


def _summary_lines(report: dict) -> list[str]:
    ex = report["exercise"]
    inp = report["input"]
    lines = [
        f"{ex['title']} ({ex['id']}) — {Path(inp['path']).name}: "
        f"{inp['duration_s']:.1f} s, {inp['frames']} frames",
    ]
    reps = report["reps"]
    if ex["kind"] in ("reps", "alternating_reps", "cycles") or reps["total"]:
        sides = ""
        if reps.get("left") is not None:
            sides = f" (left {reps['left']}, right {reps['right']})"
        good = sum(1 for r in reps.get("details", []) if r.get("good"))
        lines.append(f"Reps: {reps['total']}{sides}, {good} with good form")
    for hold in report["holds"]:
        side = f" {hold['side']}" if hold.get("side") else ""
        target = f" / target {hold['target_s']:.0f} s" if hold.get("target_s") else ""
        lines.append(
            f"Hold{side}: {hold['duration_s']:.1f} s{target} "
            f"({hold['start_s']:.1f}–{hold['end_s']:.1f} s)"
        )
    for fault in report["faults"]:
        span = f"{fault['start_s']:.1f}–{fault['end_s']:.1f} s"
        lines.append(f"Fault {fault['id']} at {span}: {fault['message']}")
    lines.extend(f"Warning: {w}" for w in report["warnings"])
    lines.append(f"Limitations: {report['limitations']}")
    lines.append(report["disclaimer"])
    return lines


def _cmd_analyze(args: argparse.Namespace) -> int:
    from formcheck.pipeline import analyze
    from formcheck.report import write_report

    video = Path(args.video)
    out_dir = writable_folder(args.out)  # before the work, which a failed write would lose
    stem = video.stem
    options = _analysis_options(
        args,
        save_landmarks=Path(args.save_landmarks) if args.save_landmarks else None,
        annotate_path=out_dir / f"{stem}.annotated.mp4" if args.annotate else None,
    )
    analysis = analyze(video, args.exercise, options, progress=_progress_printer(video.name))
    # The results are shown before the report is written: a write that fails anyway
    # (a full disk) loses no result.
    if args.json:
        from formcheck.report.contract import to_json

        sys.stdout.write(to_json(analysis.report))
    else:
        _say("\n".join(_summary_lines(analysis.report)))
    report_path = write_report(analysis.report, out_dir / f"{stem}.{args.exercise}.json")
    if not args.json:
        _say(f"Report: {report_path}")
        if options.annotate_path:
            _say(f"Annotated video: {options.annotate_path}")
    return 0


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

    input_dir, out_dir = Path(args.input_dir), writable_folder(args.out)
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
        f"{result.count(s)} {s}"
        for s in ("ok", "unchanged", "failed", "not run")
        if result.count(s)
    )
    _say(f"{len(result.rows)} videos: {counts}. Overview: {out_dir / 'index.html'}")
    if result.interrupted:
        _say("formcheck: interrupted; run the same command again to finish", sys.stderr)
    return result.exit_code


def _cmd_specs(args: argparse.Namespace) -> int:
    from formcheck.specs import list_specs, load_spec, validate_spec_file

    if args.specs_command == "list":
        for spec in list_specs():
            _say(f"{spec.id:24s} {spec.kind:17s} {spec.view:6s} {spec.title}")
        return 0
    if args.specs_command == "show":
        spec = load_spec(args.id)
        _say(json.dumps(dataclasses.asdict(spec), indent=2))
        return 0
    failed = 0
    for name in args.files:
        try:
            spec = validate_spec_file(Path(name))
            _say(f"{name}: ok ({spec.id})")
        except FormcheckError as err:
            _say(f"{name}: error: {str(err).removeprefix(f'{name}: ')}", sys.stderr)
            failed += 1
    return 2 if failed else 0


def _cmd_live(args: argparse.Namespace) -> int:
    from formcheck.errors import SourceError
    from formcheck.live import LiveOptions, run_live
    from formcheck.live.session import session_specs, session_summary

    specs = session_specs(args.exercise, Path(args.program) if args.program else None)
    options = LiveOptions(
        camera=args.camera,
        source=Path(args.source) if args.source else None,
        realtime=args.realtime,
        out_dir=writable_folder(args.out) if args.out else None,
        mute=args.mute,
        window=not args.no_window,
        save_video=args.save_video,
        backend=args.backend,
        model=Path(args.model) if args.model else None,
        private=args.private,
    )
    result, out_dir = run_live(specs, options, say=_say)
    _say("\n".join(session_summary(result, out_dir)))
    if result.end_reason == "source_failed":
        return SourceError.exit_code
    return EXIT_INTERRUPTED if result.end_reason == "interrupted" else 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from formcheck.bench import run_benchmark, write_results

    videos = [Path(v) for v in args.videos] or sorted(Path("sample_videos").glob("*.mp4"))[:2]
    if not videos:
        print("formcheck: error: no video given and no sample_videos/*.mp4 found", file=sys.stderr)
        return 2
    for video in videos:
        if not video.is_file():
            _say(f"formcheck: error: cannot open {str(video)!r}: no such file", sys.stderr)
            return 3
    for suffix in (".json", ".md"):
        check_writable(Path(args.out).with_suffix(suffix))  # before minutes of timing
    results = run_benchmark(
        videos,
        args.exercise,
        backends=tuple(args.backend),
        model=Path(args.model) if args.model else None,
        resolutions=tuple(args.resolution),
        max_frames=args.max_frames,
    )
    command = "formcheck bench " + " ".join(sys.argv[2:])
    json_path, md_path = write_results(results, Path(args.out), command.strip())
    _say(md_path.read_text(encoding="utf-8"))
    _say(f"Results: {json_path}, {md_path}")
    return 0


def _add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend",
        choices=["tasks", "legacy"],
        default="tasks",
        help="pose backend (default: %(default)s)",
    )
    parser.add_argument("--model", help="a .task pose model file for the tasks backend")


def _add_analysis_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``analyze`` and ``batch`` (one AnalysisOptions field each)."""
    _add_backend_arguments(parser)
    parser.add_argument(
        "--threads",
        type=cli_type("--threads"),
        help="pose-model inference threads per video (default: every core for analyze, "
        "the cores shared out between the workers for batch; at most the cores this "
        "process may use); results do not depend on it",
    )
    parser.add_argument(
        "--cutoff-hz",
        type=cli_type("--cutoff-hz"),
        default=4.0,
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
        "without its folder; batch reports have no fault thumbnails and frames.csv no "
        "face landmarks",
    )


def _analysis_options(args: argparse.Namespace, **extra):
    from formcheck.filters import ButterworthConfig
    from formcheck.pipeline import AnalysisOptions

    return AnalysisOptions(
        backend=args.backend,
        model=Path(args.model) if args.model else None,
        smoothing=ButterworthConfig(cutoff_hz=args.cutoff_hz, enabled=not args.no_smoothing),
        sampling=args.sampling,
        threads=args.threads,
        private=args.private,
        **extra,
    )


def _scheduler(text: str) -> str:
    from formcheck.batch.executors import SchedulerError, scheduler_address

    try:
        return scheduler_address(text)
    except SchedulerError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="formcheck",
        description="Exercise form checker for physical-therapy home programs. "
        "It coaches form; it does not diagnose.",
    )
    parser.add_argument("--version", action="version", version=f"formcheck {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    analyze = sub.add_parser("analyze", help="analyse one recording and write a JSON report")
    analyze.add_argument(
        "video", help="video file, image folder, or a .npz landmark file to replay"
    )
    analyze.add_argument(
        "--exercise", "-e", required=True, help="exercise id (see `formcheck specs list`)"
    )
    analyze.add_argument(
        "--out", default="formcheck-out", help="output folder (default: %(default)s)"
    )
    analyze.add_argument("--annotate", action="store_true", help="also write an annotated MP4")
    _add_analysis_arguments(analyze)
    analyze.add_argument(
        "--save-landmarks",
        metavar="FILE",
        help="save raw landmarks (.npz) to re-run the analysis without inference",
    )
    analyze.add_argument("--json", action="store_true", help="print the JSON report on stdout")
    analyze.set_defaults(func=_cmd_analyze)

    batch = sub.add_parser(
        "batch",
        help="analyse a folder of recordings in parallel: reports, plots and an overview",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Analyse every video under INPUT_DIR (recursively: "
        ".mp4 .mov .avi .mkv .webm .gif) and write, per video, a JSON report, a per-frame "
        "CSV and an HTML report with plots, plus REPORT_DIR/index.html and summary.csv.",
        epilog="""where each video's exercise comes from:
  --exercise ID     every video is this exercise
  --manifest FILE   a CSV with columns file,exercise,patient[,program]; paths are relative
                    to INPUT_DIR and may not leave it; videos it does not list fall back
                    to the file name
  the file name     <patient>__<exercise>__<anything>.<ext>, e.g. p017__bridge__week3.mp4

A rerun skips videos whose content and settings are unchanged; failed videos are
retried. Ctrl-C or SIGTERM stops cleanly: finished reports are kept, rerun to finish.
Exit codes: 0 all analysed, 5 some failed (listed in the overview), 2 bad usage,
3 INPUT_DIR missing or without videos, 4 pose model unusable, 130 interrupted.
See docs/batch.md.""",
    )
    batch.add_argument("input_dir", metavar="INPUT_DIR", help="folder of recordings")
    batch.add_argument("--out", required=True, metavar="REPORT_DIR", help="output folder")
    source = batch.add_mutually_exclusive_group()
    source.add_argument("--exercise", "-e", metavar="ID", help="exercise id of every video")
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
    batch.set_defaults(func=_cmd_batch)

    live = sub.add_parser(
        "live", help="live coaching from a webcam (or a video played in real time)"
    )
    live.add_argument("--exercise", "-e", help="exercise id (or one exercise of --program)")
    live.add_argument("--program", metavar="FILE", help="a patient's program file (.toml)")
    live_input = live.add_mutually_exclusive_group()
    live_input.add_argument(
        "--camera", type=cli_type("--camera"), default=0, help="webcam index (default: %(default)s)"
    )
    live_input.add_argument("--source", metavar="FILE", help="a video file instead of a camera")
    live.add_argument(
        "--realtime",
        action="store_true",
        help="play --source at its own frame rate, dropping late frames like a camera",
    )
    live.add_argument(
        "--out", metavar="DIR", help="report folder (default: a new per-session folder)"
    )
    live.add_argument("--mute", action="store_true", help="no spoken cues")
    live.add_argument("--no-window", action="store_true", help="run without a window")
    live.add_argument(
        "--save-video",
        action="store_true",
        help="also save the annotated video (not stored by default, for privacy)",
    )
    _add_private_argument(live)
    _add_backend_arguments(live)
    live.set_defaults(func=_cmd_live)

    specs = sub.add_parser("specs", help="list, show or validate exercise specs")
    specs_sub = specs.add_subparsers(dest="specs_command", required=True)
    specs_sub.add_parser("list", help="list the bundled exercises")
    show = specs_sub.add_parser("show", help="print one spec as JSON")
    show.add_argument("id")
    validate = specs_sub.add_parser("validate", help="validate spec files")
    validate.add_argument("files", nargs="+")
    specs.set_defaults(func=_cmd_specs)
    bench = sub.add_parser("bench", help="CPU latency benchmark: per-stage timing and ratios")
    bench.add_argument("videos", nargs="*", help="videos (default: the bundled samples)")
    bench.add_argument("--exercise", "-e", default="bridge", help="spec driving the engine stage")
    bench.add_argument(
        "--backend",
        action="append",
        choices=["tasks", "legacy"],
        help="backends to compare (default: both)",
    )
    bench.add_argument("--model", help="also time a user .task model")
    bench.add_argument(
        "--resolution",
        action="append",
        type=cli_type("--resolution"),
        help="input heights to compare (default: 480 720 1080)",
    )
    bench.add_argument(
        "--max-frames",
        type=cli_type("--max-frames"),
        default=300,
        help="frames per video after warm-up",
    )
    bench.add_argument(
        "--out",
        default="benchmarks/results/latency",
        help="results path without suffix (.json and .md are written)",
    )
    bench.set_defaults(func=_cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "command", None) == "bench":
        args.backend = args.backend or ["tasks", "legacy"]
        args.resolution = args.resolution or [480, 720, 1080]
    try:
        return args.func(args)
    except FormcheckError as err:
        _say(f"formcheck: error: {err}", sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        _say("formcheck: interrupted", sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
