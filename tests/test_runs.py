"""Runs and output files: one writer per folder (lock, stale lock taken over), no silent reuse of a
used run folder, atomic output sets, temporaries cleaned, file modes from the umask, checkpoints
checked against the model they are loaded for, MEVA ``--stage all --resume`` across stages."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from posebench import io, results
from posebench.errors import CheckpointError
from posebench.locking import LOCK_NAME, LockError, folder_lock
from posebench.training.run_folder import RunFolderError, check_fresh_run, run_folder

HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from posebench.locking import folder_lock
    with folder_lock(sys.argv[1], "run folder"):
        print("locked", flush=True)
        time.sleep(60)
""")


@pytest.fixture
def lock_holder(tmp_path):
    """Another process holding ``tmp_path/run``'s lock until the test ends."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(tmp_path / "run")], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    yield proc
    proc.kill()
    proc.wait()


def test_second_writer_fails_naming_the_lock_and_holder(tmp_path, lock_holder):
    with pytest.raises(LockError) as err:
        with folder_lock(tmp_path / "run", "run folder"):
            pass
    message = str(err.value)
    assert str(tmp_path / "run" / LOCK_NAME) in message and f"pid {lock_holder.pid}" in message
    assert "\n" not in message


def test_lock_of_a_killed_process_is_taken_over(tmp_path, lock_holder):
    lock_holder.kill()
    lock_holder.wait()
    assert (tmp_path / "run" / LOCK_NAME).is_file()  # left behind by the killed holder
    with folder_lock(tmp_path / "run") as lock:
        assert str(os.getpid()) in lock.read_text()
    assert not lock.exists()


def test_lock_is_reentrant_and_covers_sub_folders(tmp_path):
    with folder_lock(tmp_path / "run"):
        with folder_lock(tmp_path / "run"), folder_lock(tmp_path / "run" / "vae"):
            pass
        assert (tmp_path / "run" / LOCK_NAME).is_file()


def test_fresh_run_into_a_used_folder_is_refused_or_cleared(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.csv").write_text("step,split\n1,train\n")
    (run / "best.pt").write_bytes(b"old")
    (run / "notes.txt").write_text("mine")
    with pytest.raises(RunFolderError, match="--resume.*--overwrite"):
        check_fresh_run(run)
    with run_folder(run, resume=False, overwrite=True):
        assert not (run / "metrics.csv").exists() and not (run / "best.pt").exists()
    assert (run / "notes.txt").read_text() == "mine"  # only a run's own files are removed


def test_killed_writers_temporaries_are_cleaned_on_the_next_start(tmp_path):
    run = tmp_path / "run"
    (run / "vae").mkdir(parents=True)
    stale = [run / ".last.pt.k2j3.tmp", run / "vae" / ".metrics.csv.x1.tmp"]
    for p in stale:
        p.write_bytes(b"half")
    (run / "keep.tmp").write_text("not ours")
    with run_folder(run, resume=True):
        assert not any(p.exists() for p in stale)
    assert (run / "keep.tmp").exists()


def test_files_follow_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        io.write_text(tmp_path / "a.txt", "x")
        with io.atomic_folder(tmp_path / "set") as folder:
            (folder / "b.txt").write_text("y")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "set").stat().st_mode) == 0o750


def test_output_set_is_replaced_whole_and_a_failure_keeps_the_old_set(tmp_path):
    out = tmp_path / "out"
    rows = [{"model": "m", "dataset": "d", "protocol": "p", "metric": "MPJPE", "unit": "mm", "value": 1.0}]
    results.write_results(out, rows=rows, per_sequence=None, comparison=None, meta={})
    (out / "stray.csv").write_text("from an older version")
    with results.output_set(out) as folder:
        paths = results.write_results(folder, rows=rows, per_sequence=None, comparison=None, meta={"run": 2})
        assert paths["summary"] == out / "summary.csv"
    assert sorted(p.name for p in out.iterdir()) == ["results.json", "summary.csv"]
    with pytest.raises(RuntimeError):
        with results.output_set(out) as folder:
            (folder / "summary.csv").write_text("half")
            raise RuntimeError("killed")
    assert '"run": 2' in (out / "results.json").read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporaries, no lock left


def test_swap_killed_between_its_renames_is_repaired(tmp_path):
    (tmp_path / ".out.ab12.old.tmp").mkdir()
    (tmp_path / ".out.ab12.old.tmp" / "summary.csv").write_text("old")
    (tmp_path / ".out.cd34.tmp").mkdir()  # the new set, never renamed into place
    io.clean_stale_temporaries(tmp_path, "out")
    assert (tmp_path / "out" / "summary.csv").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_output_set_never_replaces_a_folder_with_other_files(tmp_path, monkeypatch):
    from posebench.errors import UsageError

    rows = [{"model": "m", "dataset": "d", "protocol": "p", "metric": "MPJPE", "unit": "mm", "value": 1.0}]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    with pytest.raises(UsageError, match="thesis.tex"):
        results.write_results(mine, rows=rows, per_sequence=None, comparison=None, meta={})
    monkeypatch.chdir(mine)
    with pytest.raises(UsageError, match="current folder"):
        results.write_results(Path("."), rows=rows, per_sequence=None, comparison=None, meta={})
    assert (mine / "thesis.tex").read_text() == "precious"


def test_overwrite_clears_the_run_and_its_stage_folders_only(tmp_path):
    from posebench.training.run_folder import clear_run

    run = tmp_path / "run"
    for rel in ("best.pt", "metrics.csv", "vae/last.pt", "vae/report.json", "tb/events", "data/deep/metrics.csv",
                "notes.md"):
        (run / rel).parent.mkdir(parents=True, exist_ok=True)
        (run / rel).write_text("x")
    clear_run(run, recursive=True)
    left = sorted(str(p.relative_to(run)) for p in run.rglob("*") if p.is_file())
    assert left == ["data/deep/metrics.csv", "notes.md"]
