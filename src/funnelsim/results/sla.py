"""An SLA stress test's verdict (``sla.json``) beside its experiment's tables."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from funnelsim.errors import FunnelsimError
from funnelsim.results.experiment import Results, load_results

VERDICT = "sla.json"
PROPOSAL = "proposal"
"""The proposal's label beside its baseline's."""


def condition_title(name: str) -> str:
    """A condition's name as tables, figures and the report write it (``lost sdrs``)."""
    return name.replace("_", " ")


def _number(x: float | None) -> float:
    return float("nan") if x is None else float(x)


@dataclass(frozen=True)
class Clause:
    """A clause of the proposal: its name, the side that owes it, and its words."""

    name: str
    side: str
    label: str


@dataclass(frozen=True)
class Condition:
    """A condition the proposal is tested under: normal first, then each stress."""

    name: str
    description: str

    @property
    def title(self) -> str:
        return condition_title(self.name)


@dataclass(frozen=True)
class Estimate:
    """A mean and its 95% interval, NaN where the verdict has none."""

    mean: float
    low: float
    high: float

    @classmethod
    def of(cls, record: Mapping[str, Any], *keys: str) -> Estimate:
        return cls(*(_number(record[k]) for k in keys))


@dataclass
class SlaResults:
    """A stress test's verdict (``document``, as in ``sla.json``) and its experiment."""

    document: dict[str, Any]
    results: Results
    path: Path | None = None

    @property
    def name(self) -> str:
        """The proposal's name, or a plain one when it has none."""
        return self.document["proposal"]["name"] or "SLA proposal"

    @property
    def description(self) -> str:
        return (self.document["proposal"]["description"] or "").strip()

    @property
    def period(self) -> str:
        """The period a clause is judged over: month or quarter."""
        return self.document["proposal"]["period"]

    @property
    def target(self) -> float:
        """The probability with which a clause must hold in a period."""
        return self.document["probability"]

    @property
    def baseline(self) -> str:
        return self.document["baseline"]

    @property
    def scenario(self) -> str:
        return self.document["scenario"]

    @property
    def replications(self) -> int:
        return self.document["replications"]

    @property
    def policies(self) -> list[str]:
        """The baseline's label, then :data:`PROPOSAL`."""
        return list(self.document["policies"])

    @property
    def conditions(self) -> list[Condition]:
        return [Condition(c["name"], c["description"]) for c in self.document["conditions"]]

    @property
    def clauses(self) -> list[Clause]:
        return [Clause(c["name"], c["side"], c["label"]) for c in self.document["clauses"]]

    @property
    def held(self) -> dict[tuple[str, str, str], Estimate]:
        """(clause, condition, policy) to the chance the clause holds in a period."""
        return {
            (r["clause"], r["condition"], r["policy"]): Estimate.of(
                r, "held_share", "ci_low", "ci_high"
            )
            for r in self.document["compliance"]
        }

    @property
    def impacts(self) -> dict[tuple[str, str], Estimate]:
        """(metric, condition) to the proposal minus the baseline, in the order written."""
        return {
            (r["metric"], r["condition"]): Estimate.of(r, "difference", "ci_low", "ci_high")
            for r in self.document["impact"]
        }

    def first_breaches(self, policy: str = PROPOSAL) -> dict[str, dict[str, Any]]:
        """Per condition: who breaches first under ``policy`` and how often each side does."""
        return {r["condition"]: r for r in self.document["breaches"] if r["policy"] == policy}

    def _frame(self, name: str) -> pd.DataFrame:
        return pd.DataFrame(self.document[name])

    @property
    def compliance(self) -> pd.DataFrame:
        """Per condition, policy and clause: the probability that the clause holds."""
        return self._frame("compliance")

    @property
    def breaches(self) -> pd.DataFrame:
        """Per condition and policy: who breaches first, and how often each side breaches."""
        return self._frame("breaches")

    @property
    def impact(self) -> pd.DataFrame:
        """Per condition: the proposal minus the baseline on revenue, pipeline, cycle, leakage."""
        return self._frame("impact")

    @property
    def capacity(self) -> dict[str, Any] | None:
        """SDRs and AEs the proposal needs, with every headcount probed (None if not sought)."""
        return self.document["capacity"]


def load_sla(path: str | Path, results: Results | None = None) -> SlaResults:
    """A finished stress test's verdict and experiment, from its folder (``results``: the
    experiment's tables, when they are already loaded)."""
    folder = Path(path)
    try:
        document = json.loads((folder / VERDICT).read_text())
    except (OSError, ValueError):
        raise FunnelsimError(f"{folder}: not a finished SLA stress test (no {VERDICT})") from None
    return SlaResults(document, results or load_results(folder), folder)
