"""Figures of an experiment's results, for notebooks, ``funnelsim plot`` and the report.

Every figure is a function of a :class:`~funnelsim.Results`. One that fits on one set of axes
is ``name(results, ax=None, **options) -> Axes``; one that needs several panels is
``name(results, fig=None, **options) -> list[Axes]``. Without ``ax`` or ``fig`` a new
:class:`~matplotlib.figure.Figure` is made that pyplot does not know about, so nothing here
depends on pyplot's state or on a display: the figures render headless, in any backend.

A policy has the same colour in every figure (Okabe-Ito, safe for every colour vision; the
baseline always takes the first). Comparison figures show one sweep point (``point=0`` by
default); the sweep figures (:func:`factor_effect`, :func:`heatmap`) show every point.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from funnelsim.calendar import Calendar
from funnelsim.experiments import Results
from funnelsim.experiments.stats import direction, interval
from funnelsim.scenario.schema import CalendarSpec
from funnelsim.units import SECONDS_PER_UNIT, parse_duration

__all__ = [
    "FIGURES",
    "PALETTE",
    "READING",
    "available",
    "bookings_fan",
    "colours",
    "currency",
    "cycle",
    "factor_effect",
    "heatmap",
    "leakage",
    "money",
    "pipeline_fan",
    "revenue",
    "save_all",
    "sla_hours",
    "speed_to_lead",
    "utilisation",
    "waterfall",
]

PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000", "#f0e442")
"""Okabe-Ito, ordered so that the first few policies stay far apart; yellow, hard to see on
white, comes last."""

PARTS = "cividis"
"""The colour map for parts of a whole (leakage stacks) and heat maps: colour-blind safe,
and distinct from the policy colours, which stay reserved for policies."""

NAMES = {
    "bookings": "Revenue",
    "pipeline_created_value": "Pipeline created",
    "win_rate": "Win rate",
    "leakage_rate": "Leakage",
    "sla_compliance": "SLA compliance",
    "cost_per_won_deal": "Cost per won deal",
    "lead_to_close_days_p50": "Lead to close, median",
    "opportunity_age_days_p50": "Opportunity age, median",
    "speed_to_lead_hours_p50": "Speed to lead, median",
    "speed_to_lead_hours_p90": "Speed to lead, 90th percentile",
    "open_pipeline_value": "Open pipeline",
    "sdr_utilisation": "SDR utilisation",
    "ae_utilisation": "AE utilisation",
    "sdr_queue": "SDR queue",
    "final_mql_threshold": "MQL threshold at the end",
    "mqls": "MQLs",
    "sqls": "SQLs",
    "sals": "SALs",
}
"""What a metric is called on an axis; other metrics are named after their column."""

_MONEY = ("bookings", "pipeline_created_value", "open_pipeline_value", "lead_spend", "cost_")
_MONEY += ("average_deal",)
_SHARES = ("rate", "share", "compliance", "conversion", "utilisation")
UNITS = {
    "share": "%",
    "days": "days",
    "hours": "business hours",
    "score": "score points",
    "count": "count",
}
"""The unit on an axis, by kind of metric; money is in the scenario's currency."""

STAGES = {
    "leads": "Leads",
    "mqls": "MQLs",
    "sals": "SALs",
    "sqls": "SQLs",
    "opportunities": "Opportunities",
    "wins": "Wins",
}
LEAK_STAGES = {
    "leaked_in_nurture": "In nurture",
    "leaked_in_sdr": "At the SDR desk",
    "leaked_in_sales": "In sales",
}
LEAK_REASONS = {
    "leaked_never_worked": "Never worked",
    "leaked_cadence_exhausted": "Cadence exhausted",
    "leaked_rejected_dropped": "Rejected, dropped",
    "leaked_stalled_abandoned": "Stalled, abandoned",
    "leaked_unsubscribed": "Unsubscribed",
    "leaked_recycle_cap": "Recycle cap reached",
}
CYCLE = ("lead_to_close_days_p50", "opportunity_age_days_p50")
BANDS = ((5, 95, 0.15), (25, 75, 0.3))
"""Fan chart bands: (low percentile, high percentile, opacity): the 90% and the 50% band."""
LINE_STYLES = (
    {"linestyle": "-", "marker": "o"},
    {"linestyle": "--", "marker": "s"},
    {"linestyle": ":", "marker": "^"},
    {"linestyle": "-.", "marker": "D"},
    {"linestyle": (0, (5, 1, 1, 1, 1, 1)), "marker": "v"},
    {"linestyle": (0, (1, 3)), "marker": "P"},
)
"""Line styles for what colour cannot show (the second factor, percentiles): tell lines of
one policy apart without another colour."""
MAX_LINES = len(LINE_STYLES)
MAX_TICKS = 12
"""A whole-numbered factor (a headcount) with at most this many values gets a tick at each."""
FORMATS = ("png", "svg", "pdf")

READING = {
    "waterfall": "Each bar is the mean number of leads that reached a stage (log scale, so "
    "equal steps are equal conversion rates); the percentage above a bar is the conversion "
    "from the stage before, and the whiskers are 95% intervals.",
    "revenue": "Each dot is one replication and the bar is the mean; the right-hand panels "
    "pair each replication of a policy with the same replication of the baseline, and when "
    "the black 95% interval of that difference stays clear of zero the gap is not luck.",
    "pipeline_fan": "The line is the median open pipeline at each week's end after warm-up; "
    "the dark band holds half of the replications, the light band 90%.",
    "bookings_fan": "The line is the median revenue booked since the warm-up ended; the dark "
    "band holds half of the replications, the light band 90%; steeper is better.",
    "cycle": "Each dot is one replication's median cycle, overall and per segment, and the "
    "bar is the mean; lower is faster.",
    "leakage": "Each bar is the mean share of leads that leaked, split by where they leaked "
    "(left) and why (right); the number on top is the total leakage rate.",
    "speed_to_lead": "Left: the share of replications whose median (solid) or 90th "
    "percentile (dashed) response took at most x business hours, so further left is faster "
    "and the dotted line is the SLA; right: each replication's SLA compliance.",
    "utilisation": "Left: how busy SDRs and AEs were, one dot per replication; right: MQLs "
    "waiting for a first touch at each week's end (median, 50% and 90% bands), where a "
    "queue that keeps growing means the desk cannot keep up.",
    "factor_effect": "The line is the metric's mean at each value of the factor and the band "
    "its 95% interval; a level line means the factor does not matter over that range, and "
    "bands that do not overlap mean the step between two values is not luck.",
    "heatmap": "Each cell is the metric's mean at one combination of the two factors, dark "
    "for low and light for high; follow a row or a column to see one factor's effect with "
    "the other held fixed.",
}
"""One-line reading guide per figure, for the report and the docs."""


# --- The results: runs, policies, points -------------------------------------------------


def _labels(results: Results) -> list[str]:
    """Policy labels in order; the first is the baseline."""
    return list(results.manifest["policies"])


def colours(results: Results) -> dict[str, str]:
    """Each policy's colour, the same in every figure: the baseline takes the first."""
    return {label: PALETTE[k % len(PALETTE)] for k, label in enumerate(_labels(results))}


def currency(results: Results) -> str:
    """The scenario's currency code, e.g. ``USD``."""
    scenario = next(iter(results.manifest["scenario"].values()))
    return scenario["resolved"].get("currency", "")


def _factors(results: Results) -> list[str]:
    return list(results.manifest.get("factors") or [])


def _ok(results: Results, point: int) -> pd.DataFrame:
    """The runs of one sweep point that finished; failed ones have no figures to show."""
    points = results.manifest["points"]
    if not 0 <= point < len(points):
        raise ValueError(f"expected a point from 0 to {len(points) - 1}, got {point}")
    runs = results.runs
    return runs[(runs["point"] == point) & (runs["status"] == "ok")]


def _at(frame: pd.DataFrame, point: int) -> pd.DataFrame:
    return frame[frame["point"] == point]


def _where(results: Results, point: int) -> str:
    """' at sdr.headcount=5' for a sweep point, nothing for a plain comparison."""
    values = results.manifest["points"][point]
    return " at " + ", ".join(f"{k}={v}" for k, v in values.items()) if values else ""


def _replications(runs: pd.DataFrame | int) -> str:
    """'3 replications', '1 replication': how many runs a figure rests on."""
    n = runs if isinstance(runs, int) else int(runs["replication"].nunique())
    return f"{n} replication{'' if n == 1 else 's'}"


def _of(frame: pd.DataFrame, policy: int, column: str) -> np.ndarray:
    """One policy's values of a column, as floats."""
    return frame.loc[frame["policy"] == policy, column].to_numpy(dtype=float)


def _mean_interval(values: Iterable[float]) -> tuple[float, float, float]:
    """Mean and 95% interval; a sample too small for an interval gets a zero-width one."""
    mean, _, low, high = interval(np.asarray(values, dtype=float))
    return mean, low if low == low else mean, high if high == high else mean


def _median(values: np.ndarray) -> float:
    """The median of the finite values; NaN, quietly, when there are none."""
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else np.nan


def _errors(rows: Sequence[tuple[float, float, float]]) -> np.ndarray:
    """Matplotlib's (below, above) error lengths from (mean, low, high) rows."""
    mean, low, high = np.asarray(rows, dtype=float).T
    return np.nan_to_num(np.vstack([mean - low, high - mean]))


# --- Units and formats ----------------------------------------------------------------------


def _kind(metric: str) -> str:
    """money, share, days, hours, score or count: how a metric is measured."""
    if metric.startswith(_MONEY):
        return "money"
    if any(word in metric for word in _SHARES):
        return "share"
    if "_days" in metric:
        return "days"
    if "_hours" in metric:
        return "hours"
    return "score" if "threshold" in metric else "count"


def _name(metric: str) -> str:
    return NAMES.get(metric, metric.replace("_", " ").capitalize())


def _trim(x: float, significant: int | None = None) -> str:
    """Thousands separated, no trailing zeros: 12.5, 1,250, 0.25; at most two decimals, or
    ``significant`` digits (for values written on bars and cells, where 473.27 is noise)."""
    decimals = 2
    if significant is not None and x:
        decimals = max(0, significant - 1 - int(np.floor(np.log10(abs(x)))))
    if round(x, decimals) == 0:
        return "0"
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _short(x: float, significant: int | None = None) -> str:
    """12.5M, 250k, 950: large numbers in thousands, millions or billions."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return _trim(x / size, significant) + suffix
    return _trim(x, significant)


def money(x: float, code: str, significant: int | None = None) -> str:
    """An amount with its currency, thousands separated: ``USD 12.5M``, ``-USD 250k``."""
    if x != x:
        return "–"
    return f"{'-' if x < 0 else ''}{code} {_short(abs(x), significant)}".strip()


def _percent(x: float, significant: int | None = None) -> str:
    """A share as a percentage: 0.125 is 12.5%."""
    return f"{_trim(100 * x, significant)}%"


def _text(metric: str, x: float, code: str) -> str:
    """A metric's value written in its unit, for labels on bars and cells."""
    kind = _kind(metric)
    if x != x:
        return "–"
    if kind == "money":
        return money(x, code, 3)
    if kind == "share":
        return f"{100 * x:.1f}%"
    if kind in ("days", "hours"):
        return f"{x:,.1f} {kind[0]}"
    return _short(x, 3)


def _formatter(metric: str, code: str) -> ticker.Formatter:
    kind = _kind(metric)
    if kind == "money":
        return ticker.FuncFormatter(lambda x, _: money(x, code))
    if kind == "share":
        return ticker.FuncFormatter(lambda x, _: _percent(x))
    return ticker.FuncFormatter(lambda x, _: _trim(x))


def _unit(metric: str, code: str) -> str:
    kind = _kind(metric)
    return code if kind == "money" else UNITS[kind]


def _value_axis(ax: Axes, metric: str, code: str, name: str | None = None, axis: str = "y"):
    """Label an axis with the metric's name and unit, and write its ticks in that unit."""
    label = f"{name or _name(metric)} ({_unit(metric, code)})"
    getattr(ax, f"set_{axis}label")(label)
    getattr(ax, f"{axis}axis").set_major_formatter(_formatter(metric, code))


def _log_axis(ax: Axes, values: np.ndarray, axis: str = "x") -> bool:
    """A log scale when every value is positive and they span more than a factor of ten."""
    values = values[np.isfinite(values)]
    if not values.size or values.min() <= 0 or values.max() / values.min() <= 10:
        return False
    getattr(ax, f"set_{axis}scale")("log")
    target = getattr(ax, f"{axis}axis")
    target.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    target.set_major_formatter(ticker.FuncFormatter(lambda x, _: _trim(x)))
    target.set_minor_formatter(ticker.NullFormatter())
    return True


# --- Layout and style -----------------------------------------------------------------------


def _tidy(ax: Axes, grid: str | None = "y") -> Axes:
    """No chart junk: no top or right frame, a faint grid along the value axis only."""
    ax.spines[["top", "right"]].set_visible(False)
    if grid:
        ax.grid(axis=grid, color="0.9", linewidth=0.8)
        ax.set_axisbelow(True)
    return ax


def _axes(ax: Axes | None, size: tuple[float, float] = (8.0, 4.8), grid: str | None = "y"):
    """The caller's axes, or the only axes of a new headless figure."""
    if ax is None:
        ax = Figure(figsize=size, layout="constrained").add_subplot()
    return _tidy(ax, grid)


def _panels(fig: Figure | None, rows: int, cols: int, size: tuple[float, float]) -> list[Axes]:
    """A grid of panels on the caller's figure or a new headless one, row by row."""
    fig = fig if fig is not None else Figure(figsize=size, layout="constrained")
    return [_tidy(ax) for ax in fig.subplots(rows, cols, squeeze=False).ravel()]


def _title(target: Axes | Figure, headline: str, detail: str) -> None:
    """What the figure shows, then how it is drawn, in smaller print."""
    text = f"{headline}\n{detail}"
    if isinstance(target, Figure):
        target.suptitle(text, fontsize=11)
    else:
        target.set_title(text, fontsize=10)


def _legend(ax: Axes, results: Results, **options: Any) -> Any:
    """The policies' colours, in policy order."""
    handles = [Patch(color=c, label=label) for label, c in colours(results).items()]
    return ax.legend(handles=handles, frameon=False, **options)


def _style_legend(ax: Axes, styles: Mapping[str, Mapping[str, Any]], **options: Any) -> None:
    """A second legend, in grey, for line styles; the policy legend stays ``ax.get_legend()``."""
    handles = [Line2D([], [], color="0.35", label=k, **style) for k, style in styles.items()]
    ax.add_artist(ax.legend(handles=handles, frameon=False, **options))


def _offsets(n: int, span: float = 0.8) -> tuple[np.ndarray, float]:
    """Offsets and width of ``n`` items side by side within one category."""
    width = span / n
    return (np.arange(n) - (n - 1) / 2) * width, width


def _categories(ax: Axes, names: Sequence[str], axis: str = "x") -> None:
    getattr(ax, f"set_{axis}ticks")(range(len(names)), list(names))


def _colour_ticks(ax: Axes, results: Results) -> None:
    """Policy names on the x axis, each in its policy's colour."""
    _categories(ax, _labels(results))
    for tick, c in zip(ax.get_xticklabels(), colours(results).values(), strict=True):
        tick.set_color(c)


def _pretty(name: str) -> str:
    """'mid_market' as 'Mid market', 'smb' as 'SMB'."""
    return name.upper() if len(name) <= 3 else name.replace("_", " ").capitalize()


def _phrase(items: Mapping[str, str]) -> str:
    """'aligned 12, misaligned 9' from {label: text}."""
    return ", ".join(f"{label} {text}" for label, text in items.items())


# --- Shared drawings ------------------------------------------------------------------------


def _spread(ax: Axes, x: float, values: np.ndarray, colour: str, width: float = 0.7) -> None:
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


def _by_policy(ax: Axes, results: Results, runs: pd.DataFrame, metric: str) -> None:
    """A metric's distribution over replications, one column per policy."""
    for k, c in enumerate(colours(results).values()):
        _spread(ax, k, _of(runs, k, metric), c)
    _colour_ticks(ax, results)


def _grouped(
    ax: Axes,
    results: Results,
    categories: Sequence[str],
    sample: Callable[[int, int], np.ndarray],
) -> None:
    """Distributions per category (x) and policy (side by side): ``sample(category, policy)``."""
    offsets, width = _offsets(len(_labels(results)))
    for i in range(len(categories)):
        for k, c in enumerate(colours(results).values()):
            _spread(ax, i + offsets[k], sample(i, k), c, width=width * 0.9)
    _categories(ax, categories)
    _legend(ax, results)


def _fan(ax: Axes, results: Results, column: str, point: int, cumulative: bool = False):
    """Median line and 50%/90% bands per policy of a weekly series after warm-up.

    Levels are taken at each week's end, so the x axis is the date each week ends.
    """
    weekly = _at(results.weekly, point)
    weekly = weekly[~weekly["warmup"].astype(bool)]
    ends = {}
    for k, c in enumerate(colours(results).values()):
        wide = weekly[weekly["policy"] == k].pivot(
            index="week_start", columns="replication", values=column
        )
        wide = wide.sort_index().cumsum() if cumulative else wide.sort_index()
        x = pd.to_datetime(wide.index) + pd.Timedelta(days=7)
        values = wide.to_numpy(dtype=float)
        for low, high, alpha in BANDS:
            edges = np.nanpercentile(values, [low, high], axis=1)
            ax.fill_between(x, *edges, color=c, alpha=alpha, linewidth=0)
        median = np.nanmedian(values, axis=1)
        ax.plot(x, median, color=c, linewidth=2)
        ends[_labels(results)[k]] = median[-1] if median.size else np.nan
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("Week ending")
    _legend(ax, results, loc="upper left")
    return ends


_FAN_DETAIL = "Line: median of {n}; bands hold the middle 50% and 90%; after warm-up"


def _fan_figure(results: Results, ax: Axes | None, point: int, column: str, cumulative: bool):
    """A one-panel fan chart with a title that reads off each policy's last median."""
    ax = _axes(ax)
    code = currency(results)
    ends = _fan(ax, results, column, point, cumulative)
    name = "Revenue booked since warm-up" if cumulative else _name(column)
    _value_axis(ax, column, code, name)
    last = {label: _text(column, v, code) for label, v in ends.items()}
    _title(
        ax,
        f"{name}{_where(results, point)}: {_phrase(last)} at the end (medians)",
        _FAN_DETAIL.format(n=_replications(_ok(results, point))),
    )
    return ax


def _paired(runs: pd.DataFrame, metric: str, policy: int) -> np.ndarray:
    """A policy's metric minus the baseline's, replication by replication."""
    wide = runs.pivot(index="replication", columns="policy", values=metric)
    return (wide[policy] - wide[0]).dropna().to_numpy(dtype=float)


def _differences(ax: Axes, results: Results, runs: pd.DataFrame, metric: str) -> None:
    """The paired differences from the baseline: every replication, the mean and its interval."""
    labels, code = _labels(results), currency(results)
    for k, c in enumerate(list(colours(results).values())[1:], start=1):
        diff = _paired(runs, metric, k)
        _spread(ax, k - 1, diff, c)
        row = _mean_interval(diff)
        ax.errorbar(k - 1 + 0.4, row[0], yerr=_errors([row]), fmt="o", color="black")
    ax.axhline(0, color="0.3", linewidth=1)
    _categories(ax, [f"{label}\nminus {labels[0]}" for label in labels[1:]])
    _value_axis(ax, metric, code, f"{_name(metric)} difference")
    ax.set_xlim(-0.6, len(labels) - 1.0)
    ax.set_title("Paired difference from the baseline (black: mean, 95% interval)", fontsize=9)


def _verdict(runs: pd.DataFrame, results: Results, metric: str, more: str, less: str) -> str:
    """'aligned books more than misaligned' when the 95% interval of the paired difference
    excludes zero, 'no clear difference' when it does not (or when it cannot be known)."""
    labels, parts = _labels(results), []
    for k in range(1, len(labels)):
        _, _, low, high = interval(_paired(runs, metric, k))
        if low > 0:
            parts.append(f"{labels[k]} {more} {labels[0]}")
        elif high < 0:
            parts.append(f"{labels[k]} {less} {labels[0]}")
        else:
            parts.append(f"no clear difference between {labels[k]} and {labels[0]}")
    return "; ".join(parts) or labels[0]


# --- The comparison figures -----------------------------------------------------------------


def waterfall(results: Results, ax: Axes | None = None, *, point: int = 0) -> Axes:
    """Leads reaching each stage, policies side by side, with conversion between stages.

    Bars are means over replications with 95% intervals; the y axis is logarithmic so that
    the few wins stay visible next to thousands of leads, and equal steps mean equal rates.
    """
    ax = _axes(ax)
    runs = _ok(results, point)
    offsets, width = _offsets(len(_labels(results)))
    x = np.arange(len(STAGES))
    overall = {}
    for k, (label, c) in enumerate(colours(results).items()):
        rows = [_mean_interval(_of(runs, k, s)) for s in STAGES]
        means = np.array([r[0] for r in rows])
        ax.bar(
            x + offsets[k],
            means,
            width,
            color=c,
            label=label,
            yerr=_errors(rows),
            error_kw={"ecolor": "0.3", "elinewidth": 1, "capsize": 2},
        )
        for j in range(1, len(STAGES)):
            top = max(rows[j][0], rows[j][2])
            rate = means[j] / means[j - 1] if means[j - 1] else np.nan
            ax.annotate(
                f"{100 * rate:.0f}%" if rate == rate else "–",
                (x[j] + offsets[k], top),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
                color="0.2",
            )
        overall[label] = f"{100 * means[-1] / means[0]:.2f}%" if means[0] else "–"
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: _trim(v)))
    ax.set_ylabel("Leads reaching the stage (count, log scale)")
    _categories(ax, list(STAGES.values()))
    _legend(ax, results, loc="upper right")
    _title(
        ax,
        f"Funnel by stage{_where(results, point)}: leads won, {_phrase(overall)}",
        f"Mean of {_replications(runs)} with 95% intervals; "
        "above each bar, the conversion from the stage before",
    )
    return ax


def revenue(results: Results, fig: Figure | None = None, *, point: int = 0) -> list[Axes]:
    """Revenue and pipeline created per replication, and the paired differences.

    Returns the axes row by row: revenue, then pipeline created; with two or more policies
    each row has a second panel, each policy minus the baseline replication by replication.
    """
    runs = _ok(results, point)
    cols = 2 if len(_labels(results)) > 1 else 1
    axes = _panels(fig, 2, cols, (5.0 * cols + 1, 7.5))
    code = currency(results)
    for row, metric in enumerate(("bookings", "pipeline_created_value")):
        ax = axes[row * cols]
        _by_policy(ax, results, runs, metric)
        _value_axis(ax, metric, code)
        ax.set_title(f"{_name(metric)} per replication (bar: mean)", fontsize=9)
        if cols == 2:
            _differences(axes[row * cols + 1], results, runs, metric)
    verdict = _verdict(runs, results, "bookings", "books more than", "books less than")
    _title(
        axes[0].figure,
        f"Revenue per replication{_where(results, point)}: {verdict}",
        f"{_replications(runs)}; policies meet the same leads in each "
        "(common random numbers), so differences are paired",
    )
    return axes


def pipeline_fan(results: Results, ax: Axes | None = None, *, point: int = 0) -> Axes:
    """Open pipeline value at each week's end after warm-up: median and 50%/90% bands."""
    return _fan_figure(results, ax, point, "open_pipeline_value", cumulative=False)


def bookings_fan(results: Results, ax: Axes | None = None, *, point: int = 0) -> Axes:
    """Revenue booked since warm-up, week by week: median and 50%/90% bands.

    With a warm-up of whole weeks (the usual case) the last week's values are the runs'
    ``bookings``.
    """
    return _fan_figure(results, ax, point, "bookings", cumulative=True)


def cycle(results: Results, fig: Figure | None = None, *, point: int = 0) -> list[Axes]:
    """Cycle length per replication: lead to close and opportunity age (medians per run),
    overall and per segment, policies side by side. Returns the two panels."""
    runs = _ok(results, point)
    groups = _at(results.groups, point)
    segments = groups[groups["group"] == "segment"]
    names = list(dict.fromkeys(segments["name"]))
    frames = [runs, *(segments[segments["name"] == n] for n in names)]
    categories = ["All", *map(_pretty, names)]
    axes = _panels(fig, 1, 2, (12.0, 4.8))
    code = currency(results)
    for ax, metric in zip(axes, CYCLE, strict=True):
        _grouped(
            ax,
            results,
            categories,
            lambda i, k, m=metric: _of(frames[i], k, m),
        )
        _value_axis(ax, metric, code)
        ax.set_title(f"{_name(metric)}, per replication", fontsize=9)
    means = {
        label: _text(CYCLE[0], _mean_interval(_of(runs, k, CYCLE[0]))[0], code)
        for k, label in enumerate(_labels(results))
    }
    _title(
        axes[0].figure,
        f"Lead to close{_where(results, point)}: {_phrase(means)} (mean of medians)",
        f"Each dot is one replication ({_replications(runs)}); bar: mean; "
        "violin: the spread when there are enough replications",
    )
    return axes


def _stacked(ax: Axes, results: Results, runs: pd.DataFrame, parts: Mapping[str, str]):
    """Mean share of leads per part, stacked per policy: parts big enough carry their share,
    the total is written on top. Returns the totals, one per policy."""
    policies = range(len(_labels(results)))
    share = runs[list(parts)].div(runs["leads"], axis=0).groupby(runs["policy"]).mean()
    shares = share.reindex(policies).to_numpy(dtype=float)
    shades = mpl.colormaps[PARTS](np.linspace(0.0, 1.0, len(parts)))
    bottom = np.zeros(len(policies))
    for j, name in enumerate(parts.values()):
        bars = ax.bar(
            policies,
            shares[:, j],
            0.6,
            bottom=bottom,
            color=shades[j],
            label=name,
            edgecolor="white",
            linewidth=0.8,
        )
        big = np.nan_to_num(shares[:, j]) >= 0.06 * np.nanmax(shares.sum(axis=1))
        ax.bar_label(
            bars,
            [_percent(v, 2) if b else "" for v, b in zip(shares[:, j], big, strict=True)],
            label_type="center",
            fontsize=7,
            color="white" if j < len(parts) / 2 else "black",
        )
        bottom += np.nan_to_num(shares[:, j])
    for p, total in enumerate(bottom):
        ax.annotate(
            _percent(total, 3),
            (p, total),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    _colour_ticks(ax, results)
    handles, names = ax.get_legend_handles_labels()
    ax.legend(
        handles[::-1],
        names[::-1],
        frameon=False,
        fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
    )
    ax.margins(y=0.1)
    _value_axis(ax, "leakage_rate", "", "Leads leaked")
    return bottom


def leakage(results: Results, fig: Figure | None = None, *, point: int = 0) -> list[Axes]:
    """Leakage as a share of leads, stacked by stage (left) and by reason (right), per policy.

    Stacks are mean shares over replications, so each total is the mean leakage rate.
    """
    runs = _ok(results, point)
    axes = _panels(fig, 1, 2, (12.0, 4.8))
    for ax, (title, parts) in zip(
        axes, (("Where leads leaked", LEAK_STAGES), ("Why leads leaked", LEAK_REASONS)), strict=True
    ):
        totals = _stacked(ax, results, runs, parts)
        ax.set_title(title, fontsize=9)
    rates = {label: _percent(t, 3) for label, t in zip(_labels(results), totals, strict=True)}
    _title(
        axes[0].figure,
        f"Leakage{_where(results, point)}: {_phrase(rates)} of leads leaked",
        f"Mean share of leads over {_replications(runs)}",
    )
    return axes


def _sla(results: Results, label: str, point: int) -> tuple[str, float]:
    """A policy's SLA response time at a point, as written and in business hours."""
    resolved = results.manifest["scenario"][label]["resolved"]
    values = results.manifest["points"][point]
    text = values.get("sla.response_time", resolved["sla"]["response_time"])
    spec = dict(resolved["calendar"])
    spec |= {k.split(".", 1)[1]: v for k, v in values.items() if k.startswith("calendar.")}
    calendar = Calendar.from_spec(
        CalendarSpec.model_validate(spec), dt.date.fromisoformat(str(resolved["start_date"]))
    )
    return str(text), calendar.open_time(str(text)) * 24.0


def sla_hours(results: Results, point: int = 0) -> dict[str, float]:
    """Each policy's SLA response time at a point, in business hours.

    Speed to lead is measured on the business clock, so a ``1h`` SLA is one open hour and a
    ``1d`` SLA is one working day (8 hours with the default calendar), not 24.
    """
    return {label: _sla(results, label, point)[1] for label in _labels(results)}


def _sla_lines(ax: Axes, results: Results, point: int) -> None:
    """A dotted vertical line per distinct SLA, in the colour of the only policy that has it."""
    by_limit: dict[tuple[str, float], list[str]] = {}
    for label in _labels(results):
        by_limit.setdefault(_sla(results, label, point), []).append(label)
    for (text, hours), labels in by_limit.items():
        c = colours(results)[labels[0]] if len(labels) == 1 else "0.2"
        ax.axvline(hours, color=c, linestyle=":", linewidth=1.5, zorder=1)
        note = f"SLA {text}" + ("" if hours == parse_duration(text) * 24 else f" = {hours:g} h")
        note += "" if len(labels) == len(_labels(results)) else f" ({', '.join(labels)})"
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


_P50 = "speed_to_lead_hours_p50"
_PERCENTILES = {_P50: ("median", "-"), "speed_to_lead_hours_p90": ("90th percentile", "--")}
"""The per-run percentiles of speed to lead drawn as ECDFs, and their line styles."""


def speed_to_lead(results: Results, fig: Figure | None = None, *, point: int = 0) -> list[Axes]:
    """Speed to lead as an ECDF over replications with the SLA marked (left), and each
    replication's SLA compliance per policy (right). Returns the two panels.

    Times are business hours from MQL to first touch; each policy is judged against its own
    SLA, at its own point of a sweep.
    """
    runs = _ok(results, point)
    ax, right = _panels(fig, 1, 2, (12.0, 4.8))
    for k, c in enumerate(colours(results).values()):
        for column, (_, style) in _PERCENTILES.items():
            values = _of(runs, k, column)
            values = values[np.isfinite(values)]
            if values.size:
                ax.ecdf(values, color=c, linestyle=style, linewidth=1.8)
    _log_axis(ax, runs[list(_PERCENTILES)].to_numpy(dtype=float).ravel())
    _sla_lines(ax, results, point)
    ax.set_xlabel("Speed to lead (business hours from MQL to first touch)")
    ax.set_ylabel("Replications at or below (%)")
    ax.yaxis.set_major_formatter(_formatter("share", ""))
    styles = {f"{name} per replication": {"linestyle": s} for name, s in _PERCENTILES.values()}
    _style_legend(ax, styles, loc="lower right", fontsize=8)
    _legend(ax, results, loc="best")
    ax.set_title("Speed to lead across replications (dotted: SLA)", fontsize=9)
    _by_policy(right, results, runs, "sla_compliance")
    _value_axis(right, "sla_compliance", "")
    right.set_title("SLA compliance per replication (bar: mean)", fontsize=9)
    medians = {
        label: _text(_P50, _median(_of(runs, k, _P50)), "")
        for k, label in enumerate(_labels(results))
    }
    _title(
        ax.figure,
        f"Speed to lead{_where(results, point)}: median response {_phrase(medians)} "
        "(median over replications)",
        f"{_replications(runs)}; business hours; each policy judged against its own SLA",
    )
    return [ax, right]


def utilisation(results: Results, fig: Figure | None = None, *, point: int = 0) -> list[Axes]:
    """SDR and AE utilisation per replication (left) and the SDR queue by week (right).

    Returns the two panels. A desk near 100% busy with a growing queue is the bottleneck.
    """
    runs = _ok(results, point)
    left, right = _panels(fig, 1, 2, (12.0, 4.8))
    columns = ("sdr_utilisation", "ae_utilisation")
    _grouped(
        left,
        results,
        ["SDRs", "AEs"],
        lambda i, k: _of(runs, k, columns[i]),
    )
    _value_axis(left, "sdr_utilisation", "", "Utilisation")
    left.set_title("Utilisation per replication (bar: mean)", fontsize=9)
    _fan(right, results, "sdr_queue", point)
    right.set_ylabel("MQLs waiting for a first touch (count)")
    right.yaxis.set_major_formatter(_formatter("sdr_queue", ""))
    right.set_title(_FAN_DETAIL.format(n=_replications(runs)), fontsize=9)
    busy = {
        label: _percent(_mean_interval(_of(runs, k, columns[0]))[0], 2)
        for k, label in enumerate(_labels(results))
    }
    _title(
        left.figure,
        f"Utilisation and queue{_where(results, point)}: SDRs busy {_phrase(busy)} (means)",
        "SDR utilisation: share of open time spent on attempts; AE utilisation: share of "
        "opportunity slots in use",
    )
    return [left, right]


# --- The sweep figures ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Levels:
    """A factor's values in display order and where each sits on its axis.

    Numbers sit at their value. Text (durations such as 1h, 4h; booleans; names) are
    categories in the order the experiment lists them, except durations too many to list
    (a Latin hypercube), which sit at their length in their common unit.
    """

    factor: str
    values: tuple[Any, ...]
    numeric: bool
    unit: str = ""

    @classmethod
    def of(cls, results: Results, factor: str) -> _Levels:
        values = tuple(dict.fromkeys(p[factor] for p in results.manifest["points"]))
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            return cls(factor, tuple(sorted(values)), True)
        unit = _common_unit(values)
        if unit and len(values) > MAX_LINES:
            return cls(factor, tuple(sorted(values, key=parse_duration)), True, unit)
        return cls(factor, values, False)

    def position(self, value: Any) -> float:
        if not self.numeric:
            return float(self.values.index(value))
        if self.unit:
            return parse_duration(value) * SECONDS_PER_UNIT["d"] / SECONDS_PER_UNIT[self.unit]
        return float(value)

    def label(self) -> str:
        return f"{self.factor} ({self.unit})" if self.unit else self.factor

    def apply(self, ax: Axes, axis: str = "x") -> None:
        """Name the axis; categories get one tick each."""
        getattr(ax, f"set_{axis}label")(self.label())
        if not self.numeric:
            _categories(ax, [str(v) for v in self.values], axis)
        elif (
            not self.unit
            and len(self.values) <= MAX_TICKS
            and all(float(v).is_integer() for v in self.values)
        ):
            getattr(ax, f"set_{axis}ticks")([self.position(v) for v in self.values])


def _common_unit(values: Sequence[Any]) -> str:
    """The unit letter all values share if every one is a duration, else ''."""
    try:
        for v in values:
            parse_duration(v)
    except ValueError:
        return ""
    units = {v.strip()[-1] for v in values}
    return units.pop() if len(units) == 1 else ""


def _sweep_factors(results: Results, least: int, most: int) -> list[str]:
    factors = _factors(results)
    if not least <= len(factors) <= most:
        wanted = f"{least}" if least == most else f"{least} or {most}"
        raise ValueError(f"expected a sweep of {wanted} factors, got {len(factors)}")
    return factors


def _means(results: Results, metric: str) -> pd.DataFrame:
    """Per policy and point: the metric's mean and 95% interval, and the point's factors."""
    runs = results.runs[results.runs["status"] == "ok"]
    if metric not in runs:
        raise ValueError(f"unknown metric {metric!r}; expected a column of results.runs")
    points = results.manifest["points"]
    rows = []
    for (policy, point), group in runs.groupby(["policy", "point"], sort=True):
        mean, low, high = _mean_interval(group[metric])
        rows.append(
            {
                "policy": policy,
                "point": point,
                **points[point],
                "mean": mean,
                "ci_low": low,
                "ci_high": high,
                "n": len(group),
            }
        )
    return pd.DataFrame(rows)


def _fewest(table: pd.DataFrame) -> int:
    """The fewest replications behind any mean of a :func:`_means` table."""
    return int(table["n"].min()) if len(table) else 0


def factor_effect(
    results: Results,
    metric: str = "bookings",
    factor: str | None = None,
    *,
    ax: Axes | None = None,
) -> Axes:
    """A metric against one factor of a sweep: means with 95% interval bands, one colour per
    policy. In a two-factor sweep each value of the other factor gets its own line style
    (when there are few enough values; otherwise its values are not told apart)."""
    factors = _sweep_factors(results, 1, 2)
    factor = factor or factors[0]
    if factor not in factors:
        raise ValueError(f"unknown factor {factor!r}; expected one of {factors}")
    ax = _axes(ax, grid="both")
    levels = _Levels.of(results, factor)
    other = next((f for f in factors if f != factor), None)
    others = _Levels.of(results, other).values if other else (None,)
    if len(others) > MAX_LINES:
        others = (None,)
    table = _means(results, metric)
    for k, c in enumerate(colours(results).values()):
        for value, style in zip(others, LINE_STYLES, strict=False):
            rows = table[table["policy"] == k]
            rows = rows if value is None else rows[rows[other] == value]
            x = np.array([levels.position(v) for v in rows[factor]])
            order = np.argsort(x, kind="stable")
            rows, x = rows.iloc[order], x[order]
            ax.plot(x, rows["mean"], color=c, linewidth=1.8, markersize=5, **style)
            ax.fill_between(x, rows["ci_low"], rows["ci_high"], color=c, alpha=0.15, lw=0)
    levels.apply(ax)
    _value_axis(ax, metric, currency(results))
    if others != (None,):
        _style_legend(
            ax,
            {f"{other}={v}": s for v, s in zip(others, LINE_STYLES, strict=False)},
            loc="lower right",
            fontsize=8,
        )
    _legend(ax, results, loc="best")
    _title(
        ax,
        f"{_name(metric)} against {factor}",
        f"Mean and 95% interval of {_replications(_fewest(table))} per point"
        + (f"; one line style per {other}" if others != (None,) else ""),
    )
    return ax


def heatmap(
    results: Results,
    metric: str = "bookings",
    x: str | None = None,
    y: str | None = None,
    *,
    policy: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A metric's mean over two factors of a grid sweep, as colour with values written in.

    Shows one policy (the first, unless ``policy`` names another): a cell is the mean over
    that point's replications, the same number as the summary's mean.
    """
    factors = _sweep_factors(results, 2, 2)
    x = x or next(f for f in factors if f != y)
    y = y or next(f for f in factors if f != x)
    if {x, y} != set(factors):
        raise ValueError(f"expected x and y to be the two factors {factors}, got {x!r}, {y!r}")
    label = policy or _labels(results)[0]
    if label not in _labels(results):
        raise ValueError(f"unknown policy {label!r}; expected one of {_labels(results)}")
    ax = _axes(ax, (7.5, 5.5), grid=None)
    columns, rows = _Levels.of(results, x), _Levels.of(results, y)
    table = _means(results, metric)
    table = table[table["policy"] == _labels(results).index(label)]
    grid = np.full((len(rows.values), len(columns.values)), np.nan)
    for _, row in table.iterrows():
        grid[rows.values.index(row[y]), columns.values.index(row[x])] = row["mean"]
    image = ax.imshow(grid, cmap=PARTS, aspect="auto", origin="lower")
    code = currency(results)
    norm = image.norm
    for (i, j), v in np.ndenumerate(grid):
        shade = "black" if v == v and norm(v) > 0.55 else "white"
        ax.text(j, i, _text(metric, v, code), ha="center", va="center", fontsize=8, color=shade)
    for levels, axis in ((columns, "x"), (rows, "y")):
        getattr(ax, f"set_{axis}label")(levels.factor)
        _categories(ax, [str(v) for v in levels.values], axis)
    bar = ax.figure.colorbar(image, ax=ax, format=_formatter(metric, code))
    bar.set_label(f"{_name(metric)} ({_unit(metric, code)})")
    bar.outline.set_visible(False)
    ax.spines[:].set_visible(False)
    _title(
        ax,
        f"{_name(metric)} by {x} and {y} ({label})",
        f"Mean of {_replications(_fewest(table))} per cell; "
        f"best: {_best(table, metric, x, y, code)}",
    )
    return ax


def _best(table: pd.DataFrame, metric: str, x: str, y: str, code: str) -> str:
    """The best cell, e.g. 'USD 1.2M at sdr.headcount=5, sla.response_time=1h'."""
    ranked = table.dropna(subset=["mean"])
    if ranked.empty:
        return "–"
    row = ranked.loc[(ranked["mean"] * direction(metric)).idxmax()]
    return f"{_text(metric, row['mean'], code)} at {x}={row[x]}, {y}={row[y]}"


# --- All figures ----------------------------------------------------------------------------

FIGURES: dict[str, Callable[..., Any]] = {
    "waterfall": waterfall,
    "revenue": revenue,
    "pipeline_fan": pipeline_fan,
    "bookings_fan": bookings_fan,
    "cycle": cycle,
    "leakage": leakage,
    "speed_to_lead": speed_to_lead,
    "utilisation": utilisation,
    "factor_effect": factor_effect,
    "heatmap": heatmap,
}
"""Every figure by name, in the order a report shows them."""

COMPARISON = tuple(name for name in FIGURES if name not in ("factor_effect", "heatmap"))


def available(results: Results) -> list[str]:
    """The figures that apply: the comparison figures always (at point 0 of a sweep), the
    factor plot for sweeps of one or two factors, the heat map for a grid of two."""
    factors = _factors(results)
    names = list(COMPARISON)
    if 1 <= len(factors) <= 2:
        names.append("factor_effect")
    if len(factors) == 2 and results.manifest["experiment"].get("design", "grid") == "grid":
        names.append("heatmap")
    return names


def _figure_of(drawn: Axes | Sequence[Axes] | Figure) -> Figure:
    if isinstance(drawn, Figure):
        return drawn
    return (drawn if isinstance(drawn, Axes) else drawn[0]).figure


def save_all(
    results: Results,
    folder: str | Path,
    names: Sequence[str] | None = None,
    fmt: str = "png",
    *,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    dpi: int = 150,
) -> list[Path]:
    """Write figures to ``folder/<name>.<fmt>`` and return their paths.

    ``names`` defaults to :func:`available`; ``options`` passes keyword arguments to single
    figures, e.g. ``{"factor_effect": {"metric": "sla_compliance"}}``. Each figure is freed
    once written (they are not registered with pyplot, so nothing else holds them).
    """
    if fmt not in FORMATS:
        raise ValueError(f"expected a format in {FORMATS}, got {fmt!r}")
    names = list(available(results) if names is None else names)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figure(s) {unknown}; expected some of {list(FIGURES)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        figure = _figure_of(FIGURES[name](results, **dict((options or {}).get(name, {}))))
        path = folder / f"{name}.{fmt}"
        figure.savefig(path, format=fmt, dpi=dpi)
        figure.clear()
        paths.append(path)
    return paths
