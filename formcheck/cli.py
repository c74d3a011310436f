"""The ``formcheck`` command: a thin layer over the library API.

Exit codes (also in the README): 0 success; 1 internal error (a bug); 2 bad
usage or an invalid spec/program file; 3 an input that cannot be read; 4 a pose
model that cannot be loaded; 5 a batch finished with some inputs failed;
130 interrupted.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from formcheck import __version__
from formcheck.errors import FormcheckError

EXIT_INTERRUPTED = 130


def _progress_printer(label: str):
    """A progress callback that redraws one stderr line, only on a terminal."""
    if not sys.stderr.isatty():
        return None

    def report(done: int, total: int | None) -> None:
        if done % 10 and done != total:
            return
        of = f"/{total}" if total else ""
        sys.stderr.write(f"\r{label}: frame {done}{of}")
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
    lines.append(report["headline"]["text"])
    lines.extend(f"Dosage: {note}" for note in report["dosage"]["notes"])
    per_side = report["analysis"].get("side") in ("both", "alternating")
    for hold in report["holds"]:
        side = f" {hold['side']}" if per_side else ""
        lines.append(
            f"Hold{side}: {hold['duration_s']:.1f} s ({hold['start_s']:.1f}–{hold['end_s']:.1f} s)"
        )
    if report["cuts"]:
        lines.append("Video cut at " + ", ".join(f"{t:.1f} s" for t in report["cuts"]))
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
    out_dir = Path(args.out)
    stem = video.stem
    options = _analysis_options(
        args,
        save_landmarks=Path(args.save_landmarks) if args.save_landmarks else None,
        annotate_path=out_dir / f"{stem}.annotated.mp4" if args.annotate else None,
    )
    analysis = analyze(video, args.exercise, options, progress=_progress_printer(video.name))
    report_path = write_report(analysis.report, out_dir / f"{stem}.{args.exercise}.json")
    if args.json:
        from formcheck.report.contract import to_json

        sys.stdout.write(to_json(analysis.report))
    else:
        print("\n".join(_summary_lines(analysis.report)))
        print(f"Report: {report_path}")
        if options.annotate_path:
            print(f"Annotated video: {options.annotate_path}")
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

    if args.workers is not None and args.workers < 1:
        print("formcheck batch: error: --workers must be at least 1", file=sys.stderr)
        return 2
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
        f"{result.count(s)} {s}"
        for s in ("ok", "unchanged", "failed", "not run")
        if result.count(s)
    )
    print(f"{len(result.rows)} videos: {counts}. Overview: {out_dir / 'index.html'}")
    if result.interrupted:
        print("formcheck: interrupted; run the same command again to finish", file=sys.stderr)
    return result.exit_code


def _cmd_specs(args: argparse.Namespace) -> int:
    from formcheck.specs import list_specs, load_spec, validate_spec_file

    if args.specs_command == "list":
        for spec in list_specs():
            print(f"{spec.id:24s} {spec.kind:17s} {spec.view:6s} {spec.title}")
        return 0
    if args.specs_command == "show":
        spec = load_spec(args.id)
        print(json.dumps(dataclasses.asdict(spec), indent=2))
        return 0
    failed = 0
    for name in args.files:
        try:
            spec = validate_spec_file(Path(name))
            print(f"{name}: ok ({spec.id})")
        except FormcheckError as err:
            print(f"{name}: {err}", file=sys.stderr)
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
        out_dir=Path(args.out) if args.out else None,
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
    return EXIT_INTERRUPTED if result.end_reason == "interrupted" else 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from formcheck.bench import run_benchmark, write_results

    videos = [Path(v) for v in args.videos] or sorted(Path("sample_videos").glob("*.mp4"))[:2]
    if not videos:
        print("formcheck: error: no video given and no sample_videos/*.mp4 found", file=sys.stderr)
        return 2
    for video in videos:
        if not video.is_file():
            print(f"formcheck: error: cannot open {str(video)!r}: no such file", file=sys.stderr)
            return 3
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
    print(md_path.read_text(encoding="utf-8"))
    print(f"Results: {json_path}, {md_path}")
    return 0


def _add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend",
        choices=["tasks", "legacy"],
        default="tasks",
        help="pose backend (default: %(default)s)",
    )
    parser.add_argument("--model", help="a .task pose model file for the tasks backend")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _add_analysis_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``analyze`` and ``batch`` (one AnalysisOptions field each)."""
    _add_backend_arguments(parser)
    parser.add_argument(
        "--threads",
        type=_positive_int,
        help="pose-model inference threads per video (default: every core for analyze, "
        "the cores shared out between the workers for batch); results do not depend on it",
    )
    parser.add_argument(
        "--cutoff-hz",
        type=float,
        default=4.0,
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


def _analysis_options(args: argparse.Namespace, **extra):
    from formcheck.filters import ButterworthConfig
    from formcheck.pipeline import AnalysisOptions

    return AnalysisOptions(
        backend=args.backend,
        model=Path(args.model) if args.model else None,
        smoothing=ButterworthConfig(cutoff_hz=args.cutoff_hz, enabled=not args.no_smoothing),
        sampling=args.sampling,
        threads=args.threads,
        **extra,
    )


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
retried. Ctrl-C stops cleanly: finished reports are kept, rerun to finish.
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
        type=int,
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
        "live", help="live coaching from a webcam (or a video played in real time)"
    )
    live.add_argument("--exercise", "-e", help="exercise id (or one exercise of --program)")
    live.add_argument("--program", metavar="FILE", help="a patient's program file (.toml)")
    live_input = live.add_mutually_exclusive_group()
    live_input.add_argument(
        "--camera", type=int, default=0, help="webcam index (default: %(default)s)"
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
        type=int,
        help="input heights to compare (default: 480 720 1080)",
    )
    bench.add_argument("--max-frames", type=int, default=300, help="frames per video after warm-up")
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
        print(f"formcheck: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("formcheck: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
