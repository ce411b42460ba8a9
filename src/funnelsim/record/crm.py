"""What a CRM would hold of a run, exported at a date: leads, opportunities, stage history and
SDR activities, in the shape CRM exports take.

A run knows every lead's whole story; a CRM export knows it up to the export date. Everything
after it is cut: a deal that closed later is open in the export, at the stage it had reached,
and a lead that became an MQL later is not one yet. That censoring is what makes an export of a
known scenario the test bed for fitting scenarios from real exports (a fit that drops open
deals, or counts them as lost, is biased, and a round trip shows it). Times are the scenario's
local wall clock; ids are strings, as CRMs give them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from funnelsim.base.files import atomic_write
from funnelsim.record.ledger import OPP, STATE, Ledger, wall_clock
from funnelsim.scenario.schema import Scenario

TABLES = ("leads", "opportunities", "stage_history", "activities")
"""The tables of an export, in the order a CRM's documentation lists them."""
CLOSED = {"won": "closed_won", "lost": "closed_lost", "no_decision": "closed_lost"}
"""The CRM stage a resolved deal sits in; deals that went dark are closed lost too."""
LOSS_REASON = {
    "lost": "lost",
    "no_decision": "no decision",
    "stalled": "no activity",
    "abandoned": "no activity",
}
"""Why a closed-lost deal was lost, as a loss-reason field would say."""
LIFECYCLE = ("lead", "mql", "sql", "opportunity", "customer")
"""How far a lead had come by the export date, as a CRM's lifecycle stage says."""


@dataclass(frozen=True)
class Shape:
    """How one CRM names an export's files, columns and closed stages."""

    files: dict[str, str]
    columns: dict[str, dict[str, str]]  # table -> funnelsim's column -> the CRM's
    won: str
    lost: str


def _same(columns: dict[str, tuple[str, ...]]) -> dict[str, dict[str, str]]:
    return {table: {c: c for c in names} for table, names in columns.items()}


COLUMNS = {
    "leads": (
        *("lead_id", "created", "source", "segment", "mql_date"),
        *("first_touch", "sql_date", "lifecycle", "status"),
    ),
    "opportunities": (
        *("opp_id", "lead_id", "created", "owner", "segment"),
        *("amount", "stage", "closed", "loss_reason"),
    ),
    "stage_history": ("opp_id", "stage", "entered"),
    "activities": ("lead_id", "time", "type", "owner"),
}
"""Each table's columns as funnelsim writes them (the ``funnelsim`` shape)."""
SHAPES = {
    "funnelsim": Shape(
        {t: f"{t}.csv" for t in COLUMNS}, _same(COLUMNS), "closed_won", "closed_lost"
    ),
    # A HubSpot export: contacts and deals with their default properties, the deal-stage
    # history and the calls logged, each as its own CSV.
    "hubspot": Shape(
        {
            "leads": "contacts.csv",
            "opportunities": "deals.csv",
            "stage_history": "deal_stage_history.csv",
            "activities": "calls.csv",
        },
        {
            "leads": {
                "lead_id": "Record ID",
                "created": "Create Date",
                "source": "Original Source",
                "segment": "Company Size",
                "mql_date": "Became a Marketing Qualified Lead Date",
                "first_touch": "First Contact Date",
                "sql_date": "Became a Sales Qualified Lead Date",
                "lifecycle": "Lifecycle Stage",
                "status": "Lead Status",
            },
            "opportunities": {
                "opp_id": "Record ID",
                "lead_id": "Associated Contact ID",
                "created": "Create Date",
                "owner": "Deal owner",
                "segment": "Company Size",
                "amount": "Amount",
                "stage": "Deal Stage",
                "closed": "Close Date",
                "loss_reason": "Closed Lost Reason",
            },
            "stage_history": {
                "opp_id": "Deal ID",
                "stage": "Deal Stage",
                "entered": "Date Entered",
            },
            "activities": {
                "lead_id": "Associated Contact ID",
                "time": "Activity date",
                "type": "Activity type",
                "owner": "Activity assigned to",
            },
        },
        "closedwon",
        "closedlost",
    ),
    # A Salesforce export (Data Loader): Lead, Opportunity, OpportunityHistory and Task.
    "salesforce": Shape(
        {
            "leads": "Lead.csv",
            "opportunities": "Opportunity.csv",
            "stage_history": "OpportunityHistory.csv",
            "activities": "Task.csv",
        },
        {
            "leads": {
                "lead_id": "Id",
                "created": "CreatedDate",
                "source": "LeadSource",
                "segment": "Segment__c",
                "mql_date": "MQL_Date__c",
                "first_touch": "First_Touch__c",
                "sql_date": "SQL_Date__c",
                "lifecycle": "Lifecycle_Stage__c",
                "status": "Status",
            },
            "opportunities": {
                "opp_id": "Id",
                "lead_id": "Lead__c",
                "created": "CreatedDate",
                "owner": "OwnerId",
                "segment": "Segment__c",
                "amount": "Amount",
                "stage": "StageName",
                "closed": "CloseDate",
                "loss_reason": "Loss_Reason__c",
            },
            "stage_history": {
                "opp_id": "OpportunityId",
                "stage": "StageName",
                "entered": "CreatedDate",
            },
            "activities": {
                "lead_id": "WhoId",
                "time": "ActivityDate",
                "type": "TaskSubtype",
                "owner": "OwnerId",
            },
        },
        "Closed Won",
        "Closed Lost",
    ),
}
"""The shapes ``funnelsim export-crm`` writes and ``funnelsim fit`` reads without a mapping of
every column: funnelsim's own, HubSpot's and Salesforce's standard exports."""


@dataclass(frozen=True)
class CrmExport:
    """The tables of one export and the moment it was taken (the censoring time)."""

    leads: pd.DataFrame
    opportunities: pd.DataFrame
    stage_history: pd.DataFrame
    activities: pd.DataFrame
    exported_at: pd.Timestamp

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in TABLES}

    def shaped(self, shape: str) -> dict[str, pd.DataFrame]:
        """The tables as the CRM ``shape`` names their columns and closed stages."""
        found = SHAPES[shape]
        closed = {"closed_won": found.won, "closed_lost": found.lost}
        out = {}
        for name, table in self.tables().items():
            if "stage" in table:
                table = table.assign(stage=table["stage"].replace(closed))
            out[name] = table.rename(columns=found.columns[name])
        return out

    def write(
        self, folder: str | Path, shape: str = "funnelsim", parquet: bool = False
    ) -> list[Path]:
        """Write each table into ``folder`` under the ``shape``'s file name (as Parquet if
        asked); each file appears whole or not at all."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, table in self.shaped(shape).items():
            path = folder / SHAPES[shape].files[name]
            if parquet:
                path = path.with_suffix(".parquet")
                atomic_write(path, lambda tmp, t=table: t.to_parquet(tmp, index=False))
            else:
                atomic_write(path, lambda tmp, t=table: t.to_csv(tmp, index=False))
            written.append(path)
        return written


def crm_export(
    scenario: Scenario,
    ledger: Ledger,
    events: pd.DataFrame | None = None,
    at: float | None = None,
) -> CrmExport:
    """The export of a run's ``ledger`` taken ``at`` simulated days (the run's end if None).

    ``events`` (the run's event log, ``simulate(..., events=True)``) adds the SDRs' attempts
    as activities; without it that table is empty.
    """
    at = float(scenario.horizon.length if at is None else at)
    stamp = _stamper(scenario)
    opportunities, history = _opportunities(scenario, ledger, at, stamp)
    return CrmExport(
        leads=_leads(scenario, ledger, at, stamp),
        opportunities=opportunities,
        stage_history=history,
        activities=_activities(events, at, stamp),
        exported_at=stamp(np.array([at]))[0],
    )


def _stamper(scenario: Scenario):
    def stamp(days: np.ndarray) -> pd.Series:
        """Local wall-clock times to the second, as CRMs keep them."""
        return wall_clock(days, scenario.start_date, scenario.calendar.timezone, to="s")

    return stamp


def _by(at: float, times: np.ndarray) -> np.ndarray:
    """``times`` as the export sees them: those after ``at`` had not happened (NaN)."""
    return np.where(times <= at, times, np.nan)


def _leads(scenario: Scenario, ledger: Ledger, at: float, stamp) -> pd.DataFrame:
    known = np.flatnonzero(ledger.created <= at)
    first_touch = np.full(len(ledger), np.nan)
    spells = ledger.spell_frame()
    touched = spells[np.isfinite(spells["first_touch_at"])]
    firsts = touched.groupby("lead")["first_touch_at"].min()
    first_touch[firsts.index.to_numpy()] = firsts.to_numpy()
    times = {
        name: _by(at, getattr(ledger, f"{name}_at")[known]) for name in ("mql", "sql", "opp", "won")
    }
    reached = np.zeros(len(known), dtype=np.int64)
    for k, name in enumerate(("mql", "sql", "opp", "won"), start=1):
        reached[np.isfinite(times[name])] = k
    closed = (ledger.state_at[known] <= at) & np.isin(
        ledger.state[known], [STATE["disqualified"], STATE["leaked"]]
    )
    sources, segments = list(scenario.sources), list(scenario.segments)
    return pd.DataFrame(
        {
            "lead_id": _ids("L", known),
            "created": stamp(ledger.created[known]),
            "source": pd.Categorical.from_codes(ledger.source[known], sources),
            "segment": pd.Categorical.from_codes(ledger.segment[known], segments),
            "mql_date": stamp(times["mql"]),
            "first_touch": stamp(_by(at, first_touch[known])),
            "sql_date": stamp(times["sql"]),
            "lifecycle": pd.Categorical.from_codes(reached, LIFECYCLE),
            "status": np.where(closed, "closed", "open"),
        }
    )


def _opportunities(
    scenario: Scenario, ledger: Ledger, at: float, stamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    opps = ledger.opp_frame()
    opps = opps[opps["opened_at"] <= at].reset_index(drop=True)
    outcome = pd.Series(np.asarray(list(OPP))[opps["outcome"].to_numpy()])
    closed = opps["resolved_at"].to_numpy() <= at
    ids = _ids("O", np.arange(len(opps)))
    stages = ledger.stage_frame().merge(
        opps.assign(opp_id=ids)[["lead", "opened_at", "resolved_at", "opp_id"]],
        on=["lead", "opened_at"],
    )
    # A stage is passed once its end is behind both the export and the deal's resolution.
    ends = np.fmin(stages["resolved_at"].to_numpy(), at)  # fmin: an open deal's NaN gives at
    passed = stages[stages["ends_at"].to_numpy() <= ends]
    reached = passed.groupby("opp_id")["stage"].max().reindex(ids, fill_value=-1).to_numpy() + 1
    segment = ledger.segment[opps["lead"].to_numpy()]
    segments = list(scenario.segments)
    names = [[stage.name for stage in s.stages] for s in scenario.segments.values()]
    open_stage = [
        names[g][min(k, len(names[g]) - 1)] for g, k in zip(segment, reached, strict=True)
    ]
    stage = np.where(closed, outcome.map(CLOSED).fillna("closed_lost"), open_stage)
    table = pd.DataFrame(
        {
            "opp_id": ids,
            "lead_id": _ids("L", opps["lead"].to_numpy()),
            "created": stamp(opps["opened_at"].to_numpy()),
            "owner": [f"ae-{k}" for k in opps["ae"].to_numpy()],
            "segment": pd.Categorical.from_codes(segment, segments),
            "amount": opps["value"].round(2),
            "stage": stage,
            "closed": stamp(np.where(closed, opps["resolved_at"], np.nan)),
            "loss_reason": np.where(closed, outcome.map(LOSS_REASON).fillna(""), ""),
        }
    )
    return table, _history(table, passed, names, segment, stamp)


def _history(table, passed, names, segment, stamp) -> pd.DataFrame:
    """A row per stage entered: the first stage when the deal opens, each next one when the
    one before it is passed, and its closed stage when it closes."""
    rows = table[["opp_id", "created"]].assign(stage=[names[g][0] for g in segment])
    position = dict(zip(table["opp_id"], segment, strict=True))
    last = {opp: len(names[g]) for opp, g in position.items()}
    later = passed[passed["stage"].to_numpy() + 1 < passed["opp_id"].map(last).to_numpy()]
    entered = pd.DataFrame(
        {
            "opp_id": later["opp_id"].to_numpy(),
            "created": stamp(later["ends_at"].to_numpy()).to_numpy(),
            "stage": [
                names[position[o]][k + 1]
                for o, k in zip(later["opp_id"], later["stage"], strict=True)
            ],
        }
    )
    done = table[table["closed"].notna()][["opp_id", "closed", "stage"]].rename(
        columns={"closed": "created"}
    )
    history = pd.concat([rows, entered, done], ignore_index=True)
    history = history.rename(columns={"created": "entered"})
    return history.sort_values(["opp_id", "entered"], kind="stable").reset_index(drop=True)


def _activities(events: pd.DataFrame | None, at: float, stamp) -> pd.DataFrame:
    columns = ["lead_id", "time", "type", "owner"]
    if events is None:
        return pd.DataFrame(columns=columns)
    calls = events[(events["concept:name"] == "SDR attempt") & (events["sim_time_days"] <= at)]
    return pd.DataFrame(
        {
            "lead_id": _ids("L", calls["case:concept:name"].astype(int).to_numpy()),
            "time": stamp(calls["sim_time_days"].to_numpy()).to_numpy(),
            "type": "call",
            "owner": calls["org:resource"].astype(str).to_numpy(),
        }
    )


def _ids(prefix: str, numbers: np.ndarray) -> np.ndarray:
    return np.char.add(prefix, np.asarray(numbers, dtype=np.int64).astype(str))
