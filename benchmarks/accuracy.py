"""Accuracy of the real pipeline against known truth.

(a) A generated evaluation set of rendered mannequin clips with exact ground truth
    (``formcheck.synth.evalset``): rep counts, hold times, fault events and joint
    angles, through real MediaPipe.
(b) Every clip of ``../shared/realclips`` labelled by eye (``--labels``, default
    ``benchmarks/realclip_labels.csv``): rep counts, hold times, form faults on clips
    labelled "none visible", and the edits (cuts, title cards, fades) against the
    cuts formcheck found, second-person warnings against the labelled other people;
    formcheck beside a naive peer (``naive_peer.py``) on the same landmarks, per clip
    source, with every miss and its cause. Real MediaPipe by default (the published
    results); ``--landmarks DIR`` replays the landmarks recorded in
    ``DIR/<folder>/<stem>.npz`` instead, over the decoded video (the picture is needed
    for cut detection, and the second-person probe runs anew on it, about one inference
    a second): much faster, for iterating.

Writes ``benchmarks/results/accuracy.md`` and ``accuracy.json`` (``accuracy_replay``
with ``--landmarks``):

    python benchmarks/accuracy.py [--n 40] [--workers 2] [--skip-real] [--skip-synthetic]
        [--labels CSV] [--landmarks DIR] [--causes CSV]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import realclip_scores as scores
from naive_peer import naive_result
from realclips import LABELS, REALCLIPS, ClipLabel, add_clip_set_arguments, load_labels

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
    """Per joint name, the per-frame error in degrees (NaN where either is unknown),
    to 0.01 degree: the results file keeps every frame, and full floats made it 5 MB."""
    t_true = np.asarray(truth_angles["t_s"])
    t_est = np.asarray(result["t_s"])
    out = {}
    for name, values in result["angles"].items():
        if name not in truth_angles:
            continue
        est = np.interp(t_true, t_est, np.asarray(values, dtype=float))
        out[name] = np.round(est - np.asarray(truth_angles[name], dtype=float), 2).tolist()
    return out


def found_in(report: dict[str, Any]) -> dict[str, Any]:
    """What a report says about a clip, in the few numbers the real-clip scores use."""
    by_side: dict[str, float] = defaultdict(float)
    for hold in report["holds"]:
        by_side[hold["side"]] += hold["duration_s"]
    states: dict[str, float] = defaultdict(float)
    for span in report.get("states", []):
        states[span["state"]] += span["end_s"] - span["start_s"]
    return {
        "reps": report["reps"]["total"],
        "reps_left": report["reps"]["left"],
        "reps_right": report["reps"]["right"],
        "hold_s": round(sum(by_side.values()), 3),
        "hold_left_s": round(by_side["left"], 3),
        "hold_right_s": round(by_side["right"], 3),
        "faults": [
            [f["id"], round(f["start_s"], 2), round(f["end_s"], 2)] for f in report["faults"]
        ],
        "warnings": report["warnings"],
        "states": {k: round(v, 2) for k, v in states.items()},
        "cuts": [round(t, 2) for t in report.get("cuts", [])],
        "duration_s": report["input"]["duration_s"],
    }


class ProbedReplay:
    """Recorded poses over the decoded video, with the second-person probe run anew
    (about one model inference a second), so replayed runs see today's probe."""

    name = "replay"

    def __init__(self, path: Path) -> None:
        from formcheck.pose.bundle import ensure_bundle
        from formcheck.pose.tasks import SecondPersonProbe
        from formcheck.sources import ReplaySource

        self._path = path
        self._poses = {pose.index: pose for pose in ReplaySource(path)}
        self._new_probe = lambda: SecondPersonProbe(ensure_bundle(), threads=1)
        self._probe = self._new_probe()

    def process(self, frame: Any) -> Any:
        """The saved pose for ``frame.index`` (its saved time, not ``frame.t_s``)."""
        from formcheck.errors import ModelError

        pose = self._poses.get(frame.index)
        if pose is None:
            raise ModelError(f"{self._path} has no pose for frame {frame.index}")
        if pose.detected:
            pose.people = self._probe.update(frame, pose)
        return pose

    def reset(self) -> None:
        self._probe.close()
        self._probe = self._new_probe()

    def close(self) -> None:
        self._probe.close()


def _real_clip(job: tuple[str, str, str | None]) -> dict[str, Any]:
    """formcheck and the naive peer on one real clip (real MediaPipe, or the recorded
    landmarks of ``job[2]`` replayed over the decoded video)."""
    from formcheck.pipeline import analyze

    file, spec, landmarks = job
    started = time.perf_counter()
    replay = None
    try:
        replay = ProbedReplay(Path(landmarks)) if landmarks else None
        analysis = analyze(REALCLIPS / file, spec, estimator=replay)
        out: dict[str, Any] = {
            "formcheck": found_in(analysis.report.to_dict()),
            "naive": naive_result(analysis.poses, spec),
        }
    except Exception as error:  # a failed clip is a result, not the end of the benchmark
        out = {"error": f"{type(error).__name__}: {error}"}
    finally:
        if replay is not None:
            replay.close()
    out["seconds"] = round(time.perf_counter() - started, 2)
    return out


def real_runs(
    labels: list[ClipLabel], landmarks: Path | None, workers: int
) -> tuple[list[dict[str, Any]], list[str]]:
    """Runs on every labelled clip with a spec, and the clips left out, with why."""
    jobs, skipped = [], []
    for label in labels:
        npz = landmarks / Path(label.file).with_suffix(".npz") if landmarks else None
        if label.spec is None:
            skipped.append(f"{label.file} (no spec: {label.notes.split('.')[0][:80]})")
        elif not (REALCLIPS / label.file).is_file():
            skipped.append(f"{label.file} (clip not found)")
        elif npz is not None and not npz.is_file():
            skipped.append(f"{label.file} (no recorded landmarks in {landmarks})")
        else:
            jobs.append((label.file, label.spec, str(npz) if npz else None))
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(_real_clip, jobs))
    return [{"file": j[0], "spec": j[1], **r} for j, r in zip(jobs, results, strict=True)], skipped


def score_real(
    runs: list[dict[str, Any]], labels: list[ClipLabel], causes: dict[str, str]
) -> list[dict[str, Any]]:
    """Each run scored against its label (formcheck and the naive peer), with its
    misses, their automatic cause, a written cause where one is given, and the cuts."""
    by_file = {label.file: label for label in labels}
    rows = []
    for run in runs:
        label = by_file.get(run["file"])
        row = {**run, "source": Path(run["file"]).stem.split("_")[0]}
        if label is None or "error" in run or label.spec != run["spec"]:
            rows.append(row)
            continue
        spec = load_spec(run["spec"])
        found = run["formcheck"]
        row["score"] = scores.score(label, found, spec.kind, spec.per_side)
        row["naive_score"] = scores.score(label, run["naive"], spec.kind, spec.per_side)
        row["misses"] = scores.misses(row["score"])
        if row["misses"]:
            row["cause"] = scores.auto_cause(label, found, row["score"])
            row["written_cause"] = causes.get(run["file"], "")
        row["second_person"] = {
            "labelled": any(e.kind == "other_person" for e in label.edits),
            "warned": any("more than one person" in w for w in found["warnings"]),
        }
        events = scores.cut_events(label, found["duration_s"])
        row["cut_events"] = events
        inside = [t for t in found["cuts"] if 0.1 < t < found["duration_s"] - 0.1]
        row["cut_match"] = scores.match_cuts(events, inside)
        row["label"] = {
            "reps": label.reps,
            "reps_left": label.reps_left,
            "reps_right": label.reps_right,
            "hold_s": label.hold_s,
            "faults": list(label.faults) if label.faults_judged else ["unclear"],
            "edits": [scores.edit_text(e) for e in label.edits],
        }
        rows.append(row)
    return rows


def read_causes(path: Path | None) -> dict[str, str]:
    """Written causes of misses (CSV with columns ``file,cause``), if the file exists."""
    if path is None or not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["file"]: row["cause"] for row in csv.DictReader(handle)}


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
        scored = [r for r in real if "score" in r]
        out["real"] = {
            "formcheck": scores.summary([r["score"] for r in scored]),
            "naive": scores.summary([r["naive_score"] for r in scored]),
            "by_source": {
                source: {"formcheck": fc, "naive": naive}
                for (source, fc), naive in zip(
                    scores.by_source(scored, "score").items(),
                    scores.by_source(scored, "naive_score").values(),
                    strict=True,
                )
            },
            "cuts": {
                key: sum(r["cut_match"][key] for r in scored)
                for key in ("events", "hits", "false_alarms")
            },
            "second_person": {
                f"{'labelled' if labelled else 'not labelled'}": sum(
                    r["second_person"]["warned"]
                    for r in scored
                    if r["second_person"]["labelled"] is labelled
                )
                for labelled in (True, False)
            },
            "errors": [f"{r['file']}: {r['error']}" for r in real if "error" in r],
        }
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
    run: dict[str, Any],
    real_note: str,
) -> str:
    machine = run.get("machine", {})
    lines = [
        "# formcheck accuracy benchmark",
        "",
        f"Made {run['date_utc']} with `{run['command'].strip()}` ({run['minutes']:.1f} min) on "
        f"{machine.get('cpu', '?')} ({machine.get('cores', '?')} cores), load average "
        f"{machine.get('load_avg_1min', '?')} at the start and "
        f"{run.get('load_avg_end', '?')} at the end.",
        "",
    ]
    if "synthetic_counts" in summary:
        c = summary["synthetic_counts"]
        lines += [
            "## (a) Synthetic evaluation set",
            "",
            f"{len(synthetic)} rendered clips, real MediaPipe (Tasks backend), default settings. "
            "Targets: counts exact on ≥ 95%, fault F1 ≥ 0.9, "
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
    if "real" in summary:
        lines += real_markdown(summary["real"], real, skipped, real_note)
    return "\n".join(lines) + "\n"


def _pair(summary: dict[str, Any], key: str, digits: int = 2) -> tuple[str, str]:
    return _fmt(summary["formcheck"][key], digits), _fmt(summary["naive"][key], digits)


def real_markdown(
    summary: dict[str, Any], rows: list[dict[str, Any]], skipped: list[str], note: str
) -> list[str]:
    """Section (b): targets, per source, misses with causes, per clip."""
    fc, cuts = summary["formcheck"], summary["cuts"]
    t = scores.TARGETS
    people = Counter(r["second_person"]["labelled"] for r in rows if "second_person" in r)
    lines = [
        "",
        "## (b) Real clips labelled by eye (../shared/realclips)",
        "",
        note,
        "",
        "| metric | formcheck | naive peer | target |",
        "|---|---|---|---|",
        md_row(
            f"rep count exact ({fc['rep_clips']} rep clips)",
            *_pair(summary, "exact"),
            f"≥ {t['exact']:.2f}",
        ),
        md_row("rep count within one", *_pair(summary, "within_one"), f"≥ {t['within_one']:.2f}"),
        md_row(
            f"hold time error, mean s ({fc['hold_pairs']} holds, per side where labelled)",
            *_pair(summary, "hold_error_s", 1),
            f"≤ {t['hold_error_s']:.1f}",
        ),
        md_row(
            f'form fault flagged on "none visible" clips ({fc["none_visible_clips"]} clips)',
            _fmt(fc["flagged_none_visible"]),
            "– (judges no form)",
            f"≤ {t['flagged_none_visible']:.2f}",
        ),
        md_row(
            f"labelled edits with a cut found there ({cuts['events']} edits)",
            f"{cuts['hits']}",
            "–",
            "",
        ),
        md_row(
            "cuts found where no edit is labelled (false alarms)", cuts["false_alarms"], "–", ""
        ),
        md_row(
            f"second-person warning on clips labelled other_person ({people[True]} clips)",
            summary["second_person"]["labelled"],
            "–",
            "",
        ),
        md_row(
            f"second-person warning on the other clips ({people[False]} clips)",
            summary["second_person"]["not labelled"],
            "–",
            "0",
        ),
        "",
        "Per source (the clip name's prefix); formcheck / naive peer:",
        "",
        "| source | rep clips | exact | within one | hold error s (holds) "
        "| fault on none visible (clips) |",
        "|---|---|---|---|---|---|",
    ]
    for source, both in summary["by_source"].items():
        f, n = both["formcheck"], both["naive"]
        lines.append(
            md_row(
                source,
                f["rep_clips"],
                f"{_fmt(f['exact'])} / {_fmt(n['exact'])}",
                f"{_fmt(f['within_one'])} / {_fmt(n['within_one'])}",
                f"{_fmt(f['hold_error_s'], 1)} / {_fmt(n['hold_error_s'], 1)} ({f['hold_pairs']})",
                f"{_fmt(f['flagged_none_visible'])} ({f['none_visible_clips']})",
            )
        )
    warned = [
        f"{r['file']}{'' if r['second_person']['labelled'] else ' (not labelled)'}"
        for r in rows
        if r.get("second_person", {}).get("warned")
    ]
    lines += ["", "Second-person warnings: " + ("; ".join(warned) or "none") + "."]
    missed = [r for r in rows if r.get("misses")]
    lines += [
        "",
        f"Misses of formcheck ({len(missed)} clips), with a cause derived from the report and "
        "the labels, and a written one where a developer gave it:",
        "",
        "| clip | spec | miss | automatic cause | written cause |",
        "|---|---|---|---|---|",
    ]
    for r in missed:
        lines.append(
            md_row(
                r["file"],
                r["spec"],
                "; ".join(r["misses"]),
                r.get("cause") or "–",
                r.get("written_cause") or "",
            )
        )
    lines += [
        "",
        "Per clip (reps or hold seconds: label / formcheck / naive peer):",
        "",
        "| clip | spec | reps | hold s | faults labelled → found | edits labelled → cuts found |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "score" not in r:
            lines.append(md_row(r["file"], r["spec"], r.get("error", "not scored"), "", "", ""))
            continue
        label, found, naive = r["label"], r["formcheck"], r["naive"]
        holds = r["score"].get("holds", [])
        naive_holds = {w: got for w, _, got in r["naive_score"].get("holds", [])}
        lines.append(
            md_row(
                r["file"],
                r["spec"],
                f"{_fmt(label['reps'])} / {_fmt(found['reps'])} / {_fmt(naive.get('reps'))}"
                if label["reps"] is not None
                else "",
                ", ".join(
                    f"{'' if w == 'total' else w + ' '}{true:.1f} / {got:.1f} / "
                    f"{_fmt(naive_holds.get(w), 1)}"
                    for w, true, got in holds
                ),
                (", ".join(label["faults"]) or "none visible")
                + " → "
                + (", ".join(sorted({f[0] for f in found["faults"]})) or "–"),
                (
                    ", ".join(e for e in label["edits"] if e.split("@")[0] in scores.EDIT_KINDS)
                    or "–"
                )
                + " → "
                + (", ".join(f"{c:g}" for c in found["cuts"]) or "–"),
            )
        )
    if skipped:
        lines += ["", "Not evaluated: " + "; ".join(skipped) + "."]
    if summary["errors"]:
        lines += ["", "Failed: " + "; ".join(summary["errors"]) + "."]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_clip_set_arguments(parser)
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--keep-clips", type=Path, help="keep the generated clips in this folder")
    parser.add_argument(
        "--labels",
        type=Path,
        default=LABELS,
        help="real-clip labels made by eye (default: %(default)s)",
    )
    parser.add_argument(
        "--landmarks",
        type=Path,
        help="replay the real clips' landmarks recorded in DIR/<folder>/<stem>.npz "
        "instead of running MediaPipe (for iterating; publish real MediaPipe runs)",
    )
    parser.add_argument(
        "--causes",
        type=Path,
        default=ROOT / "benchmarks" / "realclip_miss_causes.csv",
        help="written causes of real-clip misses, CSV file,cause (used if it exists)",
    )
    parser.add_argument("--out", type=Path, help="default: results/accuracy[_replay]")
    parser.add_argument(
        "--notes",
        type=Path,
        default=RESULTS / "accuracy_notes.md",
        help="hand-written analysis of missed targets appended to the page (if it exists)",
    )
    parser.add_argument(
        "--rerender",
        type=Path,
        help="recompute the summary and page from an earlier run's JSON (the real clips "
        "rescored against --labels), without analysing",
    )
    args = parser.parse_args(argv)
    out = args.out or RESULTS / ("accuracy_replay" if args.landmarks else "accuracy")
    labels = load_labels(args.labels) if args.labels.is_file() else []
    if args.rerender:
        run = json.loads(args.rerender.read_text())
        synthetic, runs = run["synthetic"], run.get("real_runs", [])
        skipped = run["not_evaluated"]
    else:
        from formcheck.bench import machine_facts

        run = {
            "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": "python benchmarks/accuracy.py "
            + " ".join(argv if argv is not None else sys.argv[1:]),
            "machine": machine_facts(),
            "labels": str(args.labels),
            "landmarks": str(args.landmarks) if args.landmarks else None,
        }
        t0 = time.perf_counter()
        synthetic = (
            [] if args.skip_synthetic else synthetic_rows(args.n, args.workers, args.keep_clips)
        )
        runs, skipped = [], []
        if not args.skip_real and REALCLIPS.is_dir():
            if not labels:
                parser.error(f"no real-clip labels at {args.labels} (give --labels)")
            runs, skipped = real_runs(labels, args.landmarks, args.workers)
        run["minutes"] = (time.perf_counter() - t0) / 60
        run["load_avg_end"] = round(os.getloadavg()[0], 2)
    real = score_real(runs, labels, read_causes(args.causes))
    summary = summarise(synthetic, real)
    from formcheck.atomic import write_text_atomic

    mode = (
        f"the landmarks recorded in `{run['landmarks']}` replayed over the decoded video"
        if run.get("landmarks")
        else "real MediaPipe (Tasks backend), default settings"
    )
    note = (
        f"Labels: `{Path(run.get('labels', args.labels)).name}` ({len(labels)} clips). Poses: "
        f"{mode}. The naive peer (`benchmarks/naive_peer.py`) counts one raw 2D joint angle "
        "against two thresholds per spec on the same raw landmarks."
    )
    write_text_atomic(
        out.with_suffix(".json"),
        json.dumps(
            {
                **run,
                "summary": summary,
                "synthetic": synthetic,
                "real_runs": runs,
                # the scores; what was found is in real_runs
                "real": [
                    {k: v for k, v in r.items() if k not in ("formcheck", "naive")} for r in real
                ],
                "not_evaluated": skipped,
            },
            indent=1,
            default=float,
        )
        + "\n",
    )
    page = to_markdown(summary, synthetic, real, skipped, run, note)
    if args.notes and args.notes.is_file() and not args.landmarks:
        page += "\n" + args.notes.read_text(encoding="utf-8")
    write_text_atomic(out.with_suffix(".md"), page)
    print(out.with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
