"""What happened in a run: one compact record per lead, per SDR spell and per opportunity.

The model writes here and nothing else reads the model: metrics are pure functions of a
ledger. Lead records are preallocated NumPy columns; spells and opportunities are tables
stored by column (:class:`Table`) and turned into frames once, at the end. The full event log
is kept only on request.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

STATES = (
    "nurture",
    "sdr",
    "ae_queue",
    "opportunity",
    "won",
    "lost",
    "no_decision",
    "disqualified",
    "leaked",
)
"""Where a lead can be at the end of a run: in a stage, or with one final outcome."""

LEAK_REASONS = (
    "never_worked",
    "cadence_exhausted",
    "rejected_dropped",
    "stalled_abandoned",
    "unsubscribed",
    "recycle_cap",
    "no_sales_capacity",
)
"""Why a lead left the funnel without a decision."""

SPELL_OUTCOMES = ("sql", "rejected", "disqualified", "unreachable", "never_worked", "open")
OPP_OUTCOMES = (
    "won",
    "lost",
    "no_decision",
    "stalled",
    "abandoned",
    "open",
    "declined",
    "no_sales_capacity",
)
"""How an SQL handed to sales ended; the last two never became an opportunity: an AE declined
it, or its buyer gave up waiting for an AE."""

STATE = {name: code for code, name in enumerate(STATES)}
REASON = {name: code for code, name in enumerate(LEAK_REASONS)}
SPELL = {name: code for code, name in enumerate(SPELL_OUTCOMES)}
OPP = {name: code for code, name in enumerate(OPP_OUTCOMES)}

SPELL_COLUMNS = (
    "lead",
    "mql_at",
    "first_touch_at",
    "attempts",
    "outcome",
    "outcome_at",
    "prospect",
)
OPP_COLUMNS = (
    "lead",
    "mql_at",
    "queued_at",
    "opened_at",
    "resolved_at",
    "outcome",
    "value",
    "ae",
    "stages_passed",
)
STAGE_COLUMNS = ("lead", "opened_at", "stage", "ends_at")
"""An opportunity's stages as sampled when it opened: the lead and opening time that name the
opportunity, the stage's place in its segment, and when the stage completes (maybe after the
opportunity resolved, or after the run: a reader compares)."""
SPELL_AT = {name: k for k, name in enumerate(SPELL_COLUMNS)}
OPP_AT = {name: k for k, name in enumerate(OPP_COLUMNS)}
"""Where each column sits in a row of the spells, or of the opportunities."""
STAGE_OF_LEAK = ("nurture", "sdr", "sales")
LEAK_STAGE = {name: code for code, name in enumerate(STAGE_OF_LEAK)}
EVENT_COLUMNS = ("time", "lead", "activity", "resource")


@dataclass
class Ledger:
    """The record of one run. Times are simulated days since ``start_date`` at midnight."""

    created: np.ndarray
    source: np.ndarray
    segment: np.ndarray
    fit: np.ndarray
    cost: np.ndarray
    buy_start: np.ndarray  # the lead's latent buying window, kept for calibration's readiness
    buy_end: np.ndarray
    state: np.ndarray = field(init=False)
    state_at: np.ndarray = field(init=False)  # when the lead entered its state: an outcome's time
    reason: np.ndarray = field(init=False)
    leak_stage: np.ndarray = field(init=False)
    mql_at: np.ndarray = field(init=False)
    sal_at: np.ndarray = field(init=False)
    sql_at: np.ndarray = field(init=False)
    opp_at: np.ndarray = field(init=False)
    won_at: np.ndarray = field(init=False)
    recycles: np.ndarray = field(init=False)
    spells: Table = field(init=False)
    opps: Table = field(init=False)
    stages: Table = field(init=False)
    sdr_busy: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))  # (start, end) rows
    events: list[tuple] | None = None

    def __post_init__(self) -> None:
        n = len(self.created)
        self.state = np.full(n, STATE["nurture"], dtype=np.int8)
        self.state_at = self.created.astype(float)
        self.reason = np.full(n, -1, dtype=np.int8)
        self.leak_stage = np.full(n, -1, dtype=np.int8)
        for name in ("mql_at", "sal_at", "sql_at", "opp_at", "won_at"):
            setattr(self, name, np.full(n, np.nan))
        self.recycles = np.zeros(n, dtype=np.int16)
        self.spells = Table(SPELL_COLUMNS, ints={"lead", "attempts", "outcome"}, bools={"prospect"})
        self.opps = Table(OPP_COLUMNS, ints={"lead", "outcome", "ae", "stages_passed"})
        self.stages = Table(STAGE_COLUMNS, ints={"lead", "stage"})

    def __len__(self) -> int:
        return len(self.created)

    def move(self, lead: int | np.ndarray, state: str, now: float | np.ndarray) -> None:
        self.state[lead] = STATE[state]
        self.state_at[lead] = now

    def leak(
        self, lead: int | np.ndarray, reason: str, now: float | np.ndarray, stage: str
    ) -> None:
        """Leads left the funnel: one, or many at once (nurture's opt-outs of a period)."""
        self.move(lead, "leaked", now)
        self.reason[lead] = REASON[reason]
        self.leak_stage[lead] = LEAK_STAGE[stage]

    def log(self, now: float, lead: int, activity: str, resource: str = "") -> None:
        if self.events is not None:
            self.events.append((now, lead, activity, resource))

    def close(self) -> None:
        """The run is over: the tables will not change again, so their frames may be kept.

        Each lead's first MQL, SAL, SQL, opportunity and win (waterfalls count leads, not
        visits) are read off them now, rather than checked at every visit: a lead's spells,
        and its opportunities, follow one another, so its first row of a kind is its first
        visit. A model's own deal that a pipeline's took the place of (outcome -1) leaves no
        row, nor do its stages.
        """
        replaced = self.opps.drop(lambda row: row[OPP_AT["outcome"]] < 0)
        if replaced:
            gone = {(row[OPP_AT["lead"]], row[OPP_AT["opened_at"]]) for row in replaced}
            self.stages.drop(lambda row: (row[0], row[1]) in gone)
        self.spells.close()
        self.opps.close()
        self.stages.close()
        spells, opps = self.spell_frame(), self.opp_frame()
        lead, outcome = spells["lead"].to_numpy(), spells["outcome"].to_numpy()
        mql_at, outcome_at = spells["mql_at"].to_numpy(), spells["outcome_at"].to_numpy()
        sql = outcome == SPELL["sql"]
        _stamp_first(self.mql_at, lead, mql_at)
        _stamp_first(self.sal_at, lead, outcome_at, sql | (outcome == SPELL["rejected"]))
        _stamp_first(self.sql_at, lead, outcome_at, sql)
        lead, opened_at = opps["lead"].to_numpy(), opps["opened_at"].to_numpy()
        _stamp_first(self.opp_at, lead, opened_at, np.isfinite(opened_at))
        won = opps["outcome"].to_numpy() == OPP["won"]
        _stamp_first(self.won_at, lead, opps["resolved_at"].to_numpy(), won)

    def spell_frame(self) -> pd.DataFrame:
        """One row per SDR spell (an MQL or prospect worked until its outcome)."""
        return self.spells.frame()

    def opp_frame(self) -> pd.DataFrame:
        """One row per SQL handed to sales: its wait for an AE, the opportunity, its outcome."""
        return self.opps.frame()

    def stage_frame(self) -> pd.DataFrame:
        """One row per stage an opportunity's path completes, with when (CRM stage history)."""
        return self.stages.frame()


class Table:
    """Rows appended and updated in place, each a list in the order of the table's columns.

    The model keeps the rows it will update (a spell's, an opportunity's) and writes into them
    by position (:data:`SPELL_AT`, :data:`OPP_AT`): plain list operations in its hot path. The
    export to a frame of fixed dtypes is one array per column, built once the ledger is
    closed; the rows go then.
    """

    def __init__(self, columns: tuple[str, ...], ints: set[str] = frozenset(), bools=frozenset()):
        self._dtypes = {
            c: np.int64 if c in ints else bool if c in bools else float for c in columns
        }
        self._rows: list[list] = []
        self._frame: pd.DataFrame | None = None

    def append(self, *row) -> list:
        """Add a row; return it, to be updated in place until the ledger is closed."""
        row = list(row)
        self._rows.append(row)
        return row

    def drop(self, gone) -> list[list]:
        """Leave out the rows for which ``gone(row)`` holds; return them."""
        dropped = [row for row in self._rows if gone(row)]
        if dropped:
            self._rows = [row for row in self._rows if not gone(row)]
        return dropped

    def close(self) -> None:
        """Nothing will change again: keep the frame, and let the rows go."""
        self._frame, self._rows = self.frame(), []

    def frame(self) -> pd.DataFrame:
        """The rows as a frame. They are read as one array of floats, which holds every id,
        count and flag exactly, and each column then takes its own dtype."""
        if self._frame is not None:
            return self._frame
        rows = np.array(self._rows, dtype=float).reshape(len(self._rows), len(self._dtypes))
        return pd.DataFrame(
            {name: rows[:, k].astype(dtype) for k, (name, dtype) in enumerate(self._dtypes.items())}
        )


def _stamp_first(
    column: np.ndarray, lead: np.ndarray, at: np.ndarray, rows: np.ndarray | None = None
) -> None:
    """``column[l]`` = ``at`` of lead ``l``'s first row (among ``rows``, a mask)."""
    if rows is not None:
        lead, at = lead[rows], at[rows]
    leads, first = np.unique(lead, return_index=True)
    column[leads] = at[first]


def wall_clock(
    days: np.ndarray, start_date: dt.date, timezone: str, to: str | None = None
) -> pd.Series:
    """Simulated days as zoned timestamps (NaN as NaT), rounded ``to`` a unit if given. The
    simulated clock is local wall time (business hours are local), so it is localised, not
    converted."""
    wall = pd.Timestamp(start_date) + pd.to_timedelta(np.asarray(days, dtype=float), unit="D")
    if to is not None:
        wall = wall.round(to)
    return pd.Series(wall).dt.tz_localize(
        zoneinfo.ZoneInfo(timezone),
        ambiguous=np.zeros(len(wall), bool),
        nonexistent="shift_forward",
    )


def event_log(
    ledger: Ledger,
    start_date: dt.date,
    timezone: str,
    source_names: list[str],
    segment_names: list[str],
) -> pd.DataFrame:
    """The event log in the columns process-mining tools read, one row per transition."""
    frame = pd.DataFrame(ledger.events or [], columns=list(EVENT_COLUMNS))
    frame = frame.sort_values("time", kind="stable").reset_index(drop=True)
    stamps = wall_clock(frame["time"].to_numpy(), start_date, timezone)
    leads = frame["lead"].to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {
            "case:concept:name": leads.astype(str),
            "concept:name": frame["activity"].astype("string"),
            "time:timestamp": stamps.to_numpy(),
            "sim_time_days": frame["time"].to_numpy(),
            "org:resource": frame["resource"].astype("string"),
            "source": pd.Categorical.from_codes(ledger.source[leads], source_names),
            "segment": pd.Categorical.from_codes(ledger.segment[leads], segment_names),
            "sequence": np.arange(len(frame), dtype=np.int64),
        }
    )
