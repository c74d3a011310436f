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
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pytest
from builders import performance, write_video

from formcheck.batch import (
    BatchOptions,
    ExecutorPlan,
    ManifestError,
    dask_plan,
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
from formcheck.cli import main
from formcheck.filters import ButterworthConfig
from formcheck.pipeline import Analysis, AnalysisOptions, analysis_from_poses
from formcheck.report import output_name, output_stem, validate_report
from formcheck.sources import open_source
from formcheck.specs import ExerciseSpec

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
    found = discover_videos(inbox, exclude=inbox / "reports")
    assert found == [
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
    info = dataclasses.replace(analysis.report.analysis, backend=f"threads={options.threads}")
    analysis.report = dataclasses.replace(analysis.report, analysis=info)
    return analysis


@pytest.mark.parametrize(("given", "expected"), [(None, 3), (1, 1)])
def test_workers_share_the_cores_unless_threads_are_given(
    tmp_path: Path, given: int | None, expected: int
) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    write_video(root / "p__squat__a.mp4")
    plan = ExecutorPlan(
        make=lambda: ThreadPoolExecutor(1), slots=1, restartable=False, threads_per_task=3
    )
    options = BatchOptions(analysis=AnalysisOptions(threads=given))
    run_batch(plan_jobs(root, out), out, plan, options, analyze_fn=thread_count_analysis)
    report = json.loads(outputs(out, "p__squat__a.mp4", "squat")["json"].read_text())
    assert report["analysis"]["backend"] == f"threads={expected}"


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


# --- the command ---------------------------------------------------------------------


def test_cli_exit_codes(inbox: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    assert main(["batch", str(tmp_path / "missing"), "--out", out]) == 3
    (tmp_path / "empty").mkdir()
    assert main(["batch", str(tmp_path / "empty"), "--out", out]) == 3
    assert main(["batch", str(inbox), "--out", out, "--exercise", "no_such_exercise"]) == 2
    assert main(["batch", str(inbox), "--out", out, "--exercise", "../x"]) == 2
    for usage in (["--workers", "0"], ["-e", "squat", "--manifest", "m.csv"]):
        with pytest.raises(SystemExit) as exit_info:  # argparse's usage errors
            main(["batch", str(inbox), "--out", out, *usage])
        assert exit_info.value.code == 2


def test_exercise_given_as_a_spec_file_names_the_outputs_after_its_id(tmp_path: Path) -> None:
    root, out = tmp_path / "in", tmp_path / "out"
    write_video(root / "monday.mp4")
    spec_file = tmp_path / "my_bridge.toml"
    text = (Path(__file__).parents[1] / "exercise_specs" / "bridge.toml").read_text()
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
