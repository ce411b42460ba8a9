"""The figure of a fit: each segment's deal amounts against the fitted log-normal."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy import stats

from funnelsim.views.plots.style import PALETTE, panels, set_titles

OBSERVED, FITTED = PALETTE[6], PALETTE[0]


def deal_sizes(
    amounts: pd.DataFrame, estimates: pd.DataFrame, heading: str, fig: Figure | None = None
) -> list[Axes]:
    """A panel per segment: the share of deals up to each amount, as observed (steps) and as
    the fitted log-normal says (line), on a log scale of amounts."""
    fitted = estimates[estimates["key"].str.endswith(".deal_size")]
    segments = [key.split(".")[1] for key in fitted["key"]]
    axes = panels(fig, 1, max(len(segments), 1), (4.2 * max(len(segments), 1), 3.8))
    for ax, (segment, row) in zip(
        axes, zip(segments, fitted.itertuples(), strict=True), strict=False
    ):
        observed = np.sort(amounts.loc[amounts["segment"] == segment, "amount"].to_numpy(float))
        observed = observed[observed > 0]
        shape = json.loads(row.value)["lognormal"]
        sigma = np.log(shape["p90"] / shape["median"]) / stats.norm.ppf(0.9)
        grid = np.geomspace(observed.min(), observed.max(), 200)
        ax.step(
            observed,
            np.arange(1, len(observed) + 1) / len(observed),
            where="post",
            color=OBSERVED,
            lw=1.2,
            label=f"observed ({len(observed):,} deals)",
        )
        ax.plot(
            grid,
            stats.lognorm.cdf(grid, sigma, scale=shape["median"]),
            color=FITTED,
            lw=1.8,
            label="fitted log-normal",
        )
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(_thousands))
        ax.set_title(segment, fontsize=10)
        ax.set_xlabel("deal amount")
        ax.legend(frameon=False, fontsize=8, loc="lower right")
    axes[0].set_ylabel("share of deals up to this amount")
    set_titles(axes[0].figure, heading, "steps: the export's deals; line: the fitted distribution")
    return axes


def _thousands(value: float, _position: int) -> str:
    return f"{value / 1000:,.0f}k" if value >= 1000 else f"{value:,.0f}"
