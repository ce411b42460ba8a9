"""A steady-state start: the nurture pool at time zero, drawn from the history before it.

The history's leads are drawn on streams of their own, so the run's own leads do not depend on
how the run starts; the pool it leaves at time zero has the size nurture's own arithmetic
gives; and the measured window of the reference scenario is stationary under every policy.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import funnelsim
from funnelsim.base.streams import Streams
from funnelsim.model.history import history_era, nurture_pool
from funnelsim.model.sources import daily_rates
from tests.helpers import problems, small

YEAR = 52


def test_the_run_s_own_leads_do_not_depend_on_how_it_starts():
    steady, empty = (
        funnelsim.simulate(small(**{"horizon.start": start}), seed=3).ledger
        for start in ("steady", "empty")
    )
    assert (empty.created >= 0).all()
    before = steady.created < 0
    assert before.sum() > 1000  # the history left a pool
    for column in ("created", "source", "segment", "fit", "buy_start", "buy_end"):
        np.testing.assert_array_equal(getattr(steady, column)[~before], getattr(empty, column))


def test_history_leads_were_captured_within_the_history_and_never_worked_before_it():
    scenario = small(**{"horizon.history": "40w"})
    leads, state = nurture_pool(scenario, Streams(5))
    assert (leads.created >= -280.0).all() and (leads.created < 0).all()
    assert (state.state.next_touch >= 0).all()  # each is next touched in the run
    assert (state.state.column("updated_at") < 0).all() and (
        state.state.column("updated_at") >= leads.created
    ).all()
    # A lead that outbound SDRs prospect skips nurture: none waits in the pool.
    outbound = [k for k, s in enumerate(scenario.sources.values()) if s.skips_nurture]
    assert not np.isin(leads.source, outbound).any()


def test_the_pool_holds_what_survives_opting_out_when_no_lead_can_become_an_mql():
    """With no MQL possible, a lead captured ``a`` days before time zero has had
    ``floor(a / T)`` chances to opt out (the touch at capture only scores it), so it is in the
    pool with probability ``(1 - p) ** floor(a / T)``: the expected pool is that survival
    integrated against the history's arrival rates, day by day."""
    touch, p = 10.0, 0.05
    scenario = small(
        **{
            "horizon.history": "200d",
            "scoring.fit_weight": 0,
            "scoring.interest_weight": 0,
            "scoring.noise_sd": 0,
            "nurture.touch_every": f"{touch:g}d",
            "nurture.unsubscribe": p,
        }
    )
    era = history_era(scenario)
    first_day = scenario.start_date + dt.timedelta(days=era.since)
    rates = sum(
        daily_rates(source, first_day, int(-era.since), bursts=False)
        for source in scenario.sources.values()
        if not source.skips_nurture
    )
    steps = 48  # a midpoint rule within each day: survival changes only every T days
    age = -era.since - (np.arange(len(rates) * steps) + 0.5) / steps
    expected = float((np.repeat(rates, steps) / steps * (1 - p) ** np.floor(age / touch)).sum())
    counts = [len(nurture_pool(scenario, Streams(seed))[0]) for seed in range(6)]
    # Poisson arrivals thinned by independent opt-outs: the pool is Poisson too.
    standard_error = np.sqrt(expected / len(counts))
    assert abs(np.mean(counts) - expected) < 4 * standard_error, (np.mean(counts), expected)


def test_an_empty_start_has_no_history():
    leads, _ = nurture_pool(small(**{"horizon.start": "empty"}), Streams(1))
    assert len(leads) == 0


def test_a_bad_start_names_the_key_and_the_choices():
    (problem,) = problems(overrides={"horizon.start": "full"})
    assert problem.path == "horizon.start"
    assert "steady" in problem.message and "empty" in problem.message


@pytest.mark.parametrize("policy", [None, "misaligned", "aligned"])
def test_the_reference_window_is_stationary(policy):
    """Mean weekly MQLs and SQLs of the second measured year within 5% of the first, pooled
    over eight replications: one replication's yearly SQLs vary by about 6% on their own, so
    eight pooled measure the ratio to about 3% (four, to about 4%: too close to the band)."""
    scenario = funnelsim.load_scenario(policy=policy)
    runs = [funnelsim.simulate(scenario, seed=seed).weekly for seed in range(8)]
    for series in ("mqls", "sqls"):
        years = [_yearly(weekly, series) for weekly in runs]
        first, second = np.sum(years, axis=0)
        assert abs(second / first - 1) <= 0.05, (series, second / first)


def _yearly(weekly, series: str) -> tuple[float, float]:
    measured = weekly.loc[~weekly["warmup"], series].to_numpy()
    return measured[:YEAR].sum(), measured[YEAR : 2 * YEAR].sum()


def test_a_run_says_how_it_started():
    steady = funnelsim.simulate(small(), seed=1).summary["funnel_start"]
    assert steady == {"state": "steady", "history_weeks": 156.0, "history_from": "2023-01-09"}
    empty = funnelsim.simulate(small(**{"horizon.start": "empty"}), seed=1).summary
    assert empty["funnel_start"] == {"state": "empty"}
