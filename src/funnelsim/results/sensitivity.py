"""An experiment's sensitivity indices, as ``funnelsim sensitivity`` wrote them beside its runs.

Computed by :mod:`funnelsim.analysis.sensitivity` (SALib) and kept in the results folder as
``sensitivity.json``, so views and notebooks read them without SALib or a simulator. A Sobol'
study also keeps ``sobol_convergence.csv``: the indices estimated again on the first N/8, N/4
and N/2 of its N base samples, beside those of all N.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from funnelsim.base.files import read_document
from funnelsim.results.experiment import Results, load_results

FILE = "sensitivity.json"
CONVERGENCE = "sobol_convergence.csv"


@dataclass(frozen=True)
class Sensitivity:
    """Indices per metric and factor.

    ``method`` is ``morris`` (columns ``mu_star``, ``mu_star_conf``, ``mu``, ``sigma``) or
    ``sobol`` (``S1``, ``S1_conf``, ``ST``, ``ST_conf``, ``straddles_zero``); both have
    ``noise``, the index the replications' noise alone would make, and ``below_noise``.
    ``output`` names what was analysed: a policy, or a paired difference ``B − A``.
    """

    method: str
    output: str
    table: pd.DataFrame
    notes: tuple[str, ...]
    results: Results
    convergence: pd.DataFrame | None = None
    """Of a Sobol' study: per metric, input and number of base samples (``samples``), the
    indices estimated on that prefix of the sample, with their intervals."""

    def ranked(self, metric: str) -> pd.DataFrame:
        """One metric's factors, the most influential first (by mu*, or by total index)."""
        rows = self.table[self.table["metric"] == metric]
        key = "mu_star" if self.method == "morris" else "ST"
        return rows.sort_values(key, ascending=False, kind="stable").reset_index(drop=True)

    def document(self) -> dict:
        return {
            "method": self.method,
            "output": self.output,
            "notes": list(self.notes),
            "indices": self.table.to_dict(orient="records"),
        }


def load_sensitivity(path: str | Path) -> Sensitivity:
    """The indices ``funnelsim sensitivity --out`` wrote into a results folder."""
    folder = Path(path)
    document = read_document(folder, FILE, "the folder of funnelsim sensitivity")
    steps = folder / CONVERGENCE
    return Sensitivity(
        method=document["method"],
        output=document["output"],
        table=pd.DataFrame(document["indices"]),
        notes=tuple(document["notes"]),
        results=load_results(folder),
        convergence=pd.read_csv(steps) if steps.exists() else None,
    )
