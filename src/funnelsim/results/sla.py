"""An SLA stress test's verdict (``sla.json``) beside its experiment's tables."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from funnelsim.errors import FunnelsimError
from funnelsim.results.experiment import Results, load_results

VERDICT = "sla.json"


@dataclass
class SlaResults:
    """A stress test's verdict (``document``, as in ``sla.json``) and its experiment."""

    document: dict[str, Any]
    results: Results
    path: Path | None = None

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
