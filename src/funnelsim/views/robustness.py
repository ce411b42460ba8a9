"""The words of a robustness study, shared by the terminal and the report."""

from __future__ import annotations

import pandas as pd

from funnelsim.base.intervals import number
from funnelsim.results.robustness import Robustness
from funnelsim.views.formats import interval, metric_label, value

LEAD_METRICS = ("bookings_per_year", "contribution_per_year")
"""The metrics the sentences speak of, those of them the study holds."""


def lead_metrics(robust: Robustness) -> list[str]:
    held = list(dict.fromkeys(robust.table["metric"]))
    return [m for m in LEAD_METRICS if m in held] or held[:1]


def sentence(robust: Robustness, metric: str, money: str) -> str:
    """How often the second policy does better across the settings, and its worst setting."""
    rows = robust.of(metric)
    label, n = metric_label(metric).lower(), len(rows)
    above = int((rows["mean"] > 0).sum())
    surely = int((rows["ci_low"] > 0).sum())
    below = int((rows["ci_high"] < 0).sum())
    worst = rows.iloc[0]
    said = (
        f"Across {n} settings of {len(robust.parameters)} judgment parameters, "
        f"{robust.second} − {robust.first} on {label} is above zero in {above} "
        f"({surely} with a 95% interval above zero, {below} below it); the smallest is "
        f"{value(metric, worst['mean'], money, signed=True)} "
        f"({interval(metric, worst['ci_low'], worst['ci_high'], money, signed=True, once=False)})"
    )
    extremes = farthest(robust, worst)
    return said + (f", where {extremes}." if extremes else ".")


def farthest(robust: Robustness, row: pd.Series, count: int = 3) -> str:
    """The parameters of a setting that sit farthest toward an end of their ranges."""
    placed = []
    for p in robust.parameters:
        low, high = (number(b)[0] for b in robust.ranges[p])
        at = number(row[p])[0]
        place = 0.5 if high == low else (at - low) / (high - low)
        placed.append((abs(place - 0.5), p, row[p], "high" if place > 0.5 else "low"))
    placed.sort(reverse=True)
    return ", ".join(f"{p} is {shown(v)} ({end})" for _, p, v, end in placed[:count])


def shown(setting: float | str) -> str:
    """A parameter's value as a person reads it: three significant figures, thousands
    separated, a duration in its unit."""
    amount, unit = number(setting)
    return f"{amount:,.0f}{unit}" if abs(amount) >= 1000 else f"{amount:.3g}{unit}"
