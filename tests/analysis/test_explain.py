"""``funnelsim explain``: levers found in two policies, coalitions run, values read by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest

import funnelsim
from funnelsim.analysis.explain import (
    coalitions,
    differing,
    explanation_plan,
    levers,
    sampled_orders,
)
from funnelsim.errors import UsageError
from funnelsim.experiments import conduct
from funnelsim.experiments.design import Item
from funnelsim.results.explanation import INTERACTIONS, TOTAL, explain
from funnelsim.scenario import resolve
from tests.helpers import SHORT, SHORT_ARGS


def resolved(policy):
    return resolve(None, policy, {})[1].model_dump(mode="json", by_alias=True)


def test_the_bundled_policies_differ_in_six_levers():
    found = levers(differing(resolved("misaligned"), resolved("aligned")))
    assert dict(zip(found.names, found.keys, strict=True)) == {
        "threshold": ("scoring.mql_threshold",),
        "review": ("scoring.closed_loop.enabled",),
        "sla": ("sdr.max_queue_age", "sdr.put_off", "sla.response_time", "sla.enforced"),
        "cadence": ("sdr.attempts",),
        "followups": ("sdr.followups",),
        "recycling": (
            "recycle.rejected.enabled",
            "recycle.rejected.delay",
            "recycle.unreachable.enabled",
            "recycle.stalled.enabled",
        ),
    }
    by_key = levers(differing(resolved("misaligned"), resolved("aligned")), by="key")
    assert len(by_key.names) == 12 and all(
        k == (n,) for n, k in zip(*vars(by_key).values(), strict=True)
    )


def test_coalitions_exact_and_sampled():
    assert len(coalitions(4, None)) == 16
    orders = sampled_orders(9, 4, seed=3)
    assert orders[1] == orders[0][::-1] and orders[3] == orders[2][::-1]
    assert orders == sampled_orders(9, 4, seed=3) != sampled_orders(9, 4, seed=4)
    found = set(coalitions(9, orders))
    assert {(), tuple(range(9))} | {(k,) for k in range(9)} <= found
    assert all(tuple(sorted(o[:k])) in found for o in orders for k in range(10))
    assert len(found) <= 4 * 8 + 2 + 9


@pytest.fixture(scope="module")
def two_levers(tmp_path_factory):
    """Two policy files that differ in two levers: the threshold and the cadence."""
    folder = tmp_path_factory.mktemp("policies")
    (folder / "low.yaml").write_text("scoring: {mql_threshold: 45}\n")
    (folder / "high.yaml").write_text("scoring: {mql_threshold: 60}\nsdr: {attempts: 6}\n")
    return str(folder / "low.yaml"), str(folder / "high.yaml")


def test_two_levers_computed_by_hand(two_levers):
    p = explanation_plan(None, two_levers, 2, 7, overrides=SHORT, metrics=["bookings_per_year"])
    assert p.analysis["levers"] == ["threshold", "cadence"]
    explained = explain(conduct(p, workers=1))
    low, high = two_levers
    runs = {
        (): dict(policy=low),
        (0,): dict(policy=low, overrides=SHORT | {"scoring.mql_threshold": 60.0}),
        (1,): dict(policy=low, overrides=SHORT | {"sdr.attempts": 6}),
        (0, 1): dict(policy=high),
    }
    v = {}
    for members, how in runs.items():
        scenario = funnelsim.load_scenario(**({"overrides": SHORT} | how))
        seeds = [p.seed(Item(0, r, 0)) for r in range(2)]
        v[members] = np.array(
            [
                funnelsim.simulate(scenario, seed=s).summary["metrics"]["bookings_per_year"]
                for s in seeds
            ]
        )
    threshold = ((v[(0,)] - v[()]) + (v[(0, 1)] - v[(1,)])) / 2
    cadence = ((v[(1,)] - v[()]) + (v[(0, 1)] - v[(0,)])) / 2
    table = explained.table.set_index("lever")
    assert table.loc["threshold", "mean"] == pytest.approx(threshold.mean(), rel=1e-12)
    assert table.loc["cadence", "mean"] == pytest.approx(cadence.mean(), rel=1e-12)
    assert table.loc["threshold", "alone"] == pytest.approx((v[(0,)] - v[()]).mean(), rel=1e-12)
    total = (v[(0, 1)] - v[()]).mean()
    assert table.loc[TOTAL, "mean"] == pytest.approx(total, rel=1e-12)
    alone_sum = (v[(0,)] + v[(1,)] - 2 * v[()]).mean()
    assert table.loc[INTERACTIONS, "mean"] == pytest.approx(total - alone_sum, rel=1e-9, abs=1e-6)


def test_the_total_is_the_comparison_of_the_two_policies(two_levers):
    metrics = ["bookings_per_year", "leakage_rate"]
    p = explanation_plan(None, two_levers, 2, 1, overrides=SHORT, metrics=metrics)
    explained = explain(conduct(p, workers=1))
    compared = funnelsim.compare(
        policies=list(two_levers), reps=2, seed=1, overrides=SHORT, metrics=metrics, workers=1
    )
    d = compared.differences.set_index("metric")
    table = explained.table[explained.table["lever"] == TOTAL].set_index("metric")
    for metric in metrics:
        assert table.loc[metric, "mean"] == pytest.approx(d.loc[metric, "mean"], rel=1e-12)


def test_bad_requests_are_refused():
    with pytest.raises(UsageError, match="two different policies"):
        explanation_plan(None, ["aligned"], 2, 0)
    with pytest.raises(UsageError, match="two different policies"):
        explanation_plan(None, ["aligned", "aligned"], 2, 0)


def test_policies_that_set_nothing_differently_are_refused(tmp_path):
    threshold = funnelsim.load_scenario().scoring.mql_threshold  # the base's own value
    (tmp_path / "same.yaml").write_text(f"scoring: {{mql_threshold: {threshold}}}\n")
    with pytest.raises(UsageError, match="nothing to explain"):
        explanation_plan(None, [str(tmp_path / "same.yaml"), "base"], 2, 0)


def test_command_line_json(cli, two_levers, tmp_path):
    out = tmp_path / "explained"
    args = ["explain", "-p", two_levers[0], "-p", two_levers[1], "--reps", "2", *SHORT_ARGS]
    result = cli(*args, "--workers", "1", "--out", str(out), "--json", "-q")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)["explanation"]
    assert document["method"] == "exact" and list(document["levers"]) == ["threshold", "cadence"]
    rows = [r for r in document["contributions"] if r["metric"] == "bookings_per_year"]
    by_lever = {r["lever"]: r["mean"] for r in rows}
    assert by_lever["threshold"] + by_lever["cadence"] == pytest.approx(by_lever[TOTAL])
    shown = cli(*args, "--workers", "1", "--out", str(out), "--resume", "-q")
    assert shown.exit_code == 0 and "lever by lever" in shown.stdout


def test_command_line_one_policy_is_a_usage_error(cli):
    result = cli("explain", "-p", "aligned")
    assert result.exit_code == 2
    assert "expected two different policies" in result.output
    assert "Traceback" not in result.output


def test_command_line_by_takes_lever_or_key(cli):
    result = cli("explain", "--by", "lev")
    assert result.exit_code == 2
    assert "--by: expected 'lever' or 'key', got 'lev'" in result.output
