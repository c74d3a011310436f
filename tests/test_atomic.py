"""formcheck.atomic: a write replaces its target whole or not at all, and says why it failed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from formcheck.atomic import (
    AtomicFile,
    atomic_path,
    check_writable,
    output_folder,
    remove_stale_temps,
    writable_folder,
    write_text_atomic,
)
from formcheck.errors import OutputError


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    write_text_atomic(target, "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_temporaries_of_dead_writers_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    dead = tmp_path / f".report.json.{_dead_pid()}.formcheck-abcd1234.tmp"
    alive = tmp_path / f".other.json.{os.getppid()}.formcheck-abcd1234.tmp"
    mine = tmp_path / "notes.tmp"  # not formcheck's
    for path in (dead, alive, mine):
        path.write_text("x")
    write_text_atomic(tmp_path / "report.json", "{}")
    assert not dead.exists() and alive.exists() and mine.exists()
    nested = tmp_path / "videos" / "a_mp4"
    nested.mkdir(parents=True)
    left = nested / f".annotated.mp4.{_dead_pid()}.formcheck-abcd1234.tmp"
    left.write_bytes(b"part of a video")
    remove_stale_temps(tmp_path)
    assert not left.exists() and alive.exists()


@pytest.mark.parametrize(
    ("make_target", "reason"),
    [
        (lambda d: Path("/proc/formcheck/x.json"), "No such file or directory"),
        (lambda d: d, "it is a folder"),
        (lambda d: d / "file.txt" / "x.json", "file.txt' is a file, not a folder"),
    ],
    ids=["under-proc", "a-folder", "under-a-file"],
)
def test_an_unwritable_target_is_one_error_naming_path_and_reason(tmp_path, make_target, reason):
    (tmp_path / "file.txt").write_text("x")
    target = make_target(tmp_path)
    with pytest.raises(OutputError) as error:
        check_writable(target)
    assert str(target) in str(error.value) and reason in str(error.value)
    with pytest.raises(OutputError):
        write_text_atomic(target, "{}")


def test_writable_folder(tmp_path: Path) -> None:
    assert writable_folder(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert list((tmp_path / "a" / "b").iterdir()) == []
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="it is a file, not a folder"):
        writable_folder(tmp_path / "f")


def test_a_commit_that_fails_discards_the_temporary(tmp_path: Path) -> None:
    file = AtomicFile(tmp_path / "out" / "video.mp4")
    file.path.write_bytes(b"frames")
    (tmp_path / "out").rename(tmp_path / "moved")
    with pytest.raises(OutputError, match=r"video\.mp4"):
        file.commit()


def test_an_output_folder_made_for_a_failed_command_is_removed(tmp_path: Path) -> None:
    made = tmp_path / "reports" / "week 3"
    with pytest.raises(OutputError), output_folder(made) as folder:
        assert folder.is_dir()
        raise OutputError("the work failed")
    assert not (tmp_path / "reports").exists()


def test_an_output_folder_that_existed_or_got_files_is_kept(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    with pytest.raises(KeyboardInterrupt), output_folder(tmp_path / "reports" / "a"):
        raise KeyboardInterrupt
    assert [p.name for p in tmp_path.iterdir()] == ["reports"]
    assert list((tmp_path / "reports").iterdir()) == []
    with pytest.raises(OutputError), output_folder(tmp_path / "b") as folder:
        (folder / "report.json").write_text("{}")
        raise OutputError("a later write failed")
    assert (tmp_path / "b" / "report.json").exists()
