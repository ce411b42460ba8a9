"""What an export shows but a scenario does not take directly, tuned by simulating it.

How many leads become MQLs is made by the model (each lead's score against the threshold,
nurture raising interest over time), not a parameter; so is how many MQLs the desk never
touches (the MQLs it puts off, and lets age past its working age). The export shows both
shares; the fit finds the MQL threshold, then the share of MQLs put off, at which the fitted
scenario shows the same, by bisection over short runs that share their random numbers, each
exported and counted as the real export is.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
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
"""Each tuning run starts from the history's nurture pool, without a pilot (``settle: 0w``):
a quarter settles the desk, and the shares tuned are read off the nurture pool and the desk."""
BOUNDS = (5.0, 95.0)
"""The thresholds searched, on the score's 0-100 scale."""
STEPS = 8
"""Bisection steps: the threshold to within half a point."""


NEGLECT_FLOOR = 0.02
"""A desk that leaves fewer of its MQLs untouched than this is not tuned for neglect."""
AGE_QUANTILE = 0.995
"""The working age is the wait for a first touch that this share of touched MQLs stays within:
a high quantile, not the maximum, so that one stray touch does not set it."""
SETTLED_DAYS = 30
"""An MQL this old at the export has had its chance of a first touch."""


@dataclass(frozen=True)
class Tuned:
    """A tuned value, the export's share it matches, the tuned scenario's, and the records."""

    value: float
    real_share: float
    simulated_share: float
    records: int


@contextlib.contextmanager
def written(text: str, pipeline: str | None = None) -> Iterator[Path]:
    """A scenario file's text as a file, for as long as it is needed; with a pipeline file's
    text beside it, as ``pipeline.yaml``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fitted.yaml"
        path.write_text(text, encoding="utf-8")
        if pipeline is not None:
            (Path(folder) / PIPELINE_FILE).write_text(pipeline, encoding="utf-8")
        yield path


PIPELINE_FILE = "pipeline.yaml"
"""The name of the open pipeline's file, beside the fitted scenario's."""


def nurtured_sources(scenario: Scenario) -> set[str]:
    """The sources whose leads go through nurture (and so meet the MQL threshold)."""
    return {name for name, source in scenario.sources.items() if not source.skips_nurture}


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
    MQLs that the export ``data`` shows; None when no source nurtures its leads or the export
    has no MQL dates."""
    if data.leads["mql_date"].isna().all():
        return None
    with written(text) as path:
        nurtured = nurtured_sources(load_scenario(path))
        target, leads = mql_share(data.leads, data.exported_at, nurtured)
        if not nurtured or not np.isfinite(target):
            return None
        length = f"{WINDOW_WEEKS + 13}w"

        def share(threshold: float) -> float:
            overrides = {
                "scoring.mql_threshold": threshold,
                "horizon.length": length,
                "horizon.warmup": WARMUP,
                "horizon.settle": "0w",
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


def never_touched(leads: pd.DataFrame, end: pd.Timestamp, nurtured: set[str]) -> pd.DataFrame:
    """The MQLs of nurtured sources of the year before ``end`` old enough to have had their
    chance of a first touch."""
    start = end - pd.Timedelta(weeks=WINDOW_WEEKS)
    settled = end - pd.Timedelta(days=SETTLED_DAYS)
    mine = leads[leads["source"].isin(nurtured)]
    return mine[(mine["mql_date"] > start) & (mine["mql_date"] <= settled)]


def tune_neglect(text: str, data: CrmData, seed: int = 0) -> tuple[Tuned, float] | None:
    """The share of MQLs a desk puts off (``sdr.put_off``), with its working age
    (``sdr.max_queue_age``, a high quantile of the export's first-touch waits), at which the
    scenario in ``text`` leaves as many MQLs never touched as the export; None when the
    export has no first touches or its desk leaves fewer than :data:`NEGLECT_FLOOR` untouched.
    """
    if "first_touch" not in data.leads or data.leads["first_touch"].isna().all():
        return None
    with written(text) as path:
        nurtured = nurtured_sources(load_scenario(path))
        mqls = never_touched(data.leads, data.exported_at, nurtured)
        target = float(mqls["first_touch"].isna().mean()) if len(mqls) else 0.0
        if target < NEGLECT_FLOOR:
            return None
        delays = (mqls["first_touch"] - mqls["mql_date"]).dropna() / pd.Timedelta(days=1)
        if len(delays) < 20:
            return None  # too few first touches to say when the desk gives up
        age = float(np.ceil(np.quantile(delays, AGE_QUANTILE) * 10) / 10)

        def share(put_off: float) -> float:
            overrides = {
                "sdr.put_off": put_off,
                "sdr.max_queue_age": f"{age:g}d",
                "horizon.length": f"{WINDOW_WEEKS + 13}w",
                "horizon.warmup": WARMUP,
                "horizon.settle": "0w",
            }
            run = load_scenario(path, overrides=overrides)
            export = crm_export(run, simulate(run, seed=seed).ledger)
            found = never_touched(export.leads, export.exported_at, nurtured)
            return float(found["first_touch"].isna().mean())

        low, high = 0.0, 0.95
        for _ in range(STEPS - 1):
            middle = (low + high) / 2
            if share(middle) < target:  # too few left untouched: put more off
                low = middle
            else:
                high = middle
        put_off = round((low + high) / 2, 2)
        return Tuned(put_off, target, share(put_off), len(mqls)), age


def _simulated_share(scenario: Scenario, nurtured: set[str], seed: int) -> float:
    result = simulate(scenario, seed=seed)
    export = crm_export(scenario, result.ledger)
    return mql_share(export.leads, export.exported_at, nurtured)[0]
