"""Policies by name: every table, on disk and in memory, selects a policy by what it is called."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from funnelsim.experiments import compare
from funnelsim.results import load_results
from funnelsim.results.experiment import named_policies
from tests.helpers import SHORT, SHORT_ARGS

POLICIES = ["misaligned", "aligned"]  # not in alphabetical order, on purpose
REPS = 2
WEEKS = 12


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("names") / "cmp"
    compare(None, POLICIES, reps=REPS, seed=3, overrides=SHORT, workers=1, out=out)
    return out


@pytest.fixture(scope="module")
def kept():
    return compare(None, POLICIES, reps=REPS, seed=3, overrides=SHORT, workers=1)


def rows_per_policy(frame: pd.DataFrame, name: str) -> int:
    """A policy's rows in a table: one per run, per run and week, per run, source and segment."""
    if name == "groups":
        return REPS * frame.drop_duplicates(["group", "name"]).shape[0]
    return REPS * (WEEKS if name == "weekly" else 1)


@pytest.mark.parametrize("name", ["runs", "weekly", "groups"])
def test_a_policy_is_selected_by_its_name_on_disk_and_in_memory(written, kept, name):
    loaded = getattr(load_results(written), name)
    for frame in (loaded, getattr(kept, name)):
        aligned = frame.query("policy == 'aligned'")
        assert len(aligned) == rows_per_policy(frame, name) > 0
        assert set(aligned["replication"]) == set(range(REPS))
        assert list(frame["policy"].cat.categories) == POLICIES
        assert frame["policy"].cat.ordered
        assert len(frame) == 2 * len(aligned)


@pytest.mark.parametrize("name", ["runs", "weekly", "groups"])
def test_the_parquet_files_hold_names_in_the_experiments_order(written, name):
    raw = pd.read_parquet(written / f"{name}.parquet")
    assert list(raw["policy"].cat.categories) == POLICIES
    assert list(raw["policy"].drop_duplicates()) == POLICIES  # rows in experiment order
    assert len(raw.query("policy == 'aligned'")) == len(raw) // 2 > 0


def test_the_csv_tables_and_the_parquet_runs_agree(written):
    runs = pd.read_parquet(written / "runs.parquet")
    summary = pd.read_csv(written / "summary.csv").set_index(["policy", "metric"])
    differences = pd.read_csv(written / "differences.csv").set_index("metric")
    for policy in POLICIES:
        booked = runs.loc[runs["policy"] == policy, "bookings_per_year"]
        assert summary.at[(policy, "bookings_per_year"), "mean"] == pytest.approx(booked.mean())
    wide = runs.pivot(index="replication", columns="policy", values="bookings_per_year")
    paired = (wide["aligned"] - wide["misaligned"]).mean()
    assert differences.at["bookings_per_year", "policy"] == "aligned"
    assert differences.at["bookings_per_year", "mean"] == pytest.approx(paired)


def test_positions_from_folders_written_before_names_are_read_as_names():
    frame = pd.DataFrame({"replication": [0, 0, 1], "policy": [0, 1, 1]})
    named = named_policies(frame, POLICIES)
    assert named["policy"].tolist() == ["misaligned", "aligned", "aligned"]
    assert list(named["policy"].cat.categories) == POLICIES
    assert frame["policy"].tolist() == [0, 1, 1]  # the frame given is left as it was


def test_a_folder_of_the_earlier_layout_is_not_resumed_into(tmp_path, cli):
    out = tmp_path / "out"
    args = ("compare", "--reps", "1", "--workers", "1", "--quiet", *SHORT_ARGS, "--out", str(out))
    assert cli(*args).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(
        json.dumps(manifest | {"format": "funnelsim results folder 1"})
    )
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    resumed = cli(*args, "--resume")
    assert resumed.exit_code == 2 and "Traceback" not in resumed.stderr
    assert f"{out}: was written by an earlier funnelsim; start again with --overwrite" in " ".join(
        resumed.stderr.split()
    )
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert cli(*args, "--overwrite").exit_code == 0
