"""An opportunity's path and resolution, by hand."""

from __future__ import annotations

import math

import numpy as np

from funnelsim.model.rules.opportunity import (
    Path,
    deal_value,
    opportunity_path,
    passed_stages,
    resolution,
)
from funnelsim.scenario.schema import Sales, Segment

SEGMENT = Segment.model_validate(
    {
        "deal_size": {"constant": {"value": 1}},
        "stages": [
            {"name": "a", "duration": {"constant": {"value": "10d"}}, "advance": 0.5, "lost": 0.3},
            {"name": "b", "duration": {"constant": {"value": "40d"}}, "advance": 0.5,
             "no_decision": 0.2},
        ],
    }
)  # fmt: skip
SALES = Sales(ae_count=1, max_open_per_ae=1, stall_after="30d", abandon_after="90d")


def path(u_outcome, buy_end=1e9, fit=0.5):
    return opportunity_path(SEGMENT, SALES, 100.0, fit, 0.0, buy_end, np.full(2, 0.5), u_outcome)


def test_opportunity_paths_by_hand():
    won = path([0.1, 0.1])
    assert (won.outcome, won.ends_at) == ("won", 150.0)
    assert won.stalls_at == 140.0  # stage b lasts 40 days, past the 30-day stall clock
    assert won.stages == [("a", 110.0), ("b", 150.0)]
    assert path([0.6, 0.1]).outcome == "lost"  # 0.5 <= u < 0.8
    assert path([0.9, 0.1]).outcome == "dark"  # the 20% left go dark
    nd = path([0.1, 0.6])
    assert (nd.outcome, nd.ends_at) == ("no_decision", 150.0)
    dark = path([0.1, 0.9])
    assert (dark.outcome, dark.ends_at, dark.stalls_at) == ("dark", 110.0, 140.0)


def test_a_closing_buying_window_darkens_the_deal():
    closes = path([0.1, 0.1], buy_end=130.0)  # the buyer leaves during stage b
    assert (closes.outcome, closes.ends_at) == ("dark", 110.0)


def test_fit_moves_the_odds_of_advancing():
    segment = SEGMENT.model_copy(update={"fit_effect": 2.0})
    # At fit 1 the log-odds of advancing stage a rise by 2 * 0.5 = 1: p = 1 / (1 + e^-1).
    p = 1 / (1 + math.exp(-1))
    u_just_above = [p - 1e-6, 0.0]
    high = opportunity_path(segment, SALES, 0.0, 1.0, 0.0, 1e9, np.full(2, 0.5), u_just_above)
    low = opportunity_path(segment, SALES, 0.0, 0.5, 0.0, 1e9, np.full(2, 0.5), u_just_above)
    assert high.outcome == "won" and low.outcome != "won"


def test_a_deal_resolves_at_its_close_unless_it_stalls_first_under_a_stall_rule():
    won = Path("won", 150.0, 140.0, [("a", 110.0), ("b", 150.0)])
    assert resolution(won, SALES, stall_recycles=False) == (150.0, "won")
    assert resolution(won, SALES, stall_recycles=True) == (140.0, "stalled")
    quick = Path("lost", 120.0, math.inf, [("a", 110.0)])
    assert resolution(quick, SALES, stall_recycles=True) == (120.0, "lost")


def test_a_dark_deal_is_abandoned_after_its_last_progress_or_stalls():
    dark = Path("dark", 110.0, 140.0, [("a", 110.0)])
    assert resolution(dark, SALES, stall_recycles=False) == (110.0 + 90.0, "abandoned")
    assert resolution(dark, SALES, stall_recycles=True) == (140.0, "stalled")


def test_a_deal_passes_the_stages_done_when_it_resolves():
    stages = [("a", 110.0), ("b", 150.0)]
    assert passed_stages(stages, 140.0) == [("a", 110.0)]
    assert passed_stages(stages, 150.0) == stages


def test_the_deal_value_is_read_from_the_uniform_after_the_durations():
    segment = SEGMENT.model_copy(
        update={"deal_size": SEGMENT.deal_size.model_validate({"uniform": {"min": 0, "max": 10}})}
    )
    assert deal_value(segment, [0.9, 0.9, 0.25]) == 2.5
