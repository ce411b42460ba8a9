"""The SLA's response rule, the one the model, the metrics and the SLA judge share."""

from __future__ import annotations

import numpy as np

import funnelsim
from funnelsim.base.calendar import Calendar
from funnelsim.record.response import SLACK, within_response
from tests.helpers import small


def test_a_touch_at_the_deadline_or_a_rounding_step_past_it_is_on_time():
    hour = 1 / 24
    assert within_response(hour, hour)
    assert within_response(hour + SLACK / 2, hour)
    assert not within_response(hour + 2 * SLACK, hour)
    assert within_response(0.0, 0.0)


def test_an_array_of_waits_is_judged_one_by_one_and_never_touched_is_late():
    waits = np.array([0.01, 0.05, np.nan, 0.0417])
    assert within_response(waits, 0.0417).tolist() == [True, False, False, True]


def test_the_runs_compliance_is_the_share_of_judged_mqls_the_rule_finds_on_time():
    scenario = small("aligned")
    result = funnelsim.simulate(scenario, seed=3)
    calendar = Calendar.from_spec(scenario.calendar, scenario.start_date)
    spells = result.ledger.spell_frame()
    spells = spells[~spells["prospect"]]
    mql, touch = spells["mql_at"].to_numpy(), spells["first_touch_at"].to_numpy()
    in_window = (mql >= scenario.horizon.warmup) & (mql < scenario.horizon.length)
    b_mql = calendar.business_array(mql)
    response = calendar.open_time(scenario.sla.response_time)
    judged = in_window & (calendar.business(scenario.horizon.length) - b_mql >= response)
    waited = calendar.business_array(touch) - b_mql
    on_time = judged & within_response(waited, response)
    assert result.summary["metrics"]["sla_compliance"] == on_time.sum() / judged.sum()
