"""Across replications: means with intervals, percentiles, paired differences, who wins.

Intervals are Student-t 95% intervals of a mean over replications, which are independent
and identically distributed by construction (one seed each). Under common random numbers a
policy's replication ``r`` is paired with the baseline's replication ``r``, and the interval
of the mean paired difference is far narrower than the two intervals side by side suggest.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from funnelsim.record.registry import metric as metric_entry

CONFIDENCE = 0.95
PERCENTILES = (5, 25, 50, 75, 95)


DIFFERENCE_COLUMNS = (
    "policy",
    "baseline",
    "metric",
    "n",
    "mean",
    "std",
    "ci_low",
    "ci_high",
    "relative",
    "policy_better",
    "baseline_better",
)


def direction(metric: str) -> int:
    """+1 when more of ``metric`` is better, -1 when less is, 0 when neither (the registry's)."""
    return metric_entry(metric).better


def interval(values: np.ndarray) -> tuple[float, float, float, float]:
    """Mean, standard deviation and the 95% t-interval of the mean of ``values``."""
    values = values[np.isfinite(values)]
    n = values.size
    if n == 0:
        return (math.nan,) * 4
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan, math.nan, math.nan
    std = float(values.std(ddof=1))
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * std / math.sqrt(n)
    return mean, std, mean - half, mean + half


def half_width(values: np.ndarray) -> float:
    _, _, low, high = interval(values)
    return (high - low) / 2.0


def _positions(runs: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    """``runs`` with each policy as its place in ``labels``: 0 is the baseline, and policies
    sort as the experiment lists them whatever their names."""
    codes = pd.Categorical(runs["policy"], categories=list(labels)).codes
    if (codes < 0).any():
        unknown = runs["policy"].to_numpy()[codes < 0][0]
        raise ValueError(f"unknown policy {unknown!r}; expected one of {list(labels)}")
    return runs.assign(policy=codes)


def _wides(runs: pd.DataFrame, metrics: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Per metric, one row per (point, replication), one column per policy; failed runs NaN.

    All metrics are reshaped at once: one reshape per metric cost most of a sweep's statistics.
    """
    values = runs[list(metrics)].to_numpy(dtype=float, copy=True)
    values[(runs["status"] != "ok").to_numpy()] = np.nan
    index = pd.MultiIndex.from_frame(runs[["point", "replication", "policy"]])
    columns = pd.Index(list(metrics), name="metric")
    wide = pd.DataFrame(values, index=index, columns=columns).unstack("policy").sort_index()
    if wide.columns.empty:  # no runs
        return {metric: pd.DataFrame(index=wide.index) for metric in metrics}
    return {metric: wide[metric] for metric in metrics}


def _wide(runs: pd.DataFrame, metric: str) -> pd.DataFrame:
    return _wides(runs, [metric])[metric]


def _blocks(wide: pd.DataFrame) -> Iterator[tuple[int, np.ndarray]]:
    """Each point of a wide table and its values, a row per replication, a column per policy."""
    points = wide.index.get_level_values("point").to_numpy()
    if not len(points):
        return
    firsts = np.flatnonzero(np.r_[True, points[1:] != points[:-1]]).tolist()
    values = wide.to_numpy()
    for first, end in zip(firsts, [*firsts[1:], len(points)], strict=True):
        yield int(points[first]), values[first:end]


def _complete(values: np.ndarray) -> np.ndarray:
    """The rows with a value in every column: replications no policy failed."""
    return values[~np.isnan(values).any(axis=1)]


def _sample(values: np.ndarray) -> dict[str, float]:
    """Size, mean, spread and 95% interval of the finite values of one sample."""
    finite = values[np.isfinite(values)]
    mean, std, low, high = interval(finite)
    return {"n": int(finite.size), "mean": mean, "std": std, "ci_low": low, "ci_high": high}


def _factor_values(runs: pd.DataFrame, factors: Sequence[str]) -> dict[int, dict[str, object]]:
    """Each point's factor values, each in its column's own type."""
    points = runs.drop_duplicates("point").set_index("point")[list(factors)]
    return {int(p): {f: points.at[p, f] for f in factors} for p in points.index}


def summarise(
    runs: pd.DataFrame, metrics: Sequence[str], labels: Sequence[str], factors: Sequence[str]
) -> pd.DataFrame:
    """Per point, policy and metric: n, mean, std, 95% interval, percentiles, win share."""
    runs = _positions(runs, labels)
    where, wides = _factor_values(runs, factors), _wides(runs, metrics)
    groups = [  # each (point, policy) of the runs, with its ok rows: the same for every metric
        (key, group[group["status"] == "ok"])
        for key, group in runs.groupby(["point", "policy"], sort=True)
    ]
    rows = []
    for metric in metrics:
        wins = _win_shares(wides[metric], direction(metric))
        for (point, policy), group in groups:
            values = group[metric].to_numpy(dtype=float)
            rows.append(
                {
                    "point": point,
                    **where[point],
                    "policy": labels[policy],
                    "metric": metric,
                    **_sample(values),
                    **_percentiles(values),
                    "win_share": wins.get((point, policy), math.nan),
                }
            )
    return pd.DataFrame(rows)


def _percentiles(values: np.ndarray) -> dict[str, float]:
    """The :data:`PERCENTILES` of the finite values, ``p5`` to ``p95`` (NaN when none are)."""
    finite = values[np.isfinite(values)]
    pct = np.percentile(finite, PERCENTILES) if finite.size else [math.nan] * len(PERCENTILES)
    return {f"p{p}": float(v) for p, v in zip(PERCENTILES, pct, strict=True)}


TIE = 1e-9
"""Relative difference within which two policies' values tie (:func:`_win_shares`)."""


def _win_shares(wide: pd.DataFrame, sign: int) -> dict[tuple[int, int], float]:
    """Share of complete replications in which each policy is strictly the best.

    Values equal up to rounding (a relative 1e-9: sums of the same costs added in another
    order) tie, and a tie is nobody's win.
    """
    out = {}
    for point, block in _blocks(wide):
        values = _complete(block) * sign
        if values.shape[0] == 0 or values.shape[1] < 2:
            continue
        best = values.max(axis=1, keepdims=True)
        top = np.isclose(values, best, rtol=TIE, atol=0.0)
        sole = top & (top.sum(axis=1, keepdims=True) == 1)
        for k, policy in enumerate(wide.columns):
            out[(point, int(policy))] = float(sole[:, k].mean())
    return out


def _relative(diff: np.ndarray, baseline: np.ndarray) -> float:
    """The mean difference as a share of the baseline's mean (NaN when that mean is 0)."""
    scale = abs(baseline.mean()) if baseline.size else 0.0
    return float(diff.mean() / scale) if scale else math.nan


def differences(
    runs: pd.DataFrame, metrics: Sequence[str], labels: Sequence[str], factors: Sequence[str]
) -> pd.DataFrame:
    """Each policy minus the baseline (the first), paired by replication, per point."""
    runs = _positions(runs, labels)
    where, wides = _factor_values(runs, factors), _wides(runs, metrics)
    rows = [
        {"point": point, **where[point], **row}
        for metric in metrics
        for point, block in _blocks(wides[metric])
        for row in _paired_rows(metric, block, list(wides[metric].columns), labels)
    ]
    return pd.DataFrame(rows, columns=["point", *factors, *DIFFERENCE_COLUMNS])


def _paired_rows(
    metric: str, block: np.ndarray, columns: list[int], labels: Sequence[str]
) -> Iterator[dict[str, object]]:
    """Each policy minus the baseline at one point, over the replications both finished."""
    for policy in range(1, len(labels)):
        if policy not in columns or 0 not in columns:
            continue
        pair = _complete(block[:, [columns.index(0), columns.index(policy)]])
        diff = pair[:, 1] - pair[:, 0]
        better = direction(metric) * diff
        shares = (np.mean(better > 0), np.mean(better < 0)) if diff.size else (math.nan,) * 2
        yield {
            "policy": labels[policy],
            "baseline": labels[0],
            "metric": metric,
            **_sample(diff),
            "relative": _relative(diff, pair[:, 0]),
            "policy_better": float(shares[0]),
            "baseline_better": float(shares[1]),
        }


def _samples(runs: pd.DataFrame, metric: str, labels: Sequence[str]) -> list[pd.Series]:
    """What the precision rule watches, by replication: paired differences, or the metric."""
    out = []
    for _, block in _wide(_positions(runs, labels), metric).groupby(level="point"):
        block = block.droplevel("point")
        if len(labels) < 2:
            out.append(block[0])
        else:
            out += [block[k] - block[0] for k in range(1, len(labels))]
    return out


def _precise(samples: list[pd.Series], precision: float, n: int) -> bool:
    for sample in samples:
        values = sample[sample.index < n].to_numpy()
        values = values[np.isfinite(values)]
        if values.size < 2 or not half_width(values) <= precision * abs(float(values.mean())):
            return False
    return True


def complete_prefix(runs: pd.DataFrame, points: int, policies: int) -> int:
    """How many replications, counted from 0, every point and policy has a row for."""
    if runs.empty:
        return 0
    counts = runs.groupby("replication").size()
    full = counts.index[counts == points * policies]
    missing = np.setdiff1d(np.arange(int(runs["replication"].max()) + 2), full)
    return int(missing[0])


def replications_needed(
    runs: pd.DataFrame,
    metric: str,
    precision: float,
    labels: Sequence[str],
    start: int,
    stop: int,
) -> int | None:
    """The fewest replications, from ``start`` to ``stop``, whose 95% intervals are within
    ``precision`` of their means (relative half-width), or None if none of those are.

    With two or more policies the intervals are those of the paired differences from the
    baseline; with one, of the metric's mean. Replications are taken in order (0, 1, 2, ...),
    so the answer depends on the random numbers alone, never on how many ran at once. Only
    replications that every point and policy has are considered: a count is never judged on
    a sample with a hole in it.
    """
    samples = _samples(runs, metric, labels)
    points = runs["point"].nunique() if len(runs) else 0
    last = min(stop, complete_prefix(runs, points, len(labels)))
    for n in range(start, last + 1):
        if _precise(samples, precision, n):
            return n
    return None


def next_batch(
    runs: pd.DataFrame, metric: str, precision: float, labels: Sequence[str], have: int
) -> int:
    """How many more replications to try, at most as many again as there are.

    The classic estimate n (half-width / target)^2, with the normal quantile rather than
    Student's: with few replications t inflates the half-width, and the estimate with it.
    """
    z = float(stats.norm.ppf(0.5 + CONFIDENCE / 2))
    worst = 2
    for sample in _samples(runs, metric, labels):
        values = sample.to_numpy()
        values = values[np.isfinite(values)]
        if values.size < 2 or values.mean() == 0:
            return max(have, 2)
        half = z * values.std(ddof=1) / math.sqrt(values.size)
        ratio = half / (precision * abs(values.mean()))
        worst = max(worst, math.ceil(have * ratio**2) - have)
    return min(worst, max(have, 2))
