"""Does each piece of formcheck's counting logic earn its place? One rule at a time.

Every labelled real clip's recorded landmarks (``--landmarks DIR/<folder>/<stem>.npz``)
go through smoothing, the engine and the report as in ``accuracy.py``, once with
today's rules and once with each rule taken out (or replaced by the naive peer's
simpler choice), and each run is scored against ``realclip_labels.csv``: rep counts
exact / within one, per clip source (the file name's prefix), hold error and a fault on
"none visible" clips. The cuts are those ``accuracy.py`` found in the picture
(``--cuts-from`` its JSON), so no video is decoded; the baseline must reproduce that
run's counts, which the page checks.

A rule is worth keeping where taking it out loses exact counts in more sources than it
gains them; where it changes nothing, or helps one source only, the simpler choice wins.

    python benchmarks/rule_ablation.py --landmarks /work/cache/lm \\
        [--cuts-from benchmarks/results/accuracy_replay.json] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import realclip_scores as scores
from accuracy import found_in
from realclips import ClipLabel, load_labels

import formcheck.engine.core as engine_core
import formcheck.pipeline as pipeline
from formcheck.atomic import write_text_atomic
from formcheck.engine.reps import RepCounter
from formcheck.filters import ButterworthConfig, smooth_offline
from formcheck.report.markdown import md_row
from formcheck.sources import ReplaySource
from formcheck.specs import ExerciseSpec, load_spec
from formcheck.specs.schema import Change, Extremum
from formcheck.types import PoseFrame

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SpecChange = Callable[[ExerciseSpec], ExerciseSpec]


@dataclass(frozen=True)
class Variant:
    """One rule taken out: how the spec changes, which attributes are replaced
    (``(object, name)`` → stand-in), whether cuts are found, and the smoother."""

    name: str
    rule: str
    without: str
    spec: SpecChange | None = None
    patch: dict[tuple[Any, str], Any] | None = None
    cuts: bool = True
    smoothing: ButterworthConfig | None = None


def _in_image(spec: ExerciseSpec) -> ExerciseSpec:
    """Every landmark signal (and every other-view replacement) in the image plane."""

    def flat(signals: dict[str, Any]) -> dict[str, Any]:
        return {
            name: s if isinstance(s, (Extremum, Change)) else replace(s, space="image")
            for name, s in signals.items()
        }

    camera = replace(spec.camera, other_view=flat(dict(spec.camera.other_view)))
    return replace(spec, signals=flat(dict(spec.signals)), camera=camera)


def _session(**changes: Any) -> SpecChange:
    return lambda spec: replace(spec, session=replace(spec.session, **changes))


def _reps(**changes: Any) -> SpecChange:
    return lambda spec: (
        spec if spec.reps is None else replace(spec, reps=replace(spec.reps, **changes))
    )


def _never_other_view(pose: PoseFrame, view: str, side_view_max_width: float) -> bool:
    return False


def _only_missing(pose: PoseFrame, visibility_min: float, edge_margin: float) -> np.ndarray:
    """Unseen only where the model gave no landmark at all (no visibility or edge gate)."""
    return np.isnan(pose.image_xyz[:, :2]).any(axis=1)


def _person_is_enough(pose: PoseFrame, key_measured: bool) -> str:
    return "ok" if pose.detected else "no_person"


def _no_engine_cut(self: Any, t_s: float) -> list[Any]:
    return []


def _smooth_whole(poses: Any, config: Any, cuts: Any = (), **kwargs: Any) -> Any:
    return smooth_offline(poses, config, **kwargs)


def _finish_untruncated(self: Any, t_s: float, s: float, cut_short: str | None = None) -> Any:
    """A rep whose start was not seen is held to ``min_rep_s`` like any other."""
    self._truncated = False
    return FINISH(self, t_s, s, cut_short)


FINISH = RepCounter._finish


VARIANTS = [
    Variant("today", "all rules", "-"),
    Variant(
        "no_other_view",
        "view detection, other-view signals",
        "the spec's own signals in every view",
        patch={(engine_core, "wrong_view"): _never_other_view},
    ),
    Variant(
        "image_plane",
        "world-space angles",
        "every signal in the image plane",
        spec=_in_image,
    ),
    Variant(
        "no_gate",
        "visibility and edge gating",
        "every landmark the model gives is used",
        spec=_session(visibility_min=0.0),
        patch={(engine_core, "unmeasured"): _only_missing},
    ),
    *(
        Variant(
            f"visibility_{level:g}",
            "visibility gate (visibility_min 0.3; shoulder taps 0.5)",
            f"visibility_min {level:g} in every spec (the edge gate kept)",
            spec=_session(visibility_min=level),
        )
        for level in (0.0, 0.1, 0.2, 0.5)
    ),
    Variant(
        "strict_edge",
        "edge tolerance (edge_margin 0.05 for form, count_edge_margin 0.2 for the count)",
        "a landmark must be inside the picture (both margins 0)",
        spec=_session(edge_margin=0.0, count_edge_margin=0.0),
    ),
    Variant(
        "no_positioning",
        "positioning states",
        "a detected person is always 'ok'",
        patch={(engine_core, "judge_frame"): _person_is_enough},
    ),
    Variant("no_min_rom", "min_rom (small_range)", "min_rom 0", spec=_reps(min_rom=0.0)),
    Variant("no_too_quick", "too_quick (min_rep_s)", "min_rep_s 0", spec=_reps(min_rep_s=0.0)),
    Variant("no_too_slow", "too_slow (max_rep_s)", "max_rep_s 1e6", spec=_reps(max_rep_s=1e6)),
    Variant(
        "no_truncated_exemption",
        "a rep whose start was unseen is exempt from too_quick",
        "every rep held to min_rep_s",
        patch={(RepCounter, "_finish"): _finish_untruncated},
    ),
    Variant("no_cuts", "cut handling (engine and smoother)", "no cut found", cuts=False),
    Variant(
        "no_engine_cuts",
        "cuts in the engine (RepCounter.cut)",
        "the smoother splits at cuts, the engine is not told",
        patch={(engine_core.Engine, "cut"): _no_engine_cut},
    ),
    Variant(
        "no_smoother_cuts",
        "cuts in the smoother",
        "the engine is told of cuts, the smoother does not split there",
        patch={(pipeline, "smooth_offline"): _smooth_whole},
    ),
    Variant(
        "raw",
        "zero-phase smoothing",
        "raw landmarks",
        smoothing=ButterworthConfig(enabled=False),
    ),
]


@contextmanager
def patched(changes: dict[tuple[Any, str], Any] | None) -> Iterator[None]:
    saved = {key: getattr(*key) for key in changes or {}}
    try:
        for (owner, name), value in (changes or {}).items():
            setattr(owner, name, value)
        yield
    finally:
        for (owner, name), value in saved.items():
            setattr(owner, name, value)


def _found(cuts: list[int]) -> Callable[..., list[int]]:
    return lambda *_: cuts


def cut_positions(poses: list[PoseFrame], cut_times_s: list[float]) -> list[int]:
    """The pose positions nearest the cut times a report gave (rounded to 0.01 s)."""
    t = np.array([p.t_s for p in poses])
    return sorted({int(np.argmin(np.abs(t - c))) for c in cut_times_s})


def run_clip(
    label: ClipLabel, npz: Path, cut_times_s: list[float], variants: list[Variant]
) -> dict[str, Any]:
    """Every variant on one clip: its found numbers and score, by variant name."""
    replay = ReplaySource(npz)
    poses = list(replay)
    cuts = cut_positions(poses, cut_times_s)
    base_spec = load_spec(str(label.spec))
    out: dict[str, Any] = {}
    for variant in variants:
        spec = variant.spec(base_spec) if variant.spec else base_spec
        options = pipeline.AnalysisOptions(smoothing=variant.smoothing or ButterworthConfig())
        found_cuts = cuts if variant.cuts else []
        changes = {**(variant.patch or {}), (pipeline, "find_cuts"): _found(found_cuts)}
        with patched(changes):
            analysis = pipeline.analysis_from_poses(
                poses, spec, replay.info, options, "replay", len(poses)
            )
        found = found_in(analysis.report.to_dict())
        out[variant.name] = {
            "reps": found["reps"],
            "score": scores.score(label, found, base_spec.kind, base_spec.per_side),
        }
    return out


def summarise(rows: list[dict[str, Any]], variant: str) -> dict[str, Any]:
    """Counts exact / within one overall and per source; hold error; faults on none visible."""
    per_source: dict[str, list[int]] = {}
    hold_by_source: dict[str, list[float]] = {}
    errors, holds, flagged = [], [], []
    for row in rows:
        s = row["runs"][variant]["score"]
        if "rep_error" in s:
            err = s["rep_error"]
            errors.append(err)
            counts = per_source.setdefault(row["source"], [0, 0, 0])
            counts[0] += err == 0
            counts[1] += abs(err) <= 1
            counts[2] += 1
        clip_holds = [abs(found - true) for _, true, found in s.get("holds", [])]
        holds += clip_holds
        if clip_holds:
            hold_by_source.setdefault(row["source"], []).extend(clip_holds)
        if "flagged" in s:
            flagged.append(s["flagged"])
    return {
        "rep_clips": len(errors),
        "exact": int(sum(e == 0 for e in errors)),
        "within_one": int(sum(abs(e) <= 1 for e in errors)),
        "hold_error_s": float(np.mean(holds)) if holds else float("nan"),
        "holds": len(holds),
        "flagged_none_visible": float(np.mean(flagged)) if flagged else float("nan"),
        "per_source": per_source,
        "hold_error_by_source": {k: float(np.mean(v)) for k, v in hold_by_source.items()},
    }


def verdict(today: dict[str, Any], without: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Sources where taking the rule out loses / gains exact counts (within one breaks ties)."""
    lost, gained = [], []
    for source, (exact, within, _) in today["per_source"].items():
        w_exact, w_within, _ = without["per_source"][source]
        delta = (w_exact - exact, w_within - within)
        if delta < (0, 0):
            lost.append(source)
        elif delta > (0, 0):
            gained.append(source)
    return lost, gained


def to_markdown(run: dict[str, Any]) -> str:
    summaries = run["summaries"]
    today = summaries["today"]
    sources = sorted(today["per_source"])
    lines = [
        "# Rule ablation on the real clips labelled by eye",
        "",
        f"Made {run['date_utc']} with `{run['command']}` ({run['minutes']:.1f} min), "
        f"load average {run['load_start']:.2f} at the start and {run['load_end']:.2f} at the end. "
        f"Landmarks replayed from `{run['landmarks']}`; cuts as found in the picture by "
        f"`{run['cuts_from']}`. The baseline reproduces that run's counts: "
        f"**{run['baseline_matches']}**.",
        "",
        "Each row takes one rule out (or replaces it by the naive peer's simpler choice) and "
        "keeps every other. Counts exact / within one of the rep clips; *loses in* lists the "
        "sources where taking the rule out loses exact counts (or within one at equal exact), "
        "*gains in* where it gains them.",
        "",
        md_row(
            *[
                "rule",
                "without it",
                "exact",
                "within one",
                "hold error s",
                "fault on none visible",
                "loses in",
                "gains in",
            ]
        ),
        md_row(*["---"] * 8),
    ]
    for variant in VARIANTS:
        s = summaries.get(variant.name)
        if s is None:
            continue
        lost, gained = verdict(today, s)
        lines.append(
            md_row(
                *[
                    variant.rule,
                    variant.without,
                    f"{s['exact']}/{s['rep_clips']}",
                    f"{s['within_one']}/{s['rep_clips']}",
                    f"{s['hold_error_s']:.2f} ({s['holds']})",
                    f"{s['flagged_none_visible']:.2f}",
                    ", ".join(lost) or "–",
                    ", ".join(gained) or "–",
                ]
            )
        )
    lines += [
        "",
        "Per source, exact / within one / rep clips:",
        "",
        md_row(*["variant", *sources]),
        md_row(*["---"] * (len(sources) + 1)),
    ]
    for variant in VARIANTS:
        s = summaries.get(variant.name)
        if s is None:
            continue
        cells = ["{}/{}/{}".format(*s["per_source"][src]) for src in sources]
        lines.append(md_row(*[variant.name, *cells]))
    hold_sources = sorted(today["hold_error_by_source"])
    lines += [
        "",
        "Hold error per source, mean seconds:",
        "",
        md_row("variant", *hold_sources),
        md_row(*["---"] * (len(hold_sources) + 1)),
    ]
    for variant in VARIANTS:
        s = summaries.get(variant.name)
        if s is not None:
            by_source = s["hold_error_by_source"]
            lines.append(md_row(variant.name, *(f"{by_source[src]:.1f}" for src in hold_sources)))
    lines += ["", "Clips whose count changes against today (label: today → without the rule):", ""]
    for variant in VARIANTS[1:]:
        if variant.name not in summaries:
            continue
        changed = [
            f"{r['file']} ({r['label_reps']}: {r['runs']['today']['reps']} → "
            f"{r['runs'][variant.name]['reps']})"
            for r in run["rows"]
            if r["label_reps"] is not None
            and r["runs"][variant.name]["reps"] != r["runs"]["today"]["reps"]
        ]
        lines.append(f"- **{variant.name}**: {'; '.join(changed) or 'none'}")
    return "\n".join(lines) + "\n"


def shown_path(path: Path) -> str:
    """``path`` relative to the checkout when it lies inside it (for results pages)."""
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def publish(run: dict[str, Any], out: Path, page: Callable[[dict[str, Any]], str]) -> None:
    """Write the run (JSON) and its page (Markdown) atomically beside ``out``; print the page."""
    write_text_atomic(out.with_suffix(".json"), json.dumps(run, indent=1) + "\n")
    write_text_atomic(out.with_suffix(".md"), page(run))
    print(page(run))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--landmarks", type=Path, required=True)
    parser.add_argument(
        "--cuts-from", type=Path, default=RESULTS / "accuracy_replay.json", dest="cuts_from"
    )
    parser.add_argument("--labels", type=Path, default=ROOT / "benchmarks" / "realclip_labels.csv")
    parser.add_argument("--only", nargs="*", help="variant names (today is always run)")
    parser.add_argument("--out", type=Path, default=RESULTS / "rule_ablation")
    args = parser.parse_args(argv)
    started, load_start = time.perf_counter(), os.getloadavg()[0]
    variants = [v for v in VARIANTS if v.name == "today" or not args.only or v.name in args.only]
    reference = json.loads(args.cuts_from.read_text(encoding="utf-8"))
    earlier = {r["file"]: r for r in reference["real_runs"] if "formcheck" in r}
    rows = []
    for label in load_labels(args.labels):
        npz = args.landmarks / Path(label.file).with_suffix(".npz")
        if label.spec is None or label.file not in earlier or not npz.is_file():
            continue
        found = earlier[label.file]["formcheck"]
        runs = run_clip(label, npz, found["cuts"], variants)
        rows.append(
            {
                "file": label.file,
                "source": label.source,
                "label_reps": label.reps,
                "earlier_reps": found["reps"],
                "runs": runs,
            }
        )
        print(label.file, {k: v["reps"] for k, v in runs.items()}, file=sys.stderr)
    mismatched = [r["file"] for r in rows if r["runs"]["today"]["reps"] != r["earlier_reps"]]
    run = {
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python benchmarks/rule_ablation.py "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "landmarks": str(args.landmarks),
        "cuts_from": shown_path(args.cuts_from),
        "baseline_matches": "yes" if not mismatched else f"no ({', '.join(mismatched)})",
        "summaries": {v.name: summarise(rows, v.name) for v in variants},
        "rows": rows,
        "minutes": (time.perf_counter() - started) / 60,
        "load_start": load_start,
        "load_end": os.getloadavg()[0],
    }
    publish(run, args.out, to_markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
