"""The session store at clinic scale: record 100,000 synthetic sessions (a year of a
large clinic), then time ``history`` for one patient and report the database size.

Target: ``history`` for one patient in at most 200 ms on SQLite (the library call:
reading the patient's sessions with their reps, holds and faults and building the
history). Also timed: rendering its JSON and HTML, and the whole
``formcheck history PATIENT --json`` command (which adds Python's start-up).

    python benchmarks/history_store.py                       # SQLite in a temporary folder
    python benchmarks/history_store.py --postgres URL        # the same on PostgreSQL too

Writes ``benchmarks/results/history_store.{json,md}``. Take the CPU lock
exclusively when the timings matter: ``flock -x /work/cpu.lock python ...``.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from formcheck.bench import machine_facts
from formcheck.history import load_history, render_history_html
from formcheck.store import SessionStore, open_store
from formcheck.store.ingest import report_record
from formcheck.synth.sessions import synthetic_clinic

RESULTS = Path(__file__).parent / "results"
TARGET_MS = 200.0
CHUNK = 1000  # sessions per transaction while loading
FIRST_DAY = date(2025, 12, 1)
UNTIL = date(2026, 11, 30)


def load(store: SessionStore, sessions: int, patients: int, seed: int) -> dict[str, float]:
    """Record the synthetic clinic; returns the time spent making and storing records."""
    make_s = write_s = 0.0
    batch = []
    started = time.perf_counter()
    for s in synthetic_clinic(sessions, patients, FIRST_DAY, days=365, seed=seed):
        exercise = s.report["exercise"]["id"]
        batch.append(
            report_record(
                s.report,
                patient=s.patient,
                source="batch",
                report_path=None,
                fingerprint=f"synthetic:{s.patient}:{s.started_at.isoformat()}:{exercise}",
                started_at=s.started_at,
                sitting=f"{s.patient}:{s.day.isoformat()}",
                pain_before=s.pain_before,
                pain_after=s.pain_after,
            )
        )
        if len(batch) == CHUNK:
            make_s += time.perf_counter() - started
            started = time.perf_counter()
            store.record_many(batch)
            write_s += time.perf_counter() - started
            batch, started = [], time.perf_counter()
    make_s += time.perf_counter() - started
    started = time.perf_counter()
    store.record_many(batch)
    write_s += time.perf_counter() - started
    return {"make_records_s": round(make_s, 2), "write_s": round(write_s, 2)}


def timings_ms(runs: list[float], cpu: list[float] | None = None) -> dict[str, float]:
    """Median, p90 and max of wall times; with ``cpu``, the median CPU time too (this
    process's own, which other processes on a shared machine hardly change)."""
    ordered = sorted(runs)
    result = {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "runs": len(ordered),
    }
    if cpu:
        result["cpu_median_ms"] = round(statistics.median(cpu) * 1000, 1)
    return result


def time_history(store: SessionStore, patient: str, repeat: int) -> dict[str, Any]:
    """``load_history`` alone, then with the JSON text and with the HTML page."""
    query, query_cpu, to_json, to_html = [], [], [], []
    history = None
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        history = load_history(store, patient, until=UNTIL)
        query.append(time.perf_counter() - started)
        query_cpu.append(time.process_time() - cpu)
        started = time.perf_counter()
        json.dumps(history.to_dict())
        to_json.append(time.perf_counter() - started)
        started = time.perf_counter()
        render_history_html(history)
        to_html.append(time.perf_counter() - started)
    assert history is not None
    return {
        "patient": patient,
        "sessions": len(history.sessions),
        "reps": sum(len(s.reps) for s in history.sessions),
        "days_active": history.adherence.days_active,
        "history": timings_ms(query, query_cpu),
        "json": timings_ms(to_json),
        "html": timings_ms(to_html),
    }


def time_cli(db: str, patient: str, repeat: int) -> dict[str, float]:
    command = [sys.executable, "-m", "formcheck", "history", patient, "--db", db, "--json"]
    command += ["--until", UNTIL.isoformat()]
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        runs.append(time.perf_counter() - started)
    startup = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import formcheck.cli"], check=True)
        startup.append(time.perf_counter() - started)
    return {**timings_ms(runs), "python_and_import_median_ms": timings_ms(startup)["median_ms"]}


def sqlite_size(path: Path) -> dict[str, Any]:
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = (
            dict(
                connection.execute(
                    "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
                ).fetchall()
            )
            if _has_dbstat(connection)
            else {}
        )
    size = path.stat().st_size
    return {
        "bytes": size,
        "mib": round(size / 2**20, 1),
        "by_table_mib": {k: round(v / 2**20, 1) for k, v in list(pages.items())[:8]},
    }


def _has_dbstat(connection: sqlite3.Connection) -> bool:
    try:
        connection.execute("SELECT 1 FROM dbstat LIMIT 1")
    except sqlite3.OperationalError:
        return False
    return True


def postgres_size(store: SessionStore) -> dict[str, Any]:
    ((size,),) = store.backend.query(
        "SELECT SUM(pg_total_relation_size(quote_ident(table_name))) "
        "FROM information_schema.tables WHERE table_schema = current_schema()"
    )
    return {"bytes": int(size), "mib": round(int(size) / 2**20, 1)}


def measure(store: SessionStore, args: argparse.Namespace) -> dict[str, Any]:
    loaded = load(store, args.sessions, args.patients, args.seed)
    counts = sorted((p.sessions, p.patient) for p in store.patients())
    busiest, median = counts[-1][1], counts[len(counts) // 2][1]
    return {
        "load": loaded,
        "patients": len(counts),
        "sessions": sum(n for n, _ in counts),
        "busiest_patient": time_history(store, busiest, args.repeat),
        "median_patient": time_history(store, median, args.repeat),
    }


def markdown(record: dict[str, Any]) -> str:
    m = record["machine"]
    lines = [
        "# Session store at clinic scale",
        "",
        f"Date: {record['date']}  ",
        f"Command: `{record['command']}`  ",
        f"Machine: {m['cpu']}, {m['cores']} cores, load average {m['load_avg_1min']} at start, "
        f"{record['load_avg_end']} at end; Python {m['python']}, SQLite "
        f"{record['sqlite_version']}  ",
        f"Data: {record['sessions']} synthetic sessions of {record['patients']} patients over "
        f"365 days ({FIRST_DAY} to {UNTIL}), each with its reps, holds, faults and whole "
        "JSON report.",
        f"Target: `history` for one patient ≤ {TARGET_MS:.0f} ms on SQLite.",
        "",
        "| backend | patient | sessions | reps | history wall ms (median / p90 / max) | "
        "history CPU ms (median) | + JSON ms | + HTML ms | load: write s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for backend, result in record["backends"].items():
        for which in ("busiest_patient", "median_patient"):
            r = result[which]
            h = r["history"]
            lines.append(
                f"| {backend} | {r['patient']} ({which.split('_')[0]}) | {r['sessions']} | "
                f"{r['reps']} | {h['median_ms']} / {h['p90_ms']} / {h['max_ms']} | "
                f"{h.get('cpu_median_ms', '–')} | {r['json']['median_ms']} | "
                f"{r['html']['median_ms']} | "
                f"{result['load']['write_s']} |"
            )
    lines.append("")
    for backend, result in record["backends"].items():
        size = result["size"]
        lines.append(f"Database size, {backend}: {size['mib']} MiB ({size['bytes']} bytes)")
        if size.get("by_table_mib"):
            parts = ", ".join(f"{k} {v}" for k, v in size["by_table_mib"].items())
            lines.append(f"(largest objects, MiB: {parts})")
        lines.append("")
    cli = record["backends"]["sqlite"].get("cli")
    if cli:
        lines.append(
            f"`formcheck history PATIENT --json` as a command (busiest patient, SQLite): "
            f"median {cli['median_ms']} ms, of which starting Python and importing formcheck "
            f"{cli['python_and_import_median_ms']} ms."
        )
    busiest = record["backends"]["sqlite"]["busiest_patient"]["history"]
    verdict = "met" if busiest["median_ms"] <= TARGET_MS else "missed"
    lines += [
        "",
        f"Target {verdict} in wall time: {busiest['median_ms']} ms median for the busiest "
        f"patient on SQLite ({busiest.get('cpu_median_ms', '–')} ms of CPU). The wall time "
        "includes waiting for the CPU: compare it with the load average above.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each step")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--db", help="SQLite file to create (default: a temporary one)")
    parser.add_argument("--postgres", metavar="URL", help="also measure this PostgreSQL database")
    parser.add_argument("--out", default=str(RESULTS / "history_store"))
    args = parser.parse_args(argv)
    record: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "command": "python benchmarks/history_store.py " + " ".join(argv or sys.argv[1:]),
        "machine": machine_facts(),
        "sqlite_version": sqlite3.sqlite_version,
        "target_ms": TARGET_MS,
        "backends": {},
    }
    with tempfile.TemporaryDirectory(prefix="formcheck-history-") as tmp:
        db = Path(args.db or Path(tmp) / "sessions.db")
        if db.exists():
            parser.error(f"{db} exists: the benchmark fills a new database")
        with open_store(db) as store:
            result = measure(store, args)
        result["size"] = sqlite_size(db)
        result["cli"] = time_cli(str(db), result["busiest_patient"]["patient"], 5)
        record["backends"]["sqlite"] = result
    if args.postgres:
        with open_store(args.postgres) as store:
            if store.patients():
                parser.error("--postgres: the database already holds sessions")
            result = measure(store, args)
            result["size"] = postgres_size(store)
        record["backends"]["postgresql"] = result
    record["sessions"] = record["backends"]["sqlite"]["sessions"]
    record["patients"] = record["backends"]["sqlite"]["patients"]
    record["load_avg_end"] = round(os.getloadavg()[0], 2)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    text = markdown(record)
    out.with_suffix(".md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
