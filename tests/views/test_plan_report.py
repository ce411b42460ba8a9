"""The HTML report of a plan (``funnelsim report PLAN_FOLDER``): the question first, the answer
from the numbers, both figures inline, the reverse waterfall's chance beside the plan's; and a
folder that holds nothing the report reads refused in one line that names plan folders."""

from __future__ import annotations

import copy
import dataclasses
import html
import re

import pytest
from typer.testing import CliRunner

from funnelsim.analysis.planning import plan_target
from funnelsim.cli import app
from funnelsim.results.crm import report_kind
from funnelsim.results.plan import load_plan
from funnelsim.views.formats import whole_percent
from funnelsim.views.report.plan import render
from tests.analysis.test_plan import FEBRUARY, STATIONS

RUNNER = CliRunner()


def _report(folder) -> str:
    """``funnelsim report FOLDER`` run, its page read back."""
    made = RUNNER.invoke(app, ["report", str(folder)])
    assert made.exit_code == 0, made.output
    page = folder / "report.html"
    assert page.is_file() and made.stdout.strip() == f"report: {page}"
    return page.read_text(encoding="utf-8")


def _text(page: str) -> str:
    """The page's words, without its figures, tags and runs of white space."""
    words = re.sub(r"<(svg|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", words)).split())


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """An SDR desk planned for first-touch compliance: no reverse waterfall for a share."""
    out = tmp_path_factory.mktemp("plans") / "desk"
    plan_target("mmc", target="sla_compliance_within_15m=0.8", period=FEBRUARY,
                levers=["sdr=8:20"], probability=0.5, reps=4, workers=1, out=out)  # fmt: skip
    return out


def test_the_report_of_a_plan_asks_the_question_and_answers_it(desk):
    page = _report(desk)
    plan = load_plan(desk)
    sdrs = f"{plan.document['pick']['levels']['sdr']:.0f}"
    text = _text(page)
    assert page.startswith("<!DOCTYPE html>") and report_kind(desk) == "plan"
    asked = "What does it take to reach SLA compliance within 15m of at least 80.0% in 2026-02"
    assert text.index(f"{asked} with a chance of at least 50%?") < text.index("The plan:")
    assert f"({sdrs} SDRs in all)" in text and f"<td>{sdrs}<span" in page
    assert page.count("<svg") == 2 and "Chance against cost." in text
    assert "Erlang C check" in text and "Search: bisection." in text
    assert plan.document["waterfall"] is None and "reverse waterfall" not in text.lower()
    assert "<script" not in page and "<link" not in page  # nothing outside the page
    assert not re.findall(r"(?:src|href|url\()\s*=?\s*[\"']?(https?:|//)", page)


@pytest.fixture(scope="module")
def won(tmp_path_factory):
    """Two fixed-rate stations planned for deals won (tests/analysis/test_plan.py): a total,
    so the reverse waterfall plans it too."""
    out = tmp_path_factory.mktemp("plans") / "won"
    plan_target("mmc", overrides=STATIONS, target="deals_won=1700", period=FEBRUARY,
                levers=["sdr=1:12"], probability=0.5, reps=4, final_reps=4, workers=1,
                out=out)  # fmt: skip
    return out


def test_the_reverse_waterfall_s_chance_stands_beside_the_plan_s(won):
    text = _text(_report(won))
    waterfall = load_plan(won).document["waterfall"]
    chance = whole_percent(waterfall["chance"])
    assert f"reverse waterfall {chance} " in text  # its row of the chances table
    assert f"it reaches the target with a chance of {chance} (95% interval" in text
    assert "The plan: 3 SDRs instead of today's 10." in text


def test_a_waterfall_short_of_the_chance_and_a_plan_out_of_reach_are_said(won):
    plan = load_plan(won)
    document = copy.deepcopy(plan.document)
    document["waterfall"] |= {"chance": 0.25, "low": 0.1, "high": 0.5}
    text = _text(render(dataclasses.replace(plan, document=document)))
    runs = document["waterfall"]["runs"]
    assert f"a chance of only 25% (95% interval 10% to 50%, {runs} runs): short of the 50%" in text
    document |= {"pick": None, "unreachable": document["baseline"]}
    text = _text(render(dataclasses.replace(plan, document=document)))
    assert (
        "No plan within the bounds reaches the target with a chance of at least 50%: with "
        "every lever at its high bound (10 SDRs) the chance is 100%"
    ) in text
    assert "every lever at its high bound 100% " in text  # its row of the chances table


def test_a_folder_that_is_neither_results_nor_a_plan_is_refused_in_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    refused = RUNNER.invoke(app, ["report", str(tmp_path / "empty")])
    assert refused.exit_code == 2 and refused.stderr.count("\n") == 1
    assert "nor a plan folder (no plan.json)" in refused.stderr
