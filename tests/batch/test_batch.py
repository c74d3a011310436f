"""formcheck batch: discovery, manifest, resumable parallel runs, failures, Dask.

Most tests inject ``synthetic_analysis`` (the real engine and report builder on
synthetic landmarks, the input video decoded for real) so no pose model runs;
``test_batch_cli_real_pipeline`` runs MediaPipe end to end on one short clip.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from builders import REPO_ROOT, performance, write_video

from formcheck.batch import (
    BatchOptions,
    ExecutorPlan,
    ManifestError,
    dask_plan,
    executors,
    local_plan,
    output_dir,
    parse_name,
    plan_jobs,
    read_manifest,
    run_batch,
)
from formcheck.batch.discover import NameFields, discover_videos
from formcheck.batch.runner import CRASHED
from formcheck.batch.state import STATE_FILE
from formcheck.batch.summary import BatchRow, VideoSummary, csv_row, index_html
from formcheck.cli import main
from formcheck.cpu import available_cores
from formcheck.filters import ButterworthConfig
from formcheck.history import BatchSessions, page_name
from formcheck.pipeline import Analysis, AnalysisOptions, analysis_from_poses
from formcheck.report import output_name, output_stem, validate_report
from formcheck.sources import SourceInfo, open_source
from formcheck.specs import ExerciseSpec
from formcheck.store import open_store
from formcheck.types import PoseFrame

FAULTS = {"squat": "shallow", "bridge": "backbend"}


def synthetic_analysis(path: Path, spec: ExerciseSpec, options: AnalysisOptions) -> Analysis:
    """The pipeline minus the pose model: the video is decoded (bad files fail as in
    ``analyze``), the poses are a synthetic performance with a known fault."""
    with open_source(path) as source:
        info = source.info
        for _ in source:
            pass
    poses = list(performance(spec.id, FAULTS.get(spec.id), reps=2))
    return analysis_from_poses(poses, spec, info, options, "synthetic", len(poses))


def outputs(out: Path, rel: str, exercise: str) -> dict[str, Path]:
    """The paths of a video's outputs in a batch's report folder, by kind."""
    folder = out / output_dir(rel)
    stem = output_stem(rel, exercise)
    kinds = ("json", "html", "frames_csv", "annotated_video")
    return {kind: folder / output_name(stem, kind) for kind in kinds}


def interrupting_analysis(path: Path, spec: ExerciseSpec, options: AnalysisOptions) -> Analysis:
    """Ctrl-C arrives while the video whose name contains ``stop`` is analysed."""
    if "stop" in path.name:
        raise KeyboardInterrupt
    return synthetic_analysis(path, spec, options)


def crashing_analysis(path: Path, spec: ExerciseSpec, options: AnalysisOptions) -> Analysis:
    """The worker process dies (as on a segfault or the OOM killer) on ``crash`` videos."""
    if "crash" in path.name:
        os._exit(1)
    return synthetic_analysis(path, spec, options)


def thread_plan() -> ExecutorPlan:
    """One in-process worker thread: the batch machinery without process start-up."""
    return ExecutorPlan(make=lambda: ThreadPoolExecutor(1), slots=1, restartable=False)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """Two good videos, a corrupt one, a text file named .mov, a non-video and a nameless one."""
    root = tmp_path / "in"
    write_video(root / "p1__squat__monday.mp4")
    write_video(root / "clinic" / "p2__bridge.mp4")
    (root / "broken__squat.mp4").write_bytes(np.random.default_rng(0).bytes(4000))
    (root / "notes__squat.mov").write_text("this is not a video\n")
    (root / "readme.txt").write_text("not a video either\n")
    write_video(root / "nameless.mp4")
    return root


def rows_by_file(out: Path) -> dict[str, dict[str, str]]:
    text = (out / "summary.csv").read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheets read UTF-8 with its byte-order mark
    return {row["file"]: row for row in csv.DictReader(io.StringIO(text[1:]))}


# --- discovery and file names -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("", None),
        ("bridge.mp4", None),
        ("__bridge.mp4", None),
        ("p1__bridge.mp4", NameFields("p1", "bridge")),
        ("dir/p1__bridge__2024-05-02 take 2.MOV", NameFields("p1", "bridge")),
    ],
)
def test_parse_name(name: str, fields: NameFields | None) -> None:
    assert parse_name(name) == fields


def test_discover_recursive_sorted_and_skips_report_dir(inbox: Path) -> None:
    write_video(inbox / "reports" / "videos" / "x_mp4" / "annotated.mp4")
    found = discover_videos(inbox, exclude=[inbox / "reports"])
    assert [f.rel for f in found if f.problem is None] == [
        "broken__squat.mp4",
        "clinic/p2__bridge.mp4",
        "nameless.mp4",
        "notes__squat.mov",
        "p1__squat__monday.mp4",
    ]


def test_output_dir_keeps_extension_distinct() -> None:
    assert output_dir("a/b.mp4") != output_dir("a/b.mov")
    assert output_dir("p1/squat.mp4") == "videos/p1/squat_mp4"


# --- a batch with good and bad inputs ------------------------------------------------


def test_batch_reports_good_videos_and_lists_bad_ones(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_batch(plan_jobs(inbox, out), out, thread_plan(), analyze_fn=synthetic_analysis)
    assert result.exit_code == 5
    rows = rows_by_file(out)
    assert set(rows) == {
        "p1__squat__monday.mp4",
        "clinic/p2__bridge.mp4",
        "broken__squat.mp4",
        "notes__squat.mov",
        "nameless.mp4",
    }
    for rel, exercise in (("p1__squat__monday.mp4", "squat"), ("clinic/p2__bridge.mp4", "bridge")):
        assert rows[rel]["run"] == "analysed"
        paths = outputs(out, rel, exercise)
        validate_report(json.loads(paths["json"].read_text()))
        header = paths["frames_csv"].read_text().splitlines()[0].split(",")
        assert header[:3] == ["frame", "t_s", "people"]
        assert "left_knee_visibility" in header
        assert "<svg" in paths["html"].read_text()
        assert rows[rel]["report"] == paths["html"].relative_to(out).as_posix()
    assert rows["p1__squat__monday.mp4"]["patient"] == "p1"
    assert int(rows["p1__squat__monday.mp4"]["fault_shallow"]) >= 1
    assert rows["clinic/p2__bridge.mp4"]["status"] == "ok"
    assert (
        rows["clinic/p2__bridge.mp4"]["reps_target_min"],
        rows["clinic/p2__bridge.mp4"]["reps_target_max"],
    ) == ("8", "12")
    assert "not a video" in rows["broken__squat.mp4"]["error"]
    assert "not a video" in rows["notes__squat.mov"]["error"]
    assert "no exercise" in rows["nameless.mp4"]["error"]
    assert all(rows[r]["status"] == "failed" for r in ("broken__squat.mp4", "nameless.mp4"))
    index = (out / "index.html").read_text()
    assert "videos/clinic/p2__bridge_mp4/p2__bridge.bridge.html" in index


class RecordedProgress:
    """A batch progress that keeps the status it was told for each video."""

    def __init__(self) -> None:
        self.statuses: dict[str, str] = {}

    def start(self, total: int, skipped: int) -> None:
        pass

    def done(self, rel: str, status: str, seconds: float, error: str | None) -> None:
        self.statuses[rel] = status

    def close(self) -> None:
        pass


def test_progress_says_needs_review_as_the_overview_does(inbox: Path, tmp_path: Path) -> None:
    """A video analysed without error but with nobody seen is "needs review" on the
    progress line too, not "ok"."""

    def nobody_on_monday(path: Path, spec: ExerciseSpec, options: AnalysisOptions) -> Analysis:
        if "monday" not in path.name:
            return synthetic_analysis(path, spec, options)
        poses = [PoseFrame.empty(i, i / 30, 64, 64) for i in range(60)]
        info = SourceInfo(str(path), 64, 64, 30.0, 60, 2.0)
        return analysis_from_poses(poses, spec, info, options, "synthetic", len(poses))

    out = tmp_path / "out"
    progress = RecordedProgress()
    run_batch(plan_jobs(inbox, out), out, thread_plan(), None, nobody_on_monday, progress)
    rows = rows_by_file(out)
    assert progress.statuses["p1__squat__monday.mp4"] == "needs review"
    assert progress.statuses == {rel: rows[rel]["status"] for rel in progress.statuses}


NUMERIC_COLUMNS = (
    "reps_total",
    "reps_good",
    "reps_left",
    "reps_right",
    "reps_target_min",
    "reps_target_max",
    "hold_s",
    "hold_left_s",
    "hold_right_s",
    "hold_target_s",
    "faults_total",
    "warnings_total",
    "person_seen_pct",
)


def test_summary_csv_has_one_number_per_numeric_cell(inbox: Path, tmp_path: Path) -> None:
    """A spreadsheet reads every numeric column as numbers: no units, ranges or lists."""
    out = tmp_path / "out"
    run_batch(plan_jobs(inbox, out), out, thread_plan(), analyze_fn=synthetic_analysis)
    rows = list(rows_by_file(out).values())
    columns = list(rows[0])
    numeric = [c for c in columns if c in NUMERIC_COLUMNS or c.startswith("fault_")]
    assert set(NUMERIC_COLUMNS) <= set(numeric) and "fault_shallow" in numeric
    for row in rows:
        for column in numeric:
            if row[column]:
                float(row[column])  # raises on "8–12", "left 1.0, right 2.0", "3 s"
    analysed = [row for row in rows if row["run"] == "analysed"]
    assert all(row["reps_total"].isdigit() and row["faults_total"].isdigit() for row in analysed)
    assert {row["status"] for row in rows} <= {"ok", "needs review", "failed", "not run"}
    text = (out / "summary.csv").read_bytes().decode("utf-8")
    assert "×" not in text and "–" not in text


class Counting:
    """An analysis function that records which videos it was asked to analyse."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, path: Path, spec: ExerciseSpec, options: AnalysisOptions) -> Analysis:
        self.seen.append(path.name)
        return synthetic_analysis(path, spec, options)


def test_rerun_skips_unchanged_and_redoes_changed(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_batch(plan_jobs(inbox, out), out, thread_plan(), analyze_fn=synthetic_analysis)
    counting = Counting()
    result = run_batch(plan_jobs(inbox, out), out, thread_plan(), analyze_fn=counting)
    # Good videos are skipped; the failed ones are retried (and fail again).
    assert sorted(counting.seen) == ["broken__squat.mp4", "notes__squat.mov"]
    assert sum(row.run == "unchanged" for row in result.rows) == 2 and result.exit_code == 5
    assert rows_by_file(out)["p1__squat__monday.mp4"]["run"] == "unchanged"
    assert rows_by_file(out)["p1__squat__monday.mp4"]["reps_total"] != ""

    write_video(inbox / "p1__squat__monday.mp4", frames=14)  # new content
    counting = Counting()
    run_batch(plan_jobs(inbox, out), out, thread_plan(), analyze_fn=counting)
    assert "p1__squat__monday.mp4" in counting.seen and "p2__bridge.mp4" not in counting.seen

    counting = Counting()
    changed = BatchOptions(analysis=AnalysisOptions(smoothing=ButterworthConfig(cutoff_hz=3.0)))
    run_batch(plan_jobs(inbox, out), out, thread_plan(), changed, analyze_fn=counting)
    assert {"p1__squat__monday.mp4", "p2__bridge.mp4"} <= set(counting.seen)

    outputs(out, "clinic/p2__bridge.mp4", "bridge")["html"].unlink()  # output lost
    counting = Counting()
    run_batch(plan_jobs(inbox, out), out, thread_plan(), changed, analyze_fn=counting)
    assert "p2__bridge.mp4" in counting.seen and "p1__squat__monday.mp4" not in counting.seen


def test_interrupted_batch_keeps_finished_work_and_resumes(tmp_path: Path) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    for name in ("a", "b", "c_stop", "d", "e"):
        write_video(root / f"p__squat__{name}.mp4")
    result = run_batch(plan_jobs(root, out), out, thread_plan(), analyze_fn=interrupting_analysis)
    assert result.interrupted and result.exit_code == 130
    runs = {rel: row["run"] for rel, row in rows_by_file(out).items()}
    assert runs == {
        "p__squat__a.mp4": "analysed",
        "p__squat__b.mp4": "analysed",
        "p__squat__c_stop.mp4": "not run",
        "p__squat__d.mp4": "not run",
        "p__squat__e.mp4": "not run",
    }
    assert outputs(out, "p__squat__b.mp4", "squat")["json"].is_file()
    counting = Counting()
    result = run_batch(plan_jobs(root, out), out, thread_plan(), analyze_fn=counting)
    assert result.exit_code == 0
    assert counting.seen == ["p__squat__c_stop.mp4", "p__squat__d.mp4", "p__squat__e.mp4"]
    assert [row.run for row in result.rows] == ["unchanged"] * 2 + ["analysed"] * 3


def test_worker_process_crash_fails_only_its_video(tmp_path: Path) -> None:
    """Real spawned worker processes: one dies; the pool restarts, the rest finish."""
    root, out = tmp_path / "in", tmp_path / "out"
    for name in ("a", "b_crash", "c", "d"):
        write_video(root / f"p__squat__{name}.mp4")
    result = run_batch(plan_jobs(root, out), out, local_plan(2), analyze_fn=crashing_analysis)
    runs = {row.file: (row.run, row.error) for row in result.rows}
    assert runs["p__squat__b_crash.mp4"] == ("failed", CRASHED)
    assert all(runs[f"p__squat__{n}.mp4"] == ("analysed", None) for n in ("a", "c", "d"))
    assert result.exit_code == 5


class PoolBrokenOnSubmit(ThreadPoolExecutor):
    """A pool that, like a process pool whose worker just died, refuses its 2nd task."""

    instances = 0

    def __init__(self) -> None:
        super().__init__(2)
        PoolBrokenOnSubmit.instances += 1
        self.breaks = PoolBrokenOnSubmit.instances == 1
        self.submitted = 0

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        self.submitted += 1
        if self.breaks and self.submitted == 2:
            raise BrokenProcessPool("a child process terminated abruptly")
        return super().submit(fn, *args, **kwargs)


def test_pool_broken_at_submit_is_restarted_and_loses_nothing(tmp_path: Path) -> None:
    """The pool can report a dead worker on submit before any future fails (a race)."""
    root, out = tmp_path / "in", tmp_path / "out"
    for name in ("a", "b", "c"):
        write_video(root / f"p__squat__{name}.mp4")
    PoolBrokenOnSubmit.instances = 0
    plan = ExecutorPlan(make=PoolBrokenOnSubmit, slots=2, restartable=True)
    result = run_batch(plan_jobs(root, out), out, plan, analyze_fn=synthetic_analysis)
    assert PoolBrokenOnSubmit.instances == 2
    assert [row.run for row in result.rows] == ["analysed"] * 3
    assert result.exit_code == 0


def thread_count_analysis(path: Path, spec: ExerciseSpec, options: AnalysisOptions) -> Analysis:
    """Records the inference threads the worker was given, as the report's backend."""
    analysis = synthetic_analysis(path, spec, options)
    info = dataclasses.replace(
        analysis.report.analysis, backend=f"threads={options.threads} max={options.max_threads}"
    )
    analysis.report = dataclasses.replace(analysis.report, analysis=info)
    return analysis


@pytest.mark.parametrize(
    ("given", "expected"), [(None, "threads=None max=3"), (1, "threads=1 max=None")]
)
def test_workers_share_the_cores_unless_threads_are_given(
    tmp_path: Path, given: int | None, expected: str
) -> None:
    """Without --threads each video chooses its threads from the load, at most its
    worker's share of the cores; --threads forces a count."""
    root, out = tmp_path / "in", tmp_path / "out"
    write_video(root / "p__squat__a.mp4")
    plan = ExecutorPlan(
        make=lambda: ThreadPoolExecutor(1), slots=1, restartable=False, threads_per_task=3
    )
    options = BatchOptions(analysis=AnalysisOptions(threads=given))
    run_batch(plan_jobs(root, out), out, plan, options, analyze_fn=thread_count_analysis)
    report = json.loads(outputs(out, "p__squat__a.mp4", "squat")["json"].read_text())
    assert report["analysis"]["backend"] == expected


@pytest.mark.parametrize(
    ("workers", "cores", "share"), [(1, 2, 2), (2, 2, 1), (3, 2, 1), (2, 8, 4), (3, 8, 2)]
)
def test_local_workers_times_threads_never_exceed_the_cores(
    monkeypatch: pytest.MonkeyPatch, workers: int, cores: int, share: int
) -> None:
    monkeypatch.setattr(executors, "available_cores", lambda: cores)
    plan = local_plan(workers)
    assert plan.threads_per_task == share
    assert workers * share <= cores or share == 1


@pytest.mark.parametrize(
    ("cores_by_worker", "tasks_by_worker", "share"),
    [
        ({}, {}, 1),
        ({"w1": ("n1", 8)}, {"w1": 8}, 1),  # `dask worker` default: a thread per core
        ({"w1": ("n1", 8)}, {"w1": 2}, 4),
        # two worker processes on one node share its cores
        ({"w1": ("n1", 8), "w2": ("n1", 8)}, {"w1": 2, "w2": 2}, 2),
        # the tightest node sets the share for every task
        ({"w1": ("n1", 16), "w2": ("n2", 4)}, {"w1": 2, "w2": 2}, 2),
        ({"w1": ("n1", 2)}, {"w1": 4}, 1),  # oversubscribed by its owner: one each
    ],
)
def test_dask_share_counts_every_worker_on_a_node(
    cores_by_worker: dict[str, tuple[str, int]], tasks_by_worker: dict[str, int], share: int
) -> None:
    assert executors.fair_share(cores_by_worker, tasks_by_worker) == share


# --- manifest -----------------------------------------------------------------------


def write_manifest(path: Path, rows: list[str], header: str = "file,exercise,patient") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_manifest_sets_exercise_and_patient(inbox: Path, tmp_path: Path) -> None:
    manifest = write_manifest(
        tmp_path / "m.csv", ["nameless.mp4,bridge,Jane Doe", "./clinic/p2__bridge.mp4,squat,p2"]
    )
    jobs = {j.rel: j for j in plan_jobs(inbox, tmp_path / "out", manifest=manifest)}
    assert (jobs["nameless.mp4"].exercise, jobs["nameless.mp4"].patient) == ("bridge", "Jane Doe")
    assert jobs["clinic/p2__bridge.mp4"].exercise == "squat"  # the manifest wins
    assert jobs["p1__squat__monday.mp4"].exercise == "squat"  # not listed: file name


@pytest.mark.parametrize("escape", ["../outside.mp4", "clinic/../../outside.mp4", "ABSOLUTE"])
def test_manifest_path_outside_input_dir_is_rejected(
    inbox: Path, tmp_path: Path, escape: str
) -> None:
    outside = write_video(tmp_path / "outside.mp4")
    raw = str(outside) if escape == "ABSOLUTE" else escape
    manifest = write_manifest(tmp_path / "m.csv", [f"{raw},squat,p1"])
    with pytest.raises(ManifestError, match="outside INPUT_DIR"):
        read_manifest(manifest, inbox)
    code = main(["batch", str(inbox), "--out", str(tmp_path / "o"), "--manifest", str(manifest)])
    assert code == 2


def test_manifest_symlink_leading_outside_is_rejected(inbox: Path, tmp_path: Path) -> None:
    (inbox / "link.mp4").symlink_to(write_video(tmp_path / "secret.mp4"))
    manifest = write_manifest(tmp_path / "m.csv", ["link.mp4,squat,p1"])
    with pytest.raises(ManifestError, match="outside INPUT_DIR"):
        read_manifest(manifest, inbox)
    # Found by discovery instead: listed as failed, never read.
    jobs = {j.rel: j for j in plan_jobs(inbox, tmp_path / "out", exercise="squat")}
    assert jobs["link.mp4"].problem == "symlink leads outside INPUT_DIR"


@pytest.mark.parametrize(
    ("header", "rows", "message"),
    [
        ("file,exercise", ["a.mp4,squat"], "missing column"),
        ("file,exercise,patient,notes", ["a.mp4,squat,p,x"], "unknown column"),
        ("file,exercise,patient", ["nameless.mp4,,p"], "exercise is empty"),
        ("file,exercise,patient", ["nameless.mp4,squat,p", "nameless.mp4,bridge,p"], "already"),
    ],
)
def test_manifest_errors(
    inbox: Path, tmp_path: Path, header: str, rows: list[str], message: str
) -> None:
    with pytest.raises(ManifestError, match=message):
        read_manifest(write_manifest(tmp_path / "m.csv", rows, header), inbox)


def test_manifest_program_overrides_spec(inbox: Path, tmp_path: Path) -> None:
    (inbox / "p1_program.toml").write_text(
        'title = "Week 3"\n[[exercises]]\nid = "bridge"\nsets = 3\n', encoding="utf-8"
    )
    manifest = write_manifest(
        tmp_path / "m.csv",
        ["nameless.mp4,bridge,p1,p1_program.toml"],
        "file,exercise,patient,program",
    )
    job = next(
        j for j in plan_jobs(inbox, tmp_path / "o", manifest=manifest) if j.rel == "nameless.mp4"
    )
    assert job.program == "p1_program.toml"
    assert job.spec is not None and job.spec.targets.sets == 3
    bad = write_manifest(
        tmp_path / "bad.csv",
        ["nameless.mp4,squat,p1,p1_program.toml"],
        "file,exercise,patient,program",
    )
    with pytest.raises(ManifestError, match="has no exercise 'squat'"):
        plan_jobs(inbox, tmp_path / "o", manifest=bad)


# --- escaping in the overview --------------------------------------------------------


def test_overview_escapes_file_names_and_manifest_text(tmp_path: Path) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    hostile = "<script>alert(1)</script>.mp4"  # a folder "<script>alert(1)<" + "script>.mp4"
    write_video(root / hostile)
    write_video(root / "b.mp4")
    manifest = write_manifest(
        tmp_path / "m.csv",
        [
            f'"{hostile}",squat,"<img src=x onerror=alert(2)>"',
            'b.mp4,squat,"=HYPERLINK(""http://evil"")"',
        ],
    )
    result = run_batch(
        plan_jobs(root, out, manifest=manifest), out, thread_plan(), analyze_fn=synthetic_analysis
    )
    assert result.exit_code == 0
    index = (out / "index.html").read_text()
    assert "<script" not in index and "<img" not in index
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.mp4" in index
    assert "&lt;img src=x onerror=alert(2)&gt;" in index
    assert 'href="videos/%3Cscript%3Ealert%281%29%3C/script%3E_mp4/script%3E.squat.html"' in index
    report = outputs(out, hostile, "squat")["html"].read_text()
    assert "<script" not in report and "<img src=x" not in report
    assert rows_by_file(out)["b.mp4"]["patient"] == '\'=HYPERLINK("http://evil")'


# --- the session store ---------------------------------------------------------------


def test_batch_records_sessions_and_links_each_patient_to_their_history(
    inbox: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with open_store(tmp_path / "s.db") as store:
        recorder = BatchSessions(store, date(2026, 11, 2))
        result = run_batch(
            plan_jobs(inbox, out), out, thread_plan(), analyze_fn=synthetic_analysis,
            sessions=recorder,
        )  # fmt: skip
        assert [r.new for r in recorder.recorded] == [True, True]
        assert recorder.skipped == []  # the nameless video failed: it has no report
        assert [(p.patient, p.sessions) for p in store.patients()] == [("p1", 1), ("p2", 1)]
        (session,) = store.sessions("p2")
        assert session.source == "batch" and session.session_date == date(2026, 11, 2)
        assert session.report_path == str(outputs(out, "clinic/p2__bridge.mp4", "bridge")["json"])

        # The same batch again (nothing re-analysed): no duplicate sessions.
        again = BatchSessions(store, date(2026, 11, 2))
        run_batch(
            plan_jobs(inbox, out), out, thread_plan(), analyze_fn=synthetic_analysis,
            sessions=again,
        )  # fmt: skip
        assert [r.new for r in again.recorded] == [False, False]
        assert [p.sessions for p in store.patients()] == [1, 1]
    assert result.exit_code == 5 and result.store_error is None
    index = (out / "index.html").read_text()
    for patient in ("p1", "p2"):
        page = f"patients/{page_name(patient)}"
        assert f'href="{page}"' in index
        assert f"Exercise history: {patient}" in (out / page).read_text()


def test_batch_cli_records_into_db_unless_told_not_to(tmp_path: Path) -> None:
    root, out, db = tmp_path / "in", tmp_path / "out", tmp_path / "s.db"
    write_video(root / "p1__squat__monday.mp4")
    write_video(root / "p2__bridge.mp4")
    run_batch(plan_jobs(root, out), out, thread_plan(), analyze_fn=synthetic_analysis)
    args = ["batch", str(root), "--out", str(out), "--workers", "1"]  # all unchanged now
    assert main([*args, "--no-db"]) == 0
    assert not db.exists()
    notes = tmp_path / "notes.db"
    notes.write_text("not a database")
    assert main([*args, "--db", str(notes)]) == 3
    assert notes.read_text() == "not a database"
    assert main([*args, "--db", str(db), "--date", "2026-11-02"]) == 0
    with open_store(db) as store:
        assert [(p.patient, p.last_date) for p in store.patients()] == [
            ("p1", date(2026, 11, 2)),
            ("p2", date(2026, 11, 2)),
        ]


# --- hostile folders ---------------------------------------------------------------------


def test_unreadable_folder_is_a_failed_row_not_a_silent_skip(
    inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scandir = os.scandir

    def denied(path):  # as for a folder of another user (root reads everything)
        if Path(path).name == "clinic":
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", denied)
    out = tmp_path / "out"
    result = run_batch(plan_jobs(inbox, out), out, thread_plan(), analyze_fn=synthetic_analysis)
    assert result.exit_code == 5
    row = rows_by_file(out)["clinic"]
    assert (row["status"], row["error"]) == ("failed", "cannot read this folder: Permission denied")


def test_undecodable_names_are_valid_text_and_never_collide(tmp_path: Path) -> None:
    root = tmp_path / "in"
    write_video(Path(os.fsdecode(bytes(root) + b"/caf\xe9.mp4")))
    write_video(root / "caf\\xe9.mp4")  # the same text, from real backslashes
    found = discover_videos(root)
    assert [f.rel for f in found] == ["caf\\xe9.mp4", "caf\\xe9.mp4 (1)"]
    assert [f.problem is None for f in found] == [True, False]
    assert "is also another file's" in (found[1].problem or "")
    assert {os.fsencode(f.path.name) for f in found} == {b"caf\xe9.mp4", b"caf\\xe9.mp4"}


def test_manifest_listing_a_fifo_fails_that_row_without_reading_it(
    inbox: Path, tmp_path: Path
) -> None:
    os.mkfifo(inbox / "live.mp4")
    manifest = write_manifest(tmp_path / "m.csv", ["live.mp4,squat,p9"])
    jobs = plan_jobs(inbox, tmp_path / "out", manifest=manifest)
    assert jobs[0].problem == (
        "listed in the manifest but not a regular file (a FIFO, device or socket): not read "
        "in INPUT_DIR"
    )


def test_manifest_that_is_a_fifo_is_refused_without_waiting_for_a_writer(
    inbox: Path, tmp_path: Path
) -> None:
    manifest = tmp_path / "m.csv"
    os.mkfifo(manifest)
    with ThreadPoolExecutor(1) as pool:
        planned = pool.submit(plan_jobs, inbox, tmp_path / "out", manifest=manifest)
        try:
            with pytest.raises(ManifestError, match="cannot read: not a regular file"):
                planned.result(timeout=10)
        finally:
            if not planned.done():  # a reader blocked on the FIFO: give it a writer and EOF
                os.close(os.open(manifest, os.O_WRONLY | os.O_NONBLOCK))


def test_reports_written_into_the_input_folder_are_never_read_back(inbox: Path) -> None:
    """``--out`` the input folder itself, with annotated videos: a rerun finds the same
    recordings, not the annotated MP4s the first run wrote under ``videos/``."""
    options = BatchOptions(annotate=True)
    runs = [
        run_batch(plan_jobs(inbox, inbox), inbox, thread_plan(), options, synthetic_analysis)
        for _ in range(2)
    ]
    assert list(inbox.glob("videos/**/*.annotated.mp4"))  # what a rerun must not read back
    assert [row.file for row in runs[1].rows] == [row.file for row in runs[0].rows]
    assert not any(row.file.startswith("videos/") for row in runs[1].rows)


def test_private_batch_leaves_out_folders_faces_and_thumbnails(
    inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from formcheck.batch import worker

    monkeypatch.setattr(worker, "fault_thumbnails", lambda *args: {0: b"\xff\xd8jpeg"})
    out = tmp_path / "out"
    options = BatchOptions(analysis=AnalysisOptions(private=True))
    run_batch(plan_jobs(inbox, out), out, thread_plan(), options, synthetic_analysis)
    private = outputs(out, "clinic/p2__bridge.mp4", "bridge")
    assert json.loads(private["json"].read_text())["input"]["path"] == "p2__bridge.mp4"
    header = private["frames_csv"].read_text().splitlines()[0].split(",")
    assert "nose_x" not in header and "mouth_right_visibility" not in header
    assert "left_hip_x" in header
    assert "data:image/jpeg" not in private["html"].read_text()
    public = tmp_path / "public"
    run_batch(plan_jobs(inbox, public), public, thread_plan(), analyze_fn=synthetic_analysis)
    shown = outputs(public, "clinic/p2__bridge.mp4", "bridge")
    assert json.loads(shown["json"].read_text())["input"]["path"].endswith(
        "in/clinic/p2__bridge.mp4"
    )
    assert "nose_x" in shown["frames_csv"].read_text().splitlines()[0]
    assert "data:image/jpeg" in shown["html"].read_text()


# --- the command ---------------------------------------------------------------------


def test_cli_exit_codes(inbox: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    assert main(["batch", str(tmp_path / "missing"), "--out", out]) == 3
    (tmp_path / "empty").mkdir()
    assert main(["batch", str(tmp_path / "empty"), "--out", out]) == 3
    assert main(["batch", str(inbox), "--out", out, "--exercise", "no_such_exercise"]) == 2
    assert main(["batch", str(inbox), "--out", out, "--exercise", "../x"]) == 2
    assert not Path(out).exists()  # a batch that cannot start makes no report folder
    for usage in (["--workers", "0"], ["-e", "squat", "--manifest", "m.csv"]):
        with pytest.raises(SystemExit) as exit_info:  # argparse's usage errors
            main(["batch", str(inbox), "--out", out, *usage])
        assert exit_info.value.code == 2


def test_exercise_given_as_a_spec_file_names_the_outputs_after_its_id(tmp_path: Path) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    write_video(root / "monday.mp4")
    spec_file = tmp_path / "my_bridge.toml"
    text = (REPO_ROOT / "exercise_specs" / "bridge.toml").read_text()
    spec_file.write_text(text.replace('id = "bridge"', 'id = "my_bridge"'))
    jobs = plan_jobs(root, out, exercise=str(spec_file))
    assert [(job.exercise, job.spec.id) for job in jobs] == [("my_bridge", "my_bridge")]


# --- Dask --------------------------------------------------------------------------------


def test_batch_on_dask_local_cluster(inbox: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    out = tmp_path / "out"
    with (
        distributed.LocalCluster(
            host="127.0.0.1",
            protocol="tcp://",
            n_workers=1,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
        ) as cluster,
        dask_plan(cluster.scheduler_address) as plan,
    ):
        assert plan.slots == 1
        assert plan.threads_per_task == available_cores()  # one task on this machine
        result = run_batch(plan_jobs(inbox, out), out, plan, analyze_fn=synthetic_analysis)
    assert result.exit_code == 5
    assert sum(row.run == "analysed" for row in result.rows) == 2 and result.count("failed") == 3
    assert outputs(out, "clinic/p2__bridge.mp4", "bridge")["html"].is_file()


def test_dask_unreachable_scheduler_is_a_usage_error(inbox: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    code = main(
        ["batch", str(inbox), "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:9"]
    )
    assert code == 2


# --- end to end with MediaPipe ---------------------------------------------------------


@pytest.mark.mediapipe
def test_batch_cli_real_pipeline(realclip, tmp_path: Path) -> None:
    """The command on a real clip (MediaPipe in a spawned worker), a corrupt file and a
    non-video; then a rerun that skips the finished clip."""
    root, out = tmp_path / "in", tmp_path / "out"
    root.mkdir()
    shutil.copy(realclip("bird_dog/chloe_bird_dog.gif"), root / "p1__bird_dog__clip.gif")
    (root / "p2__bridge__bad.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(500))
    (root / "p3__bridge__notes.mp4").write_text("not a video")
    args = ["batch", str(root), "--out", str(out), "--workers", "1", "--annotate"]
    assert main(args) == 5
    rows = rows_by_file(out)
    assert rows["p1__bird_dog__clip.gif"]["run"] == "analysed"
    assert "damaged" in rows["p2__bridge__bad.mp4"]["error"]
    assert "not a video" in rows["p3__bridge__notes.mp4"]["error"]
    paths = outputs(out, "p1__bird_dog__clip.gif", "bird_dog")
    report = json.loads(paths["json"].read_text())
    assert report["input"]["frames"] == 42 and report["analysis"]["frames_with_person"] > 30
    assert paths["annotated_video"].stat().st_size > 0
    assert f'src="{paths["annotated_video"].name}"' in paths["html"].read_text()
    state = json.loads((out / STATE_FILE).read_text())
    assert state["videos"]["p1__bird_dog__clip.gif"]["status"] == "ok"
    assert main(args) == 5
    assert rows_by_file(out)["p1__bird_dog__clip.gif"]["run"] == "unchanged"


# --- signals: interrupted at any moment, a rerun finishes the batch ---------------------

DRIVER = Path(__file__).parent / "batch_driver.py"


def _gone(pid: int) -> bool:
    """The process has ended (a zombie waiting for its reaper counts as ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


def _wait_for(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _finished(out: Path) -> dict[str, str]:
    state = json.loads((out / STATE_FILE).read_text(encoding="utf-8"))
    return {rel: e["finished"] for rel, e in state["videos"].items() if e["status"] == "ok"}


@pytest.mark.skipif(sys.platform != "linux", reason="workers die with the batch on Linux only")
@pytest.mark.parametrize(
    ("signum", "target"),
    [
        (signal.SIGTERM, "main"),  # docker stop, kill
        (signal.SIGINT, "group"),  # Ctrl-C in a terminal reaches every process
        (signal.SIGKILL, "main"),
        (signal.SIGKILL, "worker"),
    ],
    ids=["SIGTERM-main", "SIGINT-all", "SIGKILL-main", "SIGKILL-worker"],
)
def test_signalled_batch_leaves_no_worker_no_temp_and_its_rerun_finishes(
    tmp_path: Path, signum: int, target: str
) -> None:
    root, out, stalls, temp = (tmp_path / n for n in ("in", "out", "stalls", "tmp"))
    for name in ("a", "b", "slow1", "slow2"):
        write_video(root / f"p__squat__{name}.mp4")
    stalls.mkdir()
    temp.mkdir()
    env = {**os.environ, "FORMCHECK_TEST_STALLS": str(stalls), "TMPDIR": str(temp)}
    command = [sys.executable, str(DRIVER), str(root), str(out)]
    batch = subprocess.Popen(
        command, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        _wait_for(lambda: len(list(stalls.iterdir())) == 2, 120, "both workers to stall")
        workers = [int(p.read_text()) for p in stalls.iterdir()]
        done_before = _finished(out)
        assert set(done_before) == {"p__squat__a.mp4", "p__squat__b.mp4"}
        if target == "group":
            os.killpg(batch.pid, signum)
        else:
            os.kill(workers[0] if target == "worker" else batch.pid, signum)
        _, err = batch.communicate(timeout=120)
    finally:
        batch.kill()
    assert "Traceback" not in err
    if target == "worker":  # the batch goes on: the lost videos are retried
        assert batch.returncode == 0
    else:
        expected = -signal.SIGKILL if signum == signal.SIGKILL else 130
        assert batch.returncode == expected
        _wait_for(lambda: all(_gone(pid) for pid in workers), 10, "the workers to die")
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    finished = _finished(out)
    assert len(finished) == 4
    assert all(finished[rel] == when for rel, when in done_before.items())  # not redone
    for report in out.glob("videos/**/*.json"):
        validate_report(json.loads(report.read_text(encoding="utf-8")))
    assert list(temp.iterdir()) == []  # no temporary copy of any video
    assert [p for p in out.rglob("*") if p.name.endswith(".tmp")] == []


def test_a_signal_while_waiting_on_the_workers_is_raised_after_the_wait() -> None:
    """Ctrl-C raised inside ``concurrent.futures.wait`` can leave a future's lock held
    (the pool's shutdown then hangs): the runner notes it there and raises it when the
    wait returns, leaving every future's lock free."""
    from concurrent.futures import Future

    from formcheck.batch import runner

    never: Future[runner.VideoOutcome] = Future()
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    with runner._INTERRUPTS.installed():
        timer.start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            runner._wait_for_one([never])
    assert 0.3 <= time.monotonic() - started < 2.0
    assert never._condition.acquire(blocking=False)  # not left held by the interrupted wait
    never._condition.release()
    runner._INTERRUPTS.deferring = True
    runner._INTERRUPTS.handle(signal.SIGINT, None)  # noted, not raised, while deferring
    assert runner._INTERRUPTS.pending
    runner._INTERRUPTS.deferring = runner._INTERRUPTS.pending = False


def test_a_count_the_camera_view_could_not_measure_is_blank_and_asks_for_review() -> None:
    """Side-on shoulder taps (issue 13, class 10): the overview shows no figures, not
    "0 reps", and says why a reviewer should look; from the batch state file of an
    older run (no such field) a summary reads as measured."""
    measured = VideoSummary(
        exercise_title="Plank shoulder taps",
        counts_reps=True,
        times_holds=False,
        reps_total=0,
        reps_good=0,
        reps_left=0,
        reps_right=0,
        reps_target=(10, 10),
        holds={},
        hold_target_s=None,
        target_met=None,
        faults=(),
        warnings=(),
        frames=187,
        frames_with_person=187,
    )
    not_measurable = dataclasses.replace(measured, not_measurable=True)
    assert measured.review_reasons == ("no rep counted",)
    assert not_measurable.review_reasons == ("not measurable from this camera view",)
    old_state = {k: v for k, v in not_measurable.to_dict().items() if k != "not_measurable"}
    assert VideoSummary.from_dict(old_state) == measured
    rows = [
        BatchRow("taps.mp4", "", "", "plank_shoulder_taps", "analysed", summary=s)
        for s in (measured, not_measurable)
    ]
    cells = [csv_row(row) for row in rows]
    assert cells[0]["reps_total"] == cells[0]["reps_left"] == "0"
    assert cells[1]["reps_total"] == cells[1]["reps_left"] == cells[1]["reps_good"] == ""
    assert "not measured" in index_html(rows[1:]) and "not measured" not in index_html(rows[:1])
