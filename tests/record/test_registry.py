"""The metric registry: every figure the runner and the weekly series produce has one entry."""

from __future__ import annotations

import re

import pytest

from funnelsim import runner
from funnelsim.errors import FunnelsimError
from funnelsim.experiments.spec import KEY_METRICS
from funnelsim.record.registry import KINDS, METRICS, metric
from funnelsim.scenario import load_scenario
from tests.helpers import SHORT


def test_every_figure_the_runner_produces_has_an_entry():
    assert set(runner.metric_names()) <= set(METRICS)


def test_every_weekly_and_group_column_has_an_entry():
    result = runner.simulate(load_scenario(overrides=SHORT), seed=0)
    weekly = set(result.weekly.columns) - {"week", "week_start", "warmup"}
    assert weekly <= set(METRICS)
    assert set(result.by_source.columns) <= set(METRICS)


def test_labels_are_unique_and_every_entry_is_complete():
    labels = [m.label for m in METRICS.values()]
    assert len(labels) == len(set(labels))
    for name, entry in METRICS.items():
        assert entry.name == name
        assert entry.kind in KINDS
        assert entry.better in (-1, 0, 1)
        assert entry.rise and entry.fall and entry.rise != entry.fall


def test_lead_to_close_is_never_called_a_cycle():
    assert not [m.label for m in METRICS.values() if re.search(r"\bcycle\b", m.label, re.I)]
    assert metric("lead_to_close_days_p50").label == "Lead to close, median"


def test_an_unknown_name_is_an_error_not_a_guess():
    with pytest.raises(FunnelsimError, match="unknown metric 'revenue_rate'"):
        metric("revenue_rate")


@pytest.mark.parametrize(
    ("name", "kind", "better"),
    [
        ("bookings", "money", 1),
        ("cost_per_won_deal", "money", -1),
        ("win_rate", "share", 1),
        ("leakage_rate", "share", -1),
        ("lead_to_close_days_p50", "days", -1),
        ("speed_to_lead_hours_p90", "hours", -1),
        ("final_mql_threshold", "score", 1),
        ("deals_lost", "count", -1),
        ("year_ratio_sqls", "ratio", 0),
        ("mser5_weeks_mqls", "weeks", 0),
        ("filling_bookings", "share", -1),
        ("window_stationary", "share", 1),
    ],
)
def test_kinds_and_directions_of_the_key_figures(name, kind, better):
    assert (metric(name).kind, metric(name).better) == (kind, better)


def test_key_metrics_are_registered():
    assert set(KEY_METRICS) <= set(METRICS)


def test_every_rate_says_what_it_counts_over_what():
    """A share without its numerator and denominator invites the reading the cohort figures
    were built against: leads still open taken for leads that will never leak."""
    assert not [m.name for m in METRICS.values() if m.kind == "share" and " over " not in m.about]
    assert "not counted as leaked" in metric("leakage_rate").about
    assert "Aalen-Johansen" in metric("leaked_within_365d").about
