"""The stationarity diagnostic: MSER-5 and the yearly ratio against values worked by hand,
and the reference scenario's measured window, which is known to be still filling up."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import funnelsim
from funnelsim.record.warmup import (
    FIGURES,
    diagnose,
    distance,
    mser_statistics,
    mser_truncation,
    search_limit,
    year_change,
)


def test_mser5_cuts_a_step_at_the_batch_where_it_ends():
    # Batch means 0, 0, then eight of 10. MSER(0): mean 8, SS 2*64 + 8*4 = 160, over 10**2.
    # MSER(1): mean 80/9, SS (80/9)**2 + 8*(10/9)**2 = 800/9, over 9**2. MSER(2..4): 0.
    values = np.array([0.0] * 10 + [10.0] * 40)
    assert mser_statistics(values) == pytest.approx([1.6, 800 / 729, 0, 0, 0])
    assert mser_truncation(values) == 10


def test_mser5_rounds_a_step_inside_a_batch_up_to_the_batch_end():
    # Seven weeks of 0: batch means 0, 6 (two 0s, three 10s), then eight of 10.
    # MSER(0): mean 8.6, SS 8.6**2 + 2.6**2 + 8*1.4**2 = 96.4, over 100.
    # MSER(1): mean 86/9, SS (32/9)**2 + 8*(4/9)**2 = 1152/81, over 81.
    values = np.array([0.0] * 7 + [10.0] * 43)
    assert mser_statistics(values)[:3] == pytest.approx([0.964, 1152 / 6561, 0])
    assert mser_truncation(values) == 10


def test_mser5_keeps_every_week_of_a_stationary_series():
    # Twelve batches whose means alternate 1, 3: no start is unlike the rest.
    # MSER(0) = 12/144; MSER(1): six 3s, five 1s, mean 23/11, SS 1320/121, over 121;
    # MSER(2) = 10/100; MSER(3): five 3s, four 1s, mean 19/9, SS 720/81, over 81.
    batches = np.array([1.0, 3.0] * 6)
    values = np.repeat(batches, 5)
    expected = [1 / 12, 1320 / 14641, 0.1, 720 / 6561]
    assert mser_statistics(values)[:4] == pytest.approx(expected)
    assert len(mser_statistics(values)) == 6  # the first half: truncations 0 to 5 batches
    assert mser_truncation(values) == 0
    # A last, partial batch is left out, however far off it is.
    assert mser_truncation(np.append(values, [100.0, 100.0])) == 0


def test_mser5_needs_three_batches_and_searches_half_of_them():
    assert math.isnan(mser_truncation(np.ones(14)))  # two batches: only truncation 0
    assert mser_truncation(np.array([9.0] * 5 + [1.0] * 10)) == 5
    assert search_limit(117) == 55  # 23 batches: truncations of up to 11
    assert search_limit(50) == 20


def _years(first: list[float], second: list[float]) -> np.ndarray:
    """Two years of weeks from their thirteen four-week batch means each."""
    return np.repeat(np.array(first + second), 4)


@pytest.mark.parametrize(
    ("spread", "shift", "ratio", "errors", "moved"),
    [
        # Batch means 10 (eleven times), 10 - s, 10 + s: variance 2s**2/12, so the standard
        # error of the difference of the two years is sqrt(2 * 2s**2/12 / 13).
        (2.0, 1.0, 1.1, 1.0 / math.sqrt(2 * 8 / 12 / 13), True),
        (2.0, 0.4, 1.04, 0.4 / math.sqrt(2 * 8 / 12 / 13), False),  # within 5%
        (6.0, 1.0, 1.1, 1.0 / math.sqrt(2 * 72 / 12 / 13), False),  # within the noise
    ],
)
def test_year_change_is_beyond_tolerance_and_noise(spread, shift, ratio, errors, moved):
    first = [10.0] * 11 + [10.0 - spread, 10.0 + spread]
    change = year_change(_years(first, [x + shift for x in first]))
    assert change.ratio == pytest.approx(ratio)
    assert change.errors == pytest.approx(errors)
    assert change.moved is moved


def _weekly(weeks: int, warmup: int, **series: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"week": np.arange(weeks), "warmup": np.arange(weeks) < warmup, **series})


def _filling_frame() -> pd.DataFrame:
    """Five warm-up weeks, two measured years, and a last week cut short (index 109).

    MQLs: 0 in the warm-up, 10 in year 1, 12 in year 2. SQLs: 5 throughout. Bookings: 0 in
    the warm-up, then 100. The cut-short week holds 1 of each, a fall if it were read.
    """
    mqls = np.array([0.0] * 5 + [10.0] * 52 + [12.0] * 52 + [1.0])
    sqls = np.array([5.0] * 109 + [1.0])
    bookings = np.array([0.0] * 5 + [100.0] * 104 + [1.0])
    return _weekly(110, 5, mqls=mqls, sqls=sqls, bookings=bookings)


def test_a_hand_made_run_whose_mqls_still_fill_up():
    diagnosis = diagnose(_filling_frame(), warmup=35.0, length=109 * 7 + 3)
    mqls, sqls, bookings = diagnosis.series
    assert diagnosis.measured_weeks == 104  # the cut-short week is not read
    assert mqls.ratio == pytest.approx(1.2) and mqls.change.moved
    # 21 whole batches: 0, ten of 10, 11.2 (two 10s, three 12s), nine of 12. Each later start
    # drops a batch further from year 2's level, so MSER is least at the search limit of 10
    # batches: SS = sum of squares - n * mean**2 = 1521.44 - 129.2**2 / 11, over 11**2;
    # 9 batches give 1621.44 - 139.2**2 / 12 = 6.72, over 12**2.
    statistics = mser_statistics(_filling_frame()["mqls"].to_numpy()[:109])
    assert statistics[9:] == pytest.approx([6.72 / 144, (1521.44 - 129.2**2 / 11) / 121])
    assert (mqls.suggested, mqls.at_limit, mqls.filling) == (50, True, True)
    assert (sqls.ratio, sqls.suggested, sqls.filling) == (1.0, 0, False)
    # The bookings' step ends with the warm-up (5 weeks): one batch, which it allows.
    assert (bookings.ratio, bookings.suggested, bookings.filling) == (1.0, 5, False)
    assert diagnosis.stationary is False
    assert diagnosis.warning() == (
        "the measured window is still filling up: weekly MQLs in year 2 are 1.20x year 1; "
        "MSER-5 suggests a warm-up of at least 50 weeks (horizon.warmup is 5w)"
    )
    figures = diagnosis.figures()
    assert list(figures) == list(FIGURES)
    assert figures["filling_mqls"] == 1 and figures["filling_sqls"] == 0
    assert figures["window_stationary"] == 0


def test_a_window_shorter_than_two_years_is_not_judged_and_says_why():
    frame = _filling_frame().assign(warmup=np.arange(110) < 60)
    diagnosis = diagnose(frame, warmup=60 * 7.0, length=109 * 7 + 3)
    assert diagnosis.stationary is None
    assert (
        diagnosis.reason == "the measured window has 49 whole weeks; comparing two years needs 104"
    )
    assert diagnosis.warning() is None
    figures = diagnosis.figures()
    assert math.isnan(figures["year_ratio_mqls"]) and math.isnan(figures["window_stationary"])
    assert figures["mser5_weeks_mqls"] == 50  # MSER-5 still reads the whole run
    assert diagnosis.document()["series"]["mqls"]["filling"] is False


EMPTY_START = {"horizon.start": "empty", "horizon.warmup": "13w", "horizon.length": "117w"}
"""The reference scenario opened on an empty funnel, 13 weeks of warm-up, 104 measured."""


@pytest.fixture(scope="module")
def reference_run():
    """The reference scenario from an empty start, seed 0: it fills for more than a year."""
    return funnelsim.simulate(funnelsim.load_scenario(overrides=EMPTY_START), seed=0)


def test_the_reference_scenarios_window_is_still_filling_up(reference_run):
    weekly, summary = reference_run.weekly, reference_run.summary
    m = summary["metrics"]
    # Year 1 is weeks 13 to 64 of the run, year 2 weeks 65 to 116.
    for name in ("mqls", "sqls", "bookings"):
        year1, year2 = weekly[name][13:65].mean(), weekly[name][65:117].mean()
        assert m[f"year_ratio_{name}"] == pytest.approx(year2 / year1)
    # Pooled over seeds 0 to 5: MQLs 1.30x, SQLs 1.36x, bookings 1.79x.
    assert m["year_ratio_mqls"] > 1.2 and m["year_ratio_sqls"] > 1.3
    assert m["year_ratio_bookings"] > 1.5  # bookings rise by more than half
    assert m["filling_mqls"] == m["filling_sqls"] == 1 and m["window_stationary"] == 0
    assert m["mser5_weeks_mqls"] > 15  # past the 13-week warm-up rounded up to batches
    stationarity = summary["stationarity"]
    assert stationarity["stationary"] is False and stationarity["warmup_weeks"] == 13
    # The warning names a series it flags as filling: the SQLs (one run's lumpy bookings rise
    # too, but within their own noise).
    assert stationarity["warning"].startswith(
        f"the measured window is still filling up: weekly SQLs in year 2 are "
        f"{m['year_ratio_sqls']:.2f}x year 1; MSER-5 suggests a warm-up of "
        f"{m['mser5_weeks_sqls']:.0f} weeks"
    )


def test_a_warmup_of_a_year_and_three_quarters_gives_the_reference_a_stationary_window():
    scenario = funnelsim.load_scenario(
        overrides=EMPTY_START | {"horizon.warmup": "91w", "horizon.length": "195w"}
    )
    summary = funnelsim.simulate(scenario, seed=0).summary
    assert summary["stationarity"]["stationary"] is True
    assert summary["stationarity"]["warning"] is None
    assert abs(summary["metrics"]["year_ratio_mqls"] - 1) < 0.05


def test_a_fall_counts_as_far_as_the_rise_it_mirrors():
    assert distance(2.0) == pytest.approx(distance(0.5))
    assert distance(0.0) == math.inf  # a series that stops is as far as any
