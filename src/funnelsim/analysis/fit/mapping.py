"""The mapping file of a CRM export: where its files are, which column is which, and how the
CRM's sources, segments, stages and loss reasons map onto a scenario's.

A mapping starts from a CRM's standard export (``shape: hubspot``, ``salesforce`` or
``funnelsim``, the shape ``funnelsim export-crm`` writes) and changes only what differs: a
renamed column, a custom field, the company's own stage names. See docs/fit.md.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import Field

from funnelsim.base.strict import Frozen
from funnelsim.base.yamldoc import Document, validated
from funnelsim.errors import Problem, ScenarioError
from funnelsim.record.crm import COLUMNS, SHAPES
from funnelsim.scenario.fields import TimeZone

REQUIRED = {
    "leads": ("lead_id", "created", "source"),
    "opportunities": ("opp_id", "created", "amount", "stage"),
    "stage_history": ("opp_id", "stage", "entered"),
    "activities": ("lead_id", "time", "type"),
}
"""The columns a table cannot do without; the others are read when the file has them."""
OPTIONAL_TABLES = ("stage_history", "activities")
"""Tables an export may leave out: without them, stages and the desk's cadence are not fitted."""


class CrmMapping(Frozen):
    """A CRM export's mapping file, resolved against its shape."""

    shape: Literal["funnelsim", "hubspot", "salesforce"] = Field(
        default="funnelsim", description="the CRM whose standard export the files follow"
    )
    folder: str = Field(default=".", description="the export's folder, from the mapping file's")
    export_date: dt.datetime | None = Field(
        default=None,
        description="when the export was taken: the censoring time (default: its latest time)",
    )
    timezone: TimeZone = Field(default="UTC", description="the zone of times written without one")
    currency: str = Field(default="USD", min_length=3, max_length=3)
    files: dict[Literal["leads", "opportunities", "stage_history", "activities"], str] = {}
    columns: dict[
        Literal["leads", "opportunities", "stage_history", "activities"], dict[str, str]
    ] = {}
    sources: dict[str, str] = Field(default={}, description="CRM source -> scenario source")
    segments: dict[str, str] = Field(default={}, description="CRM value -> scenario segment")
    stages: dict[str, str] = Field(
        default={}, description="CRM stage -> scenario stage name, in the pipeline's order"
    )
    won: list[str] = Field(default=[], description="stages that mean closed won")
    lost: list[str] = Field(default=[], description="stages that mean closed lost")
    gone_dark: list[str] = Field(
        default=["no activity"], description="loss reasons that mean the deal went dark"
    )
    no_decision: list[str] = Field(
        default=["no decision"], description="loss reasons that mean no decision was made"
    )
    calls: list[str] = Field(default=["call"], description="activity types that are SDR attempts")

    def file(self, table: str) -> str:
        return self.files.get(table, SHAPES[self.shape].files[table])

    def column(self, table: str, name: str) -> str:
        """The export's column for funnelsim's column ``name`` of ``table``."""
        return self.columns.get(table, {}).get(name, SHAPES[self.shape].columns[table][name])

    def won_stages(self) -> list[str]:
        return self.won or [SHAPES[self.shape].won]

    def lost_stages(self) -> list[str]:
        return self.lost or [SHAPES[self.shape].lost]


def read_mapping(path: str | Path) -> tuple[CrmMapping, Path]:
    """The mapping at ``path`` and the folder its files are in; every problem at its line."""
    doc = Document(Path(path))
    mapping = validated(CrmMapping, doc.data, doc.source, doc.lines)
    problems = [
        Problem(
            doc.source,
            f"columns.{table}.{name}",
            _unknown(table, name),
            doc.lines.get(("columns", table, name)),
        )
        for table, names in mapping.columns.items()
        for name in names
        if name not in COLUMNS[table]
    ]
    if problems:
        raise ScenarioError(problems)
    return mapping, Path(path).parent / mapping.folder


def _unknown(table: str, name: str) -> str:
    return f"no column {name!r} in {table}; expected one of {', '.join(COLUMNS[table])}"
