"""The figures that set policies side by side at one sweep point: funnel, revenue, lead to close
and opportunity age, leakage.

Each reads the finished runs of one point (``point=0`` unless given) and draws every policy
in its colour; the registry names the stage and leakage columns they read. Weekly fan
charts are in :mod:`funnelsim.views.plots.series`, speed to lead in
:mod:`funnelsim.views.plots.sla`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from funnelsim.record.registry import FUNNEL_STAGES, LEAKAGE_REASONS, LEAKAGE_STAGES
from funnelsim.results import Results
from funnelsim.results.stats import interval
from funnelsim.views.formats import (
    currency,
    metric_label,
    metric_labels,
    on_figure,
    percent,
    trim,
)
from funnelsim.views.plots.data import (
    at_point,
    error_bars,
    finished_runs,
    mean_interval,
    policy_labels,
    values_of,
)
from funnelsim.views.plots.spread import by_policy, grouped, sample_spread
from funnelsim.views.plots.style import (
    PARTS,
    axes_or_new,
    category_ticks,
    colour_ticks,
    colours,
    label_above,
    literal_text,
    panels,
    policy_legend,
    set_titles,
    side_by_side,
    value_axis,
)
from funnelsim.views.plots.words import phrase, point_text, pretty, replication_count

STAGES = metric_labels(*FUNNEL_STAGES)
TICK_WIDTH = 16
"""Characters a line of a stage's name under its bars, before it wraps."""
LEAK_STAGES = metric_labels(*LEAKAGE_STAGES)
LEAK_REASONS = metric_labels(*LEAKAGE_REASONS)
TO_CLOSE = ("lead_to_close_days_p50", "opportunity_age_days_p50")
"""The durations of :func:`lead_to_close`: from capture to a won deal, and from opening to close."""


@literal_text
def waterfall(results: Results, ax: Axes | None = None, *, point: int = 0) -> Axes:
    """Leads reaching each stage, policies side by side, with conversion between stages.

    Bars are means over replications with 95% intervals; the y axis is logarithmic so that
    the few wins stay visible next to thousands of leads, and equal steps mean equal rates.
    """
    ax = axes_or_new(ax)
    runs = finished_runs(results, point)
    offsets, width = side_by_side(len(policy_labels(results)))
    overall = {}
    for k, (label, c) in enumerate(colours(results).items()):
        x = np.arange(len(STAGES)) + offsets[k]
        means = _stage_bars(ax, x, width, [values_of(runs, label, s) for s in STAGES], c, label)
        overall[label] = f"{100 * means[-1] / means[0]:.2f}%" if means[0] else "–"
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: trim(v)))
    ax.set_ylabel("Leads reaching the stage (count, log scale)")
    category_ticks(ax, [textwrap.fill(name, TICK_WIDTH) for name in STAGES.values()])
    policy_legend(ax, results, loc="upper right")
    set_titles(
        ax,
        f"Funnel by stage{point_text(results, point)}: leads won, {phrase(overall)}",
        f"Mean of {replication_count(runs)} with 95% intervals; "
        "above each bar, the conversion from the stage before",
        results,
    )
    return ax


def _stage_bars(
    ax: Axes, x: np.ndarray, width: float, stages: list[np.ndarray], colour: str, label: str
) -> np.ndarray:
    """One policy's bars, a stage each (mean and 95% interval), with the conversion from the
    stage before above each; returns the means."""
    rows = [mean_interval(values) for values in stages]
    means = np.array([r[0] for r in rows])
    ax.bar(
        x,
        means,
        width,
        color=colour,
        label=label,
        yerr=error_bars(rows),
        error_kw={"ecolor": "0.3", "elinewidth": 1, "capsize": 2},
    )
    for j in range(1, len(stages)):
        rate = means[j] / means[j - 1] if means[j - 1] else np.nan
        text = f"{100 * rate:.0f}%" if rate == rate else "–"
        top = max(rows[j][0], rows[j][2])
        label_above(ax, text, (x[j], top), fontsize=7, color="0.2")
    return means


@literal_text
def revenue(results: Results, fig: Figure | None = None, *, point: int = 0) -> list[Axes]:
    """Revenue and pipeline created per replication, and the paired differences.

    Returns the axes row by row: revenue, then pipeline created; with two or more policies
    each row has a second panel, each policy minus the baseline replication by replication.
    """
    runs = finished_runs(results, point)
    cols = 2 if len(policy_labels(results)) > 1 else 1
    axes = panels(fig, 2, cols, (5.0 * cols + 1, 7.5))
    code = currency(results)
    for row, metric in enumerate(("bookings_per_year", "pipeline_created_value_per_year")):
        ax = axes[row * cols]
        by_policy(ax, results, runs, metric)
        value_axis(ax, metric, code)
        ax.set_title(f"{metric_label(metric)} per replication (bar: mean)", fontsize=9)
        if cols == 2:
            _differences(axes[row * cols + 1], results, runs, metric)
    verdict = _verdict(runs, results, "bookings_per_year", "books more than", "books less than")
    set_titles(
        axes[0].figure,
        f"Revenue per replication{point_text(results, point)}: {verdict}",
        f"{replication_count(runs)}; policies meet the same leads in each "
        "(common random numbers), so differences are paired",
        results,
    )
    return axes


def _paired(runs: pd.DataFrame, metric: str, policy: str, baseline: str) -> np.ndarray:
    """A policy's metric minus the baseline's, replication by replication."""
    wide = runs.pivot(index="replication", columns="policy", values=metric)
    return (wide[policy] - wide[baseline]).dropna().to_numpy(dtype=float)


def _differences(ax: Axes, results: Results, runs: pd.DataFrame, metric: str) -> None:
    """The paired differences from the baseline: every replication, the mean and its interval."""
    labels, code = policy_labels(results), currency(results)
    for k, c in enumerate(list(colours(results).values())[1:], start=1):
        diff = _paired(runs, metric, labels[k], labels[0])
        sample_spread(ax, k - 1, diff, c)
        row = mean_interval(diff)
        ax.errorbar(k - 1 + 0.4, row[0], yerr=error_bars([row]), fmt="o", color="black")
    ax.axhline(0, color="0.3", linewidth=1)
    category_ticks(ax, [f"{label}\nminus {labels[0]}" for label in labels[1:]])
    value_axis(ax, metric, code, f"{metric_label(metric)} difference")
    ax.set_xlim(-0.6, len(labels) - 1.0)
    ax.set_title("Paired difference from the baseline (black: mean, 95% interval)", fontsize=9)


def _verdict(runs: pd.DataFrame, results: Results, metric: str, more: str, less: str) -> str:
    """'aligned books more than misaligned' when the 95% interval of the paired difference
    excludes zero, 'no clear difference' when it does not (or when it cannot be known)."""
    labels, parts = policy_labels(results), []
    for k in range(1, len(labels)):
        _, _, low, high = interval(_paired(runs, metric, labels[k], labels[0]))
        if low > 0:
            parts.append(f"{labels[k]} {more} {labels[0]}")
        elif high < 0:
            parts.append(f"{labels[k]} {less} {labels[0]}")
        else:
            parts.append(f"no clear difference between {labels[k]} and {labels[0]}")
    return "; ".join(parts) or labels[0]


@literal_text
def lead_to_close(results: Results, fig: Figure | None = None, *, point: int = 0) -> list[Axes]:
    """Lead to close (won deals) and opportunity age at close, each run's median, overall and
    per segment, policies side by side. Returns the two panels."""
    runs = finished_runs(results, point)
    categories, frames = _by_segment(results, runs, point)
    axes = panels(fig, 1, 2, (12.0, 4.8))
    code = currency(results)
    for ax, metric in zip(axes, TO_CLOSE, strict=True):
        grouped(ax, results, categories, lambda i, p, m=metric: values_of(frames[i], p, m))
        value_axis(ax, metric, code)
        ax.set_title(f"{metric_label(metric)}, per replication", fontsize=9)
    close, age = (
        {
            label: on_figure(metric, mean_interval(values_of(runs, label, metric))[0], code)
            for label in policy_labels(results)
        }
        for metric in TO_CLOSE
    )
    set_titles(
        axes[0].figure,
        f"Lead to close{point_text(results, point)}: {phrase(close)}; opportunity age at "
        f"close: {phrase(age)} (means of medians)",
        f"Each dot is one replication ({replication_count(runs)}); bar: mean; "
        "violin: the spread when there are enough replications",
        results,
    )
    return axes


def _by_segment(
    results: Results, runs: pd.DataFrame, point: int
) -> tuple[list[str], list[pd.DataFrame]]:
    """The categories of a per-segment figure ("All", then each segment) and their rows."""
    groups = at_point(results.groups, point)
    segments = groups[groups["group"] == "segment"]
    names = list(dict.fromkeys(segments["name"]))
    frames = [runs, *(segments[segments["name"] == n] for n in names)]
    return ["All", *map(pretty, names)], frames


@literal_text
def leakage(results: Results, fig: Figure | None = None, *, point: int = 0) -> list[Axes]:
    """Leakage as a share of leads, stacked by stage (left) and by reason (right), per policy.

    Stacks are mean shares over replications, so each total is the mean leakage rate; the
    leads still open at the end, not counted as leaked, are named beside it.
    """
    runs = finished_runs(results, point)
    axes = panels(fig, 1, 2, (12.0, 4.8))
    for ax, (title, parts) in zip(
        axes, (("Where leads leaked", LEAK_STAGES), ("Why leads leaked", LEAK_REASONS)), strict=True
    ):
        totals = _stacked(ax, results, runs, parts)
        ax.set_title(title, fontsize=9)
    labels = policy_labels(results)
    rates = {label: percent(t, 3) for label, t in zip(labels, totals, strict=True)}
    still_open = runs.groupby("policy", observed=True)["still_open_share"].mean()
    open_rates = {label: percent(still_open[label], 3) for label in labels}
    set_titles(
        axes[0].figure,
        f"Leakage{point_text(results, point)}: {phrase(rates)} of leads leaked",
        f"Mean share of the window's leads over {replication_count(runs)}; still open at the "
        f"end, not counted as leaked: {phrase(open_rates)}",
        results,
    )
    return axes


def _stacked(ax: Axes, results: Results, runs: pd.DataFrame, parts: Mapping[str, str]):
    """Mean share of leads per part, stacked per policy: parts big enough carry their share,
    the total is written on top. Returns the totals, one per policy."""
    share = runs[list(parts)].div(runs["leads"], axis=0).groupby(runs["policy"]).mean()
    shares = share.reindex(policy_labels(results)).to_numpy(dtype=float)
    totals = _stack(ax, shares, list(parts.values()))
    for p, total in enumerate(totals):
        label_above(ax, percent(total, 3), (p, total), fontsize=8)
    colour_ticks(ax, results)
    handles, names = ax.get_legend_handles_labels()  # top part first, as the stack reads
    outside = {"loc": "upper left", "bbox_to_anchor": (1.0, 1.0)}
    ax.legend(handles[::-1], names[::-1], frameon=False, fontsize=8, **outside)
    ax.margins(y=0.1)
    value_axis(ax, "leakage_rate", "", "Leads leaked")
    return totals


def _stack(ax: Axes, shares: np.ndarray, names: list[str]) -> np.ndarray:
    """``shares`` (a row per policy, a column per part) as stacked bars, each part a shade of
    :data:`PARTS` and labelled where it is big enough; returns the stacks' heights."""
    shades = mpl.colormaps[PARTS](np.linspace(0.0, 1.0, len(names)))
    edge = {"edgecolor": "white", "linewidth": 0.8}
    bottom = np.zeros(shares.shape[0])
    for j, name in enumerate(names):
        bars = ax.bar(
            range(shares.shape[0]),
            shares[:, j],
            0.6,
            bottom=bottom,
            color=shades[j],
            label=name,
            **edge,
        )
        big = np.nan_to_num(shares[:, j]) >= 0.06 * np.nanmax(shares.sum(axis=1))
        ax.bar_label(
            bars,
            [percent(v, 2) if b else "" for v, b in zip(shares[:, j], big, strict=True)],
            label_type="center",
            fontsize=7,
            color="white" if j < len(names) / 2 else "black",
        )
        bottom += np.nan_to_num(shares[:, j])
    return bottom
