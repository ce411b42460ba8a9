"""An explanation's figure and report: the waterfall's bars are the Shapley values, the report
answers which lever carries the difference."""

from __future__ import annotations

import pytest

from funnelsim.analysis.explain import explanation_plan
from funnelsim.experiments import conduct
from funnelsim.results import load_results
from funnelsim.results.explanation import TOTAL, explain
from funnelsim.views import plots
from funnelsim.views.report.html import write_report
from tests.helpers import SHORT

METRICS = ["bookings_per_year", "contribution_per_year", "leakage_rate"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("explained")
    (root / "low.yaml").write_text("scoring: {mql_threshold: 45}\n")
    (root / "high.yaml").write_text("scoring: {mql_threshold: 60}\nsdr: {attempts: 6}\n")
    policies = [str(root / "low.yaml"), str(root / "high.yaml")]
    plan = explanation_plan(None, policies, 3, 2, overrides=SHORT, metrics=METRICS)
    conduct(plan, out=root / "out", workers=1)
    return root / "out"


def test_only_the_waterfall_applies(folder):
    assert plots.available(load_results(folder)) == ["contributions"]


def test_the_bars_are_the_shapley_values_and_the_total(folder):
    results = load_results(folder)
    axes = plots.contributions(results)
    assert len(axes) == 2  # revenue and contribution; leakage is not money
    table = explain(results).table.set_index(["metric", "lever"])
    for ax, metric in zip(axes, METRICS[:2], strict=False):
        bars = ax.patches
        assert len(bars) == 3
        shares = [table.loc[(metric, lever), "mean"] for lever in ("threshold", "cadence")]
        assert [b.get_height() for b in bars[:2]] == pytest.approx(shares)
        assert bars[1].get_y() == pytest.approx(shares[0])  # each bar starts where the last ended
        assert bars[2].get_height() == pytest.approx(table.loc[(metric, TOTAL), "mean"])
        assert [t.get_text() for t in ax.get_xticklabels()] == ["threshold", "cadence", "total"]


def test_the_report_answers_which_lever(folder, tmp_path):
    text = write_report(load_results(folder), tmp_path / "report.html").read_text()
    assert "Which lever carries the difference between high and low?" in text
    assert "Lever by lever (Shapley values)" in text
    assert "scoring.mql_threshold" in text and "alone: " in text
    assert 'id="figure-contributions"' in text
    assert "high + " not in text.split('<section id="assumptions">')[1]  # two policies only


def test_plot_and_report_commands(cli, folder):
    drawn = cli("plot", str(folder))
    assert drawn.exit_code == 0 and drawn.stdout.strip().endswith("contributions.png")
    written = cli("report", str(folder))
    assert written.exit_code == 0 and (folder / "report.html").stat().st_size > 0
