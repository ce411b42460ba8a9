"""Sensitivity indices: on functions whose indices are known, and through the funnel."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import yaml

import funnelsim
from funnelsim.analysis.sensitivity import _indices, analyse, convergence, sensitivity_plan
from funnelsim.errors import UsageError
from funnelsim.experiments import conduct
from funnelsim.experiments.sampling import Morris, Sobol
from funnelsim.results import load_results
from funnelsim.views import plots
from funnelsim.views.report.html import write_report
from tests.helpers import SHORT

ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]
"""Analytic indices of the Ishigami function, a = 7, b = 0.1 (Saltelli et al., 2008)."""


def ishigami(unit: np.ndarray) -> np.ndarray:
    x = -math.pi + 2 * math.pi * unit
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def by_factor(rows, key):
    return [row[key] for row in rows]


def test_sobol_indices_of_the_ishigami_function():
    unit = Sobol(samples=2048).unit(3, seed=1)
    y = ishigami(unit)
    noisy = np.column_stack([y, y + np.random.default_rng(2).normal(0, 0.01, len(y))])
    rows, _ = _indices(Sobol(samples=2048), ["x1", "x2", "x3"], unit, noisy, 1, 20.0)
    assert by_factor(rows, "S1") == pytest.approx(ISHIGAMI_S1, abs=0.04)
    assert by_factor(rows, "ST") == pytest.approx(ISHIGAMI_ST, abs=0.04)
    assert by_factor(rows, "below_noise") == [False, False, False]


def test_sobol_indices_settle_as_the_sample_grows_and_end_at_the_studys_own():
    method, names = Sobol(samples=2048), ["x1", "x2", "x3"]
    unit = method.unit(3, seed=1)
    y = ishigami(unit)
    noisy = np.column_stack([y, y + np.random.default_rng(2).normal(0, 0.01, len(y))])
    rows, _ = _indices(method, names, unit, noisy, 1, 20.0)
    steps = convergence(method, names, unit, noisy, 1)
    assert sorted(set(steps["samples"])) == [256, 512, 1024, 2048]
    # The first n x (D + 2) rows are the Saltelli sample of n base samples: SALib's own.
    assert np.array_equal(unit[: 256 * 5], Sobol(samples=256).unit(3, seed=1))
    whole = steps[steps["samples"] == 2048]
    for key in ("S1", "S1_conf", "ST", "ST_conf"):
        assert whole[key].tolist() == by_factor(rows, key)  # the study's own, exactly
    spread = steps.groupby("samples")[["S1_conf", "ST_conf"]].mean().sum(axis=1).to_numpy()
    assert (np.diff(spread) < 0).all()  # the intervals narrow at every doubling
    assert spread[0] / spread[-1] == pytest.approx(math.sqrt(8), rel=0.25)  # as 1 / sqrt(n)
    smallest = steps[steps["samples"] == 256]["ST"].to_numpy()
    assert smallest == pytest.approx(ISHIGAMI_ST, abs=0.15)


def test_morris_effects_of_a_linear_function_are_its_slopes():
    morris = Morris(trajectories=10)
    unit = morris.unit(3, seed=3)
    y = 3.0 * unit[:, 0] + 1.0 * unit[:, 2]
    rows, _ = _indices(morris, ["a", "b", "c"], unit, np.column_stack([y, y]), 3, 4.0)
    assert by_factor(rows, "mu_star") == pytest.approx([3.0, 0.0, 1.0])
    assert by_factor(rows, "below_noise") == [False, True, False]


def test_a_small_sobol_sample_says_how_large_a_sample_would_do():
    unit = Sobol(samples=16).unit(3, seed=1)
    y = np.column_stack([ishigami(unit)] * 2)
    _, notes = _indices(Sobol(samples=16), ["x1", "x2", "x3"], unit, y, 1, 20.0)
    assert notes and "samples" in notes[0] and "would bring each within ±0.1" in notes[0]


def experiment(tmp_path, design, policies=("aligned",), metrics=("gtm_cost_per_year",)):
    data = {
        "scenario": "reference",
        "policies": list(policies),
        "set": SHORT,
        "factors": {
            "cost.sdr_per_year": {"min": 50000, "max": 150000},
            "sdr.trust.min_effort": {"min": 0.1, "max": 0.6},
        },
        "design": design,
        "replications": 2,
        "metrics": list(metrics),
    }
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_through_the_funnel_an_input_that_moves_cost_by_a_known_amount(tmp_path):
    plan = sensitivity_plan(experiment(tmp_path, {"morris": {"trajectories": 2}}))
    assert plan.experiment.common_random_numbers == "across_points"
    study = analyse(conduct(plan, out=tmp_path / "out", workers=1))
    rows = study.table.set_index("factor")
    # A step across the whole range of one SDR's cost (100,000) moves cost by headcount x that.
    sdrs = funnelsim.load_scenario().sdr.headcount
    assert rows.loc["cost.sdr_per_year", "mu_star"] == pytest.approx(sdrs * 100_000.0)
    assert rows.loc["sdr.trust.min_effort", "mu_star"] == pytest.approx(0.0, abs=1e-3)
    assert rows.loc["sdr.trust.min_effort", "below_noise"]
    assert json.loads((tmp_path / "out" / "sensitivity.json").read_text())["method"] == "morris"
    results = load_results(tmp_path / "out")
    assert plots.available(results) == ["sensitivity"]
    [ax] = plots.sensitivity(results)
    drawn = ax.collections[-1].get_offsets()  # the points: (mu*, sigma) of each input
    ranked = study.ranked("gtm_cost_per_year")
    assert np.asarray(drawn)[:, 0] == pytest.approx(ranked["mu_star"].to_numpy())
    page = write_report(results, tmp_path / "report.html").read_text()
    assert "Which inputs drive aligned, and by how much?" in page
    assert "no input stands out of the noise" not in page  # cost.sdr_per_year moves cost
    assert page.index("cost.sdr_per_year") < page.index("sdr.trust.min_effort")


def test_a_sobol_study_keeps_its_convergence_and_draws_it(tmp_path):
    quick = {"horizon.length": "6w", "horizon.warmup": "1w"}  # 32 points: short runs
    plan = sensitivity_plan(
        experiment(tmp_path, {"sobol": {"samples": 8}}), reps=1, overrides=quick
    )
    study = analyse(conduct(plan, out=tmp_path / "out", workers=1))
    kept = pd.read_csv(tmp_path / "out" / "sobol_convergence.csv")
    assert sorted(set(kept["samples"])) == [8]  # N/8, N/4 and N/2 are too few to resample
    results = load_results(tmp_path / "out")
    assert plots.available(results) == ["sensitivity", "sobol_convergence"]
    [ax] = plots.sobol_convergence(results)
    ranked = study.ranked("gtm_cost_per_year").set_index("factor")
    for name in ranked.index:  # the right-most point of each total index is the study's own
        [bars] = [c for c in ax.containers if c.get_label() == f"{name} total"]
        assert bars.lines[0].get_ydata()[-1] == pytest.approx(ranked.loc[name, "ST"], abs=1e-12)
    assert ranked.loc["cost.sdr_per_year", "ST"] > 0.9  # cost moves cost; the rest is noise


def test_a_design_other_than_morris_or_sobol_is_refused(tmp_path):
    with pytest.raises(UsageError, match="expected design"):
        sensitivity_plan(experiment(tmp_path, {"latin_hypercube": {"points": 4}}))


def test_command_line(cli, tmp_path):
    path = experiment(tmp_path, {"morris": {"trajectories": 2}}, ("misaligned", "aligned"),
                      ("contribution_per_year",))  # fmt: skip
    result = cli("sensitivity", str(path), "--workers", "1", "--out", str(tmp_path / "o"), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)["sensitivity"]
    assert document["output"] == "aligned − misaligned"
    assert {row["factor"] for row in document["indices"]} == {
        "cost.sdr_per_year",
        "sdr.trust.min_effort",
    }
    bad = experiment(tmp_path, {"sobol": {"samples": 12}})
    refused = cli("sensitivity", str(bad))
    assert refused.exit_code == 2 and "expected a power of two" in refused.output
    assert "Traceback" not in refused.output


def test_sobol_intervals_are_the_same_on_every_call_even_with_seed_zero():
    """SALib leaves its bootstrap unseeded for seed 0; the study's intervals must not be."""
    method, names = Sobol(samples=64), ["x1", "x2", "x3"]
    unit = method.unit(3, seed=0)
    y = np.column_stack([ishigami(unit)] * 2)
    first, again = (convergence(method, names, unit, y, 0) for _ in range(2))
    pd.testing.assert_frame_equal(first, again)
