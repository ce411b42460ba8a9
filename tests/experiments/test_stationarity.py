"""An experiment's runs judge their measured windows: the verdicts land in the runs table, the
same bytes whatever the workers, and compare, sweep and the report warn in one line."""

from __future__ import annotations

import json
import math
from dataclasses import asdict

import pandas as pd
import pytest
from typer.testing import CliRunner

import funnelsim
from funnelsim.cli.app import app
from funnelsim.record.warmup import FIGURES
from funnelsim.results.stationarity import window_check
from funnelsim.views.report.html import write_report
from tests.helpers import SHORT

EMPTY_START = {"horizon.start": "empty", "horizon.warmup": "13w", "horizon.length": "117w"}
"""The reference scenario from an empty start: 13 weeks of warm-up, two measured years."""
ARGS = [
    *("--policy", "misaligned", "--policy", "aligned", "--reps", "2", "--seed", "4"),
    *(arg for key, value in EMPTY_START.items() for arg in ("--set", f"{key}={value}")),
]
"""Two policies on the reference scenario from an empty start: their windows fill up."""


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """``compare --json`` into a folder, in process; the command's result and the folder."""
    folder = tmp_path_factory.mktemp("stationarity") / "cmp"
    args = ["compare", *ARGS, "--workers", "1", "--out", str(folder), "--json"]
    return CliRunner().invoke(app, args), folder


def test_each_run_reports_the_figures_a_replay_of_it_gives(compared):
    _, folder = compared
    runs = funnelsim.load_results(folder).runs
    for row in runs.itertuples():
        scenario = funnelsim.load_scenario(policy=row.policy, overrides=EMPTY_START)
        replayed = funnelsim.simulate(scenario, seed=row.seed).summary["metrics"]
        for name in FIGURES:
            value = getattr(row, name)
            assert value == replayed[name] or (math.isnan(value) and math.isnan(replayed[name]))
    assert runs["window_stationary"].notna().all()  # two measured years: every run judged


def test_the_runs_table_is_the_same_bytes_with_two_workers(compared, tmp_path):
    _, folder = compared
    funnelsim.compare(
        policies=["misaligned", "aligned"],
        reps=2,
        seed=4,
        overrides=EMPTY_START,
        workers=2,
        out=tmp_path / "two",
    )
    assert (tmp_path / "two" / "runs.parquet").read_bytes() == (
        folder / "runs.parquet"
    ).read_bytes()


def test_compare_warns_in_one_line_and_its_json_carries_the_check(compared):
    result, folder = compared
    assert result.exit_code == 0, result.output
    runs = funnelsim.load_results(folder).runs
    filling = int((runs["window_stationary"] == 0).sum())
    assert filling > 0  # the misaligned policy's windows still fill up
    check = window_check(funnelsim.load_results(folder))
    assert (check.runs, check.judged, check.filling) == (4, 4, filling)
    assert check.warning.startswith(f"the measured window is still filling up in {filling} of 4")
    assert json.loads(result.stdout)["stationarity"] == asdict(check)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: {check.warning}"]


def test_the_warning_names_the_policy_and_series_whose_filling_runs_moved_most(compared):
    _, folder = compared
    results = funnelsim.load_results(folder)
    runs = results.runs
    worst = None
    for label, group in runs.groupby("policy", observed=True):
        for series in ("mqls", "sqls", "bookings"):
            ratios = group.loc[group[f"filling_{series}"] == 1, f"year_ratio_{series}"]
            if len(ratios) and (worst is None or abs(math.log(ratios.mean())) > worst[0]):
                worst = (abs(math.log(ratios.mean())), label, series, ratios.index)
    _, label, series, rows = worst
    words = {"mqls": "MQLs", "sqls": "SQLs", "bookings": "bookings"}[series]
    ratio = runs.loc[rows, f"year_ratio_{series}"].mean()
    weeks = runs.loc[rows, f"mser5_weeks_{series}"].median()
    expected = (
        f"for {label}, weekly {words} in year 2 are {ratio:.2f}x year 1 on average; "
        f"MSER-5 suggests a median warm-up of "
    )
    warning = window_check(results).warning
    assert expected in warning
    assert warning.endswith(f"{weeks:.0f} weeks (horizon.warmup is 13w)")


def test_the_report_says_so_under_its_question(compared):
    _, folder = compared
    results = funnelsim.load_results(folder)
    html = write_report(results, folder / "report.html", figures=lambda r: []).read_text()
    assert f"<strong>Warning:</strong> {window_check(results).warning}." in html


def test_short_windows_are_not_judged_and_nothing_is_said(tmp_path):
    results = funnelsim.compare(
        policies=["aligned"], reps=1, overrides=SHORT, workers=1, out=tmp_path / "s"
    )
    check = window_check(results)
    assert (check.runs, check.judged, check.filling, check.warning) == (1, 0, 0, None)
    html = write_report(results, tmp_path / "report.html", figures=lambda r: []).read_text()
    assert 'class="warning"' not in html


def test_results_written_before_the_check_give_no_verdict(compared, tmp_path):
    _, folder = compared
    results = funnelsim.load_results(folder)
    results.tables["runs"] = results.runs.drop(columns=list(FIGURES))
    assert window_check(results) is None


def test_a_setting_is_the_points_factor_value_else_the_resolved_scenarios():
    manifest = {
        "points": [{}, {"horizon.warmup": "26w"}],
        "scenario": {"aligned": {"resolved": {"horizon": {"warmup": "13w", "length": "117w"}}}},
    }
    results = funnelsim.Results(pd.DataFrame(), pd.DataFrame(), manifest)
    assert results.setting("aligned", "horizon.warmup") == "13w"
    assert results.setting("aligned", "horizon.warmup", point=1) == "26w"
    assert results.setting("aligned", "horizon.length", point=1) == "117w"
