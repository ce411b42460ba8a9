"""Atomic writes: whole files, flushed, with the umask's mode; temporaries of killed runs go."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnelsim.base import files
from funnelsim.base.files import atomic_write, check_intact, remove_stale, temporary_name
from funnelsim.errors import FunnelsimError


@pytest.fixture
def umask():
    """Set the umask for one test and put the old one back."""
    old = os.umask(0o022)
    os.umask(old)
    yield lambda value: os.umask(value)
    os.umask(old)


@pytest.mark.parametrize("mask", [0o000, 0o002, 0o022, 0o027, 0o077])
def test_a_written_file_gets_the_mode_the_umask_gives(tmp_path, umask, mask):
    umask(mask)
    target = tmp_path / "table.csv"
    atomic_write(target, lambda p: p.write_text("a\n1\n"))
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert target.read_text() == "a\n1\n"


def test_the_file_and_its_folder_are_flushed_before_and_after_the_rename(tmp_path, monkeypatch):
    synced: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    target = tmp_path / "manifest.json"
    files.write_json(target, {"a": 1})
    assert len(synced) == 2
    assert os.path.basename(synced[0]).endswith(files.SUFFIX)  # the temporary, before renaming
    assert synced[1] == str(tmp_path)  # then the folder, so the rename is on the disk


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "summary.csv"
    target.write_text("old\n")

    def fail(path):
        path.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, fail)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.csv"]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_temporaries_of_ended_processes_are_removed_and_live_ones_kept(tmp_path):
    dead = temporary_name("runs.parquet").replace(f"-{os.getpid()}.", f"-{_dead_pid()}.")
    live = temporary_name("weekly.parquet")  # this process: still writing it
    foreign = ".index.html.swp"  # not ours: never touched
    for name in (dead, live, foreign):
        (tmp_path / name).write_text("x")
    atomic_write(tmp_path / "summary.csv", lambda p: p.write_text("a\n"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live, foreign, "summary.csv"])
    assert remove_stale(tmp_path) == []


@settings(max_examples=40, deadline=None)
@given(name=st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=20))
def test_only_names_of_the_temporary_pattern_count_as_stale(tmp_path_factory, name):
    folder = tmp_path_factory.mktemp("stale")
    (folder / f".{name}.partial").write_text("x")  # a hidden file with the suffix, not ours
    (folder / f".{name}.12345678").write_text("x")
    assert remove_stale(folder) == []


def _tables(folder):
    pd.DataFrame({"a": range(100)}).to_parquet(folder / "runs.parquet")
    pd.DataFrame({"a": range(10)}).to_csv(folder / "summary.csv", index=False)
    return {n: (folder / n).read_bytes() for n in ("runs.parquet", "summary.csv")}


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(["runs.parquet", "summary.csv"]), cut=st.floats(0, 1, exclude_max=True))
def test_a_truncated_table_is_named_in_one_line(tmp_path_factory, name, cut):
    folder = tmp_path_factory.mktemp("results")
    whole = _tables(folder)[name]
    kept = int(len(whole) * cut)
    if name == "summary.csv" and kept:
        kept = 0  # a CSV cut after its first byte still reads: atomic writes prevent that
    (folder / name).write_bytes(whole[:kept])
    with pytest.raises(FunnelsimError) as info:
        check_intact(folder, ["runs.parquet", "summary.csv", "absent.csv"], "run it again")
    message = str(info.value)
    assert message.startswith(f"{folder / name}: damaged, ") and message.endswith("run it again")
    assert "\n" not in message


def test_intact_tables_pass(tmp_path):
    _tables(tmp_path)
    check_intact(tmp_path, ["runs.parquet", "summary.csv", "absent.parquet"], "never said")
