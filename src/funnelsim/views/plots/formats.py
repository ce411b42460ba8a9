"""Metric names and numbers as the figures write them: the one place for a label or a unit.

Axis labels, tick labels, the values written on bars and cells, and the words of titles all
come from here, so that ``USD 12.5M``, ``12.5%`` and ``4.0 h`` read the same in every
figure. Plain text only: how an axis uses it is in :mod:`funnelsim.views.plots.style`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from funnelsim.record.metrics import kind
from funnelsim.results import Results

NAMES = {
    "bookings": "Revenue",
    "pipeline_created_value": "Pipeline created",
    "win_rate": "Win rate",
    "leakage_rate": "Leakage",
    "sla_compliance": "SLA compliance",
    "cost_per_won_deal": "Cost per won deal",
    "lead_to_close_days_p50": "Lead to close, median",
    "opportunity_age_days_p50": "Opportunity age, median",
    "speed_to_lead_hours_p50": "Speed to lead, median",
    "speed_to_lead_hours_p90": "Speed to lead, 90th percentile",
    "open_pipeline_value": "Open pipeline",
    "sdr_utilisation": "SDR utilisation",
    "ae_utilisation": "AE utilisation",
    "sdr_queue": "SDR queue",
    "final_mql_threshold": "MQL threshold at the end",
    "mqls": "MQLs",
    "sqls": "SQLs",
    "sals": "SALs",
}
"""What a metric is called on an axis; other metrics are named after their column."""


UNITS = {
    "share": "%",
    "days": "days",
    "hours": "business hours",
    "score": "score points",
    "count": "count",
}
"""The unit on an axis, by kind of metric; money is in the scenario's currency."""


def _name(metric: str) -> str:
    return NAMES.get(metric, metric.replace("_", " ").capitalize())


def _unit(metric: str, code: str) -> str:
    measured = kind(metric)
    return code if measured == "money" else UNITS[measured]


def _trim(x: float, significant: int | None = None) -> str:
    """Thousands separated, no trailing zeros: 12.5, 1,250, 0.25; at most two decimals, or
    ``significant`` digits (for values written on bars and cells, where 473.27 is noise)."""
    decimals = 2
    if significant is not None and x:
        decimals = max(0, significant - 1 - int(np.floor(np.log10(abs(x)))))
    if round(x, decimals) == 0:
        return "0"
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _short(x: float, significant: int | None = None) -> str:
    """12.5M, 250k, 950: large numbers in thousands, millions or billions."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return _trim(x / size, significant) + suffix
    return _trim(x, significant)


def money(x: float, code: str, significant: int | None = None) -> str:
    """An amount with its currency, thousands separated: ``USD 12.5M``, ``-USD 250k``."""
    if x != x:
        return "–"
    return f"{'-' if x < 0 else ''}{code} {_short(abs(x), significant)}".strip()


def _percent(x: float, significant: int | None = None) -> str:
    """A share as a percentage: 0.125 is 12.5%."""
    return f"{_trim(100 * x, significant)}%"


def _text(metric: str, x: float, code: str) -> str:
    """A metric's value written in its unit, for labels on bars and cells."""
    measured = kind(metric)
    if x != x:
        return "–"
    if measured == "money":
        return money(x, code, 3)
    if measured == "share":
        return f"{100 * x:.1f}%"
    if measured in ("days", "hours"):
        return f"{x:,.1f} {measured[0]}"
    return _short(x, 3)


def _pretty(name: str) -> str:
    """'mid_market' as 'Mid market', 'smb' as 'SMB'."""
    return name.upper() if len(name) <= 3 else name.replace("_", " ").capitalize()


def _phrase(items: Mapping[str, str]) -> str:
    """'aligned 12, misaligned 9' from {label: text}."""
    return ", ".join(f"{label} {text}" for label, text in items.items())


def _where(results: Results, point: int) -> str:
    """' at sdr.headcount=5' for a sweep point, nothing for a plain comparison."""
    values = results.manifest["points"][point]
    return " at " + ", ".join(f"{k}={v}" for k, v in values.items()) if values else ""


def _replications(runs: pd.DataFrame | int) -> str:
    """'3 replications', '1 replication': how many runs a figure rests on."""
    n = runs if isinstance(runs, int) else int(runs["replication"].nunique())
    return f"{n} replication{'' if n == 1 else 's'}"
