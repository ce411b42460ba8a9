"""The business clock and the random streams."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from funnelsim.base.calendar import Calendar
from funnelsim.base.streams import Streams

MONDAY = dt.date(2026, 1, 5)
WEEKDAYS = Calendar.weekly(["mon", "tue", "wed", "thu", "fri"], 9, 17, MONDAY)


def test_a_working_week_is_forty_hours():
    assert WEEKDAYS.open_per_week == pytest.approx(40 / 24)
    assert WEEKDAYS.business(7.0) == pytest.approx(40 / 24)
    assert WEEKDAYS.open_time("1d") == pytest.approx(8 / 24)
    assert WEEKDAYS.open_time("1w") == pytest.approx(40 / 24)
    assert WEEKDAYS.open_time("90m") == pytest.approx(1.5 / 24)


def test_hand_computed_moments():
    friday_4pm = 4 + 16 / 24
    # Two hours of work started Friday at 16:00 end Monday at 10:00.
    assert WEEKDAYS.add(friday_4pm, 2 / 24) == pytest.approx(7 + 10 / 24)
    # Saturday noon: the next opening is Monday 9:00.
    assert WEEKDAYS.next_open(5.5) == pytest.approx(7 + 9 / 24)
    # Work that ends exactly at closing time ends then, not the next morning.
    assert WEEKDAYS.add(9 / 24, 8 / 24) == pytest.approx(17 / 24)


def test_the_week_is_anchored_to_the_start_date_weekday():
    wednesday = Calendar.weekly(["mon", "tue", "wed", "thu", "fri"], 9, 17, dt.date(2026, 1, 7))
    # t = 3 is Saturday when day 0 is a Wednesday.
    assert wednesday.next_open(3.5) == pytest.approx(5 + 9 / 24)


@given(t=st.floats(0, 400), work=st.floats(0, 20))
def test_add_and_business_are_inverse(t, work):
    done = WEEKDAYS.add(t, work)
    assert done >= t
    assert WEEKDAYS.business(done) - WEEKDAYS.business(t) == pytest.approx(work, abs=1e-9)
    assert WEEKDAYS.business_array(np.array([done]))[0] == pytest.approx(WEEKDAYS.business(done))


@given(times=st.lists(st.floats(0, 60), min_size=1, max_size=40))
def test_a_warm_calendar_answers_as_a_cold_one(times):
    """The cached open interval and closed stretch give what a fresh lookup gives."""
    wednesday = dt.date(2026, 1, 7)  # weeks that do not begin on the calendar's Monday
    warm = Calendar.weekly(["mon", "tue", "thu", "fri"], 9, 17, wednesday)
    for t in times:
        cold = Calendar.weekly(["mon", "tue", "thu", "fri"], 9, 17, wednesday)
        assert warm.business(t) == pytest.approx(cold.business(t), rel=0, abs=1e-12)
    # A closed stretch reads the clock at its last close throughout: here from Tuesday 17:00
    # (day 6, as day 0 is a Wednesday) over a closed Wednesday to Thursday 9:00.
    closed = [6 + 17 / 24 + h / 24 for h in (0.5, 10, 30, 39.9)]
    clock = [warm.business(t) for t in closed]
    assert clock == [clock[0]] * 4
    assert clock[0] == pytest.approx(warm.business(6 + 17 / 24), rel=0, abs=1e-12)
    assert warm.business(7 + 33 / 24) > warm.business(6 + 17 / 24)  # open again on Thursday


def test_always_open_is_the_plain_clock():
    cal = Calendar.always_open()
    assert cal.add(3.3, 1.2) == pytest.approx(4.5)
    assert cal.business(10.0) == 10.0
    assert cal.next_open(2.2) == 2.2


def test_lead_uniforms_are_uniform_and_independent():
    streams = Streams(7)
    leads = np.arange(50_000)
    u = streams.lead_uniforms("a", leads, 0)
    assert stats.kstest(u, "uniform").pvalue > 0.001
    assert abs(np.corrcoef(u, streams.lead_uniforms("a", leads, 1))[0, 1]) < 0.02
    assert abs(np.corrcoef(u, streams.lead_uniforms("b", leads, 0))[0, 1]) < 0.02
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.02
    assert ((u > 0) & (u < 1)).all()


def test_streams_are_fixed_by_seed_and_name():
    a, b = Streams(3), Streams(3)
    assert a.generator("x").random() == b.generator("x").random()
    assert a.generator("x").random() != a.generator("y").random()
    one = a.lead_uniforms("x", np.array([5, 9]), 2)
    assert b.lead_uniforms("x", np.array([9]), 2)[0] == one[1]  # random access by lead
    assert Streams(4).lead_uniforms("x", np.array([5]), 2)[0] != one[0]


def test_one_lead_draws_match_the_vectorised_ones_bit_for_bit():
    streams = Streams(11)
    key = (123 << 32) + 45
    counters = [0, 1, 7, 64, 96, 1000]
    many = streams.lead_uniforms("opportunity", np.full(len(counters), key), np.array(counters))
    assert streams.lead_uniforms_of("opportunity", key, counters) == many.tolist()
    fresh = Streams(11)  # the scalar path derives the stream's key on its own
    assert (
        fresh.lead_uniforms_of("other", key, [3])
        == streams.lead_uniforms("other", [key], 3).tolist()
    )
