"""A plan's run month by month: what it spends, who is on the teams, what it books.

:class:`Months` runs in the worker beside each run (an experiment's ``periods`` hook), while
the ledger and the teams' rosters are still at hand, and sends back one row per calendar
month from the run's start to its end (the first and last may be part months).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from funnelsim.model.roster import YEAR, Roster
from funnelsim.record.ledger import OPP
from funnelsim.runner import RunResult

COLUMNS = (
    "period",  # the calendar month, YYYY-MM
    "days",
    "leads",
    "lead_spend",
    "program_spend",
    "sdr_heads",
    "ae_heads",
    "sdr_hires",
    "ae_hires",
    "sdr_leavers",
    "ae_leavers",
    "sdr_cost",
    "ae_cost",
    "spend",
    "deals_won",
    "bookings",
)
"""A month's row: counts and money of the month, heads on average over its days; then the
leads of each source (``leads_<source>``)."""


def month_edges(start: dt.date, days: float) -> tuple[np.ndarray, list[str]]:
    """Day edges of the calendar months of a run of ``days`` from ``start``, and their names."""
    first = np.datetime64(start, "M")
    last = np.datetime64(start + dt.timedelta(days=days - 1e-9), "M")
    months = np.arange(first, last + 1)
    origin = np.datetime64(start, "D")
    edges = (months.astype("datetime64[D]") - origin).astype(float)
    edges = np.append(np.maximum(edges, 0.0), days)
    return edges, [str(m) for m in months]


@dataclass(frozen=True)
class Months:
    """The periods hook of a plan's runs: one row per calendar month of the run."""

    def __call__(self, result: RunResult) -> pd.DataFrame:
        scenario, ledger = result.scenario, result.ledger
        edges, names = month_edges(scenario.start_date, scenario.horizon.length)
        days = np.diff(edges)

        def per_month(times: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
            return _per_month(edges, times, weights)

        opps = ledger.opp_frame()
        won = (opps["outcome"].to_numpy() == OPP["won"]) & np.isfinite(opps["opened_at"].to_numpy())
        closed = opps["resolved_at"].to_numpy()[won]
        created = ledger.created
        cost, programs = scenario.cost, sum(scenario.cost.programs.values())
        teams = result.teams
        sdr = _team(teams.sdr if teams else None, scenario.sdr.headcount, edges)
        ae = _team(teams.ae if teams else None, scenario.sales.ae_count, edges)
        frame = pd.DataFrame(
            {
                "period": names,
                "days": days,
                "leads": per_month(created),
                "lead_spend": per_month(created, ledger.cost),
                "program_spend": programs * days / YEAR,
                "sdr_heads": sdr[0] / days,
                "ae_heads": ae[0] / days,
                "sdr_hires": sdr[1],
                "ae_hires": ae[1],
                "sdr_leavers": sdr[2],
                "ae_leavers": ae[2],
                "sdr_cost": sdr[0] * cost.sdr_per_year / YEAR + sdr[1] * cost.sdr_hire,
                "ae_cost": ae[0] * cost.ae_per_year / YEAR + ae[1] * cost.ae_hire,
                "deals_won": per_month(closed),
                "bookings": per_month(closed, opps["value"].to_numpy()[won]),
            }
        )
        spend = ["lead_spend", "program_spend", "sdr_cost", "ae_cost"]
        frame["spend"] = frame[spend].sum(axis=1)
        by_source = {
            f"leads_{name}": per_month(created[ledger.source == s])
            for s, name in enumerate(scenario.sources)
        }
        return frame[list(COLUMNS)].assign(**by_source)


def _team(roster: Roster | None, headcount: int, edges: np.ndarray) -> tuple[np.ndarray, ...]:
    """Head-days, hires and leavers of a team in each month: a fixed team's headcount every
    day, nobody joining or leaving."""
    if roster is None:
        none = np.zeros(len(edges) - 1)
        return np.diff(edges) * headcount, none, none
    head_days = [roster.head_days(a, b) for a, b in itertools.pairwise(edges)]
    joined = _per_month(edges, roster.joins[roster.hires])
    return np.array(head_days), joined, _per_month(edges, roster.leaves)


def _per_month(edges: np.ndarray, times: np.ndarray, weights: np.ndarray | None = None):
    """Count (or sum ``weights``) of the ``times`` in each month ``[edge, next edge)``."""
    n = len(edges) - 1
    inside = (times >= edges[0]) & (times < edges[-1])
    k = np.searchsorted(edges, times[inside], side="right") - 1
    w = None if weights is None else weights[inside]
    return np.bincount(k, w, minlength=n)[:n].astype(float)
