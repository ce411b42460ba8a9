"""At 80 columns every table of ``run``, ``compare``, ``sweep`` and ``sla`` shows its headers
whole: wrapped onto more lines or split into several tables, never cut short."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console, Group
from rich.table import Table

import funnelsim
from funnelsim.record.registry import metric
from funnelsim.sla import prepare_study, proposal_file, read_proposal, stress_test
from funnelsim.views.formats import currency
from funnelsim.views.tables.experiments import experiment_report
from funnelsim.views.tables.fit import Fitted
from funnelsim.views.tables.run import run_report
from funnelsim.views.tables.sla import sla_report
from tests.helpers import SHORT

WIDTH = 80
SWEPT = ("bookings", "sla_compliance", "speed_to_lead_hours_p50", "mqls", "final_mql_threshold",
         "sdr_utilisation")  # fmt: skip


def render(renderable, width: int = WIDTH) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    return console.file.getvalue()


def headers(text: str) -> list[list[str]]:
    """Each table's header cells, a header wrapped onto several lines joined again."""
    tables = re.findall(r"^┏.*\n((?:┃.*\n)+)┡", text, re.M)
    out = []
    for block in tables:
        rows = [line.strip("┃").split("┃") for line in block.splitlines()]
        columns = zip(*rows, strict=True)
        out.append(
            [" ".join(part.strip() for part in column if part.strip()) for column in columns]
        )
    return out


def check(text: str, expected: list[list[str]]) -> None:
    assert "…" not in text
    assert max(map(len, text.splitlines())) <= WIDTH
    assert headers(text) == expected


@pytest.fixture(scope="module")
def run():
    return funnelsim.simulate(funnelsim.load_scenario(overrides=SHORT), seed=0)


def test_a_runs_tables(run):
    groups = [
        ["", *(metric(n).label for n in ("leads", "mqls", "sqls", "opportunities"))],
        ["", *(metric(n).label for n in ("deals_won", "bookings_per_year", "win_rate"))],
    ]
    split = ("gtm_cost_per_year", "contribution_per_year", "cost_per_won_deal")
    costs = ["", *(metric(n).label for n in split)]  # only sources split the cost
    check(
        render(run_report(run)),
        [
            ["stage", "leads", "from previous", "from leads"],
            ["measure", "p10", "p50", "p90"],
            ["outcome", "at the end", "within 180 d", "within 365 d", "first quarter"],
            ["reason", "leads"],
            *groups,
            costs,
            *groups,
            ["series", "year 2 / year 1", "standard errors", "MSER-5 warm-up", "filling up"],
        ],
    )


def test_a_comparisons_table():
    results = funnelsim.compare(reps=2, overrides=SHORT, workers=1)
    labels = [metric(n).label for n in results.summary["metric"].drop_duplicates()]
    text = render(experiment_report(results))
    check(text, [["metric", "misaligned", "aligned", "aligned − misaligned",
                  "wins misaligned / aligned"]])  # fmt: skip
    assert all(re.search(r"^│ " + re.escape(label.split()[0]), text, re.M) for label in labels)


def test_a_sweeps_table_is_split_with_its_factors_in_every_part():
    factors = {"sla.response_time": ["1h", "4h"], "sdr.headcount": [3, 5]}
    spec = {"policies": ["aligned"], "factors": factors, "replications": 2, "set": SHORT}
    spec["metrics"] = list(SWEPT)
    text = render(experiment_report(funnelsim.sweep(spec, workers=1)))
    keys = ["sla.response_time", "sdr.headcount"]
    found = headers(text)
    assert len(found) == 2 and all(part[:2] == keys for part in found)
    # compliance within the strictest SLA swept (1h) follows compliance with each point's own
    shown = [*SWEPT[:2], "sla_compliance_within_1h", *SWEPT[2:]]
    check(text, [keys + [metric(n).label for n in shown[:3]],
                 keys + [metric(n).label for n in shown[3:]]])  # fmt: skip
    assert "(continued)" in text


def test_an_sla_stress_tests_tables():
    path = proposal_file("sla-proposal")
    overrides = {"horizon.length": "30w", "horizon.warmup": "4w"}
    study = prepare_study(read_proposal(path), source=str(path), overrides=overrides, reps=2)
    sla = stress_test(study, workers=1, capacity=False)
    conditions = [c.title for c in sla.conditions]
    assert len(conditions) == 5
    check(
        render(sla_report(sla, currency(sla.results))),
        [
            ["clause", *conditions],
            [
                "condition",
                "marketing first",
                "sales first",
                "same period",
                "neither",
                "periods broken: mkt / sales",
            ],
            ["figure", *conditions],
        ],
    )


def test_a_table_that_fits_is_left_as_it_is_and_one_that_cannot_is_split():
    table = Table(title="T", caption="C")
    for name in ("name", "a long heading", "another long heading", "the third heading"):
        table.add_column(name)
    table.add_row("row", "1", "2", "3")
    assert render(Fitted(table), 120) == render(table, 120)
    narrow = render(Fitted(table), 30)
    assert headers(narrow) == [["name", "a long heading", "another long heading"],
                               ["name", "the third heading"]]  # fmt: skip
    assert narrow.index("T") < narrow.index("(continued)") < narrow.index("C")
    assert "…" in render(table, 30) and "…" not in narrow


def test_a_fitted_table_in_a_group_keeps_its_place():
    first, last = Table("x"), Table("y")
    first.add_row("1")
    last.add_row("2")
    text = render(Group(Fitted(first), "between", Fitted(last)))
    assert text.index("x") < text.index("between") < text.index("y")


@pytest.mark.parametrize(
    ("factors", "said"),
    [
        ({}, "Measured over 10 weeks (0.19 years)"),  # 12 weeks, 2 of them warm-up
        ({"horizon.length": ["10w", "14w"]}, "Measured over 8 to 12 weeks, by sweep point,"),
    ],
)
def test_the_measured_span_is_said_once_and_a_sweep_over_the_horizon_gives_its_range(factors, said):
    spec = {"policies": ["aligned"], "factors": factors, "replications": 1, "set": dict(SHORT)}
    if factors:
        del spec["set"]["horizon.length"]  # a factor may not also be set
    text = render(experiment_report(funnelsim.sweep(spec | {"metrics": ["bookings"]}, workers=1)))
    assert text.count("Measured over") == 1
    words = " ".join(text.split())  # the line may wrap
    assert f"{said} after warm-up; money per year unless a figure says otherwise" in words
