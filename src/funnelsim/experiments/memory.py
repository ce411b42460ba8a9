"""Where an experiment's finished chunks land: the :class:`Store` a run fills.

A results folder (:class:`~funnelsim.experiments.storage.ResultsFolder`) is one store; an
experiment run without a folder keeps everything in a :class:`MemoryStore`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd
import pyarrow as pa

from funnelsim.experiments.execution import ChunkResult
from funnelsim.experiments.tables import to_table
from funnelsim.results.experiment import TABLES, named_policies

ORDER = ["point", "replication", "policy"]
"""The order of a finished table's rows."""


class Store(Protocol):
    """Where finished chunks land: a results folder, or memory when there is none."""

    manifest: dict[str, Any]
    done: dict[int, set[int]]  # point -> replications landed

    def add(self, result: ChunkResult, schema: pa.Schema) -> None: ...

    def runs(self, columns: list[str] | None = None) -> pd.DataFrame: ...

    def save(self) -> None: ...


@dataclass
class MemoryStore:
    """The store of an experiment run without a folder: everything stays in memory."""

    manifest: dict[str, Any]
    done: dict[int, set[int]] = field(default_factory=dict)
    parts: dict[str, list[pa.Table]] = field(default_factory=lambda: {n: [] for n in TABLES})

    def add(self, result: ChunkResult, schema: pa.Schema) -> None:
        for name, frame in result.tables().items():
            self.parts[name].append(to_table(frame, schema if name == "runs" else None))
        for point, replication in result.runs[["point", "replication"]].drop_duplicates().values:
            self.done.setdefault(int(point), set()).add(int(replication))

    def runs(self, columns: list[str] | None = None) -> pd.DataFrame:
        tables = [t.select(columns or t.column_names) for t in self.parts["runs"]]
        return _concat(tables, self.manifest["policies"])

    def save(self) -> None:
        pass

    def tables(self, replications: int) -> dict[str, pd.DataFrame]:
        """Every table, cut to the first ``replications``, in row order."""
        labels = self.manifest["policies"]
        return {name: _concat(self.parts[name], labels, replications) for name in TABLES}


def _concat(
    tables: list[pa.Table], labels: list[str], replications: int | None = None
) -> pd.DataFrame:
    """One frame of the tables (the first ``replications`` only), in row order, its policies
    named."""
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return pd.DataFrame()
    frame = named_policies(pa.concat_tables(tables).to_pandas(), labels)
    if replications is not None:
        frame = frame[frame["replication"] < replications]
    return frame.sort_values(ORDER, kind="stable", ignore_index=True)
