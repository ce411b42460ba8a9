"""Where does a condition hold? Scenario discovery over an experiment's sampled points.

Each point of a sweep, robustness or sensitivity study is a case: its factor values, and its
outputs (each metric's mean over the replications; with two policies, their paired
difference). A condition on the outputs (``contribution_per_year < 0``) splits the cases. PRIM
(the EMA Workbench's implementation) peels the factor space down to a box in which the
condition holds for most cases (its density) while keeping most of the cases where it holds
(its coverage); a CART tree (scikit-learn) gives a second opinion in its own terms.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from funnelsim.base.files import atomic_write
from funnelsim.base.intervals import number
from funnelsim.errors import UsageError
from funnelsim.results import Results

FILE = "discovery.json"
DENSITY = 0.8
"""PRIM peels until at least this share of the cases in its box meet the condition."""
TREE_DEPTH = 3


@dataclass(frozen=True)
class Discovery:
    """The box PRIM found, its coverage and density, its peeling trajectory, and CART's rule."""

    where: str
    cases: int
    holding: int
    box: dict[str, tuple[float, float]]  # the factors the box restricts: (low, high)
    coverage: float
    density: float
    trajectory: pd.DataFrame  # coverage, density, mass and restricted factors at each peel
    tree: str

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
            "trajectory": self.trajectory.to_dict(orient="records"),
        }


def _bound(name: str, low: float, high: float) -> str:
    if np.isinf(low):
        return f"{name} <= {high:.4g}"
    if np.isinf(high):
        return f"{name} >= {low:.4g}"
    return f"{low:.4g} <= {name} <= {high:.4g}"


def cases(results: Results) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The factor values and the outputs of every point, one row each."""
    from funnelsim.analysis.sensitivity import outputs

    points = pd.DataFrame(results.manifest["points"])
    factors = points.map(lambda v: number(v)[0])  # a duration in its unit's amount
    if factors.empty or len(factors) < 2:
        raise UsageError("discover: expected the results of a study with many points")
    found = {m: outputs(results, m).mean(axis=1) for m in results.manifest["metrics"]}
    return factors, pd.DataFrame(found)


def condition(outputs: pd.DataFrame, where: str) -> np.ndarray:
    """Which cases meet ``where``, an expression over the metrics' names."""
    try:
        held = outputs.eval(where)
    except Exception as exc:  # pandas raises many kinds for a bad expression
        names = ", ".join(outputs.columns)
        raise UsageError(f"--where {where!r}: {exc}; expected a condition on {names}") from None
    held = np.asarray(held)
    if held.dtype != bool or held.shape != (len(outputs),):
        raise UsageError(f"--where {where!r}: expected a true-or-false condition, such as x < 0")
    return held


def boxed(factors: pd.DataFrame, held: np.ndarray) -> tuple[dict, float, float, pd.DataFrame]:
    """PRIM's box for the cases that hold: the restricted factors' bounds, its coverage and
    density, and the peeling trajectory."""
    with warnings.catch_warnings():  # the workbench warns of parallel back-ends on import
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

        box = prim.Prim(factors, held, threshold=DENSITY).find_box()
    limits = box.box_lim  # the box PRIM stopped at
    whole = pd.DataFrame({"min": factors.min(), "max": factors.max()}).T
    restricted = {
        name: (
            -np.inf
            if limits.loc[0, name] <= whole.loc["min", name]
            else float(limits.loc[0, name]),
            np.inf if limits.loc[1, name] >= whole.loc["max", name] else float(limits.loc[1, name]),
        )
        for name in factors.columns
        if limits.loc[0, name] > whole.loc["min", name]
        or limits.loc[1, name] < whole.loc["max", name]
    }
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]]
    return restricted, float(box.coverage), float(box.density), trajectory


def tree(factors: pd.DataFrame, held: np.ndarray) -> str:
    """CART's rules for the cases that hold, as text (a second opinion on PRIM's box)."""
    from sklearn.tree import DecisionTreeClassifier, export_text

    leaf = max(2, len(held) // 20)
    fitted = DecisionTreeClassifier(max_depth=TREE_DEPTH, min_samples_leaf=leaf, random_state=0)
    fitted.fit(factors.to_numpy(), held)
    return export_text(fitted, feature_names=list(factors.columns), class_names=["no", "yes"])


def discover(results: Results, where: str) -> Discovery:
    """Where ``where`` holds among a study's points; written to its folder when it has one."""
    factors, outputs = cases(results)
    held = condition(outputs, where)
    if held.all() or not held.any():
        raise UsageError(
            f"--where {where!r}: holds in {int(held.sum())} of {len(held)} cases; "
            "expected a condition some cases meet and some do not"
        )
    box, coverage, density, trajectory = boxed(factors, held)
    found = Discovery(
        where, len(held), int(held.sum()), box, coverage, density, trajectory, tree(factors, held)
    )
    if results.path is not None:
        text = json.dumps(found.document(), indent=1, default=float)
        atomic_write(results.path / FILE, lambda tmp: tmp.write_text(text))
    return found
