"""Every command the README shows, run through CliRunner as a twin, so the README cannot rot.

A twin is the README's command word for word, then a few options that make it quick (a short
horizon, two replications, one worker), run in a folder that holds the files the command names:
the bundled scenarios, short copies of the bundled experiments, and the shipped examples as
they are. A command added to the README without a twin fails the first test.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

import funnelsim
from funnelsim.base.jsondoc import plain
from funnelsim.cli import app
from funnelsim.experiments.spec import bundled_experiment
from tests.helpers import SHORT, SHORT_ARGS

README = Path(__file__).parents[2] / "README.md"
LONGER = {"horizon.length": "30w", "horizon.warmup": "4w"}
"""A horizon whose measured window holds a whole calendar quarter, as a surge needs."""
LONGER_ARGS = [arg for key, value in LONGER.items() for arg in ("--set", f"{key}={value}")]
QUICK = ["--reps", "2", "--workers", "1", *SHORT_ARGS]
"""A comparison's twin: two replications in process, on the short horizon."""
EXAMPLES = README.parent / "examples"


def readme_commands() -> list[str]:
    """Every ``funnelsim`` command in the README's shell blocks, without comments or redirects."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), re.S)
    lines = [line.split("#")[0].split(">")[0].strip() for b in blocks for line in b.splitlines()]
    return [line for line in lines if line.startswith("funnelsim ")]


@dataclass(frozen=True)
class Twin:
    """The options added to a README command, and what its run must show."""

    extra: list[str]
    check: Callable[[Result, Path], None]
    before: list[str] | None = None  # a command that readies the folder


def summary_table(result: Result, cwd: Path) -> None:
    assert "Waterfall" in result.stdout and "Leakage" in result.stdout


def own_policy(result: Result, cwd: Path) -> None:
    summary_table(result, cwd)
    assert "policy proposal, seed 0" in result.stdout


def same_as_the_library(result: Result, cwd: Path) -> None:
    overrides = {**SHORT, "sdr.headcount": 6, "sla.response_time": "2h"}
    expected = funnelsim.simulate(funnelsim.load_scenario(overrides=overrides), seed=0)
    assert json.loads(result.stdout)["metrics"] == plain(expected.summary["metrics"])


def staffed_desk(result: Result, cwd: Path) -> None:
    attrition = {"per_year": 0.85, "backfill": "60d"}
    plan = {"sdr.staffing.attrition": attrition, "sdr.staffing.ramp": [0.3, 0.6, 0.9]}
    overrides = {**plan, "cost.sdr_hire": 20000, **SHORT}
    scenario = funnelsim.load_scenario(policy="aligned", overrides=overrides)
    document = json.loads(result.stdout)
    assert document["metrics"] == plain(funnelsim.simulate(scenario, seed=1).summary["metrics"])
    assert document["overrides"]["sdr.staffing.attrition"] == attrition


def event_log(result: Result, cwd: Path) -> None:
    rows = len(funnelsim.simulate(funnelsim.load_scenario(policy="aligned", overrides=SHORT),
                                  seed=0, events=True).events)  # fmt: skip
    assert f"event log: {rows:,} rows written to events.parquet" in result.stderr
    assert (cwd / "events.parquet").stat().st_size > 0


def valid(result: Result, cwd: Path) -> None:
    headcount = funnelsim.load_scenario().sdr.headcount
    assert yaml.safe_load(result.stdout)["sdr"]["headcount"] == headcount
    assert "ok: scenarios/reference.yaml is valid" in result.stderr


def calibration(result: Result, cwd: Path) -> None:
    assert "Calibration: published figures versus this scenario" in result.stdout


def folder(name: str, replications: int) -> Callable[[Result, Path], None]:
    def check(result: Result, cwd: Path) -> None:
        manifest = json.loads((cwd / name / "manifest.json").read_text())
        assert manifest["status"] == "complete"
        assert manifest["replications"]["used"] == replications

    return check


def precision(result: Result, cwd: Path) -> None:
    replications = json.loads(result.stdout)["replications"]
    assert replications["precision"] == {"target": 0.05, "metric": "bookings",
                                         "max_replications": 3}  # fmt: skip
    assert replications["used"] in (2, 3)


def swept(points: int) -> Callable[[Result, Path], None]:
    def check(result: Result, cwd: Path) -> None:
        assert len({row["point"] for row in json.loads(result.stdout)["summary"]}) == points

    return check


def figures(*names: str) -> Callable[[Result, Path], None]:
    def check(result: Result, cwd: Path) -> None:
        written = [Path(line).name for line in result.stdout.split()]
        assert set(names) <= set(written)
        assert all((cwd / "results/cmp/figures" / name).stat().st_size for name in written)

    return check


def report(result: Result, cwd: Path) -> None:
    assert result.stdout == "report: results/cmp/report.html\n"
    text = (cwd / "results/cmp/report.html").read_text()
    assert text.startswith("<!DOCTYPE") and "Does the answer survive the judgment calls?" in text


def verdict(*conditions: str, capacity: bool) -> Callable[[Result, Path], None]:
    def check(result: Result, cwd: Path) -> None:
        document = json.loads(result.stdout)
        assert [c["name"] for c in document["conditions"]] == list(conditions)
        assert (document["capacity"] is not None) == capacity
        assert document["replications"] == 2

    return check


def explained(result: Result, cwd: Path) -> None:
    folder("results/explain", 2)(result, cwd)
    assert "aligned − misaligned, lever by lever" in result.stdout


def robust(result: Result, cwd: Path) -> None:
    folder("results/cmp/robustness", 1)(result, cwd)
    assert "judgment parameters, aligned − misaligned" in result.stdout


def planned(result: Result, cwd: Path) -> None:
    """The README's plan over one month instead of a year: 25M is out of reach there, which
    the plan says with the chance at the levers' high bounds, beside the waterfall's plan."""
    document = json.loads(result.stdout)
    assert [lever["name"] for lever in document["levers"]] == ["sdr", "ae", "leads.paid"]
    assert document["pick"] is None and document["period"]["label"] == "2026-03"
    assert document["unreachable"]["levels"] == {"sdr": 15, "ae": 40, "leads.paid": 600}
    assert document["waterfall"]["levels"]["sdr"] > 5
    assert (cwd / "results" / "plan" / "figures" / "plan_chance.png").exists()


def fitted(result: Result, cwd: Path) -> None:
    assert "What the export sets" in result.stdout
    assert funnelsim.load_scenario(cwd / "results/fit/scenario.yaml").sales.ae_count == 6


def taken_over(result: Result, cwd: Path) -> None:
    pipeline = funnelsim.load_scenario(
        cwd / "results/fit/scenario.yaml", pipeline=cwd / "results/fit/pipeline.yaml"
    ).pipeline
    assert f"the {len(pipeline.deals)} deals open on {pipeline.date} taking" in " ".join(
        result.stdout.split()
    )


def backtested(result: Result, cwd: Path) -> None:
    assert "The held-out weeks: real against simulated" in result.stdout
    assert (cwd / "results/backtest/scores.csv").exists()


def exported(result: Result, cwd: Path) -> None:
    assert "wrote crm-export: Lead.csv" in result.stderr
    deals = (cwd / "crm-export/Opportunity.csv").read_text().splitlines()
    assert deals[0].startswith("Id,Lead__c,CreatedDate") and len(deals) > 50


STRESSES = ("normal", "surge", "lost_sdrs", "seasonal_peak", "lower_fit_mix")
TWINS = {
    "funnelsim run": Twin(SHORT_ARGS, summary_table),
    "funnelsim run --policy aligned --seed 1": Twin(SHORT_ARGS, summary_table),
    "funnelsim run --policy misaligned --seed 1": Twin(SHORT_ARGS, summary_table),
    "funnelsim run scenarios/smb_velocity.yaml --policy aligned": Twin(SHORT_ARGS, summary_table),
    "funnelsim run --policy examples/proposal.yaml": Twin(SHORT_ARGS, own_policy),
    "funnelsim run --set sdr.headcount=6 --set sla.response_time=2h --json": Twin(
        SHORT_ARGS, same_as_the_library
    ),
    "funnelsim run --policy aligned --events events.parquet": Twin(SHORT_ARGS, event_log),
    "funnelsim validate scenarios/reference.yaml": Twin([], valid),
    "funnelsim calibrate": Twin(["--seeds", "1", *SHORT_ARGS], calibration),
    "funnelsim run --policy aligned --seed 1 --set 'sdr.staffing.attrition={per_year: 0.85, "
    "backfill: 60d}' --set 'sdr.staffing.ramp=[0.3, 0.6, 0.9]' --set cost.sdr_hire=20000 "
    "--json": Twin(SHORT_ARGS, staffed_desk),
    "funnelsim compare --policy misaligned --policy aligned --reps 40 --seed 1 --out results/cmp": (
        Twin(QUICK, folder("results/cmp", 2))
    ),
    "funnelsim compare --policy misaligned --policy examples/proposal.yaml --precision 0.05": (
        Twin([*QUICK, "--max-reps", "3", "--json"], precision)
    ),
    "funnelsim sweep experiments/sla-headcount.yaml --workers 2": Twin(["--json"], swept(16)),
    "funnelsim sweep experiments/aligned-vs-misaligned.yaml --scheduler tcp://10.0.0.5:8786": (
        Twin(["--scheduler", "local", "--workers", "1", "--json"], swept(1))
    ),
    "funnelsim compare --reps 200 --out results/big --resume": Twin(
        QUICK,
        folder("results/big", 2),
        before=["compare", "--out", "results/big", *QUICK, "--reps", "1"],
    ),
    "funnelsim explain --policy misaligned --policy aligned --reps 10 --out results/explain": Twin(
        QUICK, explained
    ),
    "funnelsim robustness --policy misaligned --policy aligned --out results/cmp/robustness": Twin(
        [*QUICK[2:], "--settings", "2", "--reps", "1"], robust
    ),
    "funnelsim plot results/cmp": Twin([], figures("waterfall.png", "revenue.png")),
    "funnelsim plot results/cmp --figure revenue --format svg": Twin([], figures("revenue.svg")),
    "funnelsim report results/cmp": Twin([], report),
    "funnelsim sla sla-proposal": Twin(
        ["--reps", "2", "--workers", "1", *LONGER_ARGS, "--json"],
        verdict(*STRESSES, capacity=True),
    ),
    "funnelsim sla examples/my-sla.yaml --stress surge --stress lost_sdrs --reps 40 "
    "--out results/my-sla": Twin(
        ["--reps", "2", "--workers", "1", "--no-capacity", *LONGER_ARGS, "--json"],
        verdict("normal", "surge", "lost_sdrs", capacity=False),
    ),
    "funnelsim plan --policy aligned --target bookings=25M --period 2027 --probability 0.8 "
    "--lever sdr=5:15 --lever ae=20:40 --lever leads.paid=140:600 --out results/plan": Twin(
        [
            "--reps",
            "4",
            "--final-reps",
            "4",
            "--workers",
            "1",
            "--period",
            "2026-03",
            "--set",
            "horizon.settle=0w",
            "--set",
            "horizon.history=4w",
            "--json",
        ],
        planned,
    ),
    "funnelsim fit examples/crm/hubspot/crm.yaml --out results/fit": Twin(["--overwrite"], fitted),
    "funnelsim run results/fit/scenario.yaml --policy aligned": Twin(
        SHORT_ARGS,
        summary_table,
        before=["fit", "examples/crm/hubspot/crm.yaml", "--out", "results/fit", "--overwrite"],
    ),
    "funnelsim run results/fit/scenario.yaml --pipeline results/fit/pipeline.yaml": Twin(
        [],
        taken_over,
        before=["fit", "examples/crm/hubspot/crm.yaml", "--out", "results/fit", "--overwrite"],
    ),
    "funnelsim backtest examples/crm/hubspot/crm.yaml --reps 20 --out results/backtest": Twin(
        ["--reps", "2", "--split", "2028-03-20", "--no-tune"], backtested
    ),
    "funnelsim export-crm --policy misaligned --shape salesforce --out crm-export": Twin(
        SHORT_ARGS, exported
    ),
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A folder with the files the README's commands name; the experiments cut short."""
    cwd = tmp_path_factory.mktemp("readme")
    shutil.copytree(funnelsim.bundled_scenario().parent, cwd / "scenarios")
    (cwd / "experiments").mkdir()
    for name, keep in (("sla-headcount", 1), ("aligned-vs-misaligned", 2)):
        data = yaml.safe_load(bundled_experiment(name).read_text())
        data |= {"replications": keep, "set": {**data.get("set", {}), **SHORT}}
        (cwd / "experiments" / f"{name}.yaml").write_text(yaml.safe_dump(data))
    shutil.copytree(EXAMPLES, cwd / "examples")  # as shipped: the twins shorten by options
    return cwd


def run_twin(line: str, cwd: Path, monkeypatch) -> None:
    """The README's command and its twin's options, in ``cwd``; the twin's checks."""
    monkeypatch.chdir(cwd)
    twin, runner = TWINS[line], CliRunner()
    if twin.before is not None:
        assert runner.invoke(app, twin.before).exit_code == 0
    result = runner.invoke(app, [*shlex.split(line)[1:], *twin.extra])
    assert result.exit_code == 0, result.output
    twin.check(result, cwd)


def test_every_readme_command_has_a_twin():
    assert readme_commands() == list(TWINS)


@pytest.mark.parametrize(
    "line", [line for line in TWINS if line.split()[1] in ("run", "validate", "calibrate")]
)
def test_the_readme_run_commands(line, workspace, monkeypatch):
    run_twin(line, workspace, monkeypatch)


CHAIN = [line for line in TWINS if "results/cmp" in line]
"""A comparison into results/cmp, then the commands that read it."""


@pytest.mark.parametrize(
    "line",
    [
        line
        for line in TWINS
        if line.split()[1] in ("compare", "sweep", "explain") and line not in CHAIN
    ],
)
def test_the_readme_experiment_commands(line, workspace, monkeypatch):
    run_twin(line, workspace, monkeypatch)


def test_the_readme_comparison_then_its_figures_and_report(workspace, monkeypatch):
    commands = [line.split()[1] for line in CHAIN]
    assert commands == ["compare", "robustness", "plot", "plot", "report"]
    for line in CHAIN:
        run_twin(line, workspace, monkeypatch)


@pytest.mark.parametrize("line", [line for line in TWINS if line.split()[1] == "sla"])
def test_the_readme_sla_commands(line, workspace, monkeypatch):
    run_twin(line, workspace, monkeypatch)


@pytest.mark.parametrize(
    "line", [line for line in TWINS if line.split()[1] in ("fit", "backtest", "export-crm")]
)
def test_the_readme_crm_commands(line, workspace, monkeypatch):
    run_twin(line, workspace, monkeypatch)


@pytest.mark.parametrize("line", [line for line in TWINS if line.split()[1] == "plan"])
def test_the_readme_plan_commands(line, workspace, monkeypatch):
    run_twin(line, workspace, monkeypatch)


def test_every_twin_is_run_by_one_of_the_tests_above():
    grouped = {"run", "validate", "calibrate", "compare", "sweep", "explain", "sla", "plan",
               "fit", "backtest", "export-crm"}  # fmt: skip
    assert {line for line in TWINS if line.split()[1] not in grouped} <= set(CHAIN)
