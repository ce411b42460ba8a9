"""A run's terminal tables name every figure as the registry does, like the figures do."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from funnelsim import runner
from funnelsim.record.registry import FUNNEL_STAGES, LEAKAGE_REASONS, LEAKAGE_STAGES, metric
from funnelsim.scenario import load_scenario
from funnelsim.views.plots import LEAK_REASONS, LEAK_STAGES, STAGES
from funnelsim.views.tables.run import leakage, run_report
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
    for name in ("bookings", "win_rate", "cost_per_lead", "cost_per_won_deal"):
        _cells(lines, metric(name).label)


def test_figure_legends_use_the_same_vocabulary():
    assert list(STAGES.values()) == [metric(n).label for n in FUNNEL_STAGES]
    assert list(LEAK_REASONS.values()) == [metric(n).label for n in LEAKAGE_REASONS]
    assert list(LEAK_STAGES.values()) == ["In nurture", "At the SDR desk", "In sales"]
