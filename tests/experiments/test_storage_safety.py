"""The results folder changes only what funnelsim wrote, only while it holds the folder."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import funnelsim
from funnelsim.base.files import temporary_name
from funnelsim.experiments.storage import LOCK, ResultsFolder, ResultsFolderError, ours
from funnelsim.results.experiment import FINAL_FILES, MANIFEST
from tests.helpers import SHORT

RUN = {"reps": 2, "workers": 1, "overrides": SHORT}


def _snapshot(folder):
    """Every file under ``folder`` (but the lock) and its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != LOCK
    }


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished two-replication comparison, copied by each test that changes it."""
    out = tmp_path_factory.mktemp("finished") / "out"
    funnelsim.compare(out=out, **RUN)
    return out


def _copy(finished, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    return out


foreign_manifests = st.one_of(
    st.dictionaries(st.text(max_size=12), st.text(max_size=12), max_size=4).filter(
        lambda d: not {"funnelsim_version", "fingerprint"} <= set(d) and "format" not in d
    ),
    st.lists(st.integers(), max_size=3),
    st.text(max_size=10),
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(manifest=foreign_manifests)
def test_overwrite_refuses_a_folder_whose_manifest_funnelsim_did_not_write(tmp_path, manifest):
    web = tmp_path / "web"
    shutil.rmtree(web, ignore_errors=True)
    web.mkdir()
    (web / MANIFEST).write_text(json.dumps(manifest))
    (web / "index.html").write_text("x")
    before = _snapshot(web)
    with pytest.raises(ResultsFolderError, match="funnelsim did not write"):
        funnelsim.compare(out=web, overwrite=True, **RUN)
    assert _snapshot(web) == before


def test_overwrite_removes_only_funnelsims_files_and_lists_them(finished, tmp_path):
    out = _copy(finished, tmp_path)
    (out / "notes.txt").write_text("mine")
    (out / "parts" / "draft.txt").write_text("mine too")
    old_chunks = sorted(p.name for p in (out / "parts").iterdir() if p.is_dir())
    written = [n for n in FINAL_FILES if (out / n).exists()]
    results = funnelsim.compare(out=out, overwrite=True, **RUN)
    removed = results.manifest["removed"]
    assert len(written) == len(FINAL_FILES) and old_chunks
    assert sorted(removed) == sorted([*written, MANIFEST, *(f"parts/{c}" for c in old_chunks)])
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "parts" / "draft.txt").read_text() == "mine too"
    assert ours(out)


def test_a_refused_resume_changes_nothing(finished, tmp_path):
    out = _copy(finished, tmp_path)
    before = _snapshot(out)
    with (out / LOCK).open("a") as other:  # another run holds the folder
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(ResultsFolderError, match="another funnelsim run"):
            funnelsim.compare(out=out, resume=True, **RUN | {"reps": 3})
    assert _snapshot(out) == before
    with pytest.raises(ResultsFolderError, match="different experiment"):
        funnelsim.compare(out=out, resume=True, seed=9, **RUN)
    assert _snapshot(out) == before
    ResultsFolder.reopen(out, json.loads((out / MANIFEST).read_text())["fingerprint"])


@pytest.mark.parametrize("table", ["runs", "weekly", "groups"])
@pytest.mark.parametrize("keep", [0.0, 0.3, 0.9])
def test_a_damaged_chunk_is_run_again_on_resume(finished, tmp_path, table, keep):
    out = _copy(finished, tmp_path)
    parts = sorted(p for p in (out / "parts").iterdir() if p.is_dir())
    damaged = parts[0] / f"{table}.parquet"
    data = damaged.read_bytes()
    damaged.write_bytes(data[: int(len(data) * keep)])
    results = funnelsim.compare(out=out, resume=True, **RUN)
    expected = pd.read_parquet(finished / "runs.parquet")
    pd.testing.assert_frame_equal(results.runs, expected)
    assert (parts[0] / f"{table}.parquet").read_bytes() == data  # landed again, whole
    assert _snapshot(out)["weekly.parquet"] == _snapshot(finished)["weekly.parquet"]


@pytest.mark.parametrize("name", [n for n in FINAL_FILES if n != "periods.parquet"])
def test_a_damaged_final_table_is_written_again_on_resume(finished, tmp_path, name):
    out = _copy(finished, tmp_path)
    (out / name).write_bytes(b"")
    funnelsim.compare(out=out, resume=True, **RUN)
    assert (out / name).read_bytes() == (finished / name).read_bytes()


def test_temporaries_of_a_killed_run_are_removed_on_resume(finished, tmp_path):
    out = _copy(finished, tmp_path)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    mine = f"-{os.getpid()}."
    stale = out / temporary_name("runs.parquet").replace(mine, f"-{child.pid}.")
    staging = out / "parts" / temporary_name("p000000-r0000000-0000001")
    stale.write_text("x")
    staging.mkdir()
    funnelsim.compare(out=out, resume=True, **RUN)
    assert not stale.exists() and not staging.exists()


@pytest.mark.parametrize("name", [n for n in FINAL_FILES if n != "periods.parquet"])
@pytest.mark.parametrize("keep", [0, 0.5])
def test_a_damaged_folder_is_named_in_one_line_by_every_reader(finished, tmp_path, cli, name, keep):
    out = _copy(finished, tmp_path)
    data = (out / name).read_bytes()
    (out / name).write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(funnelsim.FunnelsimError, match=f"{name}: damaged.*--resume"):
        funnelsim.load_results(out)
    for command in (["plot", str(out)], ["report", str(out)]):
        result = cli(*command)
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert f"{name}: damaged" in result.output
