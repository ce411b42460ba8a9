"""A run's document says what ran: the overrides as given and the resolved scenario's hash."""

from __future__ import annotations

import hashlib
import json

import pytest
from typer.testing import CliRunner

import funnelsim
from funnelsim.base.jsondoc import plain
from funnelsim.cli.app import app
from tests.helpers import SHORT, SHORT_ARGS

SETS = ["--set", "sdr.headcount=6", "--set", "sla.response_time=2h"]


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def document(runner: CliRunner, *args: str) -> dict:
    result = runner.invoke(app, ["run", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_overrides_are_recorded_as_given_and_replay_the_run(runner):
    doc = document(runner, "--seed", "2", *SHORT_ARGS, *SETS)
    assert doc["overrides"] == {**SHORT, "sdr.headcount": 6, "sla.response_time": "2h"}
    scenario = funnelsim.load_scenario(policy=doc["policy"], overrides=doc["overrides"])
    again = funnelsim.simulate(scenario, seed=doc["seed"])
    assert plain(again.summary["metrics"]) == doc["metrics"]
    assert again.summary["scenario_hash"] == doc["scenario_hash"]


def test_the_hash_is_sha256_of_the_resolved_scenarios_canonical_json(runner):
    doc = document(runner, *SHORT_ARGS, *SETS)
    resolved = funnelsim.load_scenario(overrides=doc["overrides"]).model_dump(
        mode="json", by_alias=True
    )
    canonical = json.dumps(resolved, sort_keys=True, separators=(",", ":"))
    assert doc["scenario_hash"] == "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def test_the_hash_follows_the_resolved_content_not_how_it_was_given(runner, tmp_path):
    policy = tmp_path / "six.yaml"
    policy.write_text("sdr:\n  headcount: 6\n")
    by_set = document(runner, *SHORT_ARGS, "--set", "sdr.headcount=6")
    by_file = document(runner, *SHORT_ARGS, "--policy", str(policy))
    other = document(runner, *SHORT_ARGS, "--set", "sdr.headcount=7")
    assert by_file["overrides"] == SHORT and by_set["overrides"] != by_file["overrides"]
    assert by_set["scenario_hash"] != by_file["scenario_hash"]  # the policy's name differs
    unnamed = funnelsim.load_scenario(overrides={**SHORT, "sdr.headcount": 6})
    assert funnelsim.simulate(unnamed).summary["scenario_hash"] == by_set["scenario_hash"]
    assert other["scenario_hash"] != by_set["scenario_hash"]


def test_a_run_hashes_its_scenario_as_the_experiment_manifest_does(runner, tmp_path):
    out = tmp_path / "cmp"
    args = ["compare", "--reps", "1", "--workers", "1", "--out", str(out), "-q", *SHORT_ARGS]
    assert runner.invoke(app, args).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    for policy in ("misaligned", "aligned"):
        doc = document(runner, "--policy", policy, *SHORT_ARGS)
        assert doc["scenario_hash"] == manifest["scenario"][policy]["hash"]


def test_no_file_can_claim_overrides(runner, tmp_path):
    policy = tmp_path / "sneaky.yaml"
    policy.write_text("overrides: {sdr.headcount: 9}\n")
    result = runner.invoke(app, ["run", "--policy", str(policy), *SHORT_ARGS])
    assert result.exit_code == 2
    assert f"{policy}:1: overrides: records the --set overrides, never set in a file" in (
        result.output
    )
    assert "Traceback" not in result.output
