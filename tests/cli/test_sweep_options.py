"""``sweep --reps --seed --set``: the experiment file's values replaced as ``compare`` takes them,
recorded in the manifest, and checked again by ``--resume``."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pandas as pd
import pytest

from funnelsim.cli import experiments, options
from tests.helpers import SHORT, SHORT_ARGS

EXPERIMENT = "policies: [misaligned, aligned]\nreplications: 7\nseed: 0\n"
SWEEP = "factors:\n  sdr.headcount: [3, 5]\nreplications: 1\n"


@pytest.fixture
def experiment(tmp_path) -> Path:
    path = tmp_path / "pair.yaml"
    path.write_text(EXPERIMENT)
    return path


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def test_compare_and_sweep_share_one_definition_of_each_option():
    for command in (experiments.compare, experiments.sweep):
        parameters = inspect.signature(command).parameters
        assert parameters["reps"].annotation is options.RepsOpt
        assert parameters["seed"].annotation is options.ExperimentSeedOpt
        assert parameters["set_"].annotation is options.SetOpt


def test_sweep_options_mean_what_they_mean_in_compare(experiment, tmp_path, cli):
    quick = ["--reps", "2", "--seed", "5", "--workers", "1", "-q", *SHORT_ARGS]
    swept = cli("sweep", str(experiment), *quick, "--out", str(tmp_path / "sweep"))
    compared = cli("compare", *quick, "--out", str(tmp_path / "compare"))
    assert swept.exit_code == 0 and compared.exit_code == 0, swept.output + compared.output
    runs = [pd.read_parquet(tmp_path / name / "runs.parquet") for name in ("sweep", "compare")]
    assert len(runs[0]) == 4  # 2 replications, not the file's 7, of 2 policies
    pd.testing.assert_frame_equal(runs[0], runs[1])  # same seeds, same horizon, same numbers
    written = manifest(tmp_path / "sweep")
    assert written["options"] == {"replications": 2, "seed": 5, "set": SHORT}
    assert written["root_seed"] == 5 and written["experiment"]["set"] == SHORT


def test_resume_asks_for_the_same_seed_and_settings(experiment, tmp_path, cli):
    out = tmp_path / "out"
    args = ["sweep", str(experiment), "--workers", "1", "-q", "--out", str(out), *SHORT_ARGS]
    assert cli(*args, "--reps", "1", "--seed", "2").exit_code == 0
    before = (out / "manifest.json").read_text()
    for changed in (["--seed", "3"], ["--seed", "2", "--set", "sdr.headcount=6"], []):
        refused = cli(*args, *changed, "--resume")
        assert refused.exit_code == 2, changed
        assert "holds a different experiment" in refused.stderr
        assert (out / "manifest.json").read_text() == before
    more = cli(*args, "--reps", "2", "--seed", "2", "--resume")
    assert more.exit_code == 0, more.output
    assert manifest(out)["done"]["replications"] == 2
    assert manifest(out)["options"]["replications"] == 2


def test_a_bad_set_is_named_as_the_command_lines_not_the_files(tmp_path, cli):
    path = tmp_path / "grid.yaml"
    path.write_text(SWEEP)
    out = tmp_path / "out"
    cases = {
        ("--set", "sdr.headcount=4"): f"--set sdr.headcount: sdr.headcount: is a factor of {path}",
        ("--set", "sdr.attempts=0"): "--set sdr.attempts: sdr.attempts: expected greater than",
        ("--reps", "6000000", "--set", "sdr.attempts=2"): f"{path} with --reps, --set: "
        "replications: expected less than or equal to 1000000",
    }
    for args, message in cases.items():
        result = cli("sweep", str(path), *args, "--out", str(out))
        assert result.exit_code == 2, args
        assert message in result.stderr
        assert "Traceback" not in result.stderr
        assert not out.exists()
