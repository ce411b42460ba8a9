"""Go-to-market cost: a hand-made ledger worked out by hand, the identities every run keeps,
the yardstick's response times, and bad cost input."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

import funnelsim
from funnelsim.base.calendar import Calendar
from funnelsim.record import costs, metrics
from funnelsim.record.ledger import OPP, SPELL, Ledger
from tests.helpers import small

YEAR = 365.25
MINUTE, HOUR = 1 / 1440, 1 / 24


def _ledger() -> Ledger:
    """Four leads of two sources (A: 0, 1; B: 2, 3), lead 3 created before the window."""
    created = np.array([10.0, 20.0, 30.0, -5.0])
    source = np.array([0, 0, 1, 1])
    cost, unknown = np.array([100.0, 100.0, 50.0, 50.0]), np.full(4, np.nan)
    ledger = Ledger(created, source, np.zeros(4, int), np.full(4, 0.5), cost, unknown, unknown)
    spells = ledger.spells
    spells.append(0, 11.0, 11.0 + 30 * MINUTE, 2, SPELL["sql"], 12.0, False)
    spells.append(1, 21.0, 21.5, 1, SPELL["rejected"], 21.5, False)
    spells.append(2, 31.0, 31.0 + 2 * HOUR, 1, SPELL["sql"], 32.0, False)
    spells.append(3, -4.0, -3.0, 5, SPELL["rejected"], -3.0, False)  # worked before the window
    ledger.opps.append(0, 11.0, 12.0, 12.0, 42.0, OPP["won"], 10_000.0, 0, 2)
    ledger.opps.append(2, 31.0, 32.0, 32.0, 42.0, OPP["lost"], 5_000.0, 0, 1)
    ledger.close()
    return ledger


def _context(years: float = 1.0) -> metrics.Context:
    """Two SDRs at 40,000 a year, one AE at 120,000, program spend 1,000 a year for A."""
    return metrics.Context(
        0.0, years * YEAR, dt.date(2026, 1, 5), Calendar.always_open(), HOUR, 2, 10, 1, 1e6,
        ("A", "B"), ("smb",),
        sdr_cost_per_year=80_000.0, ae_cost_per_year=120_000.0, programs_per_year=(1_000.0, 0.0),
        gross_margin=0.5,
        yardsticks=(("5m", 5 * MINUTE), ("1h", HOUR), ("4h", 4 * HOUR), ("1d", 1.0)),
    )  # fmt: skip


def _figures(ctx: metrics.Context) -> tuple[dict, object]:
    ledger = _ledger()
    spent = costs.spends(ledger, ctx)
    counted = metrics.scalars(ledger, ctx)
    by_source = costs.by_source(spent, metrics.by_group(ledger, ctx, "source"), ctx)
    return counted | costs.total(spent, counted, ctx), by_source


def test_a_hand_made_ledger_costs_what_the_hand_says():
    m, by_source = _figures(_context())
    # Lead spend: the three leads created in the window; lead 3 came before it.
    assert m["lead_spend_per_year"] == 250.0
    assert m["marketing_spend_per_year"] == 1_250.0
    # SDR cost by attempts of spells touched in the window: A 2 + 1, B 1 (lead 3's 5 before).
    assert by_source["sdr_cost_per_year"].tolist() == pytest.approx([60_000.0, 20_000.0])
    # AE cost by opportunity-days in the window: A 30 days, B 10.
    assert by_source["ae_cost_per_year"].tolist() == pytest.approx([90_000.0, 30_000.0])
    assert by_source["gtm_cost_per_year"].tolist() == pytest.approx([151_200.0, 50_050.0])
    assert m["gtm_cost_per_year"] == pytest.approx(201_250.0)
    assert m["contribution_per_year"] == pytest.approx(10_000 * 0.5 - 201_250.0)
    assert m["cost_per_lead"] == pytest.approx(1_250.0 / 3)
    assert m["sqls_in_window"] == 2
    assert m["cost_per_sql"] == pytest.approx((1_250.0 + 80_000.0) / 2)
    assert m["cost_per_opportunity"] == pytest.approx((1_250.0 + 80_000.0) / 2)
    assert m["cost_per_won_deal"] == pytest.approx(201_250.0)
    assert by_source.loc["B", "cost_per_won_deal"] != by_source.loc["B", "cost_per_won_deal"]


def test_a_longer_window_states_the_same_spend_per_year():
    """Twice the years: the same leads' spend is half as much a year, people cost the same."""
    one, _ = _figures(_context(1.0))
    two, _ = _figures(_context(2.0))
    assert two["lead_spend_per_year"] == pytest.approx(one["lead_spend_per_year"] / 2)
    assert two["program_spend_per_year"] == one["program_spend_per_year"] == 1_000.0
    assert two["sdr_cost_per_year"] == pytest.approx(80_000.0)
    assert two["bookings_per_year"] == pytest.approx(two["bookings"] / 2)


def test_compliance_within_each_yardstick_counts_the_touches_that_fast():
    """Waits of 30 minutes, 2 hours and 12 hours: the 30-minute touch meets 1h, not 5m."""
    m, _ = _figures(_context())
    within = {w: m[f"sla_compliance_within_{w}"] for w in ("5m", "1h", "4h", "1d")}
    assert within == pytest.approx({"5m": 0.0, "1h": 1 / 3, "4h": 2 / 3, "1d": 1.0})
    assert m["sla_compliance"] == within["1h"]  # the scenario's own SLA is 1h


@pytest.fixture(scope="module")
def run():
    overrides = {"cost.programs": {"events": 50_000, "partners": 20_000}}
    return funnelsim.simulate(small("aligned", **overrides), seed=5)


def test_every_run_keeps_the_cost_identities(run):
    m, years = run.summary["metrics"], run.summary["window"]["years"]
    parts = ("marketing_spend_per_year", "sdr_cost_per_year", "ae_cost_per_year")
    assert m["gtm_cost_per_year"] == pytest.approx(sum(m[p] for p in parts), rel=1e-12)
    assert m["marketing_spend_per_year"] == pytest.approx(
        m["lead_spend_per_year"] + m["program_spend_per_year"], rel=1e-12
    )
    assert m["program_spend_per_year"] == pytest.approx(70_000.0)
    scenario = run.scenario
    assert m["sdr_cost_per_year"] == pytest.approx(
        scenario.sdr.headcount * scenario.cost.sdr_per_year
    )
    assert m["ae_cost_per_year"] == pytest.approx(
        scenario.sales.ae_count * scenario.cost.ae_per_year
    )
    assert m["contribution_per_year"] == pytest.approx(
        m["bookings_per_year"] * scenario.cost.gross_margin - m["gtm_cost_per_year"], rel=1e-12
    )
    assert m["bookings_per_year"] * years == pytest.approx(m["bookings"], rel=1e-3)
    assert m["cost_per_won_deal"] == pytest.approx(
        m["gtm_cost_per_year"] * years / m["deals_won"], rel=1e-3
    )


def test_the_sources_costs_add_up_to_the_runs(run):
    m, by_source = run.summary["metrics"], run.by_source
    for name in (*costs.PER_YEAR, "sqls_in_window"):
        assert by_source[name].sum() == pytest.approx(m[name], rel=1e-9), name


def test_compliance_within_the_runs_own_sla_is_its_sla_compliance(run):
    m = run.summary["metrics"]
    assert m[f"sla_compliance_within_{run.scenario.sla.response_time}"] == m["sla_compliance"]


def test_a_scenario_without_a_cost_section_costs_only_its_leads():
    scenario = small()
    bare = scenario.model_copy(update={"cost": type(scenario.cost)()})
    m = funnelsim.simulate(bare, seed=1).summary["metrics"]
    assert m["sdr_cost_per_year"] == m["ae_cost_per_year"] == 0.0
    assert m["gtm_cost_per_year"] == pytest.approx(m["lead_spend_per_year"])
    assert m["contribution_per_year"] == pytest.approx(
        m["bookings_per_year"] - m["gtm_cost_per_year"]
    )


@pytest.mark.parametrize(
    ("overrides", "key", "words"),
    [
        ({"cost.sdr_per_year": -1}, "cost.sdr_per_year", "greater than or equal to 0"),
        ({"cost.ae_per_year": "lots"}, "cost.ae_per_year", "number"),
        ({"cost.gross_margin": 1.5}, "cost.gross_margin", "less than or equal to 1"),
        ({"cost.programs": {"events": -10}}, "cost.programs.events", "greater than or equal"),
        ({"cost.programs": {"webinars": 10}}, "cost.programs.webinars", "unknown source 'webi"),
    ],
)
def test_bad_cost_input_names_the_key(overrides, key, words):
    with pytest.raises(funnelsim.ScenarioError) as caught:
        small(**overrides)
    [problem] = caught.value.problems
    assert problem.path == key and words in problem.message


def test_the_program_of_an_unknown_source_lists_the_sources():
    with pytest.raises(funnelsim.ScenarioError) as caught:
        small(**{"cost.programs": {"x": 1.0}})
    [problem] = caught.value.problems
    assert problem.message == (
        "unknown source 'x'; expected one of the sources: "
        "inbound, paid, events, outbound_sdr, tele, partners"
    )


def test_with_nothing_to_split_by_the_sources_share_people_cost_evenly():
    """A window after every lead, touch and opportunity: no attempts, no opportunity-days and
    no leads to split by, so each of the two sources carries half."""
    ctx = dataclasses.replace(_context(), start=50.0, end=50.0 + YEAR)
    _, by_source = _figures(ctx)
    assert by_source["sdr_cost_per_year"].tolist() == pytest.approx([40_000.0, 40_000.0])
    assert by_source["ae_cost_per_year"].tolist() == pytest.approx([60_000.0, 60_000.0])
