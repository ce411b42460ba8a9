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
from funnelsim.experiments.storage import TABLES, to_table

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
        frames = [t.select(columns or t.column_names).to_pandas() for t in self.parts["runs"]]
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return frame.sort_values(ORDER, kind="stable")

    def save(self) -> None:
        pass

    def tables(self, replications: int) -> dict[str, pd.DataFrame]:
        """Every table, cut to the first ``replications``, in row order."""
        return {name: _concat(self.parts[name], replications) for name in TABLES}


def _concat(tables: list[pa.Table], replications: int) -> pd.DataFrame:
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return pd.DataFrame()
    frame = pa.concat_tables(tables).to_pandas()
    frame = frame[frame["replication"] < replications]
    return frame.sort_values(ORDER, kind="stable").reset_index(drop=True)
