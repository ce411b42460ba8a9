"""A run that takes over the deals open on a date (``scenario.pipeline``).

The yardstick is the model itself: the deals a long run holds open at a date, with their
stages and ages, are the pipeline a CRM would show then. A run that warms up to that date and
takes those deals over must book from them what the long run went on to book from them,
although it knows only what a CRM knows (stage, ages, value, AE), not their buyers.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import funnelsim
from funnelsim.base.streams import Streams
from funnelsim.model.fast import Funnel
from funnelsim.model.reference import ReferenceFunnel
from funnelsim.record.ledger import OPP, STATE, Ledger
from funnelsim.scenario import Scenario

WON = OPP["won"]


def held_open(scenario: Scenario, ledger: Ledger, at: float) -> tuple[pd.DataFrame, list[dict]]:
    """The opportunities open at ``at``, and the same as a pipeline file's deals (as a CRM
    shows them: stage, age, time in the stage, value and AE)."""
    opps, stages = ledger.opp_frame(), ledger.stage_frame()
    held = opps[(opps["opened_at"] <= at) & ~(opps["resolved_at"] <= at)]
    sources, segments = list(scenario.sources), list(scenario.segments)
    deals = []
    for row in held.itertuples():
        path = stages[(stages["lead"] == row.lead) & (stages["opened_at"] == row.opened_at)]
        passed = path[path["ends_at"] <= at]
        segment = segments[ledger.segment[row.lead]]
        entered = passed["ends_at"].max() if len(passed) else row.opened_at
        deals.append(
            {
                "source": sources[ledger.source[row.lead]],
                "segment": segment,
                "stage": scenario.segments[segment].stages[len(passed)].name,
                "age": f"{at - row.opened_at}d",
                "in_stage": f"{at - entered}d",
                "value": float(row.value),
                "ae": int(row.ae),
            }
        )
    return held, deals


WARMUP = 8
"""Weeks a run warms up before it takes a pipeline over."""


def from_pipeline(
    scenario: Scenario, deals: list[dict], at: float, weeks: int, policy=None, name="reference"
):
    """The bundled scenario ``name``, warmed up to ``at`` days into ``scenario`` where it
    takes the pipeline ``deals`` over, then measured for ``weeks``."""
    date = scenario.start_date + dt.timedelta(days=at)
    return funnelsim.load_scenario(
        name,
        policy=policy,
        overrides={
            "start_date": (date - dt.timedelta(weeks=WARMUP)).isoformat(),
            "horizon.warmup": f"{WARMUP}w",
            "horizon.length": f"{WARMUP + weeks}w",
            "pipeline": {"date": date.isoformat(), "deals": deals},
        },
    )


def won_within(opps: pd.DataFrame, since: float, days: float) -> pd.DataFrame:
    won = opps[opps["outcome"] == WON]
    return won[(won["resolved_at"] > since) & (won["resolved_at"] <= since + days)]


@pytest.mark.parametrize("policy", ["aligned", "misaligned"])
def test_a_run_from_the_pipeline_books_what_the_long_run_booked_from_it(policy):
    """Eight seeds, a year in, the next 26 weeks: the deals open at the year's end win, in
    the long runs, 444 (aligned) and 122 (misaligned) times; taken over by runs on other
    seeds, they win 471 and 107 times. Counts of wins vary at most as Poisson counts do, so
    the two must lie within two standard errors of their difference, 2 sqrt(a + b) (60 and
    30 here). Taking every open deal as just opened, as a naive start would, wins them 692 and
    177 times, more than three standard errors too many: the ages carry the answer."""
    year, days = 364.0, 182.0
    truth = started = naive = 0
    for seed in range(1, 9):
        scenario = funnelsim.load_scenario(
            policy=policy, overrides={"horizon.warmup": "0d", "horizon.length": "78w"}
        )
        ledger = funnelsim.simulate(scenario, seed=seed).ledger
        held, deals = held_open(scenario, ledger, year)
        truth += len(won_within(held, year, days))
        for ages in (True, False):
            given = deals if ages else [d | {"age": "0d", "in_stage": "0d"} for d in deals]
            started_run = from_pipeline(scenario, given, year, 26, policy)
            run = funnelsim.simulate(started_run, seed=100 + seed).ledger
            inherited = _pipeline_deals(run)
            ages_given = [float(d["age"][:-1]) for d in given]
            day = WARMUP * 7.0
            assert inherited["queued_at"].to_numpy() == pytest.approx(day - np.array(ages_given))
            wins = len(won_within(inherited, day, days))
            if ages:
                started += wins
            else:
                naive += wins
    assert abs(started - truth) <= 2 * np.sqrt(started + truth)
    assert naive - truth > 3 * np.sqrt(naive + truth)


def test_the_reference_model_starts_from_the_pipeline_as_the_fast_one_does():
    """More open deals than the AEs' caps, some on a named AE (0 holds fifteen, over the cap
    of ten), some on an AE the team lacks (7) or none: both models hold and free them alike."""
    long = funnelsim.load_scenario(
        "sales_bound", overrides={"horizon.length": "40w", "horizon.warmup": "0d"}
    )
    _, deals = held_open(long, funnelsim.simulate(long, seed=2).ledger, 273.0)
    deals += [dict(deals[0], ae=0, age="20d", in_stage="5d") for _ in range(15)]
    deals += [dict(deals[1], ae=7), dict(deals[2], ae=None)]
    scenario = from_pipeline(long, deals, 273.0, 12, policy="aligned", name="sales_bound")
    fast, reference = (model(scenario, Streams(4)).run() for model in (Funnel, ReferenceFunnel))
    assert len(deals) > scenario.sales.ae_count * scenario.sales.max_open_per_ae
    assert fast.opp_frame().equals(reference.opp_frame())
    assert fast.stage_frame().equals(reference.stage_frame())
    for column in ("state", "state_at", "recycles", "sql_at", "opp_at", "won_at"):
        assert np.array_equal(getattr(fast, column), getattr(reference, column), equal_nan=True)
    opened = fast.opp_frame()["opened_at"]
    assert (opened > WARMUP * 7.0).sum() > 0  # the SQLs in line opened once AEs had room


def test_every_open_deal_is_held_and_ends_once():
    """Forty deals a month old: each its own lead, captured when it opened and costing the run
    nothing; each resolves at most once, not before the pipeline's date; one in its last stage
    has passed the three before it; a lead's state follows its deal's outcome."""
    deals = [_deal(stage=stage) for stage in ("discovery", "commit")] * 20
    scenario = from_pipeline(funnelsim.load_scenario(), deals, 0.0, 52)
    ledger = funnelsim.simulate(scenario, seed=3).ledger
    inherited = _pipeline_deals(ledger)
    leads = inherited["lead"].to_numpy()
    day = WARMUP * 7.0
    assert len(set(leads)) == len(inherited) == len(deals)
    assert (inherited["opened_at"] == day - 30.0).all()
    assert (ledger.created[leads] == day - 30.0).all() and (ledger.cost[leads] == 0.0).all()
    assert (inherited["resolved_at"].dropna() >= day).all()
    assert (inherited["stages_passed"].iloc[1::2] >= 3).all()
    still_open = inherited["outcome"] == OPP["open"]
    assert (ledger.state[leads[still_open]] == STATE["opportunity"]).all()
    won = inherited["outcome"] == OPP["won"]
    assert (ledger.state[leads[won]] == STATE["won"]).all()
    assert won.sum() > 0 and (~still_open).sum() > 20


def test_the_models_own_open_deals_leave_when_the_pipeline_takes_over():
    """On the pipeline's date no deal of the model's own is open any more: each one open then
    left the run, with its stages; deals opened later are the model's again."""
    scenario = from_pipeline(funnelsim.load_scenario(), [_deal()], 0.0, 8)
    ledger = funnelsim.simulate(scenario, seed=3).ledger
    opps, day = ledger.opp_frame(), WARMUP * 7.0
    own = opps.drop(_pipeline_deals(ledger).index)
    spanning = (own["opened_at"] < day) & ~(own["resolved_at"] <= day)
    assert not spanning.any()
    assert (own["opened_at"] >= day).sum() > 50 and (own["resolved_at"] <= day).sum() > 50
    stages = ledger.stage_frame()
    named = set(zip(opps["lead"], opps["opened_at"], strict=True))
    assert set(zip(stages["lead"], stages["opened_at"], strict=True)) <= named


def _pipeline_deals(ledger: Ledger) -> pd.DataFrame:
    """A pipeline's deals: the only ones opened when their leads were captured (any other lead
    is worked by an SDR first)."""
    opps = ledger.opp_frame()
    return opps[opps["opened_at"].to_numpy() == ledger.created[opps["lead"].to_numpy()]]


def _deal(**fields) -> dict:
    deal = {"source": "inbound", "segment": "mid_market", "stage": "discovery", "age": "30d"}
    return deal | fields


@pytest.mark.parametrize(
    "kept",
    [0, 5, "stale"],
    ids=["no deals: the model's own leave", "room left for the SQLs in line", "stale deals"],
)
def test_the_models_agree_when_the_pipeline_leaves_the_aes_room(kept):
    """Deals the rules close on the pipeline's date, or too few to fill the AEs: SQLs in line
    open that instant and later ones as deals resolve together; both models pick their AEs
    alike (a freed slot goes to the line at once, its AE chosen then)."""
    long = funnelsim.load_scenario(
        "sales_bound", overrides={"horizon.length": "40w", "horizon.warmup": "0d"}
    )
    _, deals = held_open(long, funnelsim.simulate(long, seed=2).ledger, 273.0)
    if kept == "stale":
        deals = [dict(d, age="250d", in_stage="200d") for d in deals[:8]]
    else:
        deals = deals[:kept]
    scenario = from_pipeline(long, deals, 273.0, 12, policy="aligned", name="sales_bound")
    for seed in (1, 4):
        fast, reference = (m(scenario, Streams(seed)).run() for m in (Funnel, ReferenceFunnel))
        assert fast.opp_frame().equals(reference.opp_frame())
        assert np.array_equal(fast.state, reference.state)
    opened = fast.opp_frame()["opened_at"]
    assert (opened == WARMUP * 7.0).sum() > 0  # SQLs in line took the room that instant
