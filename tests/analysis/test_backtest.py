"""Backtesting a fit: weekly counts by hand, a company the fit can describe, reproducibility,
and bad splits.

The company is the reference scenario's base settings at a quarter of its lead volume, with
two SDRs and six AEs, exported after 120 weeks. Its model is the fitted scenario's family, so
the held-out weeks' flows must come back without bias and inside the simulated bands about as
often as the bands say.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import funnelsim
from funnelsim.analysis.fit.backtest import backtest, weekly
from funnelsim.cli import app
from funnelsim.errors import UsageError
from funnelsim.record.crm import crm_export

ZONE = "America/New_York"
EXAMPLES = Path(__file__).parents[2] / "examples" / "crm"
COMPANY = runpy.run_path(str(EXAMPLES / "make_examples.py"))["COMPANY"]
"""The shipped examples' company (examples/crm/make_examples.py), under its base settings."""


@pytest.fixture(scope="module")
def mapping(tmp_path_factory):
    scenario = funnelsim.load_scenario(overrides=COMPANY)
    result = funnelsim.simulate(scenario, seed=5, events=True)
    folder = tmp_path_factory.mktemp("company")
    crm_export(scenario, result.ledger, result.events).write(folder)
    path = folder / "crm.yaml"
    path.write_text(f"timezone: {ZONE}\nexport_date: 2028-04-24T00:00:00\n")
    return path


def test_weekly_counts_a_small_export_by_hand():
    start = pd.Timestamp("2027-01-04", tz=ZONE)
    at = [start + pd.Timedelta(days=d) for d in (0.5, 3, 8, 13.9, 20)]
    nat = pd.NaT
    leads = pd.DataFrame(
        {
            "created": at,
            "mql_date": [at[1], nat, at[2], at[4], nat],
            "sql_date": [at[2], nat, nat, nat, nat],
        }
    )
    opps = pd.DataFrame(
        {
            "created": [at[2], at[3]],
            "closed": [at[3], nat],
            "outcome": ["won", "open"],
            "amount": [1000.0, 50.0],
        }
    )
    counts = weekly(leads, opps, start, 3)
    assert counts["leads"].tolist() == [2, 2, 1]
    assert counts["mqls"].tolist() == [1, 1, 1]
    assert counts["sqls"].tolist() == [0, 1, 0]
    assert counts["opportunities"].tolist() == [0, 2, 0]
    assert counts["won"].tolist() == [0, 1, 0]
    assert counts["bookings"].tolist() == [0.0, 1000.0, 0.0]


@pytest.fixture(scope="module")
def found(mapping):
    return backtest(mapping, reps=19, seed=1)


def test_a_company_the_fit_can_describe_comes_back_without_bias(found):
    """Each half-year total is one draw of the company's history: even a perfect fit sees
    one of five totals outside its 95% band one time in four, so each must be within three
    standard deviations of the simulated totals (all five, 98.7% of the time). The real
    leads here, 3,234, are 1.7 Poisson standard deviations above the company's own
    expectation (3,138 from its rates and seasonality), which the fit's 3,115 matches."""
    scores = found.scores.set_index("series")
    assert found.weeks == 26
    for series in ("leads", "mqls", "sqls", "opportunities", "won"):
        real, simulated, sd = scores.loc[series, ["real", "simulated", "simulated_sd"]]
        assert abs(real - simulated) <= 3 * sd, series
    for series in ("leads", "mqls"):  # thousands a half-year: a tenth is many standard errors
        assert abs(scores.loc[series, "bias"]) < 0.1, series
    # 19 replications: a week's real count falls inside their 2.5-97.5% band about 9 times
    # in 10 when the model is right (inside their range 18 times in 20), less when it is not.
    for series in ("leads", "mqls", "sqls"):
        assert scores.loc[series, "inside_95"] >= 0.7, series


def test_the_backtest_starts_from_the_deals_the_company_held_open_at_the_split(found, mapping):
    """The pipeline file at the split holds every opportunity of the company's own run that was
    open then (or says why it left one out)."""
    scenario = funnelsim.load_scenario(overrides=COMPANY)
    ledger = funnelsim.simulate(scenario, seed=5).ledger
    split = (found.split.tz_localize(None) - pd.Timestamp(scenario.start_date)).days
    opps = ledger.opp_frame()
    held = (opps["opened_at"] <= split) & ~(opps["resolved_at"] <= split)
    pipeline = found.fitted.pipeline
    assert len(pipeline.deals) + sum(pipeline.left_out.values()) == held.sum()
    assert found.document()["open_deals"] == len(pipeline.deals) > 20


def test_the_tuned_threshold_is_the_companys(found):
    keys = found.fitted.estimates.set_index("key")
    assert abs(float(keys.loc["scoring.mql_threshold", "value"]) - 58) <= 2
    assert "sdr.put_off" not in keys.index  # its desk touches every MQL: nothing to tune


def test_the_same_seed_gives_the_same_scores_whatever_the_workers(mapping):
    one = backtest(mapping, split="2028-01-03", reps=3, seed=2, workers=1, tune=False)
    two = backtest(mapping, split="2028-01-03", reps=3, seed=2, workers=2, tune=False)
    pd.testing.assert_frame_equal(one.scores, two.scores)
    pd.testing.assert_frame_equal(one.weekly, two.weekly)


def test_a_split_too_close_to_the_export_is_refused(mapping):
    with pytest.raises(UsageError, match="at least 4 weeks before the export"):
        backtest(mapping, split="2028-04-10", reps=2, tune=False)


def test_backtest_from_the_command_line_writes_its_folder(mapping, tmp_path):
    args = ["backtest", str(mapping), "--split", "2028-01-03", "--reps", "2", "--no-tune"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "bt")])
    assert result.exit_code == 0, result.output
    assert "The held-out weeks: real against simulated" in result.stdout
    written = {p.name for p in (tmp_path / "bt").iterdir()}
    assert {"scores.csv", "weekly.csv", "distances.csv", "backtest.json", "fit"} <= written
    assert (tmp_path / "bt" / "figures" / "backtest.png").stat().st_size > 10_000
    bad = CliRunner().invoke(app, ["backtest", str(mapping), "--split", "someday"])
    assert bad.exit_code == 2
    assert "--split: expected a date such as 2027-10-04, got 'someday'" in bad.output
