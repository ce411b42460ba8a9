"""The report's answer for an explanation: which lever carries the difference, said and tabled."""

from __future__ import annotations

from typing import Any

import pandas as pd

from funnelsim.results.explanation import INTERACTIONS, TOTAL, Explanation
from funnelsim.views.formats import interval, metric_label, value
from funnelsim.views.report.sentences import mean_cell, tone_of

LEAD_METRICS = ("bookings_per_year", "contribution_per_year")
"""The metric the sentences speak of: the first of these the explanation holds."""


def question(explained: Explanation) -> str:
    return f"Which lever carries the difference between {explained.second} and {explained.first}?"


def sentences(explained: Explanation, money: str) -> list[str]:
    """The whole difference, the levers that carry it or hold it back, and their interplay."""
    metric = _lead_metric(explained)
    rows = explained.table[explained.table["metric"] == metric].set_index("lever")
    total = rows.loc[TOTAL]
    said = [
        f"{explained.second} − {explained.first}: {metric_label(metric).lower()} "
        f"{value(metric, total['mean'], money, signed=True)} "
        f"(95% interval {_interval(metric, total, money)}, {int(total['n'])} replications)."
    ]
    levers = rows.loc[list(explained.levers)].sort_values("mean", ascending=False)
    raising = [k for k, row in levers.iterrows() if row["ci_low"] > 0]
    lowering = [k for k, row in levers[::-1].iterrows() if row["ci_high"] < 0]
    said.append(_carried(metric, levers, raising, lowering, money))
    alone = levers["alone"].abs().idxmax()
    together = rows.loc[INTERACTIONS, "mean"]
    said.append(
        f"Switched alone, {alone} moves it most "
        f"({value(metric, levers.loc[alone, 'alone'], money, signed=True)}). Together the "
        f"levers do {value(metric, abs(together), money)} {'more' if together >= 0 else 'less'} "
        "than the sum of what each does alone, and the Shapley values share that between the "
        "levers that make it."
    )
    return said


def _carried(metric: str, levers: pd.DataFrame, up: list, down: list, money: str) -> str:
    """Which levers raise the metric and which lower it, each with its Shapley value."""

    def named(names: list) -> str:
        return ", ".join(
            f"{k} ({value(metric, levers.loc[k, 'mean'], money, signed=True)})" for k in names
        )

    parts = []
    if up:
        parts.append(f"carried by {named(up)}")
    if down:
        parts.append(f"held back by {named(down)}")
    unclear = [k for k in levers.index if k not in up and k not in down]
    if unclear:
        parts.append(f"{', '.join(unclear)} cannot be told from zero")
    return "Lever by lever (Shapley values): " + "; ".join(parts) + "."


def table(explained: Explanation, money: str) -> dict[str, Any]:
    """Levers down, metrics across: each lever's Shapley value and what it does alone."""
    metrics = list(dict.fromkeys(explained.table["metric"]))
    frame = explained.table.set_index(["lever", "metric"])
    rows = []
    for lever in (*explained.levers, INTERACTIONS, TOTAL):
        cells = [_cell(m, frame.loc[(lever, m)], money, lever) for m in metrics]
        keys = ", ".join(explained.keys.get(lever, ()))
        rows.append({"lever": lever, "keys": keys, "cells": cells})
    return {"metrics": [metric_label(m) for m in metrics], "rows": rows}


def _cell(metric: str, row: pd.Series, money: str, lever: str) -> dict[str, str]:
    """A lever's Shapley value (the interactions' and the total's own mean), its interval, its
    tone, and what the lever does alone."""
    cell = mean_cell(metric, row, money, signed=True, narrow=True) | {"tone": tone_of(metric, row)}
    alone = row["alone"]
    return cell | {"alone": "" if alone != alone else value(metric, alone, money, signed=True)}


def _lead_metric(explained: Explanation) -> str:
    held = list(dict.fromkeys(explained.table["metric"]))
    return next((m for m in LEAD_METRICS if m in held), held[0])


def _interval(metric: str, row: pd.Series, money: str) -> str:
    return interval(metric, row["ci_low"], row["ci_high"], money, signed=True, once=False)
