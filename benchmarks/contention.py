"""Speed on a busy computer: analyze, a 2-worker batch and live on one clip, idle and
beside 1 and 2 competing processes (a busy loop, another formcheck analysis) that the
benchmark starts and stops itself. The same as ``formcheck bench --contention``;
see :mod:`formcheck.bench_contention` for what is measured and the targets.

Usage (the timings matter: run it alone)::

    flock -x /work/cpu.lock python benchmarks/contention.py CLIP EXERCISE \\
        [--base-python /path/to/main/.venv/bin/python] [--repeats 3] [--out DIR] \\
        [--no-restart-overhead]

Writes ``benchmarks/results/contention.md`` and ``.json`` (or into ``--out DIR``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from formcheck.bench import DEFAULT_REPEATS
from formcheck.bench_contention import (
    Formcheck,
    run_contention,
    sample_restart_clip,
    write_results,
)

RESULTS = Path(__file__).parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", type=Path)
    parser.add_argument("exercise")
    parser.add_argument(
        "--base-python", help="the Python of today's default formcheck (a main checkout)"
    )
    parser.add_argument(
        "--repeats", type=int, default=DEFAULT_REPEATS, help="runs per row (median)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    parser.add_argument(
        "--no-restart-overhead",
        action="store_true",
        help="leave out the idle cost of tracker restarts (three analyses of a 25 s sample)",
    )
    args = parser.parse_args(argv)
    base = Formcheck("today's default", args.base_python) if args.base_python else None
    results = run_contention(
        args.clip,
        args.exercise,
        base=base,
        repeats=args.repeats,
        log=print,
        restart_clip=None if args.no_restart_overhead else sample_restart_clip(),
    )
    command = " ".join([Path(sys.executable).name, *sys.argv])
    json_path, md_path = write_results(results, args.out, command)
    print(md_path.read_text(encoding="utf-8"))
    print(f"Results: {json_path}, {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
