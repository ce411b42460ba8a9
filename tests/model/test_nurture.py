"""Nurture visits only the touches that tell, and gives what touching every lead every time gives.

The engine jumps from one telling touch to the next (an engagement, an opt-out, the buyer
entering or leaving the market, a lowered threshold). Each test sets what a lead does at every
touch and works its path out touch by touch, by hand or with a plain loop over touches.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import funnelsim
from funnelsim.base.streams import Streams
from funnelsim.model.nurture import NurtureEngine
from funnelsim.model.sources import Leads

T = 11.0  # days between touches
HALF_LIFE = 30.0
GAIN = 0.3


def _setup(n, *, fit, interest, buy_start, buy_end, created=0.0, **nurture):
    """An engine over ``n`` made-up leads, with the scoring of 50 x fit + 50 x interest."""
    overrides = {
        "nurture.touch_every": f"{T:g}d",
        "nurture.interest_half_life": f"{HALF_LIFE:g}d",
        "nurture.interest_gain": GAIN,
        "scoring.noise_sd": nurture.pop("noise_sd", 0),
    } | {f"nurture.{key}": value for key, value in nurture.items()}
    scenario = funnelsim.load_scenario(overrides=overrides)

    def column(value):
        return np.broadcast_to(np.asarray(value, dtype=float), (n,)).copy()

    leads = Leads(
        key=np.arange(n, dtype=np.uint64),
        created=column(created),
        source=np.zeros(n, dtype=np.int16),
        segment=np.zeros(n, dtype=np.int16),
        fit=column(fit),
        interest=column(interest),
        buy_start=column(buy_start),
        buy_end=column(buy_end),
        cost=np.zeros(n),
    )
    engine = NurtureEngine(leads, scenario.nurture, scenario.scoring, Streams(7))
    engine.enrol(np.arange(n), leads.created)
    return engine


def _by_hand(interest: float, touches: int) -> list[float]:
    """Interest at touches 0, 1, ... of a lead that engages at every touch after capture."""
    path, decay = [interest], 0.5 ** (T / HALF_LIFE)
    for _ in range(touches):
        interest *= decay
        interest += GAIN * (1 - interest)
        path.append(interest)
    return path


def test_a_lead_that_engages_at_every_touch_becomes_an_mql_at_the_touch_worked_out_by_hand():
    engine = _setup(
        1,
        fit=0.5,
        interest=0.1,
        buy_start=0.0,
        buy_end=1e6,
        **{"engage.in_market": 1.0, "engage.not_in_market": 0.0, "unsubscribe": 0.0},
    )
    path = _by_hand(0.1, 20)
    scores = [25 + 50 * i for i in path]
    expected = next(k for k, s in enumerate(scores) if s >= 50)
    assert expected > 1  # it takes a few engagements
    out = engine.advance(1000.0, 50.0)
    assert out.mql.tolist() == [0]
    assert out.mql_at[0] == pytest.approx(expected * T)
    assert out.mql_score[0] == pytest.approx(scores[expected], abs=1e-9)


def test_engagement_starts_with_the_buyers_window_and_ends_with_it():
    """Engaging only in market: interest rises from the first touch inside the window, and
    decays after it; a threshold above what it reached is never crossed."""
    start, end = 50.0, 100.0  # touches 5 to 9 (55, 66, 77, 88, 99) are inside
    engine = _setup(
        1,
        fit=0.0,
        interest=0.0,
        buy_start=start,
        buy_end=end,
        **{"engage.in_market": 1.0, "engage.not_in_market": 0.0, "unsubscribe": 0.0},
    )
    peak = _by_hand(0.0, 5)[-1]
    assert not engine.advance(2000.0, 50 * peak + 1e-9).mql.size
    # Last told at touch 10, the first outside the window: decayed once since the peak.
    assert engine.state.column("updated_at")[0] == 10 * T
    assert engine.state.column("interest")[0] == pytest.approx(peak * 0.5 ** (T / HALF_LIFE))
    fresh = _setup(
        1,
        fit=0.0,
        interest=0.0,
        buy_start=start,
        buy_end=end,
        **{"engage.in_market": 1.0, "engage.not_in_market": 0.0, "unsubscribe": 0.0},
    )
    out = fresh.advance(2000.0, 50 * peak - 1e-9)
    assert out.mql_at.tolist() == [9 * T]


def test_a_capture_touch_never_opts_out_and_a_return_touch_can():
    engine = _setup(200, fit=0.0, interest=0.0, buy_start=1e6, buy_end=2e6, unsubscribe=1.0)
    out = engine.advance(1000.0, 50.0)
    assert np.all(out.unsubscribed_at == T)  # the first touch after capture
    engine.enrol(np.arange(200), 500.0)  # back from a recycle: its first touch sends
    out = engine.advance(1000.0, 50.0)
    assert np.all(out.unsubscribed_at == 500.0)


def test_a_lowered_threshold_takes_the_leads_it_clears_at_their_next_touch():
    engine = _setup(
        3,
        fit=[0.8, 0.6, 0.2],
        interest=0.5,
        buy_start=1e6,
        buy_end=2e6,
        **{"engage.in_market": 0.0, "engage.not_in_market": 0.0, "unsubscribe": 0.0},
    )
    assert engine.advance(7.0, 60.0).mql.tolist() == [0]  # 40 + 25 at capture: only lead 0
    for week in range(1, 10):
        assert not engine.advance(7.0 * (week + 1), 60.0).mql.size
    # From day 70 the bar is 33: lead 1's next touch (77) scores 30 + 25 x 0.5^(77/30) = 34.2,
    # lead 2's 10 + 4.2.
    out = engine.advance(77.0 + 1e-9, 33.0)
    assert out.mql.tolist() == [1]
    assert out.mql_at.tolist() == [77.0]
    assert out.mql_score[0] == pytest.approx(30 + 25 * 0.5 ** (77 / HALF_LIFE))
    assert not engine.advance(5000.0, 10.0 + 25 * 0.5 ** (88 / HALF_LIFE) + 1e-9).mql.size
    # A bar it clears at once: lead 2 goes at its first touch from day 5000 (touch 455).
    out = engine.advance(6000.0, 1.0)
    assert out.mql.tolist() == [2]
    assert out.mql_at.tolist() == [455 * T]


def _touch_by_touch(fit, interest, buy_start, buy_end, noise, until, threshold, rng, **p):
    """Every lead touched every ``T``: a Bernoulli engagement and opt-out at each touch."""
    n = fit.size
    mql_at, out_at = np.full(n, np.inf), np.full(n, np.inf)
    score_at_mql = np.full(n, np.nan)
    here = np.ones(n, dtype=bool)
    decay = 0.5 ** (T / HALF_LIFE)
    for k in range(int(until // T) + 1):
        now = k * T
        if k:
            interest = interest * decay
            in_market = (buy_start <= now) & (now < buy_end)
            odds = np.where(in_market, p["in_market"], p["not_in_market"])
            engaged = rng.random(n) < odds
            interest = interest + engaged * GAIN * (1 - interest)
            leaving = here & (rng.random(n) < p["unsubscribe"])
            out_at[leaving], here = now, here & ~leaving
        score = 50 * fit + 50 * interest + noise
        becoming = here & (score >= threshold)
        mql_at[becoming], score_at_mql[becoming] = now, score[becoming]
        here &= ~becoming
    return mql_at, out_at, score_at_mql


def test_the_engine_and_touching_every_lead_give_the_same_outcomes():
    """MQL and opt-out times, and MQL scores, of 20,000 leads through both: two-sample
    Kolmogorov-Smirnov at the 0.1% level, and the shares within four standard errors."""
    n, until, threshold = 20_000, 1500.0, 55.0
    rng = np.random.default_rng(11)
    fit, interest = rng.uniform(0.3, 0.9, n), rng.uniform(0.0, 0.4, n)
    buy_start = np.where(rng.random(n) < 0.3, 0.0, rng.uniform(0, 600, n))
    buy_end = buy_start + rng.uniform(10, 300, n)
    odds = {"in_market": 0.25, "not_in_market": 0.03, "unsubscribe": 0.02}
    engine = _setup(
        n,
        fit=fit,
        interest=interest,
        buy_start=buy_start,
        buy_end=buy_end,
        noise_sd=5,
        **{f"engage.{k}": v for k, v in odds.items() if k != "unsubscribe"},
        unsubscribe=odds["unsubscribe"],
    )
    found = [engine.advance(week, threshold) for week in np.arange(7.0, until + 7.0, 7.0)]
    mql_at, scores, out_at = (
        np.concatenate([getattr(f, name) for f in found])
        for name in ("mql_at", "mql_score", "unsubscribed_at")
    )
    scores, mql_at, out_at = (
        scores[mql_at <= until],
        mql_at[mql_at <= until],
        out_at[out_at <= until],
    )
    plain_mql, plain_out, plain_score = _touch_by_touch(
        fit, interest, buy_start, buy_end, engine.noise, until, threshold, rng, **odds
    )
    plain_mql_at, plain_out_at = plain_mql[np.isfinite(plain_mql)], plain_out[plain_out <= until]
    for ours, theirs in ((mql_at.size, plain_mql_at.size), (out_at.size, plain_out_at.size)):
        share, other = ours / n, theirs / n
        se = np.sqrt(share * (1 - share) / n + other * (1 - other) / n)
        assert abs(share - other) < 4 * se, (share, other)
    for ours, theirs in (
        (mql_at, plain_mql_at),
        (out_at, plain_out_at),
        (scores, plain_score[np.isfinite(plain_score)]),
    ):
        assert stats.ks_2samp(ours, theirs).pvalue > 0.001
