"""An experiment's results: its tables and manifest, in memory or read from its folder.

Readers only: they need pandas and pyarrow, never the model or the machinery that ran it, so
views, notebooks and the report can load a folder without importing a simulator.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from funnelsim.base.calendar import Calendar
from funnelsim.base.files import check_intact
from funnelsim.errors import FunnelsimError, ReplicationsFailed
from funnelsim.results import parts, stats

TABLES = ("runs", "weekly", "groups", "periods")
"""The tables that grow with the replications, one Parquet file each."""
FINAL_FILES = (*(f"{t}.parquet" for t in TABLES), "summary.csv", "differences.csv")
REQUIRED_FILES = tuple(name for name in FINAL_FILES if name != "periods.parquet")
MANIFEST = "manifest.json"
FORMAT = "funnelsim results folder 3"
"""The manifest's ``format``: how funnelsim knows a folder is its own and holds the tables it
writes now (format 1 numbered the policies; format 2 had no per-year money, cohort figures
with open leads censored, or cost)."""
ID_COLUMNS = ("point", "replication", "policy")
"""What names one run in the tables: its sweep point, replication and policy (by position)."""


@dataclass
class Results:
    """An experiment's tables, as written to its folder (or kept in memory without one).

    ``runs``, ``weekly`` and ``groups`` grow with the replications, so a folder's are read
    from disk the first time they are asked for: the summary of a large sweep is at hand
    without them.
    """

    summary: pd.DataFrame
    differences: pd.DataFrame
    manifest: dict[str, Any]
    path: Path | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    partial: tuple[int, int] | None = None
    """Of an experiment that has not finished: (replications finished, replications planned),
    summed over the sweep points; None once it has finished."""

    @property
    def runs(self) -> pd.DataFrame:
        """One row per replication, policy and sweep point: identifiers, factors, metrics."""
        return self._table("runs")

    @property
    def weekly(self) -> pd.DataFrame:
        """Weekly series of every run, long format: one row per run and week."""
        return self._table("weekly")

    @property
    def groups(self) -> pd.DataFrame:
        """Every run's figures by source and by segment."""
        return self._table("groups")

    @property
    def periods(self) -> pd.DataFrame:
        """Every run's counts per month or quarter; empty unless the study counted them."""
        return self._table("periods")

    def sla_limit(self, policy: str, point: int = 0) -> tuple[str, float]:
        """A policy's SLA response time at a sweep point, as written and in business hours.

        Speed to lead is measured on the business clock, so a ``1h`` SLA is one open hour and a
        ``1d`` SLA is one working day (8 hours with the default calendar), not 24.
        """
        resolved = self.manifest["scenario"][policy]["resolved"]
        values = self.manifest["points"][point]
        text = str(self.setting(policy, "sla.response_time", point))
        spec = dict(resolved["calendar"])
        spec |= {k.split(".", 1)[1]: v for k, v in values.items() if k.startswith("calendar.")}
        start = dt.date.fromisoformat(str(resolved["start_date"]))
        calendar = Calendar.from_spec(SimpleNamespace(**spec), start)
        return text, calendar.open_time(text) * 24.0

    def setting(self, policy: str, key: str, point: int = 0) -> Any:
        """A dotted scenario key's value for a policy at a sweep point: the point's factor
        value, else the policy's resolved scenario's."""
        values = self.manifest["points"][point]
        if key in values:
            return values[key]
        node = self.manifest["scenario"][policy]["resolved"]
        for part in key.split("."):
            node = node[part]
        return node

    def columns(self, names: list[str]) -> pd.DataFrame:
        """Those of these columns the runs table has (a folder written by an earlier version
        may lack some), read alone from a folder: a large sweep's table is not read whole."""
        if "runs" in self.tables or self.path is None:
            return self.runs[[n for n in names if n in self.runs.columns]]
        path = self.path / "runs.parquet"
        have = set(pq.read_schema(path).names)
        return pd.read_parquet(path, columns=[n for n in names if n in have])

    def _table(self, name: str) -> pd.DataFrame:
        if name not in self.tables:
            path = self.path / f"{name}.parquet"
            self.tables[name] = self._read(path) if path.exists() else pd.DataFrame()
        return self.tables[name]

    def _read(self, path: Path, **options: Any) -> pd.DataFrame:
        return named_policies(pd.read_parquet(path, **options), self.manifest["policies"])

    @property
    def failed(self) -> pd.DataFrame:
        """Replications that raised, with their seeds and errors."""
        if "runs" in self.tables or self.path is None:
            return self.runs[self.runs["status"] == "failed"]
        return self._read(self.path / "runs.parquet", filters=[("status", "==", "failed")])

    @property
    def succeeded(self) -> int:
        """How many replications ran to their end (read from the status column alone)."""
        if "runs" in self.tables or self.path is None:
            status = self.runs["status"]
        else:
            status = pd.read_parquet(self.path / "runs.parquet", columns=["status"])["status"]
        return int((status == "ok").sum())


def named_policies(frame: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    """``frame`` with its ``policy`` column as the policies' names: a categorical ordered as
    the experiment lists them, so rows sort in that order and select by name.

    Folders written before the names were stored hold each policy's position instead.
    """
    if "policy" not in frame:
        return frame
    values = frame["policy"]
    if pd.api.types.is_integer_dtype(values):
        values = values.map(dict(enumerate(labels)))
    return frame.assign(policy=pd.Categorical(values, categories=list(labels), ordered=True))


def check_succeeded(results: Results) -> None:
    """Refuse to judge or draw an experiment none of whose replications ran to its end, in
    one line that says where each replication's error is kept."""
    if results.succeeded:
        return
    errors = results.failed["error"]
    where = "" if results.path is None else f" in {results.path / 'runs.parquet'}"
    raise ReplicationsFailed(
        f"all {len(errors)} replications failed, so there is nothing to judge or draw; "
        f"each one's error and seed are recorded{where} (the first: {errors.iloc[0]})"
    )


def read_folder(path: str | Path) -> dict[str, Any]:
    """The summary, differences and manifest of a finished results folder.

    The runs, weekly and group tables grow with the replications; they are read when asked
    for (:class:`Results`).
    """
    folder = Path(path)
    manifest = _manifest(folder)
    missing = [n for n in REQUIRED_FILES if not (folder / n).exists()]
    if missing or manifest.get("status") != "complete":
        raise FunnelsimError(
            f"{folder}: the experiment has not finished (status {manifest.get('status')}); "
            "run its command again with --resume"
        )
    remedy = "run its command again with --resume to write it again"
    check_intact(folder, FINAL_FILES, remedy, manifest.get("sizes"))
    out: dict[str, Any] = {n: _csv(folder / f"{n}.csv") for n in ("summary", "differences")}
    out["manifest"] = manifest
    return out


def _csv(path: Path) -> pd.DataFrame:
    """A table funnelsim wrote: rows end at a line feed only, since pandas leaves a carriage
    return in a name (a policy, a source in a factor key) unquoted."""
    return pd.read_csv(path, lineterminator="\n")


def _manifest(folder: Path) -> dict[str, Any]:
    """A results folder's manifest, or one line saying the folder is not one, or not one this
    funnelsim can read."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        manifest = None
    if not isinstance(manifest, dict):
        raise FunnelsimError(f"{folder}: not a results folder (no readable manifest.json)")
    if manifest.get("format") != FORMAT:
        raise FunnelsimError(
            f"{folder}: written by an earlier funnelsim, whose figures this one no longer has "
            "(money per year, cohorts with open leads, cost); run the experiment again"
        )
    return manifest


def load_results(path: str | Path, partial: bool = False) -> Results:
    """The tables and manifest of a finished results folder.

    With ``partial``, a folder whose experiment has not finished (interrupted, or still
    running) gives the replications that finished so far, and says how many in
    :attr:`Results.partial`; a finished one loads as usual.
    """
    folder = Path(path)
    manifest = _manifest(folder)
    if partial and manifest.get("status") != "complete":
        return _unfinished(folder, manifest)
    return Results(**read_folder(folder), path=folder)


def _unfinished(folder: Path, manifest: dict[str, Any]) -> Results:
    """What finished of an experiment, from its landed chunks, with its statistics."""
    found = parts.tables(folder, TABLES)
    if found["runs"].empty:
        message = "no replication has finished yet; run its command again with --resume"
        raise FunnelsimError(f"{folder}: {message}")
    runs = found["runs"] = found["runs"].sort_values(list(ID_COLUMNS), ignore_index=True)
    labels, factors = manifest["policies"], manifest["factors"]
    metrics = _metrics(manifest)
    summary = stats.summarise(runs, metrics, labels, factors)
    differences = stats.differences(runs, metrics, labels, factors)
    return Results(summary, differences, manifest, folder, found, _progress(runs, manifest))


def _metrics(manifest: dict[str, Any]) -> list[str]:
    """The metrics an experiment summarises: its own, and the one its precision target watches."""
    metrics = list(manifest.get("metrics", manifest["experiment"]["metrics"]))
    target = manifest["replications"].get("precision") or {}
    watched = target.get("metric")
    return metrics + ([watched] if watched and watched not in metrics else [])


def _progress(runs: pd.DataFrame, manifest: dict[str, Any]) -> tuple[int, int]:
    """Replications finished and planned, over every sweep point (at most the precision
    target's limit, when one may add replications)."""
    reps = manifest["replications"]
    per_point = (reps.get("precision") or {}).get("max_replications") or reps["requested"]
    finished = len(runs[["point", "replication"]].drop_duplicates())
    return finished, per_point * len(manifest["points"])
