"""``python tests/batch_driver.py INPUT_DIR REPORT_DIR``: a real batch for the signal tests.

The real runner with spawned local workers (two); the analysis is the synthetic
one of ``test_batch``, except that a video named ``*slow*`` stalls the first time
it is analysed, after writing the worker's pid to ``$FORMCHECK_TEST_STALLS/<video>``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))  # builders
sys.path.insert(0, str(Path(__file__).parent))  # test_batch

from test_batch import synthetic_analysis

from formcheck.batch import local_plan, plan_jobs, run_batch, stderr_progress
from formcheck.pipeline import Analysis, AnalysisOptions
from formcheck.specs import ExerciseSpec

STALL_S = 300.0


def stalling_analysis(path: Path, spec: ExerciseSpec, options: AnalysisOptions) -> Analysis:
    stalls = os.environ.get("FORMCHECK_TEST_STALLS")
    if stalls and "slow" in path.name and not (Path(stalls) / path.name).exists():
        (Path(stalls) / path.name).write_text(str(os.getpid()))
        time.sleep(STALL_S)
    return synthetic_analysis(path, spec, options)


if __name__ == "__main__":
    root, out = Path(sys.argv[1]), Path(sys.argv[2])
    jobs = plan_jobs(root, out)
    result = run_batch(
        jobs, out, local_plan(2), analyze_fn=stalling_analysis, progress=stderr_progress()
    )
    sys.exit(result.exit_code)
