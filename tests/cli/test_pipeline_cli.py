"""``--pipeline`` on the command line and ``pipeline:`` in experiment files: each run warms
up to the file's date and takes its deals over there, says so, and a bad file is refused at
its line before anything runs."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml

import funnelsim
from funnelsim.experiments.orchestrate import prepare
from funnelsim.runner import scenario_hash
from funnelsim.scenario.loading import scenario_file
from funnelsim.views.tables.experiments import replay_command

GOOD = """\
start_date: 2026-03-02
horizon:
  warmup: 2w
pipeline:
  date: 2026-03-16
  deals:
    - id: D-1
      source: inbound
      segment: mid_market
      stage: proposal
      age: 34.5d
      in_stage: 6d
      value: 42000
      ae: 1
    - id: D-2
      source: outbound_sdr
      segment: enterprise
      stage: solution
      age: 80d
      value: 150000.5
    - source: events
      segment: smb
      stage: demo
      age: 12d
"""
"""Three deals open at the end of a two-week warm-up, two with a value (192,000.50 between
them)."""
DEALS, GIVEN = 3, 42000 + 150000.5
DUMPED = [
    {
        "id": "D-1",
        "source": "inbound",
        "segment": "mid_market",
        "stage": "proposal",
        "age": "34.5d",
        "in_stage": "6d",
        "value": 42000.0,
        "ae": 1,
    },
    {
        "id": "D-2",
        "source": "outbound_sdr",
        "segment": "enterprise",
        "stage": "solution",
        "age": "80d",
        "in_stage": None,
        "value": 150000.5,
        "ae": None,
    },
    {
        "id": None,
        "source": "events",
        "segment": "smb",
        "stage": "demo",
        "age": "12d",
        "in_stage": None,
        "value": None,
        "ae": None,
    },
]
"""The deals as a resolved scenario holds them (``model_dump(mode="json")``)."""
PIPELINE = {"date": "2026-03-16", "deals": DUMPED}
"""The pipeline as a resolved scenario holds it."""
QUICK = ["--set", "horizon.length=6w"]
"""Six weeks from the file's start: two of warm-up up to the pipeline's date, four measured."""

BAD_STAGE = GOOD.replace("stage: demo", "stage: proposal")
"""The smb deal in a stage only the larger segments have: line 23."""
BAD = {
    "stage": (
        BAD_STAGE,
        23,
        "pipeline.deals.2.stage: unknown stage 'proposal'; expected one of the stages of "
        "segment smb: discovery, demo, commit",
    ),
    "key": (
        "sdr:\n  headcount: 4\n" + GOOD,
        1,
        "sdr: a pipeline file sets only start_date, horizon, pipeline; set the rest in the "
        "scenario",
    ),
    "in_stage": (
        GOOD.replace("in_stage: 6d", "in_stage: 40d"),
        7,
        "pipeline.deals.0: expected in_stage at most the deal's age (34.5d), got 40d",
    ),
    "value": (
        GOOD.replace("value: 42000", "value: -42000"),
        13,
        "pipeline.deals.0.value: expected greater than or equal to 0, got -42000",
    ),
}
"""Bad pipeline files: the text, the line of the problem, and the problem after the line."""


def write(folder: Path, text: str = GOOD, name: str = "pipeline.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def test_the_bad_files_lines_are_where_the_problems_sit():
    """The lines ``BAD`` expects, checked against the texts themselves."""
    for text, line, message in BAD.values():
        key = message.split(":")[0].rsplit(".", 1)[-1]
        row = text.splitlines()[line - 1].strip().removeprefix("- ")
        assert row.startswith(f"{key}:") or (key == "0" and row.startswith("id: D-1")), row


def test_run_starts_from_the_pipeline_and_its_json_says_so(cli, tmp_path):
    path = write(tmp_path)
    result = cli("run", "--pipeline", str(path), "--json", *QUICK)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    start = doc["funnel_start"]
    assert start["pipeline_date"] == "2026-03-16"
    assert start["open_deals"] == DEALS
    assert start["open_value_given"] == pytest.approx(GIVEN)
    # Measured from the end of the warm-up, the pipeline's date, to the end of the run.
    assert doc["window"]["start"] == "2026-03-16" and doc["window"]["end"] == "2026-04-13"
    assert doc["window"]["weeks"] == 4.0
    resolved = funnelsim.load_scenario(pipeline=path, overrides={"horizon.length": "6w"})
    assert doc["scenario_hash"] == scenario_hash(resolved)
    assert doc["overrides"] == {"horizon.length": "6w"}


def test_a_run_without_a_pipeline_says_nothing_of_open_deals(cli):
    result = cli("run", "--json", "--set", "horizon.length=12w", "--set", "horizon.warmup=2w")
    assert result.exit_code == 0, result.output
    start = json.loads(result.stdout)["funnel_start"]
    assert start["state"] == "steady"
    assert "pipeline_date" not in start
    assert "open_deals" not in start and "open_value_given" not in start


def test_a_relative_pipeline_is_found_from_the_working_folder(cli, tmp_path):
    write(tmp_path / "crm")
    result = cli("run", "--pipeline", "crm/pipeline.yaml", "--json", *QUICK, cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["funnel_start"]["open_deals"] == DEALS


@pytest.mark.parametrize("command", ["run", "validate", "compare"])
@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_pipeline_file_is_refused_at_its_line(cli, tmp_path, command, case):
    text, line, message = BAD[case]
    path = write(tmp_path, text)
    out = tmp_path / "out"
    args = {"run": [], "validate": ["reference"], "compare": ["--reps", "2", "--out", str(out)]}
    result = cli(command, *args[command], "--pipeline", str(path), *QUICK)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert result.stderr.splitlines() == ["error: 1 problem found", f"  {path}:{line}: {message}"]
    assert not out.exists()  # nothing written before the refusal


@pytest.mark.parametrize("command", ["run", "validate", "compare"])
def test_a_pipeline_date_past_the_end_of_the_run_is_refused(cli, tmp_path, command):
    """The date lies inside the file's own run (156 weeks) but past the end of the six weeks
    the override leaves: the pipeline file's ``pipeline`` key says so, at its line."""
    path = write(tmp_path, GOOD.replace("date: 2026-03-16", "date: 2026-05-04"))
    out = tmp_path / "out"
    args = {"run": [], "validate": ["reference"], "compare": ["--reps", "2", "--out", str(out)]}
    result = cli(command, *args[command], "--pipeline", str(path), *QUICK)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: 1 problem found",
        f"  {path}:{GOOD.splitlines().index('pipeline:') + 1}: pipeline: expected its date on or "
        "after start_date (2026-03-02) and before the run ends (2026-04-13), got 2026-05-04",
    ]
    assert not out.exists()


def test_a_missing_pipeline_file_is_refused_in_one_problem(cli, tmp_path):
    path = tmp_path / "nowhere.yaml"
    result = cli("run", "--pipeline", str(path), *QUICK)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        "error: 1 problem found",
        f"  {path}: <top level>: cannot read file: No such file or directory",
    ]


def test_validate_prints_the_deals_it_resolved(cli, tmp_path):
    path = write(tmp_path)
    result = cli("validate", "reference", "--pipeline", str(path))
    assert result.exit_code == 0, result.output
    printed = yaml.safe_load(result.stdout)
    assert printed["pipeline"] == PIPELINE
    assert str(printed["start_date"]) == "2026-03-02"
    assert printed["horizon"]["warmup"] == "2w"
    assert "reference is valid (policies checked: misaligned, aligned)" in result.stderr


def test_validate_with_a_policy_prints_the_deals_under_it(cli, tmp_path):
    path = write(tmp_path)
    result = cli("validate", "reference", "--policy", "aligned", "--pipeline", str(path))
    assert result.exit_code == 0, result.output
    head, body = result.stdout.split("\n", 1)
    assert head == "# reference with policy aligned applied"
    printed = yaml.safe_load(body)
    assert printed["pipeline"] == PIPELINE
    assert printed["scoring"]["mql_threshold"] == 60


def test_compare_runs_every_policy_from_the_pipeline(cli, tmp_path):
    write(tmp_path)
    out = tmp_path / "out"
    args = ["compare", "--pipeline", "pipeline.yaml", "--reps", "2", "--workers", "1"]
    result = cli(*args, "--quiet", *QUICK, "--out", str(out), cwd=tmp_path)
    assert result.exit_code == 0, result.output
    written = manifest(out)
    assert written["replay"]["pipeline"] == str((tmp_path / "pipeline.yaml").resolve())
    assert written["policies"] == ["misaligned", "aligned"]
    for label in written["policies"]:
        resolved = written["scenario"][label]["resolved"]
        assert resolved["pipeline"] == PIPELINE
        assert resolved["start_date"] == "2026-03-02"
        assert resolved["horizon"]["length"] == "6w"
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 4 and set(runs["policy"]) == {"misaligned", "aligned"}


@pytest.fixture
def experiment(tmp_path) -> Path:
    """An experiment with its pipeline file beside it, named relative to it."""
    folder = tmp_path / "study"
    write(folder)
    text = "policies: [misaligned, aligned]\npipeline: pipeline.yaml\nreplications: 1\n"
    text += "set:\n  horizon.length: 6w\n"
    return write(folder, text, "experiment.yaml")


def test_an_experiments_pipeline_is_found_beside_it_and_resolved_under_every_policy(
    experiment, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # not the experiment's folder: the file is found beside it
    plan = prepare(experiment)
    assert plan.replay["pipeline"] == str((experiment.parent / "pipeline.yaml").resolve())
    assert Path(plan.replay["pipeline"]).is_absolute()
    assert plan.labels == ("misaligned", "aligned")
    assert len(plan.scenarios) == 1 and len(plan.scenarios[0]) == 2
    for label, resolved in zip(plan.labels, plan.scenarios[0], strict=True):
        assert resolved["policy"] == label
        assert resolved["pipeline"] == PIPELINE
        assert resolved["start_date"] == "2026-03-02"
        assert resolved["horizon"]["warmup"] == "2w"


def test_sweep_runs_an_experiment_from_its_pipeline(cli, experiment, tmp_path):
    out = tmp_path / "swept"
    result = cli("sweep", str(experiment), "--out", str(out), "--workers", "1", "--quiet")
    assert result.exit_code == 0, result.output
    written = manifest(out)
    assert written["replay"]["pipeline"] == str((experiment.parent / "pipeline.yaml").resolve())
    assert written["experiment"]["pipeline"] == "pipeline.yaml"
    assert all(s["resolved"]["pipeline"] == PIPELINE for s in written["scenario"].values())
    assert len(pd.read_parquet(out / "runs.parquet")) == 2


def test_an_experiments_bad_pipeline_is_refused_at_the_pipelines_line(cli, experiment, tmp_path):
    bad = write(experiment.parent, BAD_STAGE)
    out = tmp_path / "swept"
    result = cli("sweep", str(experiment), "--out", str(out), "--workers", "1", "--quiet")
    assert result.exit_code == 2 and "Traceback" not in result.output
    # One problem, however many policies met it.
    assert result.stderr.splitlines() == [
        "error: 1 problem found",
        f"  {bad}:23: {BAD['stage'][2]}",
    ]
    assert not out.exists()


@pytest.fixture
def two_stage(tmp_path) -> Path:
    """The reference scenario with one more policy, ``two_stage``, that gives smb two stages
    (discovery, commit): the smb deal's ``demo`` is unknown under it."""
    data = yaml.safe_load(scenario_file(None).read_text())
    stages = data["segments"]["smb"]["stages"]
    data["policies"]["two_stage"] = {"segments": {"smb": {"stages": [stages[0], stages[-1]]}}}
    return write(tmp_path, yaml.safe_dump(data, sort_keys=False), "scenario.yaml")


def test_a_deal_in_a_stage_a_policy_removes_is_refused_under_that_policy(cli, tmp_path, two_stage):
    path = write(tmp_path)
    for command in (["run", *QUICK], ["validate"]):
        result = cli(*command, str(two_stage), "--policy", "two_stage", "--pipeline", str(path))
        assert result.exit_code == 2, result.output
        assert result.stderr.splitlines()[1] == (
            f"  {path}:23: pipeline.deals.2.stage: unknown stage 'demo'; expected one of the "
            "stages of segment smb: discovery, commit"
        )


def test_validate_checks_every_policy_with_the_pipeline(cli, tmp_path, two_stage):
    """``validate`` checks every policy of the file; with --pipeline, the pipeline too."""
    assert cli("validate", str(two_stage)).exit_code == 0  # every policy is good on its own
    path = write(tmp_path)
    checked = cli("validate", str(two_stage), "--pipeline", str(path))
    assert checked.exit_code == 2, checked.stderr
    assert "Traceback" not in checked.output
    assert checked.stdout == ""
    assert checked.stderr.splitlines() == [
        "error: 1 problem found",
        f"  {path}:23: pipeline.deals.2.stage: unknown stage 'demo'; expected one of the "
        "stages of segment smb: discovery, commit",
    ]


def test_a_failed_replications_replay_command_starts_from_the_pipeline(experiment):
    plan = prepare(experiment)
    written = {
        "replay": plan.replay,
        "policies": list(plan.labels),
        "experiment": plan.experiment.model_dump(mode="json", by_alias=True),
        "points": list(plan.points),
    }
    row = pd.Series({"point": 0, "replication": 0, "policy": "aligned", "seed": 7})
    command = replay_command(SimpleNamespace(manifest=written), row)
    pipeline = str((experiment.parent / "pipeline.yaml").resolve())
    assert plan.replay["pipeline"] == pipeline and Path(pipeline).is_absolute()
    assert command == shlex.join(
        [
            "funnelsim",
            "run",
            "reference",
            "--policy",
            "aligned",
            "--pipeline",
            pipeline,
            "--set",
            "horizon.length=6w",
            "--seed",
            "7",
        ]
    )
