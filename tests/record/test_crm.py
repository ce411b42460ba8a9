"""A run as a CRM export: a hand-made ledger exported at three dates, and a full run's export
checked for what censoring at the export date must mean."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import funnelsim
from funnelsim.record.crm import SHAPES, crm_export
from funnelsim.record.ledger import OPP, SPELL, Ledger
from tests.helpers import small

ZONE = "America/New_York"


def day(d: float) -> pd.Timestamp:
    """Day ``d`` of the reference scenario's clock (it starts on Monday 5 January 2026)."""
    return pd.Timestamp("2026-01-05", tz=ZONE) + pd.Timedelta(days=d)


@pytest.fixture(scope="module")
def scenario():
    return funnelsim.load_scenario()


@pytest.fixture(scope="module")
def ledger():
    """Three smb leads from inbound: two become deals (one won at day 20 after three stages,
    one lost at day 40 in its third), the third is rejected by the desk."""
    n = 3
    book = Ledger(
        created=np.array([0.0, 1.0, 2.0]),
        source=np.zeros(n, dtype=np.int64),
        segment=np.zeros(n, dtype=np.int64),
        fit=np.full(n, 0.5),
        cost=np.full(n, 100.0),
        buy_start=np.zeros(n),
        buy_end=np.full(n, 100.0),
    )
    for lead in range(n):
        outcome = SPELL["sql"] if lead < 2 else SPELL["rejected"]
        book.spells.append(lead, lead + 0.5, lead + 0.6, 1, outcome, lead + 0.7, False)
    book.opps.append(0, 0.5, 0.7, 1.0, 20.0, OPP["won"], 10_000.0, 0, 3)
    book.opps.append(1, 1.5, 1.7, 2.0, 40.0, OPP["lost"], 5_000.0, 1, 2)
    for lead, opened, ends in ((0, 1.0, (5.0, 12.0, 20.0)), (1, 2.0, (8.0, 15.0))):
        for stage, at in enumerate(ends):
            book.stages.append(lead, opened, stage, at)
    book.move(0, "won", 20.0)
    book.move(1, "lost", 40.0)
    book.move(2, "disqualified", 2.7)
    book.close()
    return book


def near(a: pd.Timestamp, b: pd.Timestamp) -> bool:
    """Equal up to the float rounding of a day's fraction (well under a millisecond)."""
    return abs(a - b) < pd.Timedelta(milliseconds=1)


def history(export, opp: str) -> list[tuple[str, pd.Timestamp]]:
    rows = export.stage_history[export.stage_history["opp_id"] == opp]
    return list(zip(rows["stage"], rows["entered"], strict=True))


def test_at_day_ten_both_deals_are_open_at_the_stage_they_reached(scenario, ledger):
    export = crm_export(scenario, ledger, at=10.0)
    opps = export.opportunities.set_index("opp_id")
    assert opps["stage"].to_dict() == {"O0": "demo", "O1": "demo"}
    assert opps["closed"].isna().all() and (opps["loss_reason"] == "").all()
    assert history(export, "O0") == [("discovery", day(1)), ("demo", day(5))]
    assert history(export, "O1") == [("discovery", day(2)), ("demo", day(8))]
    assert export.exported_at == day(10)


def test_at_day_thirty_the_won_deal_is_closed_and_the_other_in_its_third_stage(scenario, ledger):
    export = crm_export(scenario, ledger, at=30.0)
    opps = export.opportunities.set_index("opp_id")
    assert opps.loc["O0", "stage"] == "closed_won" and opps.loc["O0", "closed"] == day(20)
    assert opps.loc["O1", "stage"] == "commit" and pd.isna(opps.loc["O1", "closed"])
    assert history(export, "O0") == [
        ("discovery", day(1)),
        ("demo", day(5)),
        ("commit", day(12)),
        ("closed_won", day(20)),
    ]
    assert history(export, "O1")[-1] == ("commit", day(15))


def test_at_the_end_the_lost_deal_has_its_reason_and_the_leads_their_lifecycle(scenario, ledger):
    export = crm_export(scenario, ledger, at=50.0)
    opps = export.opportunities.set_index("opp_id")
    assert opps.loc["O1", "stage"] == "closed_lost" and opps.loc["O1", "loss_reason"] == "lost"
    assert opps.loc["O1", "amount"] == 5000.0 and opps.loc["O1", "owner"] == "ae-1"
    leads = export.leads.set_index("lead_id")
    assert leads["lifecycle"].tolist() == ["customer", "opportunity", "mql"]
    assert leads["status"].tolist() == ["open", "open", "closed"]
    assert near(leads.loc["L2", "mql_date"], day(2.5)) and pd.isna(leads.loc["L2", "sql_date"])
    assert near(leads.loc["L0", "first_touch"], day(0.6))


def test_a_lead_created_after_the_export_is_not_in_it(scenario, ledger):
    export = crm_export(scenario, ledger, at=1.4)
    assert export.leads["lead_id"].tolist() == ["L0", "L1"]
    assert export.opportunities["opp_id"].tolist() == ["O0"]
    assert pd.isna(export.leads.set_index("lead_id").loc["L1", "mql_date"])  # MQL at 1.5


def test_a_shape_renames_columns_and_closed_stages(scenario, ledger):
    tables = crm_export(scenario, ledger, at=50.0).shaped("salesforce")
    deals = tables["opportunities"]
    assert list(deals.columns) == list(SHAPES["salesforce"].columns["opportunities"].values())
    assert set(deals["StageName"]) == {"Closed Won", "Closed Lost"}
    assert "Closed Won" in set(tables["stage_history"]["StageName"])


@pytest.fixture(scope="module")
def run():
    scenario = small("aligned")
    return scenario, funnelsim.simulate(scenario, seed=3, events=True)


def test_an_export_mid_run_knows_nothing_after_its_date(run):
    scenario, result = run
    at = 20 * 7.0
    export = crm_export(scenario, result.ledger, result.events, at=at)
    cut = day(at)
    for table, columns in (
        (export.leads, ["created", "mql_date", "first_touch", "sql_date"]),
        (export.opportunities, ["created", "closed"]),
        (export.stage_history, ["entered"]),
        (export.activities, ["time"]),
    ):
        for column in columns:
            assert (table[column].dropna() <= cut).all(), column
    # Deals opened before the date and resolved after it are open in the export, and only they.
    opps = result.ledger.opp_frame()
    opened = opps[opps["opened_at"] <= at]
    still = int((opened["resolved_at"].isna() | (opened["resolved_at"] > at)).sum())
    assert still > 10
    assert int(export.opportunities["closed"].isna().sum()) == still
    # Every deal's history opens with its first stage when it was created.
    first = export.stage_history.groupby("opp_id").first()
    created = export.opportunities.set_index("opp_id")["created"]
    assert (first["entered"] == created[first.index]).all()
    calls = (result.events["concept:name"] == "SDR attempt") & (
        result.events["sim_time_days"] <= at
    )
    assert len(export.activities) == int(calls.sum())


def test_the_export_is_written_whole_in_its_shape(run, tmp_path):
    scenario, result = run
    export = crm_export(scenario, result.ledger, result.events)
    written = export.write(tmp_path, "hubspot")
    assert sorted(p.name for p in written) == sorted(SHAPES["hubspot"].files.values())
    deals = pd.read_csv(tmp_path / "deals.csv")
    assert len(deals) == len(export.opportunities)
    assert set(deals["Deal Stage"]) >= {"closedwon", "closedlost"}
    assert not list(tmp_path.glob(".*"))  # no temporary left behind
