"""``funnelsim robustness``: the comparison again across the judgment parameters' ranges."""

from __future__ import annotations

import json

import numpy as np
import pytest

import funnelsim
from funnelsim.analysis.robustness import robustness_plan
from funnelsim.base.intervals import number
from funnelsim.errors import UsageError
from funnelsim.experiments import conduct
from funnelsim.results.robustness import robustness
from funnelsim.views.robustness import sentence
from tests.helpers import SHORT, SHORT_ARGS

METRICS = ["bookings_per_year", "contribution_per_year"]


@pytest.fixture(scope="module")
def studied():
    plan = robustness_plan(None, ["misaligned", "aligned"], settings=3, reps=2, seed=4,
                           overrides=SHORT, metrics=METRICS)  # fmt: skip
    return robustness(conduct(plan, workers=1))


def test_every_judgment_parameter_is_drawn_across_its_range(studied):
    judged = funnelsim.load_scenario().judgment
    assert set(studied.parameters) == set(judged)
    for p in studied.parameters:
        low, high = (number(b)[0] for b in (judged[p].min, judged[p].max))
        drawn = [number(v)[0] for v in studied.table[p]]
        assert all(low <= v <= high for v in drawn), p


def test_each_setting_is_the_paired_comparison_there(studied):
    row = studied.of("bookings_per_year").iloc[0]
    settings = studied.results.manifest["points"][int(row["point"])] | SHORT
    seeds = studied.results.runs.query("point == @row.point and policy == 'aligned'")["seed"]
    by_hand = []
    for seed in seeds:
        mis, ali = (
            funnelsim.simulate(
                funnelsim.load_scenario(policy=p, overrides=settings), seed=int(seed)
            )
            for p in ("misaligned", "aligned")
        )
        by_hand.append(
            ali.summary["metrics"]["bookings_per_year"]
            - mis.summary["metrics"]["bookings_per_year"]
        )
    assert row["mean"] == pytest.approx(np.mean(by_hand), rel=1e-12)


def test_the_sentence_counts_the_settings(studied):
    rows = studied.of("bookings_per_year")
    said = sentence(studied, "bookings_per_year", "USD")
    assert f"above zero in {int((rows['mean'] > 0).sum())} " in said
    assert said.startswith(f"Across 3 settings of {len(studied.parameters)} judgment parameters")


def test_a_judgment_parameter_a_policy_sets_is_left_to_it(tmp_path):
    (tmp_path / "patient.yaml").write_text("sdr: {trust: {min_effort: 0.9}}\n")
    plan = robustness_plan(None, ["misaligned", str(tmp_path / "patient.yaml")], settings=2, reps=1)
    assert "sdr.trust.min_effort" not in plan.factors
    assert plan.analysis["left_to_the_policies"] == ["sdr.trust.min_effort"]


def test_one_policy_is_refused():
    with pytest.raises(UsageError, match="two different policies"):
        robustness_plan(None, ["aligned"])


def test_command_line_and_the_comparison_report(cli, tmp_path):
    out = tmp_path / "cmp"
    quick = ["--workers", "1", "-q", *SHORT_ARGS]
    assert cli("compare", "--reps", "2", "--out", str(out), *quick).exit_code == 0
    args = ["robustness", "--settings", "3", "--reps", "2", "--out", str(out / "robustness")]
    result = cli(*args, "--json", *quick)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)["robustness"]
    assert len({row["point"] for row in document["settings"]}) == 3
    assert cli("report", str(out)).exit_code == 0
    text = (out / "report.html").read_text()
    assert "Does the answer survive the judgment calls?" in text and "sdr.trust.min_effort" in text


def test_a_judgment_parameter_given_with_set_keeps_its_value():
    plan = robustness_plan(None, ["misaligned", "aligned"], settings=2, reps=1,
                           overrides={"sales.acceptance": 0.95})  # fmt: skip
    assert "sales.acceptance" not in plan.factors
    assert plan.analysis["fixed_by_set"] == ["sales.acceptance"]
    assert all(s["sales"]["acceptance"] == 0.95 for point in plan.scenarios for s in point)


def test_a_study_that_cannot_be_shown_is_named_in_the_report_not_a_crash(cli, tmp_path):
    out = tmp_path / "cmp"
    quick = ["--workers", "1", "-q", *SHORT_ARGS]
    assert cli("compare", "--reps", "2", "--out", str(out), *quick).exit_code == 0
    other = ["robustness", "smb_velocity", "--settings", "2", "--reps", "1", *quick]
    assert cli(*other, "--out", str(out / "robustness")).exit_code == 0
    assert cli("report", str(out)).exit_code == 0
    text = (out / "report.html").read_text()
    assert "another scenario or settings" in text and "segments.growth" not in text
    manifest = out / "robustness" / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"complete"', '"running"'))
    assert cli("report", str(out)).exit_code == 0
    assert "has not finished" in (out / "report.html").read_text()
