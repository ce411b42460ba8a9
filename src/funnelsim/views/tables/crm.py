"""Terminal tables of a fit from CRM data: what the export sets, stage by stage, what it shows
that the model makes for itself, and the rows left out."""

from __future__ import annotations

import json

import pandas as pd
from rich.console import Console
from rich.table import Table

from funnelsim.views.tables.fit import Fitted as FittedTable
from funnelsim.views.text import literal

SHARES = ("lead_to_mql", "mql_to_sql", "sql_to_won", "win_share")
"""The figures the export shows that are shares."""


def figure_text(x: float | None) -> str:
    """A fitted figure as the tables and the report show it: three figures, or whole above 1,000."""
    if x is None or x != x:
        return ""
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def estimate_text(key: str, text: str) -> str:
    """An estimate's value (JSON) in words: a log-normal by its median and p90, shares as
    percentages, a seasonality by its range."""
    value = json.loads(text)
    if isinstance(value, dict) and "lognormal" in value:
        shape = value["lognormal"]
        return f"median {figure_text(shape['median'])}, p90 {figure_text(shape['p90'])}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v:.0%}" for k, v in value.items())
    if isinstance(value, list) and value and isinstance(value[0], int | float):
        return f"{min(value):.2f} to {max(value):.2f} by month"
    return figure_text(value) if isinstance(value, int | float) else str(value)


def settings_table(estimates: pd.DataFrame) -> Table:
    """Every scenario key the export sets, with the records behind it and its interval."""
    table = Table(title="What the export sets", caption="95% intervals; n: records behind it")
    for column, justify in (("key", "left"), ("fitted", "left"), ("n", "right"), ("95%", "right")):
        table.add_column(column, justify=justify)
    rows = estimates[estimates["sets"] & ~estimates["key"].str.endswith(".stages")]
    for row in rows.itertuples():
        interval = (
            f"{figure_text(row.low)} to {figure_text(row.high)}" if row.low == row.low else ""
        )
        table.add_row(literal(row.key), estimate_text(row.key, row.value), f"{row.n:,}", interval)
    return table


def stages_table(estimates: pd.DataFrame) -> Table:
    """Each segment's stages: duration, and how deals leave (the rest go dark)."""
    table = Table(
        title="Stages, fitted with open deals censored",
        caption="days: log-normal median and p90; shares: cumulative incidence at the end; "
        "dark: the rest",
    )
    columns = ("segment", "stage", "median d", "p90 d", "advance", "lost", "no decision", "dark")
    for k, column in enumerate(columns):
        table.add_column(column, justify="left" if k < 2 else "right")
    for row in estimates[estimates["key"].str.endswith(".stages")].itertuples():
        segment = row.key.split(".")[1]
        for stage in json.loads(row.value):
            shape = stage["duration"]["lognormal"]
            dark = 1 - stage["advance"] - stage["lost"] - stage["no_decision"]
            table.add_row(
                literal(segment),
                literal(stage["name"]),
                shape["median"].removesuffix("d"),
                shape["p90"].removesuffix("d"),
                *(
                    f"{s:.0%}"
                    for s in (stage["advance"], stage["lost"], stage["no_decision"], dark)
                ),
            )
    return table


def shown_table(estimates: pd.DataFrame) -> Table:
    """What the export shows that the model makes for itself: conversions by source."""
    shown = estimates[~estimates["sets"]]
    table = Table(
        title="What the export shows (the model makes these; compare a run of the fit)",
        caption="rates shrunk toward all sources' rate; 95%: the source's own rate's "
        "interval; n: leads (or gaps between calls)",
    )
    for column, justify in (
        ("figure", "left"),
        ("value", "right"),
        ("n", "right"),
        ("95%", "right"),
    ):
        table.add_column(column, justify=justify)
    for row in shown.itertuples():
        value = json.loads(row.value)
        as_share = row.key.split(".")[0] in SHARES
        text = f"{value:.1%}" if as_share else figure_text(value)
        low = f"{row.low:.1%} to {row.high:.1%}" if as_share and row.low == row.low else ""
        table.add_row(literal(row.key), text, f"{row.n:,}", low)
    return table


def excluded_table(excluded: pd.DataFrame) -> Table:
    table = Table(title="Rows left out")
    for column in ("table", "why", "rows"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    for row in excluded.itertuples():
        table.add_row(row.table, row.reason, f"{row.rows:,}")
    return table


def print_fit(
    estimates: pd.DataFrame, excluded: pd.DataFrame, heading: str, console: Console
) -> None:
    """A fit's tables (``estimates`` and ``excluded`` as :class:`~funnelsim.analysis.fit.Fitted`
    holds them), under one line saying when the export was taken and over what base."""
    console.print(heading, highlight=False)
    for table in (settings_table(estimates), stages_table(estimates), shown_table(estimates)):
        console.print(FittedTable(table))
    if excluded.empty:
        console.print("No row was left out.")
    else:
        console.print(FittedTable(excluded_table(excluded)))


SERIES_WORDS = {
    "leads": "leads created",
    "mqls": "MQLs (first)",
    "sqls": "SQLs (first)",
    "opportunities": "opportunities created",
    "won": "deals won",
    "bookings": "bookings",
}


def scores_table(scores: pd.DataFrame) -> Table:
    """Per weekly series: real and simulated totals, errors, and how often reality fell
    inside the simulated bands."""
    table = Table(
        title="The held-out weeks: real against simulated",
        caption="WAPE: weekly absolute error over the real total; bias: simulated total over "
        "real, less one; inside: share of weeks whose real count fell inside the simulated band",
    )
    heads = (
        "weekly",
        "real",
        "simulated",
        "MAE a week",
        "WAPE",
        "bias",
        "inside 80%",
        "inside 95%",
    )
    for k, column in enumerate(heads):
        table.add_column(column, justify="left" if k == 0 else "right")
    for row in scores.itertuples():
        table.add_row(
            SERIES_WORDS[row.series],
            figure_text(row.real),
            figure_text(row.simulated),
            figure_text(row.mae_per_week),
            f"{row.wape:.0%}",
            f"{row.bias:+.0%}",
            f"{row.inside_80:.0%}",
            f"{row.inside_95:.0%}",
        )
    return table


def distances_table(distances: pd.DataFrame) -> Table:
    table = Table(
        title="Days from opportunity to close, deals closed after the split",
        caption="earth mover's distance between the real and the simulated distributions, in days",
    )
    heads = ("deals", "real deals", "real median", "simulated median", "distance")
    for k, column in enumerate(heads):
        table.add_column(column, justify="left" if k == 0 else "right")
    for row in distances.itertuples():
        table.add_row(
            row.deals,
            f"{row.real_n:,}",
            figure_text(row.real_median_days),
            figure_text(row.simulated_median_days),
            figure_text(row.earth_movers_days),
        )
    return table


def print_backtest(
    scores: pd.DataFrame, distances: pd.DataFrame, heading: str, console: Console
) -> None:
    console.print(heading, highlight=False)
    console.print(FittedTable(scores_table(scores)))
    console.print(FittedTable(distances_table(distances)))
