"""A run's terminal tables name every figure as the registry does, like the figures do."""

from __future__ import annotations

import io
import math

import pytest
from rich.console import Console

from funnelsim import runner
from funnelsim.record.registry import FUNNEL_STAGES, LEAKAGE_REASONS, LEAKAGE_STAGES, metric
from funnelsim.scenario import load_scenario
from funnelsim.views.formats import interval, share, value
from funnelsim.views.plots import LEAK_REASONS, LEAK_STAGES, STAGES
from funnelsim.views.tables.run import leakage, run_report, stationarity
from tests.helpers import SHORT


@pytest.fixture(scope="module")
def result():
    return runner.simulate(load_scenario(overrides=SHORT), seed=0)


@pytest.fixture(scope="module")
def lines(result) -> list[str]:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(run_report(result))
    return console.file.getvalue().splitlines()


def _cells(lines: list[str], label: str) -> list[str]:
    """The cells of the one table row that starts with ``label``."""
    found = [line for line in lines if line.startswith(f"│ {label} ")]
    assert len(found) == 1, label
    return [cell.strip() for cell in found[0].strip("│").split("│")]


def test_stage_and_leakage_rows_carry_the_registry_labels(lines, result):
    m = result.summary["metrics"]
    for name in (*FUNNEL_STAGES, *LEAKAGE_REASONS):
        assert _cells(lines, metric(name).label)[1] == f"{m[name]:,}"
    caption = leakage(m).caption
    nurture, sdr, sales = (f"{m[n]:,}" for n in LEAKAGE_STAGES)
    assert caption == f"by stage: in nurture {nurture}, at the SDR desk {sdr}, in sales {sales}"


def test_durations_are_labelled_by_what_they_measure_with_their_unit(lines, result):
    m = result.summary["metrics"]
    for label, name in {
        "Lead to close (days)": "lead_to_close_days",
        "MQL to close (days)": "mql_to_close_days",
        "Opportunity age at close (days)": "opportunity_age_days",
        "Speed to lead (business hours)": "speed_to_lead_hours",
        "SQL wait for an AE (days)": "ae_wait_days",
    }.items():
        assert _cells(lines, label)[1:] == [f"{m[f'{name}_p{p}']:,.1f}" for p in (10, 50, 90)]
    assert not [line for line in lines if line.startswith("│ Cycle")]


def test_the_headline_names_revenue_and_each_cost_as_the_comparison_does(lines):
    names = ("bookings_per_year", "win_rate", "gtm_cost_per_year", "contribution_per_year")
    for name in (*names, "cost_per_lead", "cost_per_sql", "cost_per_won_deal"):
        _cells(lines, metric(name).label)


def test_figure_legends_use_the_same_vocabulary():
    assert list(STAGES.values()) == [metric(n).label for n in FUNNEL_STAGES]
    assert list(LEAK_REASONS.values()) == [metric(n).label for n in LEAKAGE_REASONS]
    assert list(LEAK_STAGES.values()) == ["In nurture", "At the SDR desk", "In sales"]


def test_ratios_and_weeks_are_written_in_their_units():
    assert value("year_ratio_sqls", 1.4137, "") == "1.41x"
    assert value("year_ratio_sqls", -0.05, "", signed=True) == "-0.05x"
    assert value("mser5_weeks_mqls", 55.0, "") == "55.0 w"
    assert interval("year_ratio_mqls", 1.2, 1.4, "") == "1.20 to 1.40x"
    assert interval("mser5_weeks_mqls", 50.0, 60.0, "") == "50.0 to 60.0 w"


def test_a_window_too_short_to_judge_shows_no_checks(lines, result):
    stationarity = result.summary["stationarity"]
    assert stationarity["stationary"] is None  # ten measured weeks
    for name, words in (("mqls", "MQLs"), ("sqls", "SQLs"), ("bookings", "bookings")):
        assert math.isnan(stationarity["series"][name]["mser5_weeks"])  # under 3 batches
        assert _cells(lines, f"weekly {words}") == [f"weekly {words}", *["–"] * 4]


def test_the_measured_window_table_shows_each_series_checks():
    check = {"standard_errors": 4.78, "mser5_weeks": 55.0, "mser5_at_search_limit": False}
    series = {
        "mqls": check | {"year_ratio": 1.2645, "mser5_at_search_limit": True, "filling": True},
        "sqls": check | {"year_ratio": 1.02, "filling": False},
        "bookings": check | {"year_ratio": 2.2, "mser5_weeks": 0.0, "filling": False},
    }
    doc = {"stationary": False, "reason": None, "warmup_weeks": 13.0, "series": series}
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(stationarity(doc))
    lines = console.file.getvalue().splitlines()
    assert lines[0].strip() == "Measured window: still filling up"
    assert _cells(lines, "weekly MQLs") == ["weekly MQLs", "1.26x", "4.8", "≥ 55 w", "yes"]
    assert _cells(lines, "weekly SQLs") == ["weekly SQLs", "1.02x", "4.8", "55 w", "no"]
    assert _cells(lines, "weekly bookings")[1:] == ["2.20x", "4.8", "0 w", "no"]


def test_the_outcomes_table_puts_still_open_beside_each_outcome(lines, result):
    """At the end: the final states over the window's leads; within 180 and 365 days: not
    estimated in a 10-week window; first quarter: the first quarter's shares."""
    m = result.summary["metrics"]
    leads = m["leads"]
    rows = {
        "Won": (m["final_won"], "won_share_first_quarter"),
        "Closed lost": (
            m["final_lost"] + m["final_no_decision"],
            "closed_lost_share_first_quarter",
        ),
        "Disqualified": (m["final_disqualified"], "disqualified_share_first_quarter"),
        "Leaked": (m["leaked"], "leakage_rate_first_quarter"),
        "Still open": (m["still_open_at_end"], "still_open_share_first_quarter"),
    }
    for label, (at_end, quarter) in rows.items():
        assert _cells(lines, label)[1:] == [share(at_end / leads), "–", "–", share(m[quarter])]
    assert leakage(m).title == (
        f"Leakage: {m['leaked']:,} leads ({share(m['leakage_rate'])}); still open: "
        f"{m['still_open_at_end']:,} ({share(m['still_open_share'])})"
    )


def test_a_money_interval_has_the_digits_that_tell_its_ends_apart():
    assert interval("cost_per_won_deal", 8_040, 8_110, "USD") == "USD 8.04k to USD 8.11k"
    assert interval("gtm_cost_per_year", 6.43e6, 6.5e6, "") == "6.43M to 6.50M"
    assert interval("gtm_cost_per_year", 6_431_000, 6_432_000, "", signed=True) == (
        "+6.431M to +6.432M"
    )
    assert interval("cost_per_won_deal", 8_000, 8_000, "USD") == "USD 8k to USD 8k"
