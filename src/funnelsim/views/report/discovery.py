"""The report's section for a discovery: where in the study's inputs the condition holds."""

from __future__ import annotations

from typing import Any

import numpy as np

from funnelsim.results.discovery import Discovery
from funnelsim.views.formats import percent, trim


def _edge(bound: float) -> str:
    return "no bound" if np.isinf(bound) else trim(bound, 4)


def discovery_section(found: Discovery) -> dict[str, Any]:
    """The sentence, PRIM's box as a table, its coverage and density, and CART's rules."""
    return {
        "where": found.where,
        "sentence": found.sentence(),
        "cases": found.cases,
        "holding": found.holding,
        "coverage": percent(found.coverage, 3),
        "density": percent(found.density, 3),
        "threshold": percent(found.threshold),
        "box": [
            {"input": name, "low": _edge(low), "high": _edge(high)}
            for name, (low, high) in found.box.items()
        ],
        "tree": found.tree,
    }
