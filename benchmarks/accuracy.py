"""Accuracy of the real pipeline (real MediaPipe, no replay) against known truth.

(a) A generated evaluation set of rendered mannequin clips with exact ground truth
    (``formcheck.synth.evalset``): rep counts, hold times, fault events and joint
    angles.
(b) Every labelled clip in ``../shared/realclips`` for which formcheck has a spec:
    rep counts from ``*.labels.csv`` (label 1.0 marks a rep bottom) and
    ``*.cycles.npy`` (cycle end frames), and correct/incorrect labels from
    MANIFEST.tsv (does formcheck flag any fault?).

Writes ``benchmarks/results/accuracy.md`` and ``accuracy.json``:

    python benchmarks/accuracy.py [--n 40] [--workers 2] [--skip-real] [--skip-synthetic]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from realclips import REALCLIPS, add_clip_set_arguments, labelled_clips

from formcheck.report.markdown import md_row
from formcheck.specs import load_spec

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
FAULT_TOLERANCE_S = 0.5


def _analyze(video: Path, exercise: str) -> dict[str, Any]:
    """Run the real pipeline; returns the report plus per-frame 2D joint angles."""
    from formcheck.pipeline import analyze
    from formcheck.synth.truth import joint_angles

    analysis = analyze(video, exercise)
    px = np.stack([p.pixel_xy() for p in analysis.smoothed])
    angles = {name: values.tolist() for name, values in joint_angles(px).items()}
    report = analysis.report.to_dict()
    return {"report": report, "t_s": [p.t_s for p in analysis.smoothed], "angles": angles}


def _safe_analyze(job: tuple[str, str]) -> dict[str, Any]:
    video, exercise = job
    started = time.perf_counter()
    try:
        out = _analyze(Path(video), exercise)
    except Exception as error:  # a failed clip is a result, not the end of the benchmark
        out = {"error": f"{type(error).__name__}: {error}"}
    out["seconds"] = time.perf_counter() - started
    return out


def match_faults(truth: list[dict], found: list[dict], tolerance_s: float) -> dict[str, list[int]]:
    """Per fault id: [true positives, false positives, false negatives].

    A found fault matches an unmatched true fault of the same id when their time
    ranges, each widened by ``tolerance_s``, overlap.
    """
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    used = [False] * len(truth)
    for f in found:
        hit = next(
            (
                i
                for i, t in enumerate(truth)
                if not used[i]
                and t["id"] == f["id"]
                and f["start_s"] - tolerance_s <= t["end_s"]
                and t["start_s"] - tolerance_s <= f["end_s"]
            ),
            None,
        )
        if hit is None:
            counts[f["id"]][1] += 1
        else:
            used[hit] = True
            counts[f["id"]][0] += 1
    for t, u in zip(truth, used, strict=True):
        if not u:
            counts[t["id"]][2] += 1
    return counts


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    f = 2 * p * r / (p + r) if tp else (0.0 if fp + fn else float("nan"))
    return p, r, f


def _hold_total(holds: list[dict]) -> float:
    return float(sum(h["duration_s"] for h in holds))


def synthetic_rows(n: int, workers: int, keep_dir: Path | None) -> list[dict[str, Any]]:
    from formcheck.synth.evalset import generate_evalset

    with tempfile.TemporaryDirectory(prefix="formcheck-evalset-") as tmp:
        out_dir = keep_dir or Path(tmp)
        clips = generate_evalset(out_dir, n)
        jobs = []
        truths = []
        for video in clips:
            truth = json.loads(Path(video).with_suffix(".truth.json").read_text())
            truths.append(truth)
            jobs.append((str(video), truth["exercise"]))
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_safe_analyze, jobs))
    rows = []
    for (video, exercise), truth, result in zip(jobs, truths, results, strict=True):
        row: dict[str, Any] = {
            "clip": Path(video).name,
            "exercise": exercise,
            "fault": truth.get("fault"),
            "view": truth.get("view", "?"),
            "near_side": truth.get("near_side"),
            "seconds": result["seconds"],
            "true_reps": truth["reps"]["total"],
            "true_hold_s": _hold_total(truth["holds"]),
            "true_faults": truth["faults"],
        }
        if "error" in result:
            row["error"] = result["error"]
            rows.append(row)
            continue
        report = result["report"]
        row["reps"] = report["reps"]["total"]
        row["hold_s"] = _hold_total(report["holds"])
        row["faults"] = [{k: f[k] for k in ("id", "start_s", "end_s")} for f in report["faults"]]
        row["angle_errors"] = _angle_errors(truth["angles"], result)
        rows.append(row)
    return rows


def _angle_errors(truth_angles: dict[str, list], result: dict[str, Any]) -> dict[str, list[float]]:
    """Per joint name, the per-frame error in degrees (NaN where either is unknown)."""
    t_true = np.asarray(truth_angles["t_s"])
    t_est = np.asarray(result["t_s"])
    out = {}
    for name, values in result["angles"].items():
        if name not in truth_angles:
            continue
        est = np.interp(t_true, t_est, np.asarray(values, dtype=float))
        out[name] = (est - np.asarray(truth_angles[name], dtype=float)).tolist()
    return out


def real_rows(workers: int) -> tuple[list[dict[str, Any]], list[str]]:
    jobs, skipped = labelled_clips()
    with ProcessPoolExecutor(workers) as pool:
        results = list(
            pool.map(_safe_analyze, [(str(REALCLIPS / j["file"]), j["exercise"]) for j in jobs])
        )
    rows = []
    for job, result in zip(jobs, results, strict=True):
        row = dict(job, seconds=result["seconds"])
        if "error" in result:
            row["error"] = result["error"]
        else:
            row["reps"] = result["report"]["reps"]["total"]
            row["fault_ids"] = sorted({f["id"] for f in result["report"]["faults"]})
            row["warnings"] = result["report"]["warnings"]
        rows.append(row)
    return rows, skipped


def count_metrics(rows: list[dict[str, Any]]) -> dict[str, float]:
    rated = [r for r in rows if "reps" in r and r.get("true_reps") is not None]
    if not rated:
        return {"clips": 0}
    err = np.array([r["reps"] - r["true_reps"] for r in rated])
    return {
        "clips": len(rated),
        "exact": float(np.mean(err == 0)),
        "within_one": float(np.mean(np.abs(err) <= 1)),
        "off_by_one": float(np.mean(np.abs(err) == 1)),
        "mae": float(np.mean(np.abs(err))),
    }


def summarise(synthetic: list[dict[str, Any]], real: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if synthetic:
        rep_rows = [r for r in synthetic if r["true_reps"] > 0 or r.get("reps", 0) > 0]
        out["synthetic_counts"] = count_metrics(rep_rows)
        # Rep exercises time their top holds per rep (rep details), not as holds.
        hold_rows = [
            r
            for r in synthetic
            if load_spec(r["exercise"]).kind == "hold" and r["true_hold_s"] > 0 and "hold_s" in r
        ]
        errs = [abs(r["hold_s"] - r["true_hold_s"]) for r in hold_rows]
        out["synthetic_hold_error_s"] = {
            "clips": len(hold_rows),
            "mean_abs": float(np.mean(errs)) if errs else None,
            "max_abs": float(np.max(errs)) if errs else None,
        }
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for r in synthetic:
            if "faults" not in r:
                continue
            for fid, c in match_faults(r["true_faults"], r["faults"], FAULT_TOLERANCE_S).items():
                for k in range(3):
                    totals[fid][k] += c[k]
        out["synthetic_faults"] = {
            fid: dict(
                zip(("tp", "fp", "fn", "precision", "recall", "f1"), (*c, *_prf(*c)), strict=True)
            )
            for fid, c in sorted(totals.items())
        }
        all_c = [sum(c[k] for c in totals.values()) for k in range(3)]
        out["synthetic_faults_overall"] = dict(
            zip(("precision", "recall", "f1"), _prf(*all_c), strict=True)
        )
        rmse: dict[str, dict[str, float]] = defaultdict(dict)
        for view in sorted({r["view"] for r in synthetic}):
            pooled: dict[str, list[float]] = defaultdict(list)
            for r in synthetic:
                if r["view"] != view or "angle_errors" not in r:
                    continue
                for name, e in r["angle_errors"].items():
                    side, joint = name.split("_", 1)
                    which = "near" if side == r.get("near_side") else "far"
                    pooled[f"{joint} ({which})"].extend(x for x in e if np.isfinite(x))
            for joint, e in sorted(pooled.items()):
                rmse[view][joint] = float(np.sqrt(np.mean(np.square(e)))) if e else float("nan")
        out["synthetic_angle_rmse_deg"] = rmse
        out["synthetic_errors"] = [f"{r['clip']}: {r['error']}" for r in synthetic if "error" in r]
    if real:
        out["real_counts"] = count_metrics(real)
        formed = [r for r in real if "form" in r and "fault_ids" in r]
        tp = sum(r["form"] == "incorrect" and bool(r["fault_ids"]) for r in formed)
        fp = sum(r["form"] == "correct" and bool(r["fault_ids"]) for r in formed)
        fn = sum(r["form"] == "incorrect" and not r["fault_ids"] for r in formed)
        out["real_form_labels"] = dict(
            zip(
                ("clips", "tp", "fp", "fn", "precision", "recall", "f1"),
                (len(formed), tp, fp, fn, *_prf(tp, fp, fn)),
                strict=True,
            )
        )
        out["real_errors"] = [f"{r['file']}: {r['error']}" for r in real if "error" in r]
    return out


def _fmt(x: Any, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "–"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def to_markdown(
    summary: dict[str, Any],
    synthetic: list,
    real: list,
    skipped: list[str],
    command: str,
    started: str,
    minutes: float,
) -> str:
    lines = [
        "# formcheck accuracy benchmark",
        "",
        f"Made {started} with `{command}` ({minutes:.1f} min). Real MediaPipe (Tasks backend), "
        "default settings, no replay.",
        "",
    ]
    if "synthetic_counts" in summary:
        c = summary["synthetic_counts"]
        lines += [
            "## (a) Synthetic evaluation set",
            "",
            f"{len(synthetic)} rendered clips. Targets: counts exact on ≥ 95%, fault F1 ≥ 0.9, "
            "side-view knee and hip RMSE ≤ 6°.",
            "",
            "| metric | value |",
            "|---|---|",
            f"| rep count exact | {_fmt(c.get('exact'))} ({c.get('clips')} clips) |",
            f"| off by one | {_fmt(c.get('off_by_one'))} |",
            f"| within one | {_fmt(c.get('within_one'))} |",
            f"| mean absolute count error | {_fmt(c.get('mae'))} |",
        ]
        h = summary["synthetic_hold_error_s"]
        lines.append(
            md_row(
                "hold time error, mean / max (s)",
                f"{_fmt(h['mean_abs'])} / {_fmt(h['max_abs'])} ({h['clips']} clips)",
            )
        )
        o = summary["synthetic_faults_overall"]
        lines.append(
            md_row(
                "faults overall P / R / F1",
                " / ".join(_fmt(o[k]) for k in ("precision", "recall", "f1")),
            )
        )
        lines += [
            "",
            "Faults by id (a found fault matches a true one of the same id whose time range "
            f"overlaps within {FAULT_TOLERANCE_S} s):",
            "",
            "| fault | TP | FP | FN | precision | recall | F1 |",
            "|---|---|---|---|---|---|---|",
        ]
        for fid, m in summary["synthetic_faults"].items():
            lines.append(
                md_row(fid, *(_fmt(m[k]) for k in ("tp", "fp", "fn", "precision", "recall", "f1")))
            )
        lines += [
            "",
            "Joint-angle RMSE (degrees, 2D image-plane angles of smoothed MediaPipe landmarks "
            "against the true projected joints; near = the body side facing the camera, which "
            "side-view specs measure; far = the occluded side):",
            "",
        ]
        joints = sorted({j for v in summary["synthetic_angle_rmse_deg"].values() for j in v})
        lines += ["| view | " + " | ".join(joints) + " |", "|---|" + "---|" * len(joints)]
        for view, m in summary["synthetic_angle_rmse_deg"].items():
            lines.append(f"| {view} | " + " | ".join(_fmt(m.get(j), 1) for j in joints) + " |")
        lines += [
            "",
            "Per clip:",
            "",
            md_row(
                "clip",
                "exercise",
                "fault",
                "view",
                "reps true / found",
                "hold s true / found",
                "faults true → found",
            ),
            "|---|---|---|---|---|---|---|",
        ]
        for r in synthetic:
            found = (
                r.get("error") or ", ".join(sorted({f["id"] for f in r.get("faults", [])})) or "–"
            )
            true_f = ", ".join(sorted({f["id"] for f in r["true_faults"]})) or "–"
            lines.append(
                md_row(
                    r["clip"],
                    r["exercise"],
                    r["fault"] or "–",
                    r["view"],
                    f"{r['true_reps']} / {_fmt(r.get('reps'))}",
                    f"{_fmt(r['true_hold_s'], 1)} / {_fmt(r.get('hold_s'), 1)}",
                    f"{true_f} → {found}",
                )
            )
    if "real_counts" in summary:
        c = summary["real_counts"]
        f = summary["real_form_labels"]
        lines += [
            "",
            "## (b) Labelled real clips (../shared/realclips)",
            "",
            "Targets: counts exact on ≥ 80%, within one on all.",
            "",
            "| metric | value |",
            "|---|---|",
            f"| rep count exact | {_fmt(c.get('exact'))} ({c.get('clips')} clips) |",
            f"| within one | {_fmt(c.get('within_one'))} |",
            f"| mean absolute count error | {_fmt(c.get('mae'))} |",
            md_row(
                "correct/incorrect labels: any fault flagged on incorrect clips, P / R / F1",
                " / ".join(_fmt(f[k]) for k in ("precision", "recall", "f1"))
                + f" ({f['clips']} clips)",
            ),
            "",
            "| clip | spec | view | label | reps true / found | faults | warnings |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in real:
            lines.append(
                md_row(
                    r["file"],
                    r["exercise"],
                    r["view"],
                    r["label"][:40],
                    f"{_fmt(r.get('true_reps'))} / {_fmt(r.get('reps'))}",
                    r.get("error") or ", ".join(r.get("fault_ids", [])) or "–",
                    "; ".join(r.get("warnings", []))[:80],
                )
            )
        if skipped:
            lines += ["", "Labelled clips not evaluated: " + "; ".join(skipped) + "."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_clip_set_arguments(parser)
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--keep-clips", type=Path, help="keep the generated clips in this folder")
    parser.add_argument("--out", type=Path, default=RESULTS / "accuracy")
    parser.add_argument(
        "--notes",
        type=Path,
        default=RESULTS / "accuracy_notes.md",
        help="hand-written analysis of missed targets appended to the page (if it exists)",
    )
    parser.add_argument(
        "--rerender",
        type=Path,
        help="recompute the summary and page from an earlier run's JSON, without analysing",
    )
    args = parser.parse_args(argv)
    if args.rerender:
        earlier = json.loads(args.rerender.read_text())
        synthetic, real, skipped = earlier["synthetic"], earlier["real"], earlier["not_evaluated"]
        started, command = earlier["date_utc"], earlier["command"]
        minutes = earlier.get("minutes", float("nan"))
    else:
        started = datetime.now(UTC).isoformat(timespec="seconds")
        t0 = time.perf_counter()
        synthetic = (
            [] if args.skip_synthetic else synthetic_rows(args.n, args.workers, args.keep_clips)
        )
        real, skipped = (
            ([], []) if args.skip_real or not REALCLIPS.is_dir() else real_rows(args.workers)
        )
        command = "python benchmarks/accuracy.py " + " ".join(
            argv if argv is not None else sys.argv[1:]
        )
        minutes = (time.perf_counter() - t0) / 60
    summary = summarise(synthetic, real)
    from formcheck.atomic import write_text_atomic

    write_text_atomic(
        args.out.with_suffix(".json"),
        json.dumps(
            {
                "date_utc": started,
                "command": command,
                "minutes": minutes,
                "summary": summary,
                "synthetic": synthetic,
                "real": real,
                "not_evaluated": skipped,
            },
            indent=1,
            default=float,
        )
        + "\n",
    )
    page = to_markdown(summary, synthetic, real, skipped, command.strip(), started, minutes)
    if args.notes and args.notes.is_file():
        page += "\n" + args.notes.read_text(encoding="utf-8")
    write_text_atomic(args.out.with_suffix(".md"), page)
    print(args.out.with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
