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
import re
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from funnelsim.base.files import atomic_write
from funnelsim.base.intervals import number
from funnelsim.errors import UsageError
from funnelsim.results import Results
from funnelsim.results.discovery import CASES, FILE, HOLDS, Discovery

DENSITY = 0.8
"""The share of the cases in PRIM's box that must meet the condition. PRIM peels while a peel
raises that share (and the box keeps 5% of the cases), then pastes back; a box short of this
is no box (the whole space)."""
TREE_DEPTH = 3


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
    density, and the peeling trajectory (whose last row is the box: PRIM peels, then pastes,
    and stops at the box it returns)."""
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
    named = named_in(where, outputs.columns)
    found = Discovery(
        *(where, len(held), int(held.sum()), box, coverage, density, trajectory),
        tree(factors, held),
        threshold=DENSITY,
        chosen=len(trajectory) - 1,
        inputs=tuple(factors.columns),
        metrics=named,
        table=factors.join(outputs[list(named)]).assign(**{HOLDS: held}),
    )
    if results.path is not None:
        write(found, results.path)
    return found


def named_in(where: str, metrics: Iterable[str]) -> tuple[str, ...]:
    """The metrics a condition names, in the order it names them."""
    found = {}
    for name in metrics:
        match = re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", where)
        if match:
            found[name] = match.start()
    return tuple(sorted(found, key=found.get))


def write(found: Discovery, folder: Path) -> None:
    """``discovery.json`` and the cases beside it, each whole or not at all."""
    text = json.dumps(found.document(), indent=1, default=float)
    atomic_write(folder / CASES, lambda tmp: found.table.to_csv(tmp, index=False))
    atomic_write(folder / FILE, lambda tmp: tmp.write_text(text))
