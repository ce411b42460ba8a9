"""The words of figure titles: names, lists of values, the sweep point, the sample size.

Numbers are written by :mod:`funnelsim.views.formats` and figures are named in
:mod:`funnelsim.record.registry`; how an axis uses them is in :mod:`funnelsim.views.plots.style`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from funnelsim.results import Results


def pretty(name: str) -> str:
    """'mid_market' as 'Mid market', 'smb' as 'SMB'."""
    return name.upper() if len(name) <= 3 else name.replace("_", " ").capitalize()


def phrase(items: Mapping[str, str]) -> str:
    """'aligned 12, misaligned 9' from {label: text}."""
    return ", ".join(f"{label} {text}" for label, text in items.items())


def point_text(results: Results, point: int) -> str:
    """' at sdr.headcount=5' for a sweep point, nothing for a plain comparison."""
    values = results.manifest["points"][point]
    return " at " + ", ".join(f"{k}={v}" for k, v in values.items()) if values else ""


def replication_count(runs: pd.DataFrame | int) -> str:
    """'3 replications', '1 replication': how many runs a figure rests on."""
    n = runs if isinstance(runs, int) else int(runs["replication"].nunique())
    return f"{n} replication{'' if n == 1 else 's'}"
