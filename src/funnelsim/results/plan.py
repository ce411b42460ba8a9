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

from funnelsim.errors import FunnelsimError

FILE = "plan.json"
TABLES = ("evaluations", "months", "outcomes")
AGAIN = "run funnelsim plan again with --out FOLDER --overwrite"
"""The remedy for a plan's folder that cannot be read."""
KEYS = ("scenario", "policy", "overrides", "currency", "start_date", "seed", "target", "period")
KEYS += ("probability", "levers", "method")
KEYS += ("baseline", "pick", "waterfall", "wall_seconds", "runs")
"""What every plan's document holds, whether or not a plan was found."""


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

    def months_of(self, name: str) -> pd.DataFrame:
        """One plan's months (``pick`` or ``waterfall``); none when the folder holds none."""
        if "plan" not in self.months:
            return self.months
        return self.months[self.months["plan"] == name]


def load_plan(folder: str | Path) -> TargetPlan:
    """A plan's folder read back; a file missing or damaged said in one line, for the report."""
    folder = Path(folder)
    names = (FILE, *(f"{name}.csv" for name in TABLES))
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        raise FunnelsimError(f"{folder}: {missing[0]} is missing; {AGAIN}")
    try:
        document = json.loads((folder / FILE).read_text())
    except (OSError, ValueError) as exc:
        raise FunnelsimError(f"{folder / FILE}: not readable JSON ({exc}); {AGAIN}") from exc
    lacks = [key for key in KEYS if not isinstance(document, dict) or key not in document]
    if lacks:
        raise FunnelsimError(f"{folder / FILE}: no {lacks[0]!r}, not a plan's document; {AGAIN}")
    tables = {name: _table(folder / f"{name}.csv") for name in TABLES}
    return TargetPlan(document, **tables, path=folder)


def _table(path: Path) -> pd.DataFrame:
    """A table of the folder; an empty one (no months when no plan was found and there is no
    waterfall) has no columns to read."""
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (OSError, ValueError) as exc:
        raise FunnelsimError(f"{path}: not a readable table ({exc}); {AGAIN}") from exc
