"""A CRM export read through its mapping: checked, cleaned, and in funnelsim's columns.

A column the mapping names that the file lacks, a time or amount that does not parse, or a
segment the scenario does not know is an error naming the file, the column, the row and what
was expected. Rows that parse but cannot be true (a duplicate id, a deal closed before it was
created, a negative amount, a record created after the export) are counted, reported and left
out, never used. Every time is read in the mapping's zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from funnelsim.analysis.fit.mapping import OPTIONAL_TABLES, REQUIRED, CrmMapping
from funnelsim.errors import Problem, ScenarioError
from funnelsim.record.crm import COLUMNS

TIMES = {
    "leads": ("created", "mql_date", "first_touch", "sql_date"),
    "opportunities": ("created", "closed"),
    "stage_history": ("entered",),
    "activities": ("time",),
}
"""The columns of each table that hold times."""
ZONED = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")
MOST_SHOWN = 5
"""Rows named in one column's problem before the rest are counted."""


@dataclass(frozen=True)
class CrmData:
    """An export's tables in funnelsim's columns, its censoring time and what was left out.

    ``opportunities`` gains ``outcome``: won, lost, no_decision, dark, or open at the export.
    """

    leads: pd.DataFrame
    opportunities: pd.DataFrame
    stage_history: pd.DataFrame | None
    activities: pd.DataFrame | None
    exported_at: pd.Timestamp
    excluded: pd.DataFrame  # table, reason, rows


def read_export(mapping: CrmMapping, folder: Path, segments: list[str]) -> CrmData:
    """Read the export in ``folder`` that ``mapping`` describes, for a scenario with
    ``segments``; every problem of every file at once."""
    problems: list[Problem] = []
    tables: dict[str, pd.DataFrame | None] = {}
    for table in COLUMNS:
        tables[table] = _table(mapping, folder, table, problems)
    for table in ("leads", "opportunities"):
        frame = tables[table]
        if frame is not None and "segment" in frame:
            _check_segments(frame, mapping, segments, table, folder, problems)
    if problems:
        raise ScenarioError(problems)
    excluded: list[tuple[str, str, int]] = []
    exported_at = _export_time(mapping, tables)
    cleaned = {
        name: None if frame is None else _clean(name, frame, exported_at, excluded)
        for name, frame in tables.items()
    }
    opps = cleaned["opportunities"]
    opps["outcome"] = outcomes_of(opps, mapping)
    leads = cleaned["leads"]
    leads["source"] = leads["source"].map(lambda s: mapping.sources.get(s, s))
    return CrmData(
        leads=leads,
        opportunities=opps,
        stage_history=_stages(cleaned["stage_history"], mapping),
        activities=cleaned["activities"],
        exported_at=exported_at,
        excluded=pd.DataFrame(excluded, columns=["table", "reason", "rows"]),
    )


def _path(mapping: CrmMapping, folder: Path, table: str) -> Path:
    path = folder / mapping.file(table)
    if not path.exists() and path.suffix == ".csv" and path.with_suffix(".parquet").exists():
        return path.with_suffix(".parquet")
    return path


def _table(
    mapping: CrmMapping, folder: Path, table: str, problems: list[Problem]
) -> pd.DataFrame | None:
    path = _path(mapping, folder, table)
    if not path.exists():
        if table not in OPTIONAL_TABLES:
            problems.append(Problem(str(path), "", f"no such file: the {table} table is needed"))
        return None
    try:
        raw = (
            pd.read_parquet(path)
            if path.suffix == ".parquet"
            else pd.read_csv(path, dtype=str, keep_default_na=False)
        )
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        problems.append(Problem(str(path), "", f"cannot read the {table} table: {exc}"))
        return None
    out = {}
    for name in COLUMNS[table]:
        column = mapping.column(table, name)
        if column in raw:
            out[name] = raw[column]
        elif name in REQUIRED[table]:
            have = ", ".join(map(str, raw.columns[:12]))
            message = f"no column {column!r} ({name}); the file has: {have}"
            problems.append(Problem(str(path), column, message))
    frame = pd.DataFrame(out, index=raw.index)
    for name in TIMES[table]:
        if name in frame:
            frame[name] = _times(frame[name], mapping, path, mapping.column(table, name), problems)
    if "amount" in frame:
        frame["amount"] = _numbers(frame["amount"], path, mapping.column(table, "amount"), problems)
    text = [c for c in frame if c not in TIMES[table] and c != "amount"]
    frame[text] = frame[text].replace({"": np.nan})
    return _complete(frame, table, mapping.timezone)


def _complete(frame: pd.DataFrame, table: str, zone: str) -> pd.DataFrame:
    """Every column of ``table``, those the export lacks empty: later steps need not ask."""
    for name in COLUMNS[table]:
        if name not in frame:
            if name in TIMES[table]:
                frame[name] = pd.Series(pd.NaT, index=frame.index, dtype=f"datetime64[ns, {zone}]")
            else:
                frame[name] = pd.Series(
                    np.nan, index=frame.index, dtype=float if name == "amount" else object
                )
    return frame


def _rows(index: pd.Index, path: Path) -> str:
    """The rows as a reader finds them: the CSV's line numbers (its header is line 1)."""
    text = ".csv" in path.suffixes
    lines = [str(k + 2) if text else f"row {k}" for k in index[:MOST_SHOWN]]
    more = f" and {len(index) - MOST_SHOWN} more" if len(index) > MOST_SHOWN else ""
    return ", ".join(lines) + more


def _times(
    values: pd.Series, mapping: CrmMapping, path: Path, column: str, problems: list[Problem]
) -> pd.Series:
    """``values`` as times in the mapping's zone; a zone written in a value is honoured."""
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = values
        if stamps.dt.tz is None:
            return _local(stamps, mapping.timezone)
        return stamps.dt.tz_convert(mapping.timezone)
    text = values.fillna("").astype(str).str.strip()
    zoned = text.str.contains(ZONED) & text.ne("")
    out = pd.Series(pd.NaT, index=values.index, dtype=f"datetime64[ns, {mapping.timezone}]")
    if zoned.any():
        parsed = pd.to_datetime(text[zoned], format="ISO8601", utc=True, errors="coerce")
        out[zoned] = parsed.dt.tz_convert(mapping.timezone)
    plain = ~zoned & text.ne("")
    if plain.any():
        parsed = pd.to_datetime(text[plain], format="ISO8601", errors="coerce")
        out[plain] = _local(parsed, mapping.timezone)
    bad = out.isna() & text.ne("")
    if bad.any():
        example = text[bad].iloc[0]
        message = (
            f"expected a date or time (ISO 8601, such as 2026-03-01 or 2026-03-01T09:30:00), "
            f"got {example!r} on line {_rows(text.index[bad], path)}"
        )
        problems.append(Problem(str(path), column, message))
    return out


def _local(stamps: pd.Series, zone: str) -> pd.Series:
    """Wall-clock times in ``zone``: the autumn's repeated hour read as standard time, a time
    in the spring's gap moved forward, as the exporter writes them."""
    return stamps.dt.tz_localize(
        zone, ambiguous=np.zeros(len(stamps), bool), nonexistent="shift_forward"
    )


def _numbers(values: pd.Series, path: Path, column: str, problems: list[Problem]) -> pd.Series:
    text = values.fillna("").astype(str).str.replace(",", "").str.strip()
    numbers = pd.to_numeric(text.replace("", np.nan), errors="coerce")
    bad = numbers.isna() & text.ne("")
    if bad.any():
        example = text[bad].iloc[0]
        message = f"expected an amount, got {example!r} on line {_rows(text.index[bad], path)}"
        problems.append(Problem(str(path), column, message))
    return numbers


def _check_segments(
    frame: pd.DataFrame,
    mapping: CrmMapping,
    segments: list[str],
    table: str,
    folder: Path,
    problems: list[Problem],
) -> None:
    named = frame["segment"].map(lambda s: mapping.segments.get(s, s) if s else s)
    frame["segment"] = named
    bad = named.notna() & named.ne("") & ~named.isin(segments)
    if bad.any():
        path = _path(mapping, folder, table)
        lines = _rows(named.index[bad], path)
        message = (
            f"expected a segment of the scenario ({', '.join(segments)}) or a value mapped to "
            f"one under 'segments', got {named[bad].iloc[0]!r} on line {lines}"
        )
        problems.append(Problem(str(path), mapping.column(table, "segment"), message))


def _export_time(mapping: CrmMapping, tables: dict[str, pd.DataFrame | None]) -> pd.Timestamp:
    if mapping.export_date is not None:
        stamp = pd.Timestamp(mapping.export_date)
        if stamp.tz is None:
            return stamp.tz_localize(mapping.timezone)
        return stamp.tz_convert(mapping.timezone)
    # Close dates and activities may lie ahead (an open deal's expected close, a task
    # planned): the export is no earlier than the latest time already past.
    latest = [
        frame[name].max()
        for table, frame in tables.items()
        if frame is not None and table != "activities"
        for name in TIMES[table]
        if name != "closed" and name in frame and frame[name].notna().any()
    ]
    return max(latest)


def _clean(
    table: str, frame: pd.DataFrame, exported_at: pd.Timestamp, excluded: list
) -> pd.DataFrame:
    """Leave out the rows that cannot be true, counting each reason."""
    reasons = {
        "no creation time": frame[TIMES[table][0]].isna(),
        "created after the export": frame[TIMES[table][0]] > exported_at,
    }
    key = {"leads": "lead_id", "opportunities": "opp_id"}.get(table)
    if key is not None:
        reasons["duplicate id"] = frame[key].duplicated(keep="first")
    if table == "opportunities":
        # A close date without a time (Salesforce's CloseDate) is the day: on it is not before.
        reasons["closed before created"] = frame["closed"] < frame["created"].dt.normalize()
        reasons["negative amount"] = frame["amount"] < 0
    drop = pd.Series(False, index=frame.index)
    for reason, rows in reasons.items():
        rows = rows.fillna(False) & ~drop
        if rows.any():
            excluded.append((table, reason, int(rows.sum())))
        drop |= rows
    kept = frame[~drop].reset_index(drop=True)
    for name in TIMES[table][1:]:
        if name in kept:  # what happened after the export had not happened at it
            kept.loc[kept[name] > exported_at, name] = pd.NaT
    return kept


def outcomes_of(opps: pd.DataFrame, mapping: CrmMapping) -> pd.Series:
    """How each deal stood at the export: won, lost, no decision, gone dark, or open.

    Its stage says whether a deal is closed: an open deal's close date is the date expected.
    A closed stage without a close date is open at the export when the export has close
    dates (its close came after the export and was cut), closed when it has none.
    """
    stage = opps["stage"].fillna("")
    reason = opps["loss_reason"].fillna("")
    won = stage.isin(mapping.won_stages())
    closed = won | stage.isin(mapping.lost_stages())
    if opps.loc[closed, "closed"].notna().any():
        closed &= opps["closed"].notna()
    outcome = np.select(
        [
            closed & won,
            closed & reason.isin(mapping.gone_dark),
            closed & reason.isin(mapping.no_decision),
            closed,
        ],
        ["won", "dark", "no_decision", "lost"],
        "open",
    )
    return pd.Series(outcome, index=opps.index)


def _stages(history: pd.DataFrame | None, mapping: CrmMapping) -> pd.DataFrame | None:
    """The stage history with the scenario's stage names; closed stages named won or lost."""
    if history is None:
        return None
    stage = history["stage"].fillna("")
    named = stage.map(lambda s: mapping.stages.get(s, s))
    named[stage.isin(mapping.won_stages())] = "won"
    named[stage.isin(mapping.lost_stages())] = "lost"
    return history.assign(stage=named)
