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
from funnelsim.results.sla import PROPOSAL, VERDICT, Estimate, Search, condition_title
from funnelsim.views.formats import percent
from funnelsim.views.plots.data import error_bars
from funnelsim.views.plots.style import (
    axes_or_new,
    colours,
    literal_text,
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


@literal_text
def clause_compliance(sla: SlaResults, ax: Axes | None = None) -> Axes:
    """The chance each clause holds in a period under every condition, the proposal against
    its baseline: one row per condition, grouped by clause, so a stress that breaks a clause
    shows as a dot left of the target line within the clause's group."""
    rows = _clause_rows(sla)
    step = len(sla.conditions) + 1
    ax = axes_or_new(ax, (9.0, 1.6 + ROW * step * len(sla.clauses)), grid="x")
    ax.axvspan(-0.02, sla.target, color="0.95", linewidth=0, zorder=0)
    ax.axvline(sla.target, color="0.2", linestyle=":", linewidth=1.5, zorder=1)
    _draw_chances(ax, sla, rows)
    _clause_ticks(ax, sla, rows)
    ax.set_ylim(step * len(sla.clauses) - 0.5, -0.7)
    ax.set_xlim(-0.02, 1.02)
    ax.xaxis.set_major_formatter(tick_formatter("share", ""))
    ax.set_xlabel(f"Chance the clause holds in a {sla.period} (%)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.12, 1.0), frameon=False, fontsize=8)
    _clause_titles(ax, sla)
    return ax


def _clause_rows(sla: SlaResults) -> dict[tuple[str, str], int]:
    """(clause, condition) to its row: each clause's heading, then a row per condition."""
    step = len(sla.conditions) + 1
    return {
        (clause.name, condition.name): i * step + 1 + j
        for i, clause in enumerate(sla.clauses)
        for j, condition in enumerate(sla.conditions)
    }


def _draw_chances(ax: Axes, sla: SlaResults, rows: dict[tuple[str, str], int]) -> None:
    """Each policy's chances with their intervals, side by side within a row; the proposal's
    also written at the right, to be read off without the grid."""
    held = sla.held
    offsets, _ = side_by_side(len(sla.policies), span=0.5)
    margin = blended_transform_factory(ax.transAxes, ax.transData)
    for k, (label, c) in enumerate(colours(sla.results).items()):
        found = [
            (y + offsets[k], _shares(held[*key, label]))
            for key, y in rows.items()
            if (*key, label) in held
        ]
        if found:
            _policy_chances(ax, found, label, c)
        for y, (share, _, _) in found if label == PROPOSAL else []:
            ax.text(1.03, y, percent(share, 2), transform=margin, va="center", fontsize=8, color=c)


def _policy_chances(
    ax: Axes, found: list[tuple[float, tuple[float, float, float]]], label: str, c: str
) -> None:
    """One policy's chances at their rows with 95% intervals: the proposal's as larger dots."""
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


def _clause_ticks(ax: Axes, sla: SlaResults, rows: dict[tuple[str, str], int]) -> None:
    """The clauses as bold headings, each followed by its conditions."""
    step = len(sla.conditions) + 1
    headings = {
        i * step: f"{clause.side.capitalize()}: {clause.label}"
        for i, clause in enumerate(sla.clauses)
    }
    ticks = dict(sorted((headings | {y: condition_title(n) for (_, n), y in rows.items()}).items()))
    ax.set_yticks(list(ticks), list(ticks.values()))
    for y, tick in zip(ticks, ax.get_yticklabels(), strict=True):
        tick.set_fontweight("bold" if y in headings else "normal")
    ax.tick_params(axis="y", length=0)


def _clause_titles(ax: Axes, sla: SlaResults) -> None:
    """How many clauses reach the target under the first condition, and how it is drawn."""
    held, first = sla.held, sla.conditions[0]
    kept = sum(
        _shares(held[clause.name, first.name, PROPOSAL])[0] >= sla.target
        for clause in sla.clauses
        if (clause.name, first.name, PROPOSAL) in held
    )
    set_titles(
        ax,
        f"Chance each clause holds in a {sla.period}: {kept} of {len(sla.clauses)} reach the "
        f"{percent(sla.target)} target under {first.title} conditions",
        f"Mean over {replication_count(sla.replications)} with 95% intervals; shaded: short of "
        "the target (dotted)",
    )


def _shares(chance: Estimate) -> tuple[float, float, float]:
    """A chance and its 95% interval, within [0, 1] (a few replications stretch a t interval
    past either end)."""
    return chance.mean, max(chance.low, 0.0), min(chance.high, 1.0)


@literal_text
def compliance_by_headcount(sla: SlaResults, ax: Axes | None = None) -> Axes:
    """The chance the first-touch clause holds in a period at each SDR headcount the capacity
    search probed, with the proposal's headcount and the one it needs marked: how far the
    desk is from keeping the promise, and what the next hire buys."""
    capacity = sla.headcount
    if capacity is None or capacity.sdr is None:
        why = "was run without it" if capacity is None else "has no first-touch clause"
        raise ValueError(f"compliance_by_headcount needs a capacity search: this stress test {why}")
    sdr, c = capacity.sdr, colours(sla.results)[PROPOSAL]
    ax = axes_or_new(ax)
    ax.axhline(capacity.target, color="0.2", linestyle=":", linewidth=1.5, zorder=1)
    _draw_probes(ax, sdr, c)
    _headcount_marks(ax, sdr)
    counts = [p.count for p in sdr.probes]
    ax.set_xlim(min(counts) - 0.8, max(counts) + 0.8)
    ax.set_ylim(-0.04, 1.06)
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(tick_formatter("share", ""))
    ax.set_xlabel("SDR headcount")
    ax.set_ylabel(f"Chance first touch holds in a {sla.period} (%)")
    ax.legend(frameon=False, loc="best", fontsize=8)
    _headcount_titles(ax, sla, sdr, capacity.target)
    return ax


def _draw_probes(ax: Axes, sdr: Search, c: str) -> None:
    """The chance at each headcount probed, with its interval, joined by a faint line."""
    x = np.array([p.count for p in sdr.probes], dtype=float)
    values = [_shares(p.chance) for p in sdr.probes]
    shares = np.array([v[0] for v in values])
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
    _probe_dots(ax, x, shares, np.array([p.holds for p in sdr.probes]), c)


def _probe_dots(ax: Axes, x: np.ndarray, shares: np.ndarray, holds: np.ndarray, c: str) -> None:
    """Filled dots where the chance reaches the target, hollow where it falls short, each
    with its chance written beside it."""
    ax.scatter(x[holds], shares[holds], s=40, color=c, zorder=4, label="reaches the target")
    short = {"facecolor": "white", "edgecolor": c, "linewidth": 1.5}
    ax.scatter(x[~holds], shares[~holds], s=40, zorder=4, label="short of the target", **short)
    for xi, share in zip(x, shares, strict=True):
        ax.annotate(
            percent(share, 2),
            (xi, share),
            xytext=(6, -3),
            textcoords="offset points",
            fontsize=8,
            color=c,
        )


def _headcount_marks(ax: Axes, sdr: Search) -> None:
    """The proposal's headcount (dashed) and the one it needs (solid), named along the top."""
    current, needed = sdr.current, sdr.needed
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


def _headcount_titles(ax: Axes, sla: SlaResults, sdr: Search, target: float) -> None:
    """The headcount the first-touch clause needs, and the clause in the proposal's words."""
    label = next(c.label for c in sla.clauses if c.name == "first_touch")
    most = max(p.count for p in sdr.probes)
    verdict = f"{sdr.needed}" if sdr.needed is not None else f"more than {most}"
    set_titles(
        ax,
        f"SDRs needed for first touch to hold with {percent(target)} probability: {verdict} "
        f"(the proposal has {sdr.current})",
        f"{label}; mean over {replication_count(sla.replications)} with 95% "
        "intervals; dotted: the target",
    )
