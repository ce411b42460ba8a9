"""One SLA yardstick for every compared policy: chosen, given, refused and shown."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import funnelsim
from funnelsim.cli.app import app
from funnelsim.experiments.yardstick import strictest, with_yardstick
from funnelsim.views.formats import yardstick_note
from tests.helpers import SHORT, SHORT_ARGS


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def _scenario(response_time: str, **calendar) -> dict:
    return {"sla": {"response_time": response_time}, "calendar": calendar}


def test_the_yardstick_is_the_strictest_sla_on_the_business_clock():
    assert strictest([_scenario("4h"), _scenario("1h")]) == "1h"
    # a working day (9 to 17) is 8 open hours: stricter than 12 hours, and itself a yardstick
    day = {"open_hour": 9, "close_hour": 17}
    assert strictest([_scenario("1d", **day), _scenario("12h", **day)]) == "1d"
    # between two yardsticks: the next stricter one; shorter than all: the shortest
    assert strictest([_scenario("45m")]) == "30m"
    assert strictest([_scenario("1m")]) == "5m"


def test_compliance_within_the_yardstick_follows_compliance_with_the_own_sla():
    metrics = ["bookings_per_year", "sla_compliance", "win_rate"]
    shown = ["bookings_per_year", "sla_compliance", "sla_compliance_within_1h", "win_rate"]
    assert with_yardstick(metrics, "1h") == shown
    assert with_yardstick(["win_rate"], "1h") == ["win_rate"]
    # a yardstick asked for is shown even without compliance with each policy's own SLA
    assert with_yardstick(["win_rate"], "1h", given=True) == [
        "win_rate",
        "sla_compliance_within_1h",
    ]
    assert with_yardstick(shown, "1h", given=True) == shown


def test_a_sweep_over_the_sla_says_the_own_sla_varies_and_no_note_without_the_figure():
    spec = {"policies": ["aligned"], "set": SHORT, "replications": 1,
            "factors": {"sla.response_time": ["4h", "1h"]}}  # fmt: skip
    swept = funnelsim.sweep(spec, workers=1)
    note = yardstick_note(swept)
    assert "the sweep's sla.response_time at each point" in note and "within 1h" in note
    plain = funnelsim.sweep({**spec, "metrics": ["bookings_per_year"]}, workers=1)
    assert yardstick_note(plain) is None


def test_compare_judges_both_policies_by_the_stricter_sla_by_default():
    results = funnelsim.compare(reps=2, overrides=SHORT, workers=1)
    assert results.manifest["yardstick"] == {"response_time": "1h", "given": False}
    summary = results.summary.set_index(["policy", "metric"])
    aligned = summary.loc[("aligned", "sla_compliance"), "mean"]  # the aligned SLA is 1h
    assert summary.loc[("aligned", "sla_compliance_within_1h"), "mean"] == aligned
    misaligned = results.runs.query("policy == 'misaligned'")["sla_compliance_within_1h"]
    assert summary.loc[("misaligned", "sla_compliance_within_1h"), "mean"] == pytest.approx(
        misaligned.mean()
    )


def test_compare_takes_a_yardstick_and_the_table_says_which_compliance_is_which(runner, tmp_path):
    args = ["compare", "--reps", "2", "--yardstick", "4h", "--out", str(tmp_path / "r")]
    shown = runner.invoke(app, [*args, *SHORT_ARGS])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "SLA compliance, own SLA" in text
    assert "(same for" in text  # the label wraps in its narrow column
    assert "within 4h: every policy against the same one (as given)" in text
    assert "own response time (misaligned 4h, aligned 1h)" in text
    document = json.loads(runner.invoke(app, [*args, "--overwrite", "--json", *SHORT_ARGS]).stdout)
    assert document["yardstick"] == {"response_time": "4h", "given": True}
    assert "sla_compliance_within_4h" in {row["metric"] for row in document["summary"]}
    assert document["money_periods"]["bookings_per_year"] == "per year"


@pytest.mark.parametrize("bad", ["45m", "soon", "1 hour"])
def test_a_yardstick_the_runs_do_not_measure_is_refused_in_one_line(runner, bad):
    result = runner.invoke(app, ["compare", "--reps", "2", "--yardstick", bad])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: --yardstick: expected one of 5m, 15m, 30m, 1h, 2h, 4h, 1d, 2d, 3d, 1w, got {bad!r}"
    ]


def test_an_experiment_files_yardstick_is_checked_with_the_file(tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_text("policies: [misaligned, aligned]\nyardstick: 90m\n")
    with pytest.raises(funnelsim.ScenarioError) as caught:
        funnelsim.sweep(path)
    [problem] = caught.value.problems
    assert problem.path == "yardstick" and problem.line == 2
    assert "expected one of 5m" in problem.message
