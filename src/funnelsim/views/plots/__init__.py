"""Figures of an experiment's results, for notebooks, ``funnelsim plot`` and the report.

Every figure is a function of a :class:`~funnelsim.Results`. One that fits on one set of axes
is ``name(results, ax=None, **options) -> Axes``; one that needs several panels is
``name(results, fig=None, **options) -> list[Axes]``. Without ``ax`` or ``fig`` a new
:class:`~matplotlib.figure.Figure` is made that pyplot does not know about, so nothing here
depends on pyplot's state or on a display: the figures render headless, in any backend.

An SLA stress test's figures (:func:`clause_compliance`, :func:`compliance_by_headcount`)
draw its verdict, a :class:`~funnelsim.results.SlaResults`; through :data:`FIGURES` they take the
stress test's :class:`~funnelsim.Results` like the others and find ``sla.json`` beside them.

A policy has the same colour in every figure (Okabe-Ito, safe for every colour vision; the
baseline always takes the first). Comparison figures show one sweep point (``point=0`` by
default); the sweep figures (:func:`factor_effect`, :func:`heatmap`) show every point.

This module is the registry: every figure by name (:data:`FIGURES`), how to read it
(:data:`READING`), which apply to an experiment (:func:`available`), and writing them
(:func:`save_all`). The figures themselves are in :mod:`~funnelsim.views.plots.comparison`
(funnel, revenue, lead to close, leakage), :mod:`~funnelsim.views.plots.series` (weekly fan charts,
utilisation), :mod:`~funnelsim.views.plots.sla` (speed to lead), :mod:`~funnelsim.views.plots.sweep`
(factor effect, heat map), :mod:`~funnelsim.views.plots.stress` (an SLA stress test),
:mod:`~funnelsim.views.plots.sensitivity` (indices, and a Sobol' study's convergence) and
:mod:`~funnelsim.views.plots.discovery` (where a condition holds); what
they share is in :mod:`~funnelsim.views.plots.style` (colours, axes, titles),
:mod:`~funnelsim.views.plots.words` (names, units, the words of titles),
:mod:`~funnelsim.views.plots.data` (reading the results) and :mod:`~funnelsim.views.plots.spread`
(a sample of replications).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from funnelsim.results import Results
from funnelsim.results.discovery import CASES, FILE
from funnelsim.views.formats import currency, money

# ``NAME as NAME``: importable from here as before the split, though outside ``__all__``.
from funnelsim.views.plots.comparison import LEAK_REASONS as LEAK_REASONS
from funnelsim.views.plots.comparison import LEAK_STAGES as LEAK_STAGES
from funnelsim.views.plots.comparison import STAGES as STAGES
from funnelsim.views.plots.comparison import TO_CLOSE as TO_CLOSE
from funnelsim.views.plots.comparison import lead_to_close, leakage, revenue, waterfall
from funnelsim.views.plots.data import factor_names
from funnelsim.views.plots.discovery import discovery
from funnelsim.views.plots.explain import contributions
from funnelsim.views.plots.sensitivity import sensitivity, sobol_convergence, studied
from funnelsim.views.plots.series import BANDS as BANDS
from funnelsim.views.plots.series import bookings_fan, pipeline_fan, utilisation
from funnelsim.views.plots.sla import sla_hours, speed_to_lead
from funnelsim.views.plots.stress import (
    clause_compliance,
    compliance_by_headcount,
    on_sla,
    sla_results,
)
from funnelsim.views.plots.style import PALETTE, colours
from funnelsim.views.plots.style import PARTS as PARTS
from funnelsim.views.plots.sweep import LINE_STYLES as LINE_STYLES
from funnelsim.views.plots.sweep import MAX_LINES as MAX_LINES
from funnelsim.views.plots.sweep import MAX_TICKS as MAX_TICKS
from funnelsim.views.plots.sweep import factor_effect, heatmap

__all__ = [
    "FIGURES",
    "PALETTE",
    "READING",
    "available",
    "bookings_fan",
    "clause_compliance",
    "colours",
    "compliance_by_headcount",
    "contributions",
    "currency",
    "discovery",
    "factor_effect",
    "heatmap",
    "lead_to_close",
    "leakage",
    "money",
    "pipeline_fan",
    "revenue",
    "save_all",
    "sensitivity",
    "sla_hours",
    "sla_results",
    "sobol_convergence",
    "speed_to_lead",
    "utilisation",
    "waterfall",
]

FORMATS = ("png", "svg", "pdf")

READING = {
    "clause_compliance": "Each row is one condition, grouped by clause: the dot is the chance "
    "the clause holds in a period (the share of periods it held, averaged over replications), "
    "the whiskers its 95% interval and the number at the right the proposal's chance; a dot "
    "in the shaded area, left of the dotted target, is a clause that condition breaks, and the "
    "baseline's diamond shows how far the proposal moves it.",
    "compliance_by_headcount": "Each point is the chance the first-touch clause holds in a "
    "period with that many SDRs, from the capacity search, with its 95% interval; filled "
    "points reach the dotted target, the solid line marks the fewest SDRs that do and the "
    "dashed one the proposal's own headcount.",
    "waterfall": "Each bar is the mean number of leads that reached a stage (log scale, so "
    "equal steps are equal conversion rates); the percentage above a bar is the conversion "
    "from the stage before, and the whiskers are 95% intervals. The last bar counts the "
    "window's leads that were won, whenever they closed; revenue and the win rate count the "
    "deals closed in the window, from leads of any time, so their count of won deals differs.",
    "revenue": "Each dot is one replication and the bar is the mean; the right-hand panels "
    "pair each replication of a policy with the same replication of the baseline, and when "
    "the black 95% interval of that difference stays clear of zero the gap is not luck.",
    "pipeline_fan": "The line is the median open pipeline at each week's end after warm-up; "
    "the dark band holds half of the replications, the light band 90%.",
    "bookings_fan": "The line is the median revenue booked since the warm-up ended; the dark "
    "band holds half of the replications, the light band 90%; steeper is better.",
    "lead_to_close": "Each dot is one replication's median days from capture to a won deal "
    "(left) and from opening an opportunity to its close (right), overall and per segment; "
    "the bar is the mean; lower is faster.",
    "leakage": "Each bar is the mean share of the window's leads that leaked by the run's end, "
    "split by where they leaked (left) and why (right); the number on top is the total "
    "leakage rate. Leads still open at the end, named in the subtitle, are not counted as "
    "leaked: they may still leak, or win.",
    "speed_to_lead": "Left: the share of replications whose median (solid) or 90th "
    "percentile (dashed) response took at most x business hours, so further left is faster "
    "and the dotted line is the SLA; right: the share of each month's MQLs touched within "
    "the SLA (median, 50% and 90% bands), so dips show the months the desk fell behind.",
    "utilisation": "Left: how busy SDRs and AEs were, one dot per replication; right: MQLs "
    "waiting for a first touch at each week's end (median, 50% and 90% bands), where a "
    "queue that keeps growing means the desk cannot keep up.",
    "factor_effect": "The line is the metric's mean at each value of the factor and the band "
    "its 95% interval; a level line means the factor does not matter over that range, and "
    "bands that do not overlap mean the step between two values is not luck.",
    "heatmap": "Each cell is the metric's mean at one combination of the two factors, dark "
    "for low and light for high; follow a row or a column to see one factor's effect with "
    "the other held fixed.",
    "contributions": "Starting from the first policy, each bar adds one lever's Shapley "
    "value (green raises the metric, red lowers it), the whisker its 95% interval, and the "
    "grey bar is the whole difference between the two policies, which the levers sum to. A "
    "lever's value is what switching it adds, averaged over every order of switching the "
    "levers, so a lever that only pays together with another shares that gain with it.",
    "sensitivity": "Morris: each point is an input, further right the larger its mean effect "
    "over its whole range (the whisker its 95% interval), higher the more that effect varies "
    "with the other inputs; Sobol': each input's share of the output's variance, alone "
    "(light) and with its interactions (dark), with 95% intervals. Grey inputs are within "
    "twice their noise of zero: the replications' luck could make them.",
    "sobol_convergence": "Each line is one input's Sobol' index estimated on the first n of "
    "the study's base samples (total solid, first order dashed; the whiskers 95% bootstrap "
    "intervals, cut at the panel's edge), so the right-most points are the study's own. An "
    "index that stays level as n grows, with whiskers that shrink, has settled; one still "
    "drifting, or whose whiskers overlap another's, needs a larger sample before its size, or "
    "its place in the ranking, stands.",
    "discovery": "Left: each point is one step of PRIM's peeling, which trades coverage (the "
    "share of the cases where the condition holds that the box keeps) for density (the share "
    "of the box's cases that hold); the ringed point is the box PRIM chose, which counts only "
    "above the dashed density. Right: each case on the inputs the box restricts most, "
    "triangles where the condition holds and rings where it does not; the shaded rectangle is "
    "the box, running to the edge on a side it leaves open.",
}
"""One-line reading guide per figure, for the report and the docs."""


FIGURES: dict[str, Callable[..., Any]] = {
    "clause_compliance": on_sla(clause_compliance),
    "compliance_by_headcount": on_sla(compliance_by_headcount),
    "waterfall": waterfall,
    "revenue": revenue,
    "pipeline_fan": pipeline_fan,
    "bookings_fan": bookings_fan,
    "lead_to_close": lead_to_close,
    "leakage": leakage,
    "speed_to_lead": speed_to_lead,
    "utilisation": utilisation,
    "factor_effect": factor_effect,
    "heatmap": heatmap,
    "contributions": contributions,
    "sensitivity": sensitivity,
    "sobol_convergence": sobol_convergence,
    "discovery": discovery,
}
"""Every figure by name, in the order a report shows them."""


RENAMED = {"cycle": "lead_to_close"}
"""Figures by a former name, with the name they have now: "cycle" drew lead to close and
opportunity age, which readers took for the sales cycle."""

STRESS = ("clause_compliance", "compliance_by_headcount")
"""The figures of an SLA stress test's verdict, which the report shows in its SLA section."""
DISCOVERY = ("discovery",)
"""The figure of ``funnelsim discover``, which the report shows in its own section."""
STUDY = ("sensitivity", "sobol_convergence")
DISCOVERED = (FILE, CASES)
"""What a folder holds once ``funnelsim discover`` has read it."""

COMPARISON = tuple(
    name
    for name in FIGURES
    if name not in (*STRESS, *STUDY, *DISCOVERY, "factor_effect", "heatmap", "contributions")
)


def explained(results: Results) -> bool:
    """Whether the results are an explanation's, whose coalitions are no policies to compare."""
    return (results.manifest.get("analysis") or {}).get("kind") == "explain"


def available(results: Results) -> list[str]:
    """The figures that apply, and the discovery's when ``funnelsim discover`` has read the
    folder: an explanation's waterfall alone for its folder; a sensitivity study's indices
    (and, for Sobol', their convergence); else an SLA stress test's own when its verdict is
    in the folder (the headcount figure if capacity was sought for SDRs), the comparison
    figures always (at point 0 of a sweep), the factor plot for sweeps of one or two
    factors, the heat map for a grid of two."""
    kept = results.path is not None and all((results.path / f).exists() for f in DISCOVERED)
    found = list(DISCOVERY) if kept else []
    if explained(results):
        return ["contributions", *found]
    if (study := studied(results)) is not None:
        steps = [] if study.convergence is None else ["sobol_convergence"]
        return ["sensitivity", *steps, *found]
    factors = factor_names(results)
    names = []
    sla = sla_results(results)
    if sla is not None:
        names.append("clause_compliance")
        if sla.headcount is not None and sla.headcount.sdr is not None:
            names.append("compliance_by_headcount")
    names += COMPARISON
    if 1 <= len(factors) <= 2:
        names.append("factor_effect")
    if len(factors) == 2 and results.manifest["experiment"].get("design", "grid") == "grid":
        names.append("heatmap")
    return names + found


def _figure_of(drawn: Axes | Sequence[Axes] | Figure) -> Figure:
    if isinstance(drawn, Figure):
        return drawn
    return (drawn if isinstance(drawn, Axes) else drawn[0]).figure


def _checked(results: Results, names: Sequence[str] | None, fmt: str) -> list[str]:
    """The figures asked for (by default those that apply), each known, in a known format."""
    if fmt not in FORMATS:
        raise ValueError(f"expected a format in {FORMATS}, got {fmt!r}")
    names = list(available(results) if names is None else names)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figure(s) {unknown}; expected some of {list(FIGURES)}")
    return names


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
    names = _checked(results, names, fmt)
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
