"""Teams over time: hires, ramps, attrition with backfill, and what they cost.

The roster's identities are checked by hand (who is on the team when, how productive, the
deal slots and days on the team); the desk with ramping SDRs against Erlang C; the AEs and
SDRs of a run against the roster; the cost against a hand-computed case.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

import funnelsim
from funnelsim.base.streams import Streams
from funnelsim.model.reference import ReferenceFunnel
from funnelsim.model.roster import MONTH, Teams, roster
from funnelsim.model.settled import settled
from funnelsim.scenario.staffing import Staffing
from tests.helpers import erlang_c, problems, small
from tests.model.test_theory import mmc, waits_in_window

START = dt.date(2026, 1, 5)


def _roster(horizon: float = 1000.0, seed: int = 1, headcount: int = 2, **plan):
    return roster(Staffing(**plan), headcount, START, horizon, Streams(seed), "sdr")


def test_a_team_without_a_plan_has_no_roster():
    assert _roster() is None
    assert _roster(ramp=[0.5]) is None  # nobody is ever hired: nobody ramps


def test_hires_join_on_their_dates_and_ramp_by_month_of_tenure():
    team = _roster(hires=[{"at": dt.date(2026, 1, 15), "count": 2}, {"at": "4w"}], ramp=[0.25, 0.5])
    assert team.joins.tolist() == [0.0, 0.0, 10.0, 10.0, 28.0]
    assert team.hired.tolist() == [-math.inf, -math.inf, 10.0, 10.0, 28.0]
    assert np.isinf(team.leaves).all() and team.at_start == 2
    assert [team.productivity(0, t) for t in (0.0, 500.0)] == [1.0, 1.0]
    # Hired on day 10: a quarter in its first month, half in its second, full from its third.
    at = [10.0, 10.0 + MONTH - 0.01, 10.0 + MONTH, 10.0 + 2 * MONTH - 0.01, 10.0 + 2 * MONTH]
    assert [team.productivity(2, t) for t in at] == [0.25, 0.25, 0.5, 0.5, 1.0]
    assert team.ramp_steps(2) == [10.0 + MONTH, 10.0 + 2 * MONTH]
    assert team.ramp_steps(0) == []


def test_deal_slots_and_days_on_the_team_by_hand():
    team = roster(Staffing(hires=[{"at": "0d"}], ramp=[0.5]), 1, START, 1e3, Streams(1), "ae")
    # One ramped AE and one hired at time zero, half productive for a month, cap 4:
    # over two months, 4 x 2M + (2 x M + 4 x M) = 14 M deal-days.
    assert team.slot_days(4, 0.0, 2 * MONTH) == pytest.approx(14 * MONTH)
    assert team.head_days(0.0, 2 * MONTH) == pytest.approx(4 * MONTH)
    # Hired at time zero: a hire (ramping, with a hire's fee), not one of the team before it.
    assert team.hires_within(0.0, 100.0) == 1 and team.hires.tolist() == [False, True]


def test_attrition_draws_exponential_tenures_and_backfill_refills_each_seat():
    team = _roster(
        horizon=20 * 365.25, headcount=400, attrition={"per_year": 0.5, "backfill": "60d"}
    )
    first = team.joins == 0.0
    tenures = team.leaves[first] / 365.25  # the heads of time zero, from time zero
    # Exponential with mean 2 years: the mean of 400 is within 4 standard errors (2 / 20).
    assert tenures.mean() == pytest.approx(2.0, abs=4 * 2.0 / 20)
    # Each leaver whose seat can be filled within the run is followed by one hire, 60 days on.
    refilled = np.sort(team.leaves[team.leaves + 60.0 < 20 * 365.25] + 60.0)
    assert np.allclose(np.sort(team.joins[~first]), refilled)
    assert (team.hired[~first] == team.joins[~first]).all()  # each replacement ramps
    # Headcount flow: at any time, heads = start + hires - leavers, never above the seats.
    for t in (100.0, 1000.0, 5000.0):
        present = np.count_nonzero((team.joins <= t) & (t < team.leaves))
        joined = np.count_nonzero(team.joins <= t)
        left = np.count_nonzero(team.leaves <= t)
        assert present == joined - left <= 400


def test_policies_meet_the_same_hires_and_leavers():
    plan = {"sdr.staffing.attrition": {"per_year": 0.4, "backfill": "30d"}}
    a, b = (small(policy, **plan) for policy in ("aligned", "misaligned"))
    ta, tb = Teams.drawn(a, Streams(3)), Teams.drawn(b, Streams(3))
    assert np.array_equal(ta.sdr.leaves, tb.sdr.leaves) and np.array_equal(
        ta.sdr.joins, tb.sdr.joins
    )


def test_ramping_sdrs_make_the_desk_an_mmc_queue_of_slower_servers():
    # Twenty SDRs hired at time zero, at half productivity all run: M/M/20 with mean work 2 h.
    # At 9 MQLs an hour the load per SDR is 0.9, as in the bundled M/M/10 with 1 h.
    ramp = {"sdr.headcount": 0, "sdr.staffing.hires": [{"at": "0d", "count": 20}]}
    ramp["sdr.staffing.ramp"] = [0.5] * 12
    c, offered = 20, 9.0 * 2.0
    expected = erlang_c(c, offered) / (c / 2.0 - 9.0)  # Wq = C / (c mu - lambda), mu = 1/2
    means = [waits_in_window(mmc(9.0, c=0, weeks=30, seed=s, **ramp))[1].mean() for s in range(4)]
    se = np.std(means, ddof=1) / 2
    assert np.mean(means) == pytest.approx(expected, abs=max(4 * se, 0.03 * expected))


def test_an_sdr_works_only_while_on_the_desk():
    plan = {"sdr.staffing.attrition": {"per_year": 2.0, "backfill": "20d"}}
    scenario = small("aligned", **plan)
    result = funnelsim.simulate(scenario, seed=2, events=True)
    team = Teams.drawn(scenario, Streams(2)).sdr
    log = result.events
    attempts = log[log["concept:name"] == "SDR attempt"]
    sdr = attempts["org:resource"].str.removeprefix("sdr-").astype(int).to_numpy()
    at = attempts["sim_time_days"].to_numpy()
    assert len(team) > scenario.sdr.headcount  # some left and were replaced
    assert set(sdr) - set(range(scenario.sdr.headcount))  # replacements worked
    assert (team.joins[sdr] <= at).all() and (at < team.leaves[sdr]).all()


def test_aes_hold_deals_only_while_on_the_team_and_leavers_deals_go_on():
    plan = {"sales.staffing.attrition": {"per_year": 1.5, "backfill": "45d"}, "sales.ae_count": 6}
    scenario = small("aligned", **plan)
    result = funnelsim.simulate(scenario, seed=4)
    team = Teams.drawn(scenario, Streams(4)).ae
    opps = result.ledger.opp_frame()
    opened = opps["opened_at"].to_numpy()
    resolved = opps["resolved_at"].to_numpy()
    ae = opps["ae"].to_numpy().astype(int)
    held = np.isfinite(opened) & (ae >= 0)  # opened (not declined), by an AE
    opened, resolved, ae = opened[held], resolved[held], ae[held]
    done = np.isfinite(resolved)
    # The AE a deal resolves with is on the team then: a leaver's deals went to another.
    assert (team.joins[ae[done]] <= resolved[done]).all()
    assert (resolved[done] < team.leaves[ae[done]]).all()
    assert (team.leaves[ae] < opened).sum() == 0  # nobody opens a deal after leaving
    summary = result.summary["metrics"]
    # Utilisation is deal-days held over the deal-days the team's caps allow; a leaver's deals
    # go to the least loaded AEs cap or not, so with ramping backfills it may pass 1.
    assert summary["wins"] > 0 and summary["ae_utilisation"] > 0.5


def test_people_cost_follows_days_on_the_team_and_each_hire_by_hand():
    # Two SDRs all year and one hired at 26 weeks: 2.5 heads on average over the 364 days
    # measured, at 100k a year; one hire at 10k, over 364 / 365.25 of a year.
    scenario = small(
        **{
            "horizon.warmup": "0w",
            "horizon.length": "52w",
            "sdr.headcount": 2,
            "sdr.staffing.hires": [{"at": "26w"}],
            "cost.sdr_per_year": 100_000,
            "cost.sdr_hire": 10_000,
        }
    )
    m = funnelsim.simulate(scenario, seed=1).summary["metrics"]
    assert m["sdr_cost_per_year"] == pytest.approx(250_000 + 10_000 * 365.25 / 364)


def test_the_pilot_settles_the_team_of_time_zero_whatever_the_plan():
    plain = funnelsim.load_scenario()
    planned = funnelsim.load_scenario(
        overrides={"sdr.staffing.hires": [{"at": "8w", "count": 3}], "sales.staffing.ramp": [0.5]}
    )
    assert settled(planned) is settled(plain)


def test_the_reference_model_runs_fixed_teams_only():
    scenario = small(**{"sdr.staffing.hires": [{"at": "2w"}]})
    with pytest.raises(ValueError, match="fixed for the run"):
        ReferenceFunnel(scenario, Streams(1))


def test_bad_plans_are_refused_with_the_key_and_what_was_expected():
    early = problems(overrides={"sales.staffing.hires": [{"at": "2020-01-01"}]})
    assert "expected hires on or after start_date" in str(early[0])
    for key, value, expected in (
        ("sdr.staffing.ramp", [0.5, 0.0], "greater than 0"),
        ("sdr.staffing.attrition.per_year", 0, "greater than 0"),
        ("sales.staffing.hires", [{"at": "2w", "count": 0}], "greater than or equal to 1"),
    ):
        found = problems(overrides={key: value})
        assert expected in str(found[0]), (key, found)
