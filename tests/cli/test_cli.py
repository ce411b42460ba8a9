"""The command line, through typer's CliRunner: each documented command and its errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import funnelsim
from funnelsim.cli.app import app
from tests.helpers import SHORT_ARGS


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def test_run_prints_the_summary_tables(runner):
    result = runner.invoke(app, ["run", "--policy", "aligned", "--seed", "3", *SHORT_ARGS])
    assert result.exit_code == 0, result.output
    for heading in ("Waterfall", "Pipeline, revenue and cost", "Leakage", "By source",
                    "By segment", "Speed to lead", "SLA compliance"):  # fmt: skip
        assert heading in result.output


def test_run_json_is_one_stable_document(runner):
    result = runner.invoke(app, ["run", "--json", "--seed", "3", *SHORT_ARGS])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["seed"] == 3 and doc["currency"] == "USD"
    assert {"metrics", "by_source", "by_segment", "weekly", "window"} <= doc.keys()
    m = doc["metrics"]
    assert m["leads"] == sum(row["leads"] for row in doc["by_source"])
    assert m["leads"] == sum(row["leads"] for row in doc["by_segment"])
    again = json.loads(runner.invoke(app, ["run", "--json", "--seed", "3", *SHORT_ARGS]).stdout)
    assert {k: v for k, v in again.items() if k != "runtime_seconds"} == {
        k: v for k, v in doc.items() if k != "runtime_seconds"
    }


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_run_writes_the_event_log(runner, tmp_path, suffix):
    out = tmp_path / f"events{suffix}"
    result = runner.invoke(app, ["run", "--seed", "1", "--events", str(out), "--json", *SHORT_ARGS])
    assert result.exit_code == 0, result.output
    log = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    for column in ("case:concept:name", "concept:name", "time:timestamp", "org:resource",
                   "source", "segment", "sequence"):  # fmt: skip
        assert column in log.columns
    assert log["sequence"].is_unique
    if suffix == ".parquet":
        assert str(log["time:timestamp"].dt.tz) == "America/New_York"
    leads = json.loads(result.stdout)["metrics"]["leads_simulated"]
    assert log["case:concept:name"].nunique() == leads
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_set_and_policy_files_reach_the_model(runner, tmp_path):
    proposal = tmp_path / "proposal.yaml"
    proposal.write_text("sdr:\n  headcount: 0\n")
    result = runner.invoke(app, ["run", "--json", "--policy", str(proposal), *SHORT_ARGS])
    doc = json.loads(result.stdout)
    assert doc["policy"] == "proposal"
    assert doc["metrics"]["sals"] == 0  # nobody works the desk
    result = runner.invoke(app, ["run", "--json", "--set", "sources.inbound.rate_per_week=0",
                                 "--set", "sources.paid.rate_per_week=0", *SHORT_ARGS])  # fmt: skip
    by_source = {row["source"]: row["leads"] for row in json.loads(result.stdout)["by_source"]}
    assert by_source["inbound"] == 0 and by_source["paid"] == 0 and by_source["events"] > 0


def test_validate_prints_a_resolved_scenario_that_loads_again(runner, tmp_path):
    reference = str(funnelsim.bundled_scenario())
    result = runner.invoke(app, ["validate", reference, "--policy", "aligned"])
    assert result.exit_code == 0
    resolved = tmp_path / "resolved.yaml"
    resolved.write_text(result.stdout)
    again = runner.invoke(app, ["validate", str(resolved)])
    assert again.exit_code == 0, again.output
    original = funnelsim.load_scenario(policy="aligned").model_dump(exclude={"policy", "policies"})
    reloaded = funnelsim.load_scenario(resolved).model_dump(exclude={"policy", "policies"})
    assert reloaded == original


def test_bad_input_exits_2_with_every_problem_and_no_traceback(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    text = funnelsim.bundled_scenario().read_text()
    bad.write_text(
        text.replace("headcount:", "headcont:", 1).replace("currency: USD", "currency: usd")
    )
    events = tmp_path / "events.parquet"
    for args in (["validate", str(bad)], ["run", str(bad), "--events", str(events)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        assert "Traceback" not in result.output
        assert f"{bad}:" in result.output and "sdr.headcont" in result.output
        assert "did you mean 'headcount'" in result.output and "currency" in result.output
    assert not events.exists()
    result = runner.invoke(app, ["run", "--set", "sdr.headcount=-3", "--json"])
    assert result.exit_code == 2 and "--set sdr.headcount" in result.output
    assert result.stdout == ""


def test_calibrate_prints_published_next_to_simulated(runner):
    result = runner.invoke(app, ["calibrate", "--seeds", "1", "--json", *SHORT_ARGS])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {"anchor", "published", "simulated", "source"} <= rows[0].keys()
    by_anchor = {row["anchor"]: row for row in rows}
    assert {"response_decay_next_hour", "response_never", "contact_by_attempt_6"} <= set(by_anchor)
    # the audit's anchors are measured under the scenario's misaligned policy
    assert by_anchor["response_never"]["note"].startswith("policy: misaligned;")


@pytest.mark.parametrize(
    ("args", "needs"),
    [
        (["run", "--seed", "-1"], "--seed"),
        (["calibrate", "--seeds", "0"], "--seeds"),
        (["run", "--events", "/proc/no/such/dir/events.csv"], "--events"),
        (["run", "--events", "events.txt"], ".parquet or .csv"),
    ],
)
def test_bad_options_exit_2_before_any_run(runner, args, needs):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert needs in " ".join(result.output.split())  # the message may wrap in a box
    assert "Traceback" not in result.output


def test_calibrate_prints_the_table_of_its_json_rows(runner):
    args = ["calibrate", "--seeds", "1", *SHORT_ARGS]
    rows = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    result = runner.invoke(app, args, env={"COLUMNS": "1000"})  # one line per row
    assert result.exit_code == 0, result.output
    assert "Calibration: published figures versus this scenario" in result.stdout
    lines = {line.split("│")[1].strip(): line for line in result.stdout.splitlines()[4:-1]}
    assert list(lines) == [row["anchor"].replace("_", " ") for row in rows]
    for row in rows:
        line = lines[row["anchor"].replace("_", " ")]
        simulated = row["simulated"]
        inside = simulated is not None and row["low"] <= simulated <= row["high"]
        assert line.split("│")[5].strip() == ("yes" if inside else "no")
        assert row["published"] in line and row["source"] in line


def test_overwrite_says_what_it_removes_and_keeps_the_users_own_files(runner, tmp_path):
    out = tmp_path / "out"
    args = ["compare", "--reps", "2", "--workers", "1", "--quiet", "--out", str(out), *SHORT_ARGS]
    assert runner.invoke(app, args).exit_code == 0
    (out / "notes.txt").write_text("mine")
    result = runner.invoke(app, [*args, "--overwrite"])
    assert result.exit_code == 0, result.output
    removed = {
        line.split()[-1] for line in result.output.splitlines() if line.startswith("removed")
    }
    assert str(out / "runs.parquet") in removed and str(out / "manifest.json") in removed
    assert str(out / "notes.txt") not in removed and (out / "notes.txt").read_text() == "mine"


def test_version_prints_the_installed_version(runner):
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output == f"funnelsim {funnelsim.__version__}\n"


@pytest.mark.parametrize("option", [["--metric", "bookings"], ["--max-reps", "50"]])
def test_a_precision_option_without_precision_is_refused_not_ignored(runner, option):
    result = runner.invoke(app, ["compare", "--reps", "2", *option])
    assert result.exit_code == 2
    assert f"{option[0]}: only sets what --precision watches" in result.output


@pytest.mark.parametrize("name", ["[red]x[/blue]", "a\x1b[31mred", "[bold]x"])
def test_a_scenario_name_is_shown_as_written_never_as_markup(runner, name):
    result = runner.invoke(app, ["run", "--set", f"name={name}", *SHORT_ARGS])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert name.replace("\x1b", "\N{REPLACEMENT CHARACTER}") in result.output


def test_a_policy_name_cannot_lead_the_results_folder_out_of_results(tmp_path, monkeypatch):
    from funnelsim.cli.execution import Execution

    monkeypatch.chdir(tmp_path)
    folder = Execution().folder("compare-../../../../X")
    assert folder.parent == Path("results") and ".." not in folder.name


def test_a_run_gives_back_the_terminate_handler_it_found(runner, tmp_path):
    import signal

    before = signal.getsignal(signal.SIGTERM)
    args = ["compare", "--reps", "2", "--workers", "1", "--quiet", "--out", str(tmp_path / "o")]
    assert runner.invoke(app, [*args, *SHORT_ARGS]).exit_code == 0
    assert signal.getsignal(signal.SIGTERM) is before


def test_run_warns_in_one_line_while_its_json_carries_the_diagnostic(runner):
    empty_start = ["--set", "horizon.start=empty", "--set", "horizon.warmup=13w"]
    empty_start += ["--set", "horizon.length=117w"]  # the reference as it fills up
    as_json = runner.invoke(app, ["run", "--json", "--seed", "0", *empty_start])
    assert as_json.exit_code == 0, as_json.output
    stationarity = json.loads(as_json.stdout)["stationarity"]  # stdout is the document alone
    assert stationarity["stationary"] is False
    # The warning names the filling series whose year ratio is farthest from 1.
    ratios = [s["year_ratio"] for s in stationarity["series"].values() if s["filling"]]
    moved_most = max(ratios, key=lambda ratio: abs(math.log(ratio)))
    assert f"in year 2 are {moved_most:.2f}x year 1" in stationarity["warning"]
    warning = f"warning: {stationarity['warning']}"
    tables = runner.invoke(app, ["run", "--seed", "0", *empty_start])
    for result in (as_json, tables):
        assert [line for line in result.stderr.splitlines() if "warning" in line] == [warning]
    assert "Measured window: still filling up" in tables.stdout


def test_a_run_too_short_to_judge_says_why_and_warns_of_nothing(runner):
    result = runner.invoke(app, ["run", "--seed", "3", *SHORT_ARGS])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
    assert "Measured window: not judged" in result.stdout
    assert "the measured window has 10 whole weeks; comparing two years needs 104" in result.stdout
