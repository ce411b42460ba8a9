"""Speed to lead against the SLA, on the business clock.

Speed to lead is counted in open hours, so marking the SLA needs each policy's response time
at the sweep point in business hours (:meth:`~funnelsim.results.Results.sla_limit`): a ``1d``
SLA is one working day, not 24 hours.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from funnelsim.base.units import parse_duration
from funnelsim.results import Results
from funnelsim.views.formats import on_figure
from funnelsim.views.plots.data import finished_runs, finite_median, policy_labels, values_of
from funnelsim.views.plots.series import bands, date_axis
from funnelsim.views.plots.spread import by_policy
from funnelsim.views.plots.style import (
    colours,
    literal_text,
    log_axis,
    panels,
    policy_legend,
    set_titles,
    style_legend,
    tick_formatter,
    value_axis,
)
from funnelsim.views.plots.words import phrase, point_text, replication_count

_P50 = "speed_to_lead_hours_p50"
_PERCENTILES = {_P50: ("median", "-"), "speed_to_lead_hours_p90": ("90th percentile", "--")}
"""The per-run percentiles of speed to lead drawn as ECDFs, and their line styles."""


@literal_text
def speed_to_lead(results: Results, fig: Figure | None = None, *, point: int = 0) -> list[Axes]:
    """Speed to lead as an ECDF over replications with the SLA marked (left), and SLA
    compliance by month across replications (right). Returns the two panels.

    Times are business hours from MQL to first touch; each policy is judged against its own
    SLA, at its own point of a sweep.
    """
    runs = finished_runs(results, point)
    ax, right = panels(fig, 1, 2, (12.0, 4.8))
    _speed_ecdfs(ax, results, runs, point)
    _compliance(right, results, runs, point)
    medians = {
        label: on_figure(_P50, finite_median(values_of(runs, label, _P50)), "")
        for label in policy_labels(results)
    }
    set_titles(
        ax.figure,
        f"Speed to lead{point_text(results, point)}: median response {phrase(medians)} "
        "(median over replications)",
        f"{replication_count(runs)}; business hours; each policy judged against its own SLA",
        results,
    )
    return [ax, right]


def _speed_ecdfs(ax: Axes, results: Results, runs: pd.DataFrame, point: int) -> None:
    """Each policy's per-run median and 90th percentile as ECDFs, with its SLA marked."""
    for label, c in colours(results).items():
        for column, (_, style) in _PERCENTILES.items():
            values = values_of(runs, label, column)
            values = values[np.isfinite(values)]
            if values.size:
                ax.ecdf(values, color=c, linestyle=style, linewidth=1.8)
    log_axis(ax, runs[list(_PERCENTILES)].to_numpy(dtype=float).ravel())
    _sla_lines(ax, results, point)
    ax.set_xlabel("Speed to lead (business hours from MQL to first touch)")
    ax.set_ylabel("Replications at or below (%)")
    ax.yaxis.set_major_formatter(tick_formatter("share", ""))
    styles = {f"{name} per replication": {"linestyle": s} for name, s in _PERCENTILES.values()}
    style_legend(ax, styles, loc="lower right", fontsize=8)
    policy_legend(ax, results, loc="best")
    ax.set_title("Speed to lead across replications (dotted: SLA)", fontsize=9)


def _compliance(ax: Axes, results: Results, runs: pd.DataFrame, point: int) -> None:
    """SLA compliance by month across replications; from results written before the weekly
    counts existed, one figure per replication."""
    if "sla_judged" in results.weekly.columns:
        for label, c in colours(results).items():
            monthly = monthly_compliance(results, point, label)
            bands(ax, monthly.index, monthly.to_numpy(dtype=float), c)
        date_axis(ax, "Month the MQLs arrived")
        ax.set_title("SLA compliance by month: median, 50% and 90% bands", fontsize=9)
    else:
        by_policy(ax, results, runs, "sla_compliance")
        ax.set_title("SLA compliance per replication (bar: mean)", fontsize=9)
    value_axis(ax, "sla_compliance", "")


def monthly_compliance(results: Results, point: int, policy: str) -> pd.DataFrame:
    """Each month's SLA compliance after warm-up, one column per replication.

    The share of the month's MQLs (by arrival) first touched within the SLA, from the weekly
    counts; a week counts in the month it starts in.
    """
    weekly = results.weekly
    weekly = weekly[(weekly["point"] == point) & (weekly["policy"] == policy)]
    weekly = weekly[~weekly["warmup"].astype(bool)]
    month = pd.to_datetime(weekly["week_start"]).dt.to_period("M").dt.to_timestamp()
    counts = (
        weekly.assign(month=month)
        .groupby(["month", "replication"])[["sla_on_time", "sla_judged"]]
        .sum()
    )
    share = counts["sla_on_time"] / counts["sla_judged"].where(counts["sla_judged"] > 0)
    return share.unstack("replication").sort_index()


def sla_hours(results: Results, point: int = 0) -> dict[str, float]:
    """Each policy's SLA response time at a point, in business hours."""
    return {label: results.sla_limit(label, point)[1] for label in policy_labels(results)}


def _sla_lines(ax: Axes, results: Results, point: int) -> None:
    """A dotted vertical line per distinct SLA, in the colour of the only policy that has it."""
    by_limit: dict[tuple[str, float], list[str]] = {}
    for label in policy_labels(results):
        by_limit.setdefault(results.sla_limit(label, point), []).append(label)
    for (text, hours), labels in by_limit.items():
        c = colours(results)[labels[0]] if len(labels) == 1 else "0.2"
        ax.axvline(hours, color=c, linestyle=":", linewidth=1.5, zorder=1)
        note = f"SLA {text}" + ("" if hours == parse_duration(text) * 24 else f" = {hours:g} h")
        note += "" if len(labels) == len(policy_labels(results)) else f" ({', '.join(labels)})"
        ax.annotate(
            note,
            (hours, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -3),
            textcoords="offset points",
            rotation=90,
            va="top",
            fontsize=8,
            color=c,
        )
