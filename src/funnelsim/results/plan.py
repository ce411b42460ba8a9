"""A plan for a target, as ``funnelsim plan`` found it: read back from its folder with pandas.

``plan.json`` holds the target, the levers, the pick with its chance and the waterfall's plan
beside it; ``evaluations.csv`` every plan the search ran; ``months.csv`` the pick's and the
waterfall's months; ``outcomes.csv`` the target's figure in each of their replications.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

FILE = "plan.json"
TABLES = ("evaluations", "months", "outcomes")


@dataclass(frozen=True)
class TargetPlan:
    """The plan's document and its tables."""

    document: dict[str, Any]
    evaluations: pd.DataFrame  # every plan run: levers, runs, hits, chance and interval, spend
    months: pd.DataFrame  # column ``plan``: pick or waterfall; mean over replications
    outcomes: pd.DataFrame  # column ``plan``; the target's figure per replication
    path: Path | None = None

    @property
    def currency(self) -> str:
        return self.document["currency"]

    @property
    def found(self) -> bool:
        return self.document["pick"] is not None


def load_plan(folder: str | Path) -> TargetPlan:
    """A plan's folder read back."""
    folder = Path(folder)
    document = json.loads((folder / FILE).read_text())
    tables = {name: pd.read_csv(folder / f"{name}.csv") for name in TABLES}
    return TargetPlan(document, **tables, path=folder)


def is_plan(folder: Path) -> bool:
    return (folder / FILE).is_file()
