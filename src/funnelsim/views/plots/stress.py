"""An SLA stress test's figures: how often each clause holds, and the SDRs the proposal needs.

They draw the verdict (``sla.json``), not the runs: the numbers on the figures are the same
as those of ``funnelsim sla`` and its ``--json``. The registry calls figures with an
experiment's :class:`~funnelsim.Results`, so :func:`on_sla` finds the verdict beside them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.transforms import blended_transform_factory

from funnelsim.results import Results, SlaResults, load_sla
from funnelsim.results.sla import PROPOSAL, VERDICT, condition_title
from funnelsim.views.formats import percent
from funnelsim.views.plots.data import error_bars
from funnelsim.views.plots.style import (
    axes_or_new,
    colours,
    set_titles,
    side_by_side,
    tick_formatter,
)
from funnelsim.views.plots.words import replication_count

ROW = 0.3
"""Inches per row of :func:`clause_compliance`, so that 25 rows stay legible."""


def sla_results(results: Results) -> SlaResults | None:
    """The stress test whose experiment ``results`` is (``sla.json`` in its folder), else None."""
    if results.path is None or not (results.path / VERDICT).exists():
        return None
    return load_sla(results.path, results)


def on_sla(figure: Callable[..., Axes]) -> Callable[..., Axes]:
    """``figure`` as the registry calls it: with an experiment's results, or the verdict."""

    @functools.wraps(figure)
    def draw(results: Results | SlaResults, **options: Any) -> Axes:
        sla = results if isinstance(results, SlaResults) else sla_results(results)
        if sla is None:
            raise ValueError(f"{figure.__name__} needs an SLA stress test's folder ({VERDICT})")
        return figure(sla, **options)

    return draw


def clause_compliance(sla: SlaResults, ax: Axes | None = None) -> Axes:
    """The chance each clause holds in a period under every condition, the proposal against
    its baseline: one row per condition, grouped by clause, so a stress that breaks a clause
    shows as a dot left of the target line within the clause's group."""
    doc = sla.document
    target, period = doc["probability"], doc["proposal"]["period"]
    conditions = [c["name"] for c in doc["conditions"]]
    clauses = [c["name"] for c in doc["clauses"]]
    step = len(conditions) + 1  # a clause's heading, then its conditions
    rows = {
        (clause, name): i * step + 1 + j
        for i, clause in enumerate(clauses)
        for j, name in enumerate(conditions)
    }
    ax = axes_or_new(ax, (9.0, 1.6 + ROW * step * len(clauses)), grid="x")
    ax.axvspan(-0.02, target, color="0.95", linewidth=0, zorder=0)
    ax.axvline(target, color="0.2", linestyle=":", linewidth=1.5, zorder=1)
    cells = {(r["clause"], r["condition"], r["policy"]): r for r in doc["compliance"]}
    offsets, _ = side_by_side(len(doc["policies"]), span=0.5)
    margin = blended_transform_factory(ax.transAxes, ax.transData)
    for k, (label, c) in enumerate(colours(sla.results).items()):
        found = [
            (y + offsets[k], _shares(cells[*key, label]))
            for key, y in rows.items()
            if (*key, label) in cells
        ]
        if not found:
            continue
        mine = label == PROPOSAL
        ax.errorbar(
            [share for _, (share, _, _) in found],
            [y for y, _ in found],
            xerr=error_bars([shares for _, shares in found]),
            fmt="o" if mine else "D",
            markersize=6 if mine else 4,
            color=c,
            elinewidth=1.2,
            capsize=2,
            zorder=3,
            label=label,
        )
        if mine:  # the proposal's chances at the right, to be read off without the grid
            for y, (share, _, _) in found:
                ax.text(
                    1.03, y, percent(share, 2), transform=margin, va="center", fontsize=8, color=c
                )
    headings = {
        i * step: f"{clause['side'].capitalize()}: {clause['label']}"
        for i, clause in enumerate(doc["clauses"])
    }
    ticks = dict(sorted((headings | {y: condition_title(n) for (_, n), y in rows.items()}).items()))
    ax.set_yticks(list(ticks), list(ticks.values()))
    for y, tick in zip(ticks, ax.get_yticklabels(), strict=True):
        tick.set_fontweight("bold" if y in headings else "normal")
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(step * len(clauses) - 0.5, -0.7)
    ax.set_xlim(-0.02, 1.02)
    ax.xaxis.set_major_formatter(tick_formatter("share", ""))
    ax.set_xlabel(f"Chance the clause holds in a {period} (%)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.12, 1.0), frameon=False, fontsize=8)
    first = conditions[0]
    kept = sum(
        _shares(cells[clause, first, PROPOSAL])[0] >= target
        for clause in clauses
        if (clause, first, PROPOSAL) in cells
    )
    set_titles(
        ax,
        f"Chance each clause holds in a {period}: {kept} of {len(clauses)} reach the "
        f"{percent(target)} target under {condition_title(first)} conditions",
        f"Mean over {replication_count(doc['replications'])} with 95% intervals; shaded: short of "
        "the target (dotted)",
    )
    return ax


def _shares(record: dict[str, Any]) -> tuple[float, float, float]:
    """A chance and its 95% interval, within [0, 1] (a few replications stretch a t interval
    past either end); NaN where the verdict has none."""
    share, low, high = (
        np.nan if record[k] is None else record[k] for k in ("held_share", "ci_low", "ci_high")
    )
    return share, max(low, 0.0), min(high, 1.0)


def compliance_by_headcount(sla: SlaResults, ax: Axes | None = None) -> Axes:
    """The chance the first-touch clause holds in a period at each SDR headcount the capacity
    search probed, with the proposal's headcount and the one it needs marked: how far the
    desk is from keeping the promise, and what the next hire buys."""
    capacity = sla.capacity
    if capacity is None or capacity["sdr"] is None:
        why = "was run without it" if capacity is None else "has no first-touch clause"
        raise ValueError(f"compliance_by_headcount needs a capacity search: this stress test {why}")
    sdr, target = capacity["sdr"], capacity["probability"]
    period = sla.document["proposal"]["period"]
    probes = sorted(sdr["probes"], key=lambda p: p["headcount"])
    x = np.array([p["headcount"] for p in probes], dtype=float)
    values = [_shares(p) for p in probes]
    shares = np.array([v[0] for v in values])
    c = colours(sla.results)[PROPOSAL]
    ax = axes_or_new(ax)
    ax.axhline(target, color="0.2", linestyle=":", linewidth=1.5, zorder=1)
    ax.plot(x, shares, color=c, linewidth=1, alpha=0.5, zorder=2)
    ax.errorbar(
        x,
        shares,
        yerr=error_bars(values),
        fmt="none",
        ecolor=c,
        elinewidth=1.2,
        capsize=3,
        zorder=3,
    )
    holds = np.array([bool(p["holds"]) for p in probes])
    ax.scatter(x[holds], shares[holds], s=40, color=c, zorder=4, label="reaches the target")
    ax.scatter(
        x[~holds],
        shares[~holds],
        s=40,
        facecolor="white",
        edgecolor=c,
        linewidth=1.5,
        zorder=4,
        label="short of the target",
    )
    for xi, share in zip(x, shares, strict=True):
        ax.annotate(
            percent(share, 2),
            (xi, share),
            xytext=(6, -3),
            textcoords="offset points",
            fontsize=8,
            color=c,
        )
    current, needed = sdr["current"], sdr["needed"]
    marks = {current: f"proposal: {current} SDRs"}
    if needed is not None:
        marks[needed] = (
            f"needed: {needed} SDRs" if needed != current else f"proposal = needed: {needed} SDRs"
        )
    for x_mark in marks:
        ax.axvline(x_mark, color="0.35", linestyle="-" if x_mark == needed else "--", zorder=1)
    top = ax.secondary_xaxis("top")
    top.set_xticks(list(marks), list(marks.values()), fontsize=8)
    top.tick_params(length=0)
    top.spines["top"].set_visible(False)
    ax.set_xlim(x.min() - 0.8, x.max() + 0.8)
    ax.set_ylim(-0.04, 1.06)
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(tick_formatter("share", ""))
    ax.set_xlabel("SDR headcount")
    ax.set_ylabel(f"Chance first touch holds in a {period} (%)")
    ax.legend(frameon=False, loc="best", fontsize=8)
    label = next(c["label"] for c in sla.document["clauses"] if c["name"] == "first_touch")
    verdict = f"{needed}" if needed is not None else f"more than {int(x.max())}"
    set_titles(
        ax,
        f"SDRs needed for first touch to hold with {percent(target)} probability: {verdict} "
        f"(the proposal has {current})",
        f"{label}; mean over {replication_count(sla.document['replications'])} with 95% "
        "intervals; dotted: the target",
    )
    return ax
