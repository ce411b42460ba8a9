"""Judging an SLA period by period: what each side delivered, and whether each clause held.

A run is cut into calendar months (or quarters) from ``start_date``; only periods wholly
inside the measured window are judged. :class:`PeriodCounts` runs in the worker, while the
run's ledger is at hand, and keeps a handful of counts per period; :func:`judge` turns those
counts into one row per clause and period, in the parent, for any proposal that states the
same windows.

What is counted, for marketing's MQLs only (prospects are the SDRs' own work):

* ``mqls``: MQLs that reached the desk in the period; ``sqls``: MQLs qualified in it;
* ``accepted``: of the period's MQLs, those the desk accepted (the buyer was reached and fit:
  SAL), over all the period's MQLs as SiriusDecisions counts it;
* ``judged`` and ``on_time``: of the period's MQLs whose deadline fell inside the run, those
  first touched within the clause's business time (the baseline is held to the proposal's
  window too, whatever its own SLA says);
* ``unreached`` and ``kept``: of the period's MQLs the desk closed without reaching the buyer
  (cadence spent, or never worked), those that had at least the promised attempts, the last
  of them by the end of the ``over``-th business day (hour, week) after the first touch. An
  MQL still in its cadence at the end of the run whose window has already passed counts as
  unreached and not kept: that promise is broken whatever happens next.

The desk settles a period's MQLs late: an MQL may wait ``sdr.max_queue_age`` for a first touch
and then the cadence's window for the rest. Acceptance and attempts are judged only in the
periods that are settled: every MQL of the period decided, or that long passed before the run
ended. Volumes and first touch, whose deadline is known, are judged in every period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from funnelsim.base.calendar import Calendar
from funnelsim.record.ledger import SPELL
from funnelsim.record.response import within_response
from funnelsim.runner import RunResult
from funnelsim.scenario.schema import Horizon, Scenario
from funnelsim.sla.proposal import MONTHS, Clause, Period

COUNTS = ("mqls", "sqls", "accepted", "judged", "on_time", "unreached", "kept")
"""The counts kept per period of a run (beside ``settled``)."""

SETTLING = ("acceptance", "attempts")
"""Clauses judged only in settled periods."""

RATIOS = {
    "mql_volume": ("mqls", None),
    "sql_volume": ("sqls", None),
    "acceptance": ("accepted", "mqls"),
    "first_touch": ("on_time", "judged"),
    "attempts": ("kept", "unreached"),
}
"""Each clause's measure: a count, or a share (numerator, denominator) of the period's MQLs."""


def period_edges(start_date: dt.date, start: float, end: float, period: Period) -> np.ndarray:
    """Simulated days at which the calendar periods wholly inside ``[start, end]`` begin and
    end: ``n + 1`` edges for ``n`` periods."""
    step = MONTHS[period]
    first = start_date + dt.timedelta(days=start)
    month = first.year * 12 + first.month - 1
    if first.day != 1 or start != int(start):
        month += 1  # the first whole month
    month += -month % step  # quarters begin in January, April, July and October
    edges = []
    while True:
        day = dt.date(month // 12, month % 12 + 1, 1)
        offset = float((day - start_date).days)
        if offset > end:
            break
        edges.append(offset)
        month += step
    return np.asarray(edges if len(edges) > 1 else [], dtype=float)


@dataclass(frozen=True)
class PeriodCounts:
    """The counts of :data:`COUNTS` per period of a run, for one set of clause windows.

    ``within`` is the first-touch window and ``attempts`` / ``over`` the cadence promised,
    as the proposal writes them (``"4h"``, 6, ``"10d"``); ``None`` leaves those counts zero.
    """

    period: Period = "month"
    within: str | None = None
    attempts: int | None = None
    over: str | None = None

    def __call__(self, result: RunResult) -> pd.DataFrame:
        scenario = result.scenario
        horizon = scenario.horizon
        edges = period_edges(scenario.start_date, horizon.warmup, horizon.length, self.period)
        if len(edges) < 2:
            return pd.DataFrame(columns=["period", "period_start", "settled", *COUNTS])
        calendar = Calendar.from_spec(scenario.calendar, scenario.start_date)
        spells = result.ledger.spell_frame()
        spells = spells[~spells["prospect"].to_numpy()]
        counted, undecided, cadence = self._marks(spells, calendar, horizon)
        return _per_period(scenario, calendar, edges, counted, undecided, cadence)

    def _marks(
        self, spells: pd.DataFrame, calendar: Calendar, horizon: Horizon
    ) -> tuple[dict[str, np.ndarray], np.ndarray, float]:
        """The time each count counts a marketing MQL at (by MQL time, or when it qualified),
        the MQL times of those undecided, and how long a cadence may run after a first touch."""
        mql, touch = spells["mql_at"].to_numpy(), spells["first_touch_at"].to_numpy()
        outcome, ended = spells["outcome"].to_numpy(), spells["outcome_at"].to_numpy()
        b_touch, b_end = calendar.business_array(touch), calendar.business(horizon.length)
        judged, on_time = self._first_touches(calendar, mql, touch, b_touch, b_end)
        unreached, kept, cadence = self._cadences(spells, calendar, touch, b_touch, b_end)
        marks = (judged, on_time, unreached, kept)
        return _counted(mql, outcome, ended, marks), mql[outcome == SPELL["open"]], cadence

    def _first_touches(
        self,
        calendar: Calendar,
        mql: np.ndarray,
        touch: np.ndarray,
        b_touch: np.ndarray,
        b_end: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The MQLs judged for first touch (their window closed by the end of the run), and
        those of them touched within it; none without a first-touch clause."""
        if self.within is None:
            return (np.zeros(len(mql), bool),) * 2
        b_mql = calendar.business_array(mql)
        response = calendar.open_time(self.within)
        judged = b_end - b_mql >= response
        return judged, judged & np.isfinite(touch) & within_response(b_touch - b_mql, response)

    def _cadences(
        self,
        spells: pd.DataFrame,
        calendar: Calendar,
        touch: np.ndarray,
        b_touch: np.ndarray,
        b_end: float,
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """The MQLs the desk gave up on (or whose cadence window has run out), those of them
        given the attempts promised within the window, and how long a cadence may run after
        a first touch (0 without a window); none without a cadence clause."""
        if self.attempts is None:
            return (*(np.zeros(len(touch), bool),) * 2, 0.0)
        outcome = spells["outcome"].to_numpy()
        unreached = np.isin(outcome, [SPELL["unreachable"], SPELL["never_worked"]])
        kept = unreached & (spells["attempts"].to_numpy() >= self.attempts)
        if self.over is None:
            return unreached, kept, 0.0
        cadence = calendar.open_time(self.over) + calendar.open_time("1" + self.over[-1])
        overdue = (outcome == SPELL["open"]) & np.isfinite(touch) & (b_end - b_touch >= cadence)
        kept &= calendar.business_array(spells["outcome_at"].to_numpy()) - b_touch < cadence
        return unreached | overdue, kept, cadence


def _counted(
    mql: np.ndarray, outcome: np.ndarray, ended: np.ndarray, marks: tuple[np.ndarray, ...]
) -> dict[str, np.ndarray]:
    """The times each of :data:`COUNTS` counts its MQLs at: MQLs and SQLs by when they
    happened, the rest (accepted, then ``marks``) by MQL time."""
    sql_at = np.where(outcome == SPELL["sql"], ended, np.nan)
    accepted = np.isin(outcome, [SPELL["sql"], SPELL["rejected"]])
    counted = {"mqls": mql, "sqls": sql_at}
    for name, mask in zip(COUNTS[2:], (accepted, *marks), strict=True):
        counted[name] = mql[mask]
    return counted


def _per_period(
    scenario: Scenario,
    calendar: Calendar,
    edges: np.ndarray,
    counted: dict[str, np.ndarray],
    undecided: np.ndarray,
    cadence: float,
) -> pd.DataFrame:
    """The counts per period, and whether each period is settled."""
    frame = pd.DataFrame({"period": np.arange(len(edges) - 1)})
    frame["period_start"] = pd.Timestamp(scenario.start_date) + pd.to_timedelta(
        edges[:-1], unit="D"
    )
    waited = [calendar.add(e + scenario.sdr.max_queue_age, cadence) for e in edges[1:]]
    frame["settled"] = (np.asarray(waited) <= scenario.horizon.length) | (
        np.histogram(undecided, edges)[0] == 0
    )
    for name in COUNTS:
        times = counted[name]
        frame[name] = np.histogram(times[np.isfinite(times)], edges)[0]
    return frame


def counts_for(clauses: list[Clause], period: Period) -> PeriodCounts:
    """The counts the clauses need, with their windows."""
    by_name = {c.name: c for c in clauses}
    touch, attempts = by_name.get("first_touch"), by_name.get("attempts")
    return PeriodCounts(
        period=period,
        within=touch.within if touch else None,
        attempts=attempts.attempts if attempts else None,
        over=attempts.over if attempts else None,
    )


def judge(periods: pd.DataFrame, clauses: list[Clause]) -> pd.DataFrame:
    """One row per run, period and clause: the clause's measure and whether it held.

    A share with nothing to judge in a period (no MQL, none unreached) holds.
    """
    ids = [c for c in periods.columns if c not in (*COUNTS, "settled")]
    parts = []
    for clause in clauses:
        rows = periods[periods["settled"]] if clause.name in SETTLING else periods
        numerator, denominator = RATIOS[clause.name]
        top = rows[numerator].to_numpy(dtype=float)
        value = top
        if denominator is not None:
            bottom = rows[denominator].to_numpy(dtype=float)
            value = np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1), np.nan)
        held = np.where(np.isnan(value), True, value >= clause.threshold - 1e-12)
        part = rows[ids].copy()
        part["clause"], part["side"] = clause.name, clause.side
        part["value"], part["threshold"], part["held"] = value, clause.threshold, held
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
