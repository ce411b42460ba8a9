"""How a sample of replications is drawn: each value a dot, the mean a bar, a violin for shape.

With a handful of replications the dots say more than a box plot would. Every panel that
shows a metric per replication (revenue, lead to close, speed to lead, utilisation) draws it here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from funnelsim.results import Results
from funnelsim.views.plots.data import policy_labels, values_of
from funnelsim.views.plots.style import (
    category_ticks,
    colour_ticks,
    colours,
    policy_legend,
    side_by_side,
)


def sample_spread(ax: Axes, x: float, values: np.ndarray, colour: str, width: float = 0.7) -> None:
    """One sample at ``x``: its shape as a violin (given enough distinct values), every value
    as a dot, and the mean as a bar; with a few replications the dots say more than a box."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not values.size:
        return
    if np.unique(values).size >= 3:
        body = ax.violinplot(values, [x], widths=width, showextrema=False)["bodies"][0]
        body.set(facecolor=colour, edgecolor="none", alpha=0.2)
    jitter = np.random.default_rng(0).uniform(-width / 6, width / 6, values.size)
    ax.scatter(x + jitter, values, s=14, color=colour, alpha=0.85, linewidths=0, zorder=3)
    ax.hlines(values.mean(), x - width / 3, x + width / 3, color=colour, linewidth=2, zorder=4)


def by_policy(ax: Axes, results: Results, runs: pd.DataFrame, metric: str) -> None:
    """A metric's distribution over replications, one column per policy."""
    for k, (label, c) in enumerate(colours(results).items()):
        sample_spread(ax, k, values_of(runs, label, metric), c)
    colour_ticks(ax, results)


def grouped(
    ax: Axes,
    results: Results,
    categories: Sequence[str],
    sample: Callable[[int, str], np.ndarray],
) -> None:
    """Distributions per category (x) and policy (side by side): ``sample(category, policy)``
    with the category's place and the policy's name."""
    offsets, width = side_by_side(len(policy_labels(results)))
    for i in range(len(categories)):
        for k, (label, c) in enumerate(colours(results).items()):
            sample_spread(ax, i + offsets[k], sample(i, label), c, width=width * 0.9)
    category_ticks(ax, categories)
    policy_legend(ax, results)
