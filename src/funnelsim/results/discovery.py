"""Where a condition holds, as ``funnelsim discover`` wrote it beside a study's runs.

Computed by :mod:`funnelsim.analysis.discovery` (PRIM, CART) and kept in the results folder:
``discovery.json`` holds the box, its coverage and density, PRIM's peeling trajectory and CART's
rules; ``discovery_cases.csv`` holds the cases, one row each: its inputs' values, the metrics
the condition names, and whether the condition holds. Views and notebooks read them without
the EMA Workbench or scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from funnelsim.base.files import read_document

FILE = "discovery.json"
CASES = "discovery_cases.csv"
HOLDS = "holds"
"""The cases' column that says whether the condition holds."""


@dataclass(frozen=True)
class Discovery:
    """The box PRIM found, its coverage and density, its peeling trajectory, and CART's rule.

    ``table`` has one row per case: its ``inputs``, the ``metrics`` the condition names and
    :data:`HOLDS`; ``chosen`` is the row of ``trajectory`` that is the box, and ``threshold``
    the density PRIM's box had to reach.
    """

    where: str
    cases: int
    holding: int
    box: dict[str, tuple[float, float]]  # the factors the box restricts: (low, high)
    coverage: float
    density: float
    trajectory: pd.DataFrame  # coverage, density, mass and restricted factors at each peel
    tree: str
    threshold: float = 0.8
    chosen: int = -1
    inputs: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    table: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def sentence(self) -> str:
        """The box in people's words."""
        bounds = " and ".join(_bound(name, low, high) for name, (low, high) in self.box.items())
        return (
            f"{self.where} holds in {self.holding} of {self.cases} cases; it holds when "
            f"{bounds or 'anything'} (covers {self.coverage:.0%} of the cases where it holds; "
            f"{self.density:.0%} of the cases in the box hold)"
        )

    def document(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "cases": self.cases,
            "holding": self.holding,
            "box": {
                name: [None if np.isinf(b) else b for b in bounds]
                for name, bounds in self.box.items()
            },
            "coverage": self.coverage,
            "density": self.density,
            "sentence": self.sentence(),
            "tree": self.tree,
            "threshold": self.threshold,
            "chosen": self.chosen,
            "inputs": list(self.inputs),
            "metrics": list(self.metrics),
            "trajectory": self.trajectory.to_dict(orient="records"),
        }


def _bound(name: str, low: float, high: float) -> str:
    if np.isinf(low):
        return f"{name} <= {high:.4g}"
    if np.isinf(high):
        return f"{name} >= {low:.4g}"
    return f"{low:.4g} <= {name} <= {high:.4g}"


def load_discovery(path: str | Path) -> Discovery:
    """What ``funnelsim discover`` wrote into a results folder, with its cases when kept."""
    folder = Path(path)
    document = read_document(folder, FILE, "a folder funnelsim discover has read")
    box = {
        name: (-np.inf if low is None else low, np.inf if high is None else high)
        for name, (low, high) in document["box"].items()
    }
    cases = folder / CASES
    table = pd.read_csv(cases) if cases.exists() else pd.DataFrame()
    if HOLDS in table:
        table[HOLDS] = table[HOLDS].astype(bool)
    trajectory = pd.DataFrame(document["trajectory"])
    return Discovery(
        where=document["where"],
        cases=document["cases"],
        holding=document["holding"],
        box=box,
        coverage=document["coverage"],
        density=document["density"],
        trajectory=trajectory,
        tree=document["tree"],
        threshold=document.get("threshold", 0.8),
        chosen=document.get("chosen", len(trajectory) - 1),
        inputs=tuple(document.get("inputs", ())),
        metrics=tuple(document.get("metrics", ())),
        table=table,
    )


def discovered(folder: Path | None) -> Discovery | None:
    """The discovery a results folder holds, if ``funnelsim discover`` wrote one."""
    if folder is None or not (folder / FILE).exists():
        return None
    return load_discovery(folder)
