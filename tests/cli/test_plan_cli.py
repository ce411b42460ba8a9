"""``funnelsim plan`` from the command line: tables, JSON, figures, and bad input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from funnelsim.cli import app

RUNNER = CliRunner()
MMC = ["plan", "mmc", "--target", "sla_compliance_within_15m=0.8", "--period", "2026-02",
       "--lever", "sdr=8:20", "--probability", "0.5", "--reps", "4", "--workers", "1"]  # fmt: skip


def test_the_plan_is_shown_as_tables_with_its_figures_in_the_folder(tmp_path):
    result = RUNNER.invoke(app, [*MMC, "--out", str(tmp_path / "p"), "--quiet"])
    assert result.exit_code == 0, result.output
    for said in ("The levers", "Chance of reaching the target", "month by month", "Erlang C"):
        assert said in result.stdout
    figures = sorted(p.name for p in (tmp_path / "p" / "figures").iterdir())
    assert figures == ["plan_chance.png", "plan_over_time.png"]


def test_json_is_one_document_with_the_pick_and_its_interval(tmp_path):
    result = RUNNER.invoke(app, [*MMC, "--out", str(tmp_path / "p"), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    pick = document["pick"]
    assert pick["low"] <= pick["chance"] <= pick["high"]
    assert document["erlang_c"]["agrees"] and document["folder"] == str(tmp_path / "p")
    months = document["months"]  # the plan's, month by month
    assert [m["period"] for m in months] == ["2026-01", "2026-02"]
    assert months[1]["sdr_heads"] == document["pick"]["levels"]["sdr"]


def test_bad_input_is_one_line_and_exit_2_with_nothing_written(tmp_path):
    for args, said in (
        (["--target", "bookins=1M"], "error: --target 'bookins=1M': unknown metric 'bookins'"),
        (["--period", "2025"], "error: --period 2025: starts before the scenario's start_date"),
        (["--lever", "sdr=5:2"], "error: --lever 'sdr=5:2': expected LOW < HIGH, got 5 and 2"),
    ):
        out = tmp_path / args[0].strip("-")
        command = [*MMC, *args, "--out", str(out)]
        result = RUNNER.invoke(app, command)
        assert result.exit_code == 2, result.output
        lines = result.output.splitlines()
        assert len(lines) == 1 and lines[0].startswith(said), result.output
        assert not out.exists()


def test_no_plan_within_the_bounds_is_said_and_drawn_without_months(tmp_path):
    command = [*MMC[:7], "sdr=8:9", *MMC[8:], "--out", str(tmp_path / "p"), "--quiet"]
    result = RUNNER.invoke(app, command)
    assert result.exit_code == 0, result.output
    assert "No plan within the bounds reaches the chance asked" in result.stdout
    assert "month by month" not in result.stdout
    assert [p.name for p in (tmp_path / "p" / "figures").iterdir()] == ["plan_chance.png"]
