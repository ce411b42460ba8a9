"""The model reduces to textbook results where its parameters say so.

* The SDR desk with Poisson MQLs, c SDRs, exponential work, always open and one attempt
  that always reaches the buyer is an M/M/c queue: waits follow Erlang C.
* Little's law ties the time-average queue to the arrival rate and the mean wait.
* A funnel of independent Bernoulli stages converts end to end at the product of the stages.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import funnelsim
from tests.helpers import erlang_c

HOURS = 24.0


def mmc(rate_per_hour: float, c: int = 10, weeks: int = 40, seed: int = 0, **overrides):
    scenario = funnelsim.load_scenario(
        funnelsim.bundled_scenario("mmc"),
        overrides={
            "sources.poisson.rate_per_week": rate_per_hour * 168,
            "sdr.headcount": c,
            "horizon.length": f"{weeks}w",
            "horizon.warmup": "2w",
            **overrides,
        },
    )
    return funnelsim.simulate(scenario, seed=seed)


def waits_in_window(result) -> tuple[np.ndarray, np.ndarray]:
    spells = result.ledger.spell_frame()
    start, end = result.scenario.horizon.warmup, result.scenario.horizon.length
    inside = (spells["mql_at"] >= start) & (spells["mql_at"] < end - 7)  # all served by the end
    return spells.loc[inside, "mql_at"].to_numpy(), (
        spells.loc[inside, "first_touch_at"] - spells.loc[inside, "mql_at"]
    ).to_numpy() * HOURS


@pytest.mark.parametrize("load", [0.7, 0.85])
def test_sdr_desk_waits_match_erlang_c(load):
    # c = 10 SDRs, mean work 1 h: lambda = 10 * load per hour. Four independent replications
    # of ~40 weeks (~47,000 to ~57,000 MQLs each); the tolerance is four standard errors of the
    # replication mean, estimated from the replications themselves, and never below 2%.
    c, rate = 10, 10 * load
    expected_p_wait = erlang_c(c, rate)
    expected_wq = expected_p_wait / (c - rate)  # hours, with mu = 1 per hour
    p_wait, mean_wait = [], []
    for seed in range(4):
        _, w = waits_in_window(mmc(rate, c=c, seed=seed))
        assert not np.isnan(w).any(), "every MQL in the window was touched"
        p_wait.append((w > 1e-9).mean())
        mean_wait.append(w.mean())
    se_wq = np.std(mean_wait, ddof=1) / 2
    assert np.mean(mean_wait) == pytest.approx(expected_wq, abs=max(4 * se_wq, 0.02 * expected_wq))
    se_p = np.std(p_wait, ddof=1) / 2
    assert np.mean(p_wait) == pytest.approx(expected_p_wait, abs=max(4 * se_p, 0.01))


def test_sdr_utilisation_is_the_offered_load():
    result = mmc(8.0, c=10, seed=5)
    assert result.summary["metrics"]["sdr_utilisation"] == pytest.approx(0.8, abs=0.01)


def test_time_average_queue_is_erlang_c_lq():
    # Little's law puts Erlang C's queue length at Lq = lambda * Wq. Here the time-average
    # number of MQLs waiting is integrated from the ledger's own intervals (arrival to first
    # touch), independently of any wait the tests computed, over four replications; the band
    # is four standard errors of their mean, and never below 3%.
    c, rate = 10, 8.5
    lq = rate * erlang_c(c, rate) / (c - rate)
    averages = []
    for seed in range(4):
        result = mmc(rate, c=c, seed=seed + 20)
        spells = result.ledger.spell_frame()
        start, end = 14.0, result.scenario.horizon.length - 7
        q_start = np.clip(spells["mql_at"].to_numpy(), start, end)
        q_end = np.clip(spells["first_touch_at"].fillna(end).to_numpy(), start, end)
        averages.append((q_end - q_start).sum() / (end - start))
    se = np.std(averages, ddof=1) / 2
    assert np.mean(averages) == pytest.approx(lq, abs=max(4 * se, 0.03 * lq))


def bernoulli_chain(reach: float, qualify: float, advances: list[float], seed: int):
    """A funnel whose every stage is an independent coin: no capacity, no timing effects."""
    stages = [
        {"name": f"s{k}", "duration": {"constant": {"value": "1d"}}, "advance": a, "lost": 1 - a}
        for k, a in enumerate(advances)
    ]
    scenario = funnelsim.load_scenario(
        funnelsim.bundled_scenario("mmc"),
        overrides={
            "sources.poisson.rate_per_week": 2000,
            "sources.poisson.in_market": 1.0,
            "nurture.buying_window.length": {"constant": {"value": "1000w"}},
            "sdr.headcount": 500,
            "sdr.reach": {"1m": reach},
            "sdr.qualify.in_market": qualify,
            "sales.ae_count": 1000,
            "sales.max_open_per_ae": 100,
            "sales.stall_after": "1000w",
            "segments.all.stages": stages,
            "horizon.length": "12w",
            "horizon.warmup": "1w",
        },
    )
    return funnelsim.simulate(scenario, seed=seed)


def test_chain_of_bernoulli_stages_converts_at_the_product():
    reach, qualify, advances = 0.6, 0.5, [0.7, 0.8]
    result = bernoulli_chain(reach, qualify, advances, seed=11)
    ledger = result.ledger
    cohort = ledger.created < result.scenario.horizon.length - 7  # every journey has finished
    n = int(cohort.sum())
    won = int(np.isfinite(ledger.won_at[cohort]).sum())
    p = reach * qualify * np.prod(advances)
    # Binomial: four standard deviations either side.
    assert abs(won / n - p) < 4 * math.sqrt(p * (1 - p) / n)
    # And each stage alone converts at its own probability.
    mql = np.isfinite(ledger.mql_at[cohort]).sum()
    sal = np.isfinite(ledger.sal_at[cohort]).sum()
    sql = np.isfinite(ledger.sql_at[cohort]).sum()
    assert mql == n
    assert abs(sal / mql - reach) < 4 * math.sqrt(reach * (1 - reach) / mql)
    assert abs(sql / sal - qualify) < 4 * math.sqrt(qualify * (1 - qualify) / sal)
