"""Fitting a scenario from a CRM export: the round trip on a known scenario, censoring, and
bad mappings and rows.

The round trip exports a full run of the reference scenario under its aligned policy (three
years, 95,000 leads, 5,000 opportunities) and fits it back. What the export shows directly
(arrival rates, segment mixes, deal sizes, headcounts, the cadence) must come back within
its sampling error; stage durations within 12% where stages are short beside buying windows
(the buying windows of enterprise deals close during long stages, which shortens the stages
that finish: the docs say so).
"""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import funnelsim
from funnelsim.analysis.fit import estimates, fit_export
from funnelsim.analysis.fit.mapping import CrmMapping
from funnelsim.analysis.fit.reading import CrmData, read_export
from funnelsim.cli import app
from funnelsim.errors import ScenarioError
from funnelsim.record.crm import crm_export

SEED = 1
WEEKS = 52  # the arrivals window


@pytest.fixture(scope="module")
def truth():
    return funnelsim.load_scenario(policy="aligned")


@pytest.fixture(scope="module")
def run(truth):
    return funnelsim.simulate(truth, seed=SEED, events=True)


@pytest.fixture(scope="module")
def folder(truth, run, tmp_path_factory):
    out = tmp_path_factory.mktemp("crm")
    crm_export(truth, run.ledger, run.events).write(out)
    (out / "crm.yaml").write_text("shape: funnelsim\ntimezone: America/New_York\n")
    return out


@pytest.fixture(scope="module")
def fitted(folder):
    return fit_export(folder / "crm.yaml")


def found(fitted, key):
    rows = fitted.estimates.set_index("key")
    return json.loads(rows.loc[key, "value"]), rows.loc[key]


@pytest.mark.parametrize("source", ["inbound", "outbound_sdr", "tele", "partners"])
def test_arrival_rates_come_back_within_three_standard_errors(fitted, truth, source):
    rate, _ = found(fitted, f"sources.{source}.rate_per_week")
    true = truth.sources[source].rate_per_week
    assert abs(rate - true) <= 3 * math.sqrt(true * WEEKS) / WEEKS


def test_segment_mix_and_seasonality_come_back(fitted, truth):
    mix, row = found(fitted, "sources.inbound.segment_mix")
    for segment, share in truth.sources["inbound"].segment_mix.items():
        assert abs(mix[segment] - share) <= 3 * math.sqrt(share * (1 - share) / row["n"])
    season, _ = found(fitted, "sources.paid.seasonality")
    assert np.corrcoef(season, truth.sources["paid"].seasonality)[0, 1] > 0.9


@pytest.mark.parametrize("segment", ["smb", "mid_market", "enterprise"])
def test_deal_sizes_come_back_inside_their_intervals(fitted, truth, segment):
    value, row = found(fitted, f"segments.{segment}.deal_size")
    true = truth.segments[segment].deal_size
    median, p90 = float(true.ppf(0.5)), float(true.ppf(0.9))
    assert row["low"] <= median <= row["high"]
    assert abs(value["lognormal"]["p90"] / p90 - 1) < 0.08


def test_headcounts_and_cadence_come_back_exactly(fitted, truth):
    assert found(fitted, "sales.ae_count")[0] == truth.sales.ae_count
    assert found(fitted, "sdr.headcount")[0] == truth.sdr.headcount
    assert found(fitted, "sdr.attempts")[0] == truth.sdr.attempts


def test_acceptance_comes_back_within_three_points(fitted, truth):
    # A lead's first SQL is matched with any opportunity of the lead, a recycled one's too,
    # so the estimate runs a little high.
    assert abs(found(fitted, "sales.acceptance")[0] - truth.sales.acceptance) < 0.03


@pytest.mark.parametrize("segment", ["smb", "mid_market"])
def test_short_stages_durations_come_back_within_twelve_percent(fitted, truth, segment):
    stages, _ = found(fitted, f"segments.{segment}.stages")
    fitted_names = [s["name"] for s in stages]
    assert fitted_names == [s.name for s in truth.segments[segment].stages]
    for got, true in zip(stages, truth.segments[segment].stages, strict=True):
        median = float(got["duration"]["lognormal"]["median"].removesuffix("d"))
        assert abs(median / float(true.duration.ppf(0.5)) - 1) < 0.12, got["name"]


def test_the_fitted_file_loads_and_says_where_each_value_comes_from(fitted):
    assert "# fitted: n=" in fitted.text
    assert "Everything else is the base scenario's (reference)" in fitted.text
    data = fitted.data
    assert "sales.acceptance" not in data["judgment"]  # fitted now, no longer a judgment
    assert "bursts" not in data["sources"]["events"]


def test_the_fit_writes_its_folder(fitted, tmp_path):
    paths = fitted.write(tmp_path / "fit")
    assert sorted(p.name for p in paths) == sorted(
        ["scenario.yaml", "pipeline.yaml", "estimates.csv", "excluded.csv", "fit.json"]
    )
    folder = tmp_path / "fit"
    assert funnelsim.load_scenario(folder / "scenario.yaml").sdr.attempts == 6
    started = funnelsim.load_scenario(folder / "scenario.yaml", pipeline=folder / "pipeline.yaml")
    assert len(started.pipeline.deals) == len(fitted.pipeline.deals) > 0
    assert started.pipeline.date == fitted.exported_at.date()
    warmed = started.start_date + dt.timedelta(days=started.horizon.warmup)
    assert warmed == started.pipeline.date  # the window opens on the pipeline's date


# -- censoring ----------------------------------------------------------------------------------
def _data(export) -> CrmData:
    """An export in memory as the fit reads it (the funnelsim shape, its own column names)."""
    from funnelsim.analysis.fit.reading import outcomes_of

    opps = export.opportunities.assign(outcome=lambda o: outcomes_of(o, CrmMapping()))
    return CrmData(export.leads, opps, None, None, export.exported_at, pd.DataFrame())


@pytest.mark.parametrize("segment", ["mid_market", "enterprise"])
def test_an_early_export_estimates_the_win_share_without_counting_open_deals_as_lost(
    truth, run, segment
):
    """Exported after 30 weeks, a quarter to a third of these deals are still open. Followed to
    the run's end (87 weeks more), every one of them has closed: that is the truth."""
    early = _data(crm_export(truth, run.ledger, at=30 * 7.0))
    late = _data(crm_export(truth, run.ledger)).opportunities.set_index("opp_id")
    deals = early.opportunities[early.opportunities["segment"] == segment]
    assert deals["outcome"].eq("open").mean() > 0.2
    final = late.loc[deals["opp_id"], "outcome"]
    assert not final.eq("open").any()
    true = final.eq("won").mean()
    se = math.sqrt(true * (1 - true) / len(deals))
    share = {e.key: e.value for e in estimates.outcomes(early)}[f"win_share.{segment}"]
    assert abs(share - true) < 2 * se
    naive = deals["outcome"].eq("won").mean()  # won over all deals: open ones count as lost
    assert true - naive > 2 * se


# -- bad input --------------------------------------------------------------------------------
def _copy(folder, tmp_path, mapping: str, edit=None):
    for name in ("leads", "opportunities", "stage_history", "activities"):
        table = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        if name == "opportunities":
            table = table.head(400)
        if edit is not None:
            table = edit(name, table)
        table.to_csv(tmp_path / f"{name}.csv", index=False)
    (tmp_path / "crm.yaml").write_text(mapping)
    return tmp_path / "crm.yaml"


def _problems(path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        fit_export(path)
    return [str(p) for p in info.value.problems]


def test_a_mapping_naming_a_column_funnelsim_lacks_is_refused_at_its_line(tmp_path):
    path = tmp_path / "crm.yaml"
    path.write_text("shape: hubspot\ncolumns:\n  leads:\n    lead: Record ID\n")
    found_ = _problems(path)
    assert found_ == [
        f"{path}:4: columns.leads.lead: no column 'lead' in leads; expected one of "
        "lead_id, created, source, segment, mql_date, first_touch, sql_date, lifecycle, status"
    ]


def test_a_bad_time_zone_and_an_unknown_shape_are_refused(tmp_path):
    path = tmp_path / "crm.yaml"
    path.write_text("shape: pipedrive\ntimezone: Mars/Olympus\n")
    found_ = " ".join(_problems(path))
    assert "shape" in found_ and "'hubspot'" in found_
    assert "expected an IANA time zone such as 'Europe/Berlin', got 'Mars/Olympus'" in found_


def test_a_missing_column_a_bad_date_and_an_unknown_segment_are_all_reported(folder, tmp_path):
    def edit(name, table):
        if name == "leads":
            table = table.drop(columns=["source"])
            table.loc[3, "created"] = "yesterday"
        if name == "opportunities":
            table.loc[5, "segment"] = "startup"
        return table

    path = _copy(folder, tmp_path, "timezone: America/New_York\n", edit)
    found_ = _problems(path)
    leads, opps = tmp_path / "leads.csv", tmp_path / "opportunities.csv"
    assert any(p.startswith(f"{leads}: source: no column 'source' (source)") for p in found_)
    assert (
        f"{leads}: created: expected a date or time (ISO 8601, such as 2026-03-01 or "
        "2026-03-01T09:30:00), got 'yesterday' on line 5" in found_
    )
    assert any(
        p.startswith(f"{opps}: segment: expected a segment of the scenario") and "line 7" in p
        for p in found_
    )


def test_rows_that_cannot_be_true_are_counted_and_left_out(folder, tmp_path):
    def edit(name, table):
        if name == "opportunities":
            table = pd.concat([table, table.iloc[[0]]], ignore_index=True)  # a duplicate id
            table.loc[1, "closed"] = "2025-01-01T00:00:00-05:00"  # before it was created
            table.loc[2, "amount"] = "-5000"
        return table

    path = _copy(folder, tmp_path, "timezone: America/New_York\n", edit)
    excluded = fit_export(path).excluded.set_index(["table", "reason"])["rows"].to_dict()
    assert excluded == {
        ("opportunities", "duplicate id"): 1,
        ("opportunities", "closed before created"): 1,
        ("opportunities", "negative amount"): 1,
    }


def test_an_export_with_only_the_required_columns_still_fits(folder, tmp_path):
    required = {
        "leads": ["lead_id", "created", "source"],
        "opportunities": ["opp_id", "created", "amount", "stage"],
    }

    def edit(name, table):
        return table[required[name]] if name in required else table

    path = _copy(folder, tmp_path, "timezone: America/New_York\n", edit)
    for name in ("stage_history", "activities"):
        (tmp_path / f"{name}.csv").unlink()
    fitted = fit_export(path)
    keys = set(fitted.estimates["key"])
    assert "sources.inbound.rate_per_week" in keys
    assert not any(k.startswith("segments.") or k.startswith("sdr.") for k in keys)
    assert "scoring.mql_threshold" not in keys  # no MQL dates: nothing to tune against
    assert "# Not fitted (the export lacks what they need" in fitted.text


def test_a_segment_named_otherwise_maps_onto_the_scenario(folder, tmp_path):
    def edit(name, table):
        if "segment" in table:
            table["segment"] = table["segment"].replace({"smb": "Small business"})
        return table

    mapping = "timezone: America/New_York\nsegments: {Small business: smb}\n"
    path = _copy(folder, tmp_path, mapping, edit)
    mapping_, where = funnelsim.analysis.fit.read_mapping(path)
    data = read_export(mapping_, where, ["smb", "mid_market", "enterprise"])
    assert set(data.leads["segment"].dropna()) == {"smb", "mid_market", "enterprise"}


# -- the command line ---------------------------------------------------------------------------
def test_export_crm_then_fit_from_the_command_line(tmp_path):
    runner = CliRunner()
    short = ["--set", "horizon.length=40w", "--set", "horizon.warmup=4w"]
    made = runner.invoke(
        app, ["export-crm", "--out", str(tmp_path / "x"), "--shape", "salesforce", *short]
    )
    assert made.exit_code == 0, made.output
    assert (tmp_path / "x" / "Opportunity.csv").exists()
    (tmp_path / "x" / "crm.yaml").write_text("shape: salesforce\ntimezone: America/New_York\n")
    result = runner.invoke(
        app, ["fit", str(tmp_path / "x" / "crm.yaml"), "--out", str(tmp_path / "f")]
    )
    assert result.exit_code == 0, result.output
    assert "What the export sets" in result.stdout and "sales.ae_count" in result.stdout
    assert funnelsim.load_scenario(tmp_path / "f" / "scenario.yaml").sales.ae_count == 20
    assert (tmp_path / "f" / "figures" / "deal_sizes.png").stat().st_size > 10_000
    again = runner.invoke(
        app, ["fit", str(tmp_path / "x" / "crm.yaml"), "--out", str(tmp_path / "f")]
    )
    assert again.exit_code == 2
    assert "already holds scenario.yaml" in again.output and "--overwrite" in again.output


def test_a_broken_mapping_exits_2_with_one_line_and_writes_nothing(tmp_path):
    (tmp_path / "crm.yaml").write_text("shape: funnelsim\n")
    result = CliRunner().invoke(
        app, ["fit", str(tmp_path / "crm.yaml"), "--out", str(tmp_path / "f")]
    )
    assert result.exit_code == 2
    assert "no such file: the leads table is needed" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "f").exists()


def test_the_examples_threshold_and_neglect_are_tuned_to_their_company():
    """The HubSpot example's company ran the misaligned policy: a bar of 45, two MQLs in five
    put off by habit (more as the desk distrusts marketing), none touched after six days (the
    working age is read as the 99.5th percentile of first-touch waits: a little under six)."""
    from pathlib import Path

    example = Path(__file__).parents[2] / "examples/crm/hubspot/crm.yaml"
    tuned = fit_export(example).estimates.set_index("key")["value"].map(json.loads)
    assert abs(tuned["scoring.mql_threshold"] - 45) <= 2
    assert 5.5 <= float(tuned["sdr.max_queue_age"].removesuffix("d")) <= 6.0
    assert 0.25 <= tuned["sdr.put_off"] <= 0.5
