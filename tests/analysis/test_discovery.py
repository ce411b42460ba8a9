"""Scenario discovery: PRIM finds a box planted in synthetic cases; the command's errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from funnelsim.analysis.discovery import boxed, condition, tree
from funnelsim.analysis.robustness import robustness_plan
from funnelsim.analysis.sensitivity import outputs
from funnelsim.errors import UsageError
from funnelsim.experiments import conduct
from tests.helpers import SHORT


def planted(n=600, seed=1):
    rng = np.random.default_rng(seed)
    factors = pd.DataFrame(rng.uniform(size=(n, 3)), columns=["a", "b", "c"])
    return factors, ((factors["a"] > 0.6) & (factors["b"] < 0.3)).to_numpy()


def test_prim_finds_the_planted_box():
    factors, held = planted()
    box, coverage, density, trajectory = boxed(factors, held)
    assert set(box) == {"a", "b"}  # c is left free
    assert box["a"][0] == pytest.approx(0.6, abs=0.05) and np.isinf(box["a"][1])
    assert np.isinf(box["b"][0]) and box["b"][1] == pytest.approx(0.3, abs=0.05)
    assert coverage > 0.9 and density > 0.9
    assert {"coverage", "density"} <= set(trajectory.columns)


def test_cart_splits_on_the_planted_inputs():
    factors, held = planted()
    rules = tree(factors, held)
    assert "a <=" in rules and "b <=" in rules and "c <=" not in rules


def test_a_condition_must_be_a_true_or_false_one_on_known_metrics():
    frame = pd.DataFrame({"bookings_per_year": [1.0, -1.0]})
    assert condition(frame, "bookings_per_year < 0").tolist() == [False, True]
    with pytest.raises(UsageError, match="expected a condition on bookings_per_year"):
        condition(frame, "nope < 0")
    with pytest.raises(UsageError, match="true-or-false"):
        condition(frame, "bookings_per_year * 2")


def test_command_line(cli, tmp_path):
    plan = robustness_plan(None, ["misaligned", "aligned"], settings=8, reps=1, seed=2,
                           overrides=SHORT, metrics=["bookings_per_year"])  # fmt: skip
    results = conduct(plan, out=tmp_path / "r", workers=1)
    middle = float(np.median(outputs(results, "bookings_per_year").mean(axis=1)))
    found = cli(
        "discover", str(tmp_path / "r"), "--where", f"bookings_per_year < {middle}", "--json"
    )
    assert found.exit_code == 0, found.output
    document = json.loads(found.stdout)
    assert document["cases"] == 8 and 0 < document["holding"] < 8
    assert (tmp_path / "r" / "discovery.json").exists()
    everywhere = cli("discover", str(tmp_path / "r"), "--where", "bookings_per_year < 1e15")
    assert everywhere.exit_code == 2 and "expected a condition some cases meet" in everywhere.output
