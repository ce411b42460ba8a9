"""Every lead ends a run in exactly one state, and its event log tells the same story."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import funnelsim
from funnelsim.record.ledger import LEAK_REASONS, STATE, STATES
from tests.helpers import small

# The funnel's state machine, as the event log must spell it: after each activity, the
# activities that may come next, and the state the lead is in if it is the last one.
NEXT = {
    # A deal open at time zero (a settled start's, a pipeline's) is taken over at once.
    "lead created": ({"MQL", "prospected", "unsubscribed", "opportunity taken over"}, "nurture"),
    "recycled": ({"MQL", "prospected", "unsubscribed"}, "nurture"),
    "MQL": ({"SDR attempt", "never worked"}, "sdr"),
    "prospected": ({"SDR attempt", "never worked"}, "sdr"),
    "SDR attempt": ({"SDR attempt", "SAL", "disqualified", "cadence exhausted", "recycled",
                     "recycle cap"}, "sdr"),
    "SAL": ({"SQL", "rejected"}, "sdr"),
    "rejected": ({"recycled", "rejected dropped", "recycle cap"}, "sdr"),
    "SQL": ({"opportunity opened", "declined by sales", "no sales capacity"}, "ae_queue"),
    "declined by sales": ({"recycled", "rejected dropped", "recycle cap"}, "ae_queue"),
    "opportunity opened": ({"stage", "won", "lost", "no decision", "stalled", "abandoned"},
                           "opportunity"),
    "opportunity taken over": (
        {"stage", "won", "lost", "no decision", "stalled", "abandoned"},
        "opportunity",
    ),
    "stage": ({"stage", "won", "lost", "no decision", "stalled", "abandoned"}, "opportunity"),
    "lost": ({"recycled"}, "lost"),
    "stalled": ({"recycled", "recycle cap"}, "opportunity"),
    "won": (set(), "won"),
    "no decision": (set(), "no_decision"),
    "disqualified": (set(), "disqualified"),
    **{reason.replace("_", " "): (set(), "leaked") for reason in LEAK_REASONS},
    "abandoned": (set(), "leaked"),
}  # fmt: skip


def replay(log):
    """Walk each lead's events through the state machine; return its final state."""
    final = {}
    for lead, rows in log.groupby("case:concept:name", sort=False):
        activities = ["stage" if a.startswith("stage ") else a for a in rows["concept:name"]]
        assert activities[0] == "lead created", lead
        for before, after in pairwise(activities):
            assert after in NEXT[before][0], (lead, before, after, activities)
        final[int(lead)] = NEXT[activities[-1]][1]
    return final


def check_conserved(result) -> None:
    ledger, m = result.ledger, result.summary["metrics"]
    assert sum(m[f"final_{s}"] for s in STATES) == m["leads"]
    assert m["leaked"] == sum(m[f"leaked_{r}"] for r in LEAK_REASONS)
    leaked = ledger.state == STATE["leaked"]
    assert (ledger.reason[leaked] >= 0).all() and (ledger.reason[~leaked] == -1).all()
    # Stages are reached in order: no SQL without a SAL, no win without an opportunity. A deal
    # open at time zero (a settled start's or a pipeline's) had its SQL before the run.
    before, none = ledger.opp_at < 0, np.zeros(len(ledger), dtype=bool)
    sal, sql, opp, won = ledger.sal_at, ledger.sql_at, ledger.opp_at, ledger.won_at
    for later, earlier, exempt in [
        (sal, ledger.mql_at, none),
        (sql, sal, none),
        (opp, sql, before),
        (won, opp, none),
    ]:
        reached = np.isfinite(later) & ~exempt
        assert (np.isfinite(earlier[reached])).all()
        assert (earlier[reached] <= later[reached]).all()
    if result.events is not None:
        log = result.events
        assert log["sequence"].is_monotonic_increasing
        assert log["time:timestamp"].is_monotonic_increasing
        final = replay(log)
        assert len(final) == len(ledger)
        states = np.array([STATES[s] for s in ledger.state])
        assert all(states[lead] == state for lead, state in final.items())


def test_reference_policies_conserve_leads(small_run):
    check_conserved(small_run)


@st.composite
def scenarios(draw):
    """Random valid scenarios around the reference: rates, thresholds, capacity, rules."""
    toggles = {
        f"recycle.{k}.enabled": draw(st.booleans())
        for k in ("rejected", "unreachable", "stalled", "lost")
    }
    return funnelsim.load_scenario(
        overrides={
            "horizon.length": f"{draw(st.integers(6, 20))}w",
            "horizon.warmup": "2w",
            "calendar.always_open": draw(st.booleans()),
            "sources.inbound.rate_per_week": draw(st.floats(0, 400)),
            "sources.outbound_sdr.rate_per_week": draw(st.floats(0, 200)),
            "scoring.mql_threshold": draw(st.floats(20, 90)),
            "scoring.closed_loop.enabled": draw(st.booleans()),
            "scoring.closed_loop.min_threshold": 0,
            "scoring.closed_loop.max_threshold": 100,
            "scoring.closed_loop.review_every": f"{draw(st.integers(1, 6))}w",
            "sdr.headcount": draw(st.integers(0, 6)),
            "sdr.attempts": draw(st.integers(1, 6)),
            "sdr.queue": draw(st.sampled_from(["fifo", "score"])),
            "sdr.followups": draw(st.sampled_from(["first", "last"])),
            "sdr.max_queue_age": f"{draw(st.integers(1, 30))}d",
            "sales.ae_count": draw(st.integers(0, 4)),
            "sales.max_open_per_ae": draw(st.integers(1, 5)),
            "sales.stall_after": f"{draw(st.integers(5, 60))}d",
            "sla.enforced": draw(st.booleans()),
            "recycle.max_recycles": draw(st.integers(0, 3)),
            "recycle.rejected.delay": f"{draw(st.integers(0, 20))}d",
            **toggles,
        }
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_random_scenarios_conserve_leads(scenario, seed):
    check_conserved(funnelsim.simulate(scenario, seed=seed, events=True))


@pytest.mark.parametrize("policy", ["aligned", "misaligned"])
def test_policies_conserve_leads(policy):
    check_conserved(funnelsim.simulate(small(policy), seed=2, events=True))
