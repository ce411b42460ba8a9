"""The cohort followed to its outcomes: the estimator against a case worked by hand and against
lifelines' Aalen-Johansen fitter, and a run's cohort figures against its own ledger."""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest

from funnelsim import runner
from funnelsim.record import cohorts
from funnelsim.record.cohorts import HORIZONS, NAMES, OUTCOMES, QUARTER, cumulative_incidence
from funnelsim.record.ledger import STATE
from funnelsim.scenario import load_scenario

WON, LOST, DISQUALIFIED, LEAKED = 1, 2, 3, 4

# Nine leads, days from capture to their outcome (0: still open, censored then). Two outcomes
# tie at day 3, and an open lead is censored at day 5, the moment another lead leaks.
DAYS = np.array([2, 3, 3, 4, 5, 5, 6, 7, 8], dtype=float)
OUTCOME = np.array([WON, LEAKED, DISQUALIFIED, 0, LEAKED, 0, 0, WON, LOST])


def test_the_estimate_equals_the_one_worked_by_hand():
    """Aalen-Johansen by hand: at each moment, the chance of having no outcome just before,
    S(t-), times the outcome's leads over the leads at risk, added up.

    day 2: 9 at risk, 1 won:             won += 1 * 1/9 = 1/9;       S = 8/9
    day 3: 8 at risk, 1 leaked, 1 disq.: each += 8/9 * 1/8 = 1/9;    S = 8/9 * 6/8 = 2/3
    day 4: one censored; 5 left
    day 5: 5 at risk (the one censored at 5 still among them), 1 leaked:
                                         leaked += 2/3 * 1/5 = 2/15; S = 2/3 * 4/5 = 8/15
    day 6: one censored; 2 left
    day 7: 2 at risk, 1 won:             won += 8/15 * 1/2 = 4/15;   S = 4/15
    day 8: 1 at risk, 1 closed lost:     lost += 4/15;               S = 0
    """
    horizons = (2, 3, 4.5, 5, 8)
    found = cumulative_incidence(DAYS, OUTCOME, horizons)
    expected = {
        "won": [F(1, 9), F(1, 9), F(1, 9), F(1, 9), F(1, 9) + F(4, 15)],
        "closed_lost": [0, 0, 0, 0, F(4, 15)],
        "disqualified": [0, F(1, 9), F(1, 9), F(1, 9), F(1, 9)],
        "leaked": [0, F(1, 9), F(1, 9), F(1, 9) + F(2, 15), F(1, 9) + F(2, 15)],
        "still_open": [F(8, 9), F(2, 3), F(2, 3), F(8, 15), 0],
    }
    for name, values in expected.items():
        np.testing.assert_allclose(found[name], [float(v) for v in values], atol=1e-15)


def test_leakage_read_naively_is_too_low_or_too_high():
    """The hand case's leakage within 8 days, 11/45, lies between leaked over all leads (2/9:
    open leads as never leaking) and leaked over the leads with an outcome (2/6)."""
    leaked = cumulative_incidence(DAYS, OUTCOME, (8,))["leaked"][0]
    assert leaked == pytest.approx(11 / 45)
    assert 2 / 9 < leaked < 2 / 6


def test_without_censoring_the_incidences_are_the_plain_shares_and_sum_to_one():
    days = np.array([1.0, 2.0, 2.0, 3.5, 4.0, 9.0])
    outcome = np.array([LEAKED, WON, LEAKED, DISQUALIFIED, LOST, LEAKED])
    found = cumulative_incidence(days, outcome, (3, 10))
    for code, name in enumerate(OUTCOMES, start=1):
        shares = [((outcome == code) & (days <= h)).sum() / 6 for h in (3, 10)]
        np.testing.assert_allclose(found[name], shares, atol=1e-15)
    total = sum(found[name] for name in (*OUTCOMES, "still_open"))
    np.testing.assert_allclose(total, [1.0, 1.0], atol=1e-15)
    assert found["still_open"][1] == 0.0


def test_lifelines_aalen_johansen_gives_the_same_estimate():
    """lifelines' AalenJohansenFitter, the reference implementation, on 2,000 leads with
    continuous times (no ties, so it has nothing to jitter)."""
    lifelines = pytest.importorskip("lifelines")
    rng = np.random.default_rng(7)
    ends, seen = rng.exponential(150.0, 2000), rng.uniform(0.0, 700.0, 2000)
    outcome = np.where(ends < seen, rng.integers(1, 5, 2000), 0)
    days = np.minimum(ends, seen)
    horizons = (30, 180, 365)
    found = cumulative_incidence(days, outcome, horizons)
    for code, name in enumerate(OUTCOMES, start=1):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a tie would be jittered, with a warning
            fitter = lifelines.AalenJohansenFitter(calculate_variance=False)
            fitter.fit(days, outcome, event_of_interest=code)
        reference = np.asarray(fitter.predict(list(horizons)), dtype=float).reshape(-1)
        np.testing.assert_allclose(found[name], reference, rtol=1e-12, atol=1e-15)


def test_the_same_leads_give_the_same_figures_bit_for_bit():
    a = cumulative_incidence(DAYS, OUTCOME)
    b = cumulative_incidence(DAYS[::-1].copy(), OUTCOME[::-1].copy())
    assert all(np.array_equal(a[k], b[k]) for k in a)


@pytest.fixture(scope="module")
def run():
    scenario = load_scenario(overrides={"horizon.length": "50w", "horizon.warmup": "4w"})
    return runner.simulate(scenario, seed=3)


def test_a_runs_cohort_figures_agree_with_its_ledger(run):
    m, ledger = run.summary["metrics"], run.ledger
    start, end = run.scenario.horizon.warmup, run.scenario.horizon.length
    cohort = (ledger.created >= start) & (ledger.created < end)
    open_states = [STATE[s] for s in ("nurture", "sdr", "ae_queue", "opportunity")]
    still_open = cohort & np.isin(ledger.state, open_states)
    assert m["still_open_at_end"] == still_open.sum()
    assert m["still_open_share"] == pytest.approx(still_open.sum() / cohort.sum())
    ended = m["final_won"] + m["final_lost"] + m["final_no_decision"] + m["final_disqualified"]
    assert m["still_open_at_end"] + ended + m["leaked"] == m["leads"]
    first = cohort & (ledger.created < start + QUARTER)
    assert m["leads_first_quarter"] == first.sum()
    shares = [f"{o}_share_first_quarter" for o in OUTCOMES[:-1]]
    shares += ["leakage_rate_first_quarter", "still_open_share_first_quarter"]
    assert sum(m[name] for name in shares) == pytest.approx(1.0, abs=1e-12)
    leaked_first = (first & (ledger.state == STATE["leaked"])).sum() / first.sum()
    assert m["leakage_rate_first_quarter"] == pytest.approx(leaked_first)


def test_a_runs_incidences_sum_to_one_and_lie_within_the_ledgers_bounds(run):
    """Within 180 days, leakage lies between the leads seen to leak that soon over all leads
    (open leads never leaking) and those plus every lead censored before then (all of them
    leaking at once); 365 days is longer than this window, so it is not estimated."""
    m, ledger = run.summary["metrics"], run.ledger
    start, end = run.scenario.horizon.warmup, run.scenario.horizon.length
    days, outcome, _ = cohorts.follow_up(ledger, start, end)
    total = sum(m[f"{o}_within_180d"] for o in OUTCOMES) + m["still_open_after_180d"]
    assert total == pytest.approx(1.0, abs=1e-12)
    leaked_soon = ((outcome == LEAKED) & (days <= 180)).sum() / len(days)
    censored_soon = ((outcome == 0) & (days < 180)).sum() / len(days)
    assert leaked_soon < m["leaked_within_180d"] < leaked_soon + censored_soon
    assert end - start < 365
    assert all(np.isnan(m[f"{o}_within_365d"]) for o in OUTCOMES)


def test_the_figures_are_named_in_order_and_registered(run):
    from funnelsim.record.registry import METRICS

    figures = cohorts.figures(run.ledger, run.scenario.horizon.warmup, run.scenario.horizon.length)
    assert tuple(figures) == NAMES
    assert set(NAMES) <= set(METRICS)
    assert all(METRICS[name].about for name in NAMES)
    assert {f"{o}_within_{h}d" for o in OUTCOMES for h in HORIZONS} <= set(NAMES)


def test_an_empty_cohort_has_no_rates():
    ledger = runner.simulate(
        load_scenario(overrides={"horizon.length": "3w", "horizon.warmup": "1w"}), seed=0
    ).ledger
    figures = cohorts.figures(ledger, 1e6, 1e6 + 1)
    counts = ("still_open_at_end", "leads_first_quarter")
    assert [figures[k] for k in counts] == [0, 0]
    assert all(np.isnan(v) for k, v in figures.items() if k not in counts)


def test_a_measured_year_of_52_weeks_reads_the_year_and_a_shorter_window_does_not():
    """52 weeks are 364 days: a window one day short of a horizon still reads it."""
    ledger = runner.simulate(
        load_scenario(overrides={"horizon.length": "56w", "horizon.warmup": "4w"}), seed=2
    ).ledger
    start = 28.0
    year = cohorts.figures(ledger, start, start + 364.0)
    assert np.isfinite(year["leaked_within_365d"]) and np.isfinite(year["still_open_after_365d"])
    short = cohorts.figures(ledger, start, start + 363.0)
    assert np.isnan(short["leaked_within_365d"]) and np.isfinite(short["leaked_within_180d"])


def test_the_worked_example_in_the_docs_prints_what_it_shows():
    text = (Path(__file__).parents[2] / "docs" / "cohorts.md").read_text()
    text = text[text.index("## A worked example") :]
    code, shown = re.search(r"```python\n(.*?)```\n\n```\n(.*?)```", text, re.S).groups()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "docs/cohorts.md", "exec"), {})
    assert out.getvalue() == shown
