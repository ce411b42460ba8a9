"""Scenario discovery: PRIM finds a box planted in synthetic cases, and the figure draws it; the
command, its figure and its section of the report; the command's errors."""

from __future__ import annotations

import html
import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Rectangle

from funnelsim.analysis.discovery import DENSITY, boxed, condition, discover, tree
from funnelsim.analysis.robustness import robustness_plan
from funnelsim.analysis.sensitivity import outputs
from funnelsim.errors import UsageError
from funnelsim.experiments import conduct
from funnelsim.results import Results, load_results
from funnelsim.results.discovery import HOLDS, load_discovery
from funnelsim.views import plots
from funnelsim.views.formats import metric_label
from funnelsim.views.report.html import write_report
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
    figure = tmp_path / "r" / "figures" / "discovery.png"
    assert figure.stat().st_size > 0 and "discovery.png" in found.stderr
    results = load_results(tmp_path / "r")
    assert "discovery" in plots.available(results)
    page = write_report(results, tmp_path / "report.html").read_text()
    section = page[page.index('<section id="discovery">') : page.index('<section id="figures">')]
    assert "Where does the condition hold?" in section
    assert (
        html.escape(document["sentence"], quote=False) in section
        and "<svg" in section
        and "<pre" in section
    )
    everywhere = cli("discover", str(tmp_path / "r"), "--where", "bookings_per_year < 1e15")
    assert everywhere.exit_code == 2 and "expected a condition some cases meet" in everywhere.output


def synthetic(folder, n=300, seed=1):
    """A one-policy study's results with the planted box, kept in ``folder``: each case's
    bookings are negative exactly where a > 0.6 and b < 0.3."""
    factors, held = planted(n, seed)
    bookings = np.where(held, -1.0, 1.0) * (1.0 + factors["c"].to_numpy())
    runs = pd.DataFrame({"point": range(n), "replication": 0, "policy": "aligned",
                         "status": "ok", "bookings_per_year": bookings})  # fmt: skip
    manifest = {
        "points": factors.to_dict(orient="records"),
        "metrics": ["bookings_per_year"],
        "policies": ["aligned"],
        "scenario": {"aligned": {"resolved": {"currency": "USD"}}},
    }
    return Results(pd.DataFrame(), pd.DataFrame(), manifest, path=folder, tables={"runs": runs})


def box_drawn(ax):
    """The rectangle's (left, right) and (bottom, top), as exact as its width and height allow."""
    [box] = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_label() == "PRIM's box"]
    return (box.get_x(), box.get_x() + box.get_width()), (
        box.get_y(),
        box.get_y() + box.get_height(),
    )


def scattered(ax, label):
    [points] = [c for c in ax.collections if c.get_label() == label]
    return np.asarray(points.get_offsets())


def test_the_figure_draws_the_box_prim_found_over_the_cases(tmp_path):
    found = discover(synthetic(tmp_path), "bookings_per_year < 0")
    kept = load_discovery(tmp_path)  # the figure reads only the folder
    assert kept.sentence() == found.sentence() and kept.box == found.box
    assert kept.table[HOLDS].sum() == found.holding and len(kept.table) == found.cases
    trade_off, cases = plots.FIGURES["discovery"](synthetic(tmp_path))
    assert trade_off.get_xlabel().startswith("coverage") and trade_off.get_ylabel().startswith(
        "density"
    )
    [ringed] = scattered(trade_off, "PRIM's box")
    assert tuple(ringed) == pytest.approx((found.coverage, found.density))
    assert [line.get_ydata()[0] for line in trade_off.lines if "reach" in line.get_label()] == [
        DENSITY
    ]
    # The two inputs the box restricts, the one it cuts more across (b, to 30% of its range;
    # a, to 40%); its open sides reach the axes' edges.
    assert (cases.get_xlabel(), cases.get_ylabel()) == ("b", "a")
    (left, right), (bottom, top) = box_drawn(cases)
    assert left == cases.get_xlim()[0] and right == pytest.approx(found.box["b"][1], rel=1e-12)
    assert bottom == found.box["a"][0] and top == pytest.approx(cases.get_ylim()[1], rel=1e-12)
    holding = scattered(cases, "bookings_per_year < 0 holds")
    assert len(holding) == found.holding
    assert len(scattered(cases, "does not hold")) == found.cases - found.holding
    assert ((holding[:, 0] < 0.3) & (holding[:, 1] > 0.6)).all()  # each planted in the box


def test_a_box_on_one_input_is_drawn_against_the_conditions_metric(tmp_path):
    results = synthetic(tmp_path)
    runs = results.runs
    a = pd.DataFrame(results.manifest["points"])["a"].to_numpy()
    runs["bookings_per_year"] = a * 10.0 - 6.0  # below zero exactly where a < 0.6
    found = discover(results, "bookings_per_year < 0")
    assert set(found.box) == {"a"}
    _, cases = plots.discovery(results)
    assert cases.get_xlabel() == "a" and cases.get_ylabel().startswith(
        metric_label("bookings_per_year")
    )
    (left, right), (bottom, top) = box_drawn(cases)
    assert (left, right) == pytest.approx((cases.get_xlim()[0], found.box["a"][1]), rel=1e-12)
    assert (bottom, top) == pytest.approx(cases.get_ylim(), rel=1e-12)  # the metric: unbounded
    assert len(scattered(cases, "bookings_per_year < 0 holds")) == found.holding
