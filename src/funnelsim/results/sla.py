"""An SLA stress test's verdict (``sla.json``) beside its experiment's tables."""

from __future__ import annotations

import json
import math
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
    def of(cls, record: Mapping[str, Any], mean: str, *interval: str) -> Estimate:
        """The estimate in ``record`` under these keys; one without an interval has NaN bounds."""
        low, high = (_number(record[k]) for k in interval) if interval else (math.nan,) * 2
        return cls(_number(record[mean]), low, high)


HELD = ("held_share", "ci_low", "ci_high")
"""Where a verdict record keeps the chance a clause holds in a period, and its interval."""


@dataclass(frozen=True)
class Probe:
    """One headcount a capacity search tried: the chance the promise is kept with it (for AEs,
    the share of runs within the wait, without an interval), and whether that is enough."""

    count: int
    chance: Estimate
    holds: bool


@dataclass(frozen=True)
class Search:
    """A capacity search: the promise sized for, the proposal's headcount, the fewest that keep
    it (None: none up to the limit) and every count probed, fewest first."""

    promise: str
    current: int
    needed: int | None
    probes: tuple[Probe, ...]

    @classmethod
    def of(cls, record: Mapping[str, Any], promise: str, count: str, *chance: str) -> Search:
        probes = (
            Probe(p[count], Estimate.of(p, *chance), bool(p["holds"])) for p in record["probes"]
        )
        ordered = tuple(sorted(probes, key=lambda p: p.count))
        return cls(record[promise], record["current"], record["needed"], ordered)


@dataclass(frozen=True)
class Capacity:
    """The headcount the proposal needs for its promises to hold with ``target`` probability:
    SDRs for first touch (None without that clause), then AEs at the SDRs found (None when
    not sought) at ``ae_sdrs`` SDRs."""

    target: float
    sdr: Search | None
    ae: Search | None
    ae_sdrs: int | None

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> Capacity:
        sdr, ae = record["sdr"], record["ae"]
        return cls(
            record["probability"],
            None if sdr is None else Search.of(sdr, "clause", "headcount", *HELD),
            None if ae is None else Search.of(ae, "criterion", "ae_count", "runs_within"),
            None if ae is None else ae["sdr_headcount"],
        )


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
        """The label of the policy the proposal is set against."""
        return self.document["baseline"]

    @property
    def scenario(self) -> str:
        """The scenario both sides ran on, as the proposal names it."""
        return self.document["scenario"]

    @property
    def replications(self) -> int:
        """Replications per policy and condition."""
        return self.document["replications"]

    @property
    def policies(self) -> list[str]:
        """The baseline's label, then :data:`PROPOSAL`."""
        return list(self.document["policies"])

    @property
    def conditions(self) -> list[Condition]:
        """Normal first, then each stress."""
        return [Condition(c["name"], c["description"]) for c in self.document["conditions"]]

    @property
    def clauses(self) -> list[Clause]:
        """The promises judged per period, each with the side that owes it and its words."""
        return [Clause(c["name"], c["side"], c["label"]) for c in self.document["clauses"]]

    @property
    def held(self) -> dict[tuple[str, str, str], Estimate]:
        """(clause, condition, policy) to the chance the clause holds in a period."""
        return {
            (r["clause"], r["condition"], r["policy"]): Estimate.of(r, *HELD)
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
        """Per condition: the proposal minus the baseline on revenue, pipeline, lead to close,
        opportunity age at close and leakage."""
        return self._frame("impact")

    @property
    def capacity(self) -> dict[str, Any] | None:
        """SDRs and AEs the proposal needs, with every headcount probed (None if not sought)."""
        return self.document["capacity"]

    @property
    def headcount(self) -> Capacity | None:
        """:attr:`capacity` read: the SDRs and AEs the proposal needs (None if not sought)."""
        record = self.document["capacity"]
        return None if record is None else Capacity.of(record)


def load_sla(path: str | Path, results: Results | None = None) -> SlaResults:
    """A finished stress test's verdict and experiment, from its folder (``results``: the
    experiment's tables, when they are already loaded)."""
    folder = Path(path)
    try:
        document = json.loads((folder / VERDICT).read_text())
    except (OSError, ValueError):
        raise FunnelsimError(f"{folder}: not a finished SLA stress test (no {VERDICT})") from None
    return SlaResults(document, results or load_results(folder), folder)
