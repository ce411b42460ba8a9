"""The report's section on robustness: does the answer survive the judgment calls?"""

from __future__ import annotations

from typing import Any

from funnelsim.base.intervals import written
from funnelsim.results.robustness import Robustness
from funnelsim.views.formats import metric_label
from funnelsim.views.report.sentences import mean_cell, tone_of
from funnelsim.views.robustness import farthest, lead_metrics, sentence


def robustness_section(robust: Robustness, money: str) -> dict[str, Any]:
    """Sentences per lead metric, and every setting, smallest difference of the first first."""
    metrics = lead_metrics(robust)
    rows = []
    for _, row in robust.of(metrics[0]).iterrows():
        cells = []
        for metric in metrics:
            found = robust.of(metric).set_index("point").loc[row["point"]]
            cells.append(
                mean_cell(metric, found, money, signed=True) | {"tone": tone_of(metric, found)}
            )
        rows.append({"point": int(row["point"]), "cells": cells, "where": farthest(robust, row)})
    return {
        "sentences": [sentence(robust, m, money) for m in metrics],
        "metrics": [metric_label(m) for m in metrics],
        "rows": rows,
        "parameters": [
            {
                "key": p,
                "range": f"{written(robust.ranges[p][0])} to {written(robust.ranges[p][1])}",
                "why": robust.why[p],
            }
            for p in robust.parameters
        ],
        "left": list(robust.left_to_the_policies),
        "fixed": list(robust.fixed_by_set),
        "replications": robust.results.manifest["replications"]["used"],
    }
