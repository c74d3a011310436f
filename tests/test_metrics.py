"""A metrics baseline (``tests/metrics_baseline.json``): the suite fails when accuracy
or sampling results drop below it.

Two kinds of numbers are held to it:

* measured here, on synthetic performances with exact truth (no pose model): rep
  counts, hold times and fault detection on poses with estimator-like jitter and
  dropped frames, and the adaptive sampling policy replayed on exact poses;
* the headline numbers of the committed benchmark results
  (``benchmarks/results/accuracy.json``, ``sampling_equivalence.json``), so that a
  benchmark re-run that got worse cannot be committed unnoticed.

A change that improves a number raises its baseline in the same commit; one that
lowers it on purpose lowers the baseline there, with the reason in the message.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from builders import clip, decisions, engine_result, event_times, sampling_replay

from formcheck.specs import load_spec
from formcheck.synth.motions import MOTIONS

ROOT = Path(__file__).parents[1]
BASELINE = Path(__file__).with_name("metrics_baseline.json")
PAIRS = [
    (exercise, fault) for exercise, motion in MOTIONS.items() for fault in (None, *motion.faults)
]


def synthetic_accuracy() -> dict[str, float]:
    """Counts, hold time and fault detection on every motion script and fault, with
    2 px of jitter and 5% of frames dropped."""
    exact, hold_errors = [], []
    tp = fp = fn = 0
    for exercise, fault in PAIRS:
        truth = clip(exercise, fault).truth
        result = engine_result(exercise, fault, perturbed=True)
        exact.append(result.reps_total == truth["reps"]["total"])
        if load_spec(exercise).kind == "hold":
            held = sum(h.duration_s for h in result.holds)
            hold_errors.append(abs(held - sum(h["duration_s"] for h in truth["holds"])))
        wanted = {f["id"] for f in truth["faults"]}
        found = {f.id for f in result.faults}
        tp, fp, fn = tp + len(wanted & found), fp + len(found - wanted), fn + len(wanted - found)
    return {
        "counts_exact": float(np.mean(exact)),
        "hold_error_mean_s": float(np.mean(hold_errors)),
        "fault_f1": 2 * tp / (2 * tp + fp + fn),
    }


def sampling_policy() -> dict[str, float]:
    """The adaptive sampling policy replayed on exact poses of every motion script."""
    same, timed, shares = [], [], []
    for exercise, fault in PAIRS:
        replay = sampling_replay(exercise, fault)
        agree = decisions(replay.sampled) == decisions(replay.full)
        same.append(agree)
        full, sampled = event_times(replay.full), event_times(replay.sampled)
        timed.append(agree and np.allclose(full, sampled, atol=1 / 30 + 1e-9))
        shares.append(replay.analysed_share)
    return {
        "decisions_identical": float(np.mean(same)),
        "identical_to_the_frame": float(np.mean(timed)),
        "frames_analysed_share": float(np.mean(shares)),
    }


def benchmark_value(dotted: str) -> float:
    """A number of a committed results file: ``"file.json:key.key"`` (a list of rows
    is indexed by the value of its ``group`` key), or the ratio ``"A / B"`` of two.

    >>> benchmark_value("accuracy.json:summary.real.formcheck.exact / summary.real.formcheck.exact")
    1.0
    """
    if " / " in dotted:
        numerator, denominator = dotted.split(" / ")
        name = numerator.partition(":")[0]
        return benchmark_value(numerator) / benchmark_value(f"{name}:{denominator}")
    name, _, path = dotted.partition(":")
    value: Any = json.loads((ROOT / "benchmarks" / "results" / name).read_text())
    for key in path.split("."):
        if isinstance(value, list):
            value = next(row for row in value if row.get("group") == key)
        else:
            value = value[key]
    return float(value)


def worse_than_baseline(measured: dict[str, float], baseline: dict[str, Any]) -> list[str]:
    """Each metric that dropped below its baseline (``better``: ``higher`` or ``lower``),
    as a readable line; a metric missing from ``measured`` counts as dropped."""
    drops = []
    for name, rule in baseline.items():
        value, limit = measured.get(name, math.nan), rule["baseline"]
        higher = rule["better"] == "higher"
        ok = value >= limit - 1e-9 if higher else value <= limit + 1e-9
        if not ok:
            drops.append(f"{name}: {value:.4g}, baseline {limit:.4g} ({rule['better']} is better)")
    return drops


@pytest.fixture(scope="module")
def baseline() -> dict[str, Any]:
    return json.loads(BASELINE.read_text(encoding="utf-8"))


def test_synthetic_accuracy_holds_the_baseline(baseline):
    assert worse_than_baseline(synthetic_accuracy(), baseline["synthetic_accuracy"]) == []


def test_sampling_policy_holds_the_baseline(baseline):
    assert worse_than_baseline(sampling_policy(), baseline["sampling_policy"]) == []


def test_committed_benchmark_results_hold_the_baseline(baseline):
    rules = baseline["benchmark_results"]
    measured = {name: benchmark_value(name) for name in rules}
    assert worse_than_baseline(measured, rules) == []


@pytest.mark.parametrize(
    ("value", "better", "dropped"),
    [(0.9, "higher", False), (0.8, "higher", True), (0.4, "lower", False), (0.6, "lower", True)],
)
def test_a_drop_below_the_baseline_fails(value, better, dropped):
    rule = {"m": {"baseline": 0.5 if better == "lower" else 0.85, "better": better}}
    assert bool(worse_than_baseline({"m": value}, rule)) == dropped
    assert worse_than_baseline({}, rule) == [
        "m: nan, baseline " + f"{rule['m']['baseline']:.4g} ({better} is better)"
    ]
