"""What a figure takes from :class:`~funnelsim.Results`: policies, one point's runs, means.

Every figure reads the results through these helpers, so the rules they share are written
once: the first policy is the baseline, a comparison figure shows one sweep point, failed
replications are left out, and a sample too small for an interval gets a zero-width one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from funnelsim.results import Results
from funnelsim.results.stats import interval


def policy_labels(results: Results) -> list[str]:
    """Policy labels in order; the first is the baseline."""
    return list(results.manifest["policies"])


def factor_names(results: Results) -> list[str]:
    return list(results.manifest.get("factors") or [])


def finished_runs(results: Results, point: int) -> pd.DataFrame:
    """The runs of one sweep point that finished; failed ones have no figures to show."""
    points = results.manifest["points"]
    if not 0 <= point < len(points):
        raise ValueError(f"expected a point from 0 to {len(points) - 1}, got {point}")
    runs = results.runs
    return runs[(runs["point"] == point) & (runs["status"] == "ok")]


def at_point(frame: pd.DataFrame, point: int) -> pd.DataFrame:
    return frame[frame["point"] == point]


def values_of(frame: pd.DataFrame, policy: str, column: str) -> np.ndarray:
    """One policy's values of a column, as floats."""
    return frame.loc[frame["policy"] == policy, column].to_numpy(dtype=float)


def mean_interval(values: Iterable[float]) -> tuple[float, float, float]:
    """Mean and 95% interval; a sample too small for an interval gets a zero-width one."""
    mean, _, low, high = interval(np.asarray(values, dtype=float))
    return mean, low if low == low else mean, high if high == high else mean


def finite_median(values: np.ndarray) -> float:
    """The median of the finite values; NaN, quietly, when there are none."""
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else np.nan


def error_bars(rows: Sequence[tuple[float, float, float]]) -> np.ndarray:
    """Matplotlib's (below, above) error lengths from (mean, low, high) rows."""
    mean, low, high = np.asarray(rows, dtype=float).T
    return np.nan_to_num(np.vstack([mean - low, high - mean]))
