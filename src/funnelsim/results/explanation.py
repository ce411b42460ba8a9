"""Which lever carries the difference between two policies, read off an explanation's runs.

``funnelsim explain`` runs every coalition of the levers in which two policies differ (the
first policy with some levers switched to the second's settings; see
:mod:`funnelsim.analysis.explain`) under common random numbers. Here each replication's
results give each lever's Shapley value: its marginal contribution, averaged over the orders in
which the levers could be switched, exactly or over sampled orders. The values sum to the
whole difference replication by replication, so their intervals are paired ones, and what
each lever does *alone* (switched with no other) shows how much the levers interact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from funnelsim.errors import FunnelsimError
from funnelsim.results.experiment import Results, load_results
from funnelsim.results.stats import interval

TOTAL, INTERACTIONS = "total", "interactions"
"""The rows beside the levers: the whole difference, and what the levers alone leave of it."""
COLUMNS = ("metric", "lever", "n", "mean", "ci_low", "ci_high", "alone", "alone_low", "alone_high")

Coalition = frozenset[int]


def shapley(
    values: Mapping[Coalition, np.ndarray],
    levers: int,
    orders: Sequence[Sequence[int]] | None = None,
) -> np.ndarray:
    """Each lever's Shapley value (rows) per replication (columns).

    ``values[c]`` holds the replications' results with the levers ``c`` switched. Exact over
    every coalition when ``orders`` is None; else the mean marginal contribution along the
    orders given. Either way a replication's values sum to ``values[all] - values[none]``.
    """
    width = len(next(iter(values.values())))
    found = np.zeros((levers, width))
    if orders is None:
        for members, value in values.items():
            missing = set(range(levers)) - members
            weight = math.factorial(len(members)) * math.factorial(max(len(missing) - 1, 0))
            for k in missing:
                found[k] += weight * (values[members | {k}] - value)
        return found / math.factorial(levers)
    for order in orders:
        switched: Coalition = frozenset()
        for k in order:
            found[k] += values[switched | {k}] - values[switched]
            switched |= {k}
    return found / len(orders)


@dataclass(frozen=True)
class Explanation:
    """Each lever's share of the difference between two policies, per metric.

    ``table`` has a row per metric and lever, then the metric's :data:`INTERACTIONS` (the whole
    difference less the levers' effects alone) and :data:`TOTAL` (the whole difference):
    ``mean``, ``ci_low`` and ``ci_high`` are the Shapley value's mean and 95% interval over
    ``n`` replications, ``alone*`` the lever's effect switched alone.
    """

    first: str
    second: str
    levers: tuple[str, ...]
    keys: dict[str, tuple[str, ...]]
    method: str  # "exact" or "sampled"
    orders: int | None  # how many sampled orders, if sampled
    table: pd.DataFrame
    results: Results

    def document(self) -> dict:
        """What ``funnelsim explain --json`` prints, beside the experiment's own document."""
        return {
            "first": self.first,
            "second": self.second,
            "method": self.method,
            "orders": self.orders,
            "levers": {name: list(self.keys[name]) for name in self.levers},
            "contributions": self.table.to_dict(orient="records"),
        }


def explain(results: Results) -> Explanation:
    """The explanation an ``explain`` experiment's results hold."""
    analysis = results.manifest.get("analysis")
    if not analysis or analysis.get("kind") != "explain":
        raise FunnelsimError(f"{results.path}: these results are not an explanation")
    names = tuple(analysis["levers"])
    orders = analysis["orders"]
    labels = results.manifest["policies"]
    members = {label: frozenset(c) for label, c in zip(labels, analysis["coalitions"], strict=True)}
    rows = [
        row
        for metric in results.manifest["metrics"]
        for row in _metric_rows(metric, _values(results, metric, members), names, orders)
    ]
    return Explanation(
        first=analysis["first"],
        second=analysis["second"],
        levers=names,
        keys={name: tuple(keys) for name, keys in analysis["keys"].items()},
        method="exact" if orders is None else "sampled",
        orders=None if orders is None else len(orders),
        table=pd.DataFrame(rows, columns=list(COLUMNS)),
        results=results,
    )


def load_explanation(path: str | Path) -> Explanation:
    """The explanation in a results folder that ``funnelsim explain --out`` wrote."""
    return explain(load_results(path))


def _values(
    results: Results, metric: str, members: Mapping[str, Coalition]
) -> dict[Coalition, np.ndarray]:
    """Each coalition's results for ``metric``, by replication in order; failed runs NaN."""
    runs = results.runs
    values = runs[metric].to_numpy(dtype=float, copy=True)
    values[(runs["status"] != "ok").to_numpy()] = np.nan
    wide = (
        pd.DataFrame({"replication": runs["replication"], "policy": runs["policy"], "v": values})
        .pivot(index="replication", columns="policy", values="v")
        .sort_index()
    )
    return {members[str(label)]: wide[label].to_numpy() for label in wide.columns}


def _metric_rows(
    metric: str,
    values: Mapping[Coalition, np.ndarray],
    names: Sequence[str],
    orders: Sequence[Sequence[int]] | None,
) -> list[tuple]:
    """The rows of one metric: each lever's Shapley value and alone effect, the interactions,
    the total, all over the same replications: those whose every coalition has the metric (a
    failed run, or a median of nothing, would leave the levers summing to another total)."""
    complete = np.logical_and.reduce([np.isfinite(v) for v in values.values()])
    values = {members: v[complete] for members, v in values.items()}
    none, every = frozenset(), frozenset(range(len(names)))
    phi = shapley(values, len(names), orders)
    alone = np.array([values[frozenset({k})] - values[none] for k in range(len(names))])
    total = values[every] - values[none]
    rows = [_row(metric, name, phi[k], alone[k]) for k, name in enumerate(names)]
    rows.append(_row(metric, INTERACTIONS, total - alone.sum(axis=0), None))
    rows.append(_row(metric, TOTAL, total, None))
    return rows


def _row(metric: str, lever: str, shares: np.ndarray, alone: np.ndarray | None) -> tuple:
    mean, _, low, high = interval(shares)
    alone_mean, _, alone_low, alone_high = (math.nan,) * 4 if alone is None else interval(alone)
    n = int(np.isfinite(shares).sum())
    return (metric, lever, n, mean, low, high, alone_mean, alone_low, alone_high)
