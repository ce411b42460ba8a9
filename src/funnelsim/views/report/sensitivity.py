"""The report's answer for a sensitivity study: the inputs that drive each metric, ranked."""

from __future__ import annotations

from typing import Any

import pandas as pd

from funnelsim.results.sensitivity import Sensitivity
from funnelsim.views.formats import metric_label, value
from funnelsim.views.text import literal


def question(study: Sensitivity) -> str:
    return f"Which inputs drive {literal(study.output)}, and by how much?"


def _index(study: Sensitivity, row: pd.Series, money: str) -> tuple[str, str]:
    """An input's index and its interval, as the method writes them."""
    if study.method == "morris":
        metric = row["metric"]
        return value(
            metric, row["mu_star"], money
        ), f"± {value(metric, row['mu_star_conf'], money)}"
    return f"{row['ST']:.2f}", f"± {row['ST_conf']:.2f} (first order {row['S1']:.2f})"


def sentences(study: Sensitivity, money: str) -> list[str]:
    """Per metric: the inputs that move it, strongest first, and those below the noise."""
    what = "mean absolute effect (Morris mu*)" if study.method == "morris" else "total Sobol' index"
    said = []
    for metric in dict.fromkeys(study.table["metric"]):
        rows = study.ranked(metric)
        ranked = rows[~rows["below_noise"]]
        named = ", ".join(
            f"{r['factor']} ({_index(study, r, money)[0]})" for _, r in ranked.iterrows()
        )
        text = f"{metric_label(metric)}: by {what}, " + (
            named or "no input stands out of the noise"
        )
        noise = rows[rows["below_noise"]]["factor"].tolist()
        said.append(text + (f"; below the noise: {', '.join(noise)}." if noise else "."))
    return said + list(study.notes)


def table(study: Sensitivity, money: str) -> dict[str, Any]:
    """Inputs down, metrics across: each index with its interval, flagged ones in grey."""
    metrics = list(dict.fromkeys(study.table["metric"]))
    frame = study.table.set_index(["factor", "metric"])
    inputs = study.ranked(metrics[0])["factor"].tolist()
    rows = []
    for name in inputs:
        cells = []
        for metric in metrics:
            row = frame.loc[(name, metric)].copy()
            row["metric"] = metric
            shown, interval = _index(study, row, money)
            tone = "noise" if row["below_noise"] else ""
            cells.append({"value": shown, "interval": interval, "tone": tone})
        rows.append({"factor": name, "cells": cells})
    return {"metrics": [metric_label(m) for m in metrics], "rows": rows, "method": study.method}
