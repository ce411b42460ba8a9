"""The report's answer in numbers and sentences: the headline table and the verdict.

Every sentence is written from the numbers and is only as sure as their intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from funnelsim.record.registry import KEY_METRICS
from funnelsim.record.registry import metric as metric_entry
from funnelsim.results import Results
from funnelsim.results.stats import direction
from funnelsim.views.formats import currency, interval, metric_label, value
from funnelsim.views.tables.experiments import wins

REVENUE = "bookings_per_year"
"""The revenue the verdict leads with, per year."""
ITS_COST = ("gtm_cost_per_year", "contribution_per_year")
"""What the revenue sentence sets beside revenue: what it cost, and what was left."""


def mean_cell(
    metric: str, row: pd.Series, money: str, signed: bool = False, narrow: bool = False
) -> dict[str, str]:
    """A mean and its interval; ``narrow`` leaves the currency out of the interval, for tables
    with a column per condition."""
    mean = value(metric, row["mean"], money, signed)
    if row["ci_low"] != row["ci_low"]:
        return {"value": mean, "interval": ""}
    code = "" if narrow else money
    span = interval(metric, row["ci_low"], row["ci_high"], code, signed, once=False)
    return {"value": mean, "interval": span}


def headline(results: Results, point: int = 0) -> list[dict[str, Any]]:
    """The headline table: per key metric, each policy's mean and interval, the paired
    differences from the baseline, and the share of replications each policy wins."""
    policies, money = results.manifest["policies"], currency(results)
    summary = results.summary[results.summary["point"] == point]
    diffs = results.differences[results.differences["point"] == point]
    rows = []
    for metric in [m for m in KEY_METRICS if m in set(summary["metric"])]:
        by_policy = summary[summary["metric"] == metric].set_index("policy")
        row: dict[str, Any] = {
            "metric": metric_label(metric),
            "about": metric_entry(metric).about,
            "means": [mean_cell(metric, by_policy.loc[p], money) for p in policies],
            "wins": wins(metric, [by_policy.loc[p, "win_share"] for p in policies]),
            "differences": [],
        }
        for label in policies[1:]:
            d = diffs[(diffs["metric"] == metric) & (diffs["policy"] == label)]
            cell = mean_cell(metric, d.iloc[0], money, signed=True) if len(d) else {"value": "–"}
            cell["tone"] = tone_of(metric, d.iloc[0]) if len(d) else ""
            row["differences"].append(cell)
        rows.append(row)
    return rows


def tone_of(metric: str, diff: pd.Series) -> str:
    """'better' or 'worse' when the interval excludes zero, else '' (cannot tell, or more of
    the figure is neither better nor worse)."""
    low, high = diff["ci_low"], diff["ci_high"]
    if not (low > 0 or high < 0) or direction(metric) == 0:
        return ""
    return "better" if (low > 0) == (direction(metric) > 0) else "worse"


def verdict(results: Results, point: int = 0) -> list[str]:
    """Two or three sentences from the numbers, saying how sure they are."""
    policies, money = results.manifest["policies"], currency(results)
    if len(policies) < 2:
        return _sweep_verdict(results)
    diffs = results.differences[results.differences["point"] == point].set_index(
        ["policy", "metric"]
    )
    means = results.summary[results.summary["point"] == point].set_index(["policy", "metric"])
    base, sentences = policies[0], []
    for other in policies[1:]:
        if (other, REVENUE) in diffs.index:
            revenue = {p: means.loc[(p, REVENUE), "mean"] for p in (base, other)}
            said = _revenue(other, base, diffs.loc[(other, REVENUE)], revenue, money)
            sentences.append(said + _what_it_cost(diffs, other, money))
            sentences += _tradeoffs(diffs, other, base)
    return sentences


def _revenue(other: str, base: str, d: pd.Series, revenue: dict, money: str) -> str:
    """The revenue sentence: the difference with its interval, or that none can be told."""
    low, high = (value(REVENUE, d[k], money, signed=True) for k in ("ci_low", "ci_high"))
    n = int(d["n"])
    if not tone_of(REVENUE, d):
        return (
            f"On revenue, {other} and {base} cannot be told apart after {n} replications: "
            f"the difference is {value(REVENUE, d['mean'], money, signed=True)} per year, "
            f"with a 95% interval from {low} to {high} that includes zero. More replications "
            "(--precision) would narrow it."
        )
    more = "more" if d["mean"] > 0 else "less"
    share = d["policy_better"] if more == "more" else d["baseline_better"]
    books = {p: value(REVENUE, revenue[p], money) for p in (base, other)}
    return (
        f"{other.capitalize()} books {books[other]} a year against {books[base]} for {base}: "
        f"{value(REVENUE, abs(d['mean']), money)} {more} (95% interval {low} to {high}), "
        f"and {more} in {share:.0%} of {n} paired replications."
    )


def _what_it_cost(diffs: pd.DataFrame, other: str, money: str) -> str:
    """Beside the revenue: how much more (or less) going to market cost, and contribution."""
    parts = []
    for metric, words in zip(ITS_COST, ("go-to-market cost", "contribution"), strict=True):
        if (other, metric) in diffs.index:
            d = diffs.loc[(other, metric)]
            span = interval(metric, d["ci_low"], d["ci_high"], money, signed=True)
            change = value(metric, d["mean"], money, signed=True)
            parts.append(f"{words} differs by {change} a year (95% interval {span})")
    return f" For {other}, {join(parts)}." if parts else ""


def _tradeoffs(diffs: pd.DataFrame, other: str, base: str) -> list[str]:
    """What else clearly moves, for better and for worse, beyond revenue."""
    gains, costs = [], []
    for metric in [m for m in KEY_METRICS if m not in (REVENUE, *ITS_COST)]:
        if (other, metric) not in diffs.index:
            continue
        d = diffs.loc[(other, metric)]
        tone = tone_of(metric, d)
        change = _change(metric, d["mean"])
        if tone == "better":
            gains.append(change)
        elif tone == "worse":
            costs.append(change)
    out = []
    if gains:
        out.append(f"Against {base}, {other} also has {join(gains[:3])}.")
    if costs:
        out.append(f"It is not free: {join(costs)}.")
    return out


def _change(metric: str, mean: float) -> str:
    entry = metric_entry(metric)
    return f"{entry.rise if mean > 0 else entry.fall} ({value(metric, mean, '', True)})"


def join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _sweep_verdict(results: Results) -> list[str]:
    """For one policy over sweep points: where the revenue is highest and lowest."""
    money = currency(results)
    revenue = results.summary[results.summary["metric"] == REVENUE]
    if revenue.empty:
        return []
    best, worst = revenue.loc[revenue["mean"].idxmax()], revenue.loc[revenue["mean"].idxmin()]
    points = results.manifest["points"]

    def where(row: pd.Series) -> str:
        values = points[int(row["point"])]
        return ", ".join(f"{k} = {v}" for k, v in values.items()) or "the base scenario"

    def amount(row: pd.Series) -> str:
        half = (row["ci_high"] - row["ci_low"]) / 2
        return f"{value(REVENUE, row['mean'], money)} ± {value(REVENUE, half, '')} a year"

    return [
        f"Revenue is highest at {where(best)}: {amount(best)} (mean ± 95% half-width), and "
        f"lowest at {where(worst)}: {amount(worst)}.",
        "Points whose intervals overlap cannot be told apart at this number of replications.",
    ]
