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
from functools import partial
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


def _session_store(args: argparse.Namespace, patient: str | None):
    """The open session store when a session is to be recorded (opened before the
    analysis, so a bad --db fails at once), else None."""
    from formcheck.store import check_pain, check_patient, open_store

    if not patient:
        given = [
            name
            for name in ("db", "date", "pain_before", "pain_after")
            if getattr(args, name, None) is not None
        ]
        if given:
            flags = ", ".join("--" + name.replace("_", "-") for name in given)
            raise UsageError(f"{flags} record a session: name the patient with --patient")
        return None
    check_patient(patient)
    check_pain(getattr(args, "pain_before", None), "before")
    check_pain(getattr(args, "pain_after", None), "after")
    return open_store(args.db)


def _recorded_line(store, recorded, session) -> str:
    what = "recorded" if recorded.new else "updated (this recording was stored before)"
    return (
        f"Session {what}: patient {session.patient}, {session.exercise}, "
        f"{session.session_date.isoformat()}, in {store.location}"
    )


def _cmd_analyze(args: argparse.Namespace) -> int:
    from formcheck.pipeline import analyze
    from formcheck.report import write_report
    from formcheck.specs import load_spec

    video = Path(args.video)
    out_dir = Path(args.out)
    stem = video.stem
    options = _analysis_options(
        args,
        save_landmarks=Path(args.save_landmarks) if args.save_landmarks else None,
        annotate_path=out_dir / f"{stem}.annotated.mp4" if args.annotate else None,
    )
    store = _session_store(args, args.patient)
    try:
        spec = load_spec(args.exercise)
        analysis = analyze(video, spec, options, progress=_progress_printer(video.name))
        report_path = write_report(analysis.report, out_dir / f"{stem}.{args.exercise}.json")
        notes = []
        if store is not None:
            from formcheck.store.ingest import report_record

            record = report_record(
                analysis.report,
                patient=args.patient,
                source="analyze",
                report_path=report_path,
                recording=video,
                day=args.date,
                spec=spec,
                pain_before=args.pain_before,
                pain_after=args.pain_after,
            )
            notes.append(_recorded_line(store, store.record(record), record.session))
    finally:
        if store is not None:
            store.close()
    if args.json:
        from formcheck.report.contract import to_json

        sys.stdout.write(to_json(analysis.report))
        for note in notes:
            print(note, file=sys.stderr)
    else:
        print("\n".join(_summary_lines(analysis.report)))
        print(f"Report: {report_path}")
        if options.annotate_path:
            print(f"Annotated video: {options.annotate_path}")
        print("\n".join(notes), end="\n" if notes else "")
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
    try:
        if args.scheduler:
            with dask_plan(args.scheduler) as plan:
                result = run(jobs, out_dir, plan)
        else:
            result = run(jobs, out_dir, local_plan(args.workers or default_workers()))
    finally:
        if sessions is not None:
            sessions.store.close()
    counts = ", ".join(
        f"{result.count(s)} {s}"
        for s in ("ok", "unchanged", "failed", "not run")
        if result.count(s)
    )
    print(f"{len(result.rows)} videos: {counts}. Overview: {out_dir / 'index.html'}")
    if sessions is not None:
        print(_batch_sessions_line(sessions, result))
    if result.interrupted:
        print("formcheck: interrupted; run the same command again to finish", file=sys.stderr)
    return result.exit_code


def _batch_sessions_line(sessions, result) -> str:
    from formcheck.history.model import plural

    if result.store_error:
        return f"formcheck: error: sessions not recorded: {result.store_error}"
    recorded = sessions.recorded
    new = sum(r.new for r in recorded)
    patients = len({row["patient"] for row in result.rows if row.get("history")})
    line = (
        f"Sessions: {len(recorded)} recorded ({new} new, {len(recorded) - new} already "
        f"stored) for {plural(patients, 'patient')} in {sessions.store.location}"
    )
    if sessions.skipped:
        line += f"; {len(sessions.skipped)} video(s) not recorded: " + "; ".join(
            f"{rel}: {why}" for rel, why in sessions.skipped[:3]
        )
    return line


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
    from datetime import datetime

    from formcheck.errors import SourceError
    from formcheck.live import LiveOptions, run_live
    from formcheck.live.pain import PAIN_NOTICE, ask_pain
    from formcheck.live.session import session_specs, session_summary

    program = Path(args.program) if args.program else None
    specs = session_specs(args.exercise, program)
    patient = args.patient
    if patient is None and program is not None:
        from formcheck.specs import load_program

        patient = load_program(program).patient or None
    store = _session_store(args, patient)
    ask = store is not None and sys.stdin.isatty()
    pain_before = args.pain_before
    if store is not None:
        print(PAIN_NOTICE)
        if pain_before is None and ask:
            pain_before = ask_pain("now, before you start")
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
    started = datetime.now().replace(microsecond=0)
    try:
        result, out_dir = run_live(specs, options)
        print("\n".join(session_summary(result, out_dir)))
        if store is not None and result.sets:
            from formcheck.store.ingest import live_records

            pain_after = args.pain_after
            if pain_after is None and ask:
                pain_after = ask_pain("now, after the session")
            records = live_records(
                [(saved.report, saved.path) for saved in result.sets],
                patient=patient,
                started=started,
                specs=specs,
                day=args.date,
                pain_before=pain_before,
                pain_after=pain_after,
            )
            recorded = store.record_many(records)
            print(f"{len(recorded)} set(s) recorded for patient {patient} in {store.location}")
    finally:
        if store is not None:
            store.close()
    if result.end_reason == "source_failed":
        return SourceError.exit_code
    return EXIT_INTERRUPTED if result.end_reason == "interrupted" else 0


def _cmd_history(args: argparse.Namespace) -> int:
    from formcheck.history.model import plural
    from formcheck.store import check_patient, open_store

    if sum(bool(x) for x in (args.patient, args.list, args.delete)) != 1:
        raise UsageError("give a PATIENT, or --list, or --delete PATIENT")
    if (args.list or args.delete) and (args.json or args.html or args.csv or args.since):
        raise UsageError("--json, --html, --csv and --since go with a PATIENT")
    with open_store(args.db) as store:
        if args.list:
            patients = store.patients()
            for p in patients:
                sessions = plural(p.sessions, "session")
                print(f"{p.patient}\t{sessions}\t{p.first_date} to {p.last_date}")
            if not patients:
                print(f"No sessions recorded in {store.location}.", file=sys.stderr)
            return 0
        if args.delete:
            return _delete_patient(store, check_patient(args.delete), args.yes)
        return _show_history(store, args)


def _delete_patient(store, patient: str, confirmed: bool) -> int:
    span = store.span(patient)
    if span is None:
        print(f"No sessions of patient {patient!r} in {store.location}; nothing deleted.")
        return 0
    if not confirmed:
        if not sys.stdin.isatty():
            raise UsageError("--delete erases a patient's sessions for good: add --yes")
        answer = input(
            f"Erase every session of {patient} ({span[0]} to {span[1]}) from "
            f"{store.location}? This cannot be undone. [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing deleted.")
            return 0
    from formcheck.history.model import plural

    count, note = store.delete_patient(patient)
    print(f"Deleted {plural(count, 'session')} of patient {patient} from {store.location}; {note}.")
    print("Report files written by analyze, batch and live are not touched.")
    return 0


def _show_history(store, args: argparse.Namespace) -> int:
    from formcheck.atomic import write_text_atomic
    from formcheck.history import history_lines, load_history

    history = load_history(store, args.patient, since=args.since, until=args.until)
    written = []
    if args.html:
        from formcheck.history import render_history_html

        write_text_atomic(args.html, render_history_html(history))
        written.append(f"History page: {args.html}")
    if args.csv:
        from formcheck.history import history_csv

        write_text_atomic(args.csv, history_csv(history))
        written.append(f"Sessions CSV: {args.csv}")
    if args.json:
        sys.stdout.write(json.dumps(history.to_dict(), indent=2) + "\n")
    else:
        print("\n".join(history_lines(history)))
    for line in written:
        print(line, file=sys.stderr if args.json else sys.stdout)
    return 0


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


class UsageError(FormcheckError):
    """Options that do not go together (exit code 2)."""

    exit_code = 2


def _day(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date such as 2026-11-01, got {text!r}"
        ) from None


def _pain(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 10:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to 10, got {text!r}")
    return int(text)


_DB_HELP = (
    "session database: a SQLite file, or a postgresql:// URL (needs formcheck[postgres]); "
    "default: $FORMCHECK_DB, else sessions.db in the user's data folder"
)


def _add_store_arguments(
    parser: argparse.ArgumentParser, *, patient: bool = True, pain: bool = True
) -> None:
    """Options that record a session in the store (analyze, batch, live)."""
    if patient:
        parser.add_argument(
            "--patient",
            metavar="NAME",
            help="the patient's pseudonym (never a real name): record the session in the "
            "session store",
        )
    parser.add_argument("--db", metavar="PATH|URL", help=_DB_HELP)
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
    _add_store_arguments(analyze)
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
Videos that name a patient are recorded in the session store (--db; re-importing
the same videos replaces their sessions) and the overview links each patient to
REPORT_DIR/patients/<patient>-<digest>.html, their history.
Exit codes: 0 all analysed, 5 some failed (listed in the overview), 2 bad usage,
3 INPUT_DIR missing or without videos, or the session store unusable, 4 pose
model unusable, 130 interrupted. See docs/batch.md and docs/history.md.""",
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
    _add_store_arguments(batch, patient=False, pain=False)
    batch.add_argument(
        "--no-db", action="store_true", help="do not record the sessions in the session store"
    )
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
    _add_store_arguments(live)
    live.set_defaults(func=_cmd_live)

    history = sub.add_parser(
        "history",
        help="a patient's sessions: adherence, trends, faults, pain (JSON, HTML, CSV)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="A patient's recorded sessions over a window of days: days active "
        "(and the last 30 days against the 16-of-30 count of remote therapeutic "
        "monitoring), an adherence calendar, per-exercise trends, faults over time and "
        "pain before and after.",
        epilog="""examples:
  formcheck history p017                      summary of every session of p017
  formcheck history p017 --since 30d --html p017.html --csv p017.csv
  formcheck history p017 --json               the history as JSON
  formcheck history --list                    patients in the store
  formcheck history --delete p017 --yes       erase every session of p017
Exit codes: 0 done, 2 bad usage or unknown patient, 3 the session store cannot be
opened (missing server, damaged or foreign file: it is never overwritten).""",
    )
    history.add_argument("patient", nargs="?", metavar="PATIENT", help="the patient's pseudonym")
    history.add_argument("--db", metavar="PATH|URL", help=_DB_HELP)
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
