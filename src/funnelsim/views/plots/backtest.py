"""The figure of a backtest: each held-out week's real count against the simulated bands."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from funnelsim.views.plots.style import PALETTE, panels, set_titles

SIMULATED, REAL = PALETTE[0], PALETTE[6]
TITLES = {
    "leads": "Leads created",
    "mqls": "MQLs (first)",
    "sqls": "SQLs (first)",
    "opportunities": "Opportunities created",
    "won": "Deals won",
    "bookings": "Bookings",
}


def bands(weekly: pd.DataFrame, heading: str, fig: Figure | None = None) -> list[Axes]:
    """A panel per weekly series: the simulated 95% and 80% bands and mean, and the real
    weeks as dots (``weekly`` as :class:`~funnelsim.analysis.fit.backtest.Backtest` holds it)."""
    names = list(dict.fromkeys(weekly["series"]))
    axes = panels(fig, 2, (len(names) + 1) // 2, (12.0, 6.4))
    for ax, name in zip(axes, names, strict=False):
        rows = weekly[weekly["series"] == name]
        week = rows["week"].to_numpy()
        ax.fill_between(week, rows["low_95"], rows["high_95"], color=SIMULATED, alpha=0.15, lw=0)
        ax.fill_between(week, rows["low_80"], rows["high_80"], color=SIMULATED, alpha=0.3, lw=0)
        ax.plot(week, rows["mean"], color=SIMULATED, lw=1.5, label="simulated mean")
        ax.plot(week, rows["real"], "o", color=REAL, ms=3.5, label="real")
        ax.set_title(TITLES.get(name, name), fontsize=10)
        ax.set_xlabel("week after the split")
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    axes[0].legend(frameon=False, fontsize=8)
    set_titles(axes[0].figure, heading, "shaded: the simulated weeks' 80% and 95% bands")
    return axes[: len(names)]
