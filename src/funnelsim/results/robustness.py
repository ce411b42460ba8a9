"""How the difference between two policies moves across the judgment parameters' ranges.

Read off the results of ``funnelsim robustness`` (:mod:`funnelsim.analysis.robustness`): at
each setting of the judgment parameters, the paired difference of the second policy over the
first, with its 95% interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from funnelsim.errors import FunnelsimError
from funnelsim.results.experiment import Results, load_results

FOLDER = "robustness"
"""Where a comparison's folder keeps its robustness results, for the report to find."""


@dataclass(frozen=True)
class Robustness:
    """The paired difference at every setting of the judgment parameters.

    ``table`` has a row per setting: its ``point``, each parameter's value, and the
    difference's ``mean``, ``ci_low`` and ``ci_high`` for each metric (``metric`` column).
    """

    first: str
    second: str
    parameters: tuple[str, ...]
    ranges: dict[str, tuple[float | str, float | str]]
    why: dict[str, str]
    left_to_the_policies: tuple[str, ...]
    fixed_by_set: tuple[str, ...]
    table: pd.DataFrame
    results: Results

    def of(self, metric: str) -> pd.DataFrame:
        """One metric's rows, smallest difference first."""
        rows = self.table[self.table["metric"] == metric]
        return rows.sort_values("mean", kind="stable").reset_index(drop=True)

    def document(self) -> dict:
        """What ``funnelsim robustness --json`` adds to the experiment's own document."""
        return {
            "first": self.first,
            "second": self.second,
            "parameters": {
                p: {"range": list(self.ranges[p]), "why": self.why[p]} for p in self.parameters
            },
            "left_to_the_policies": list(self.left_to_the_policies),
            "fixed_by_set": list(self.fixed_by_set),
            "settings": self.table.to_dict(orient="records"),
        }


def robustness(results: Results) -> Robustness:
    """The robustness a ``funnelsim robustness`` experiment's results hold."""
    manifest = results.manifest
    analysis = manifest.get("analysis") or {}
    if analysis.get("kind") != "robustness":
        raise FunnelsimError(f"{results.path}: these results are not a robustness study")
    first, second = manifest["policies"]
    parameters = tuple(manifest["factors"])
    factors = manifest["experiment"]["factors"]
    settings = pd.DataFrame(manifest["points"]).assign(point=range(len(manifest["points"])))
    differences = results.differences[results.differences["policy"] == second]
    columns = ["point", "metric", "n", "mean", "ci_low", "ci_high"]
    table = differences[columns].merge(settings, on="point")
    return Robustness(
        first=first,
        second=second,
        parameters=parameters,
        ranges={p: (factors[p]["min"], factors[p]["max"]) for p in parameters},
        why=dict(analysis["why"]),
        left_to_the_policies=tuple(analysis["left_to_the_policies"]),
        fixed_by_set=tuple(analysis.get("fixed_by_set", ())),
        table=table[[*columns, *parameters]],
        results=results,
    )


def load_robustness(folder: str | Path) -> Robustness | None:
    """The robustness study kept in a comparison's folder (``FOLDER/robustness``), or None."""
    path = Path(folder) / FOLDER
    if not (path / "manifest.json").exists():
        return None
    return robustness(load_results(path))
