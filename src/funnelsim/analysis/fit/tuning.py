"""What an export shows but a scenario does not take directly, tuned by simulating it.

How many leads become MQLs is made by the model (each lead's score against the threshold,
nurture raising interest over time), not a parameter. The export shows the share; the fit
finds the MQL threshold at which the fitted scenario shows the same, by bisection over short
runs that share their random numbers, each exported and counted as the real export is.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from funnelsim.analysis.fit.reading import CrmData
from funnelsim.record.crm import crm_export
from funnelsim.runner import simulate
from funnelsim.scenario.loading import load_scenario
from funnelsim.scenario.schema import Scenario

WINDOW_WEEKS = 52
"""The share is read over a year of leads, in the export and in each tuning run."""
WARMUP = "13w"
"""Each tuning run starts from a steady nurture pool; a quarter settles the desk."""
BOUNDS = (5.0, 95.0)
"""The thresholds searched, on the score's 0-100 scale."""
STEPS = 8
"""Bisection steps: the threshold to within half a point."""


@dataclass(frozen=True)
class Tuned:
    threshold: float
    real_share: float
    simulated_share: float
    leads: int


def mql_share(leads: pd.DataFrame, end: pd.Timestamp, nurtured: set[str]) -> tuple[float, int]:
    """First MQLs over leads created, over the year before ``end``, among the sources that
    nurture their leads (the others' leads go straight to the desk, whatever the threshold)."""
    start = end - pd.Timedelta(weeks=WINDOW_WEEKS)
    mine = leads[leads["source"].isin(nurtured)]
    created = int(((mine["created"] > start) & (mine["created"] <= end)).sum())
    mqls = int(((mine["mql_date"] > start) & (mine["mql_date"] <= end)).sum())
    return (mqls / created if created else float("nan")), created


def tune_threshold(text: str, data: CrmData, seed: int = 0) -> Tuned | None:
    """The MQL threshold at which the scenario in ``text`` turns the share of its leads into
    MQLs that the export ``data`` shows; None when no source nurtures its leads."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fitted.yaml"
        path.write_text(text, encoding="utf-8")
        scenario = load_scenario(path)
        nurtured = {name for name, s in scenario.sources.items() if not s.skips_nurture}
        target, leads = mql_share(data.leads, data.exported_at, nurtured)
        if not nurtured or not np.isfinite(target):
            return None
        length = f"{WINDOW_WEEKS + 13}w"

        def share(threshold: float) -> float:
            overrides = {
                "scoring.mql_threshold": threshold,
                "horizon.length": length,
                "horizon.warmup": WARMUP,
            }
            return _simulated_share(load_scenario(path, overrides=overrides), nurtured, seed)

        low, high = BOUNDS
        for _ in range(STEPS):
            middle = (low + high) / 2
            found = share(middle)
            if found > target:  # too many MQLs: raise the bar
                low = middle
            else:
                high = middle
        threshold = round((low + high) / 2, 1)
        return Tuned(threshold, target, share(threshold), leads)


def _simulated_share(scenario: Scenario, nurtured: set[str], seed: int) -> float:
    result = simulate(scenario, seed=seed)
    export = crm_export(scenario, result.ledger)
    return mql_share(export.leads, export.exported_at, nurtured)[0]
