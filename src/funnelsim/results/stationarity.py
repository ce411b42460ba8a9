"""Whether an experiment's measured windows are stationary: its runs' verdicts, in one line.

Each run judges its own window (:mod:`funnelsim.record.warmup`) and the runs table keeps the
verdicts. An experiment warns when any run's window is still filling up, naming the policy
and series whose runs moved most.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from funnelsim.base.units import parse_duration
from funnelsim.record.warmup import FIGURES, FILLING, SERIES, distance, finding, search_limit
from funnelsim.results.experiment import Results

COLUMNS = ["point", "policy", "status", *FIGURES]
"""What the check reads of the runs table."""


@dataclass(frozen=True)
class WindowCheck:
    """How many runs finished, how many could be judged, how many still fill up, and the
    warning to show (None when no run fills up)."""

    runs: int
    judged: int
    filling: int
    warning: str | None


def window_check(results: Results) -> WindowCheck | None:
    """The experiment's verdicts; None for results written before runs judged their windows."""
    runs = results.columns(COLUMNS)
    if list(runs.columns) != COLUMNS:
        return None
    ok = runs[runs["status"] == "ok"]
    verdicts = ok["window_stationary"]
    filling = int((verdicts == 0).sum())
    warning = _warning(results, ok, filling) if filling else None
    return WindowCheck(len(ok), int(verdicts.notna().sum()), filling, warning)


def _warning(results: Results, ok: pd.DataFrame, filling: int) -> str:
    """Of each policy and point's runs where a series fills up, the series' mean ratio: the
    one furthest from 1 is named, with its runs' median MSER-5 warm-up."""
    point, label, series = _worst(ok)
    runs = ok[(ok["point"] == point) & (ok["policy"] == label) & (ok[f"filling_{series}"] == 1)]
    ratio = runs[f"year_ratio_{series}"].mean()
    suggested = float(runs[f"mser5_weeks_{series}"].median())
    warmup = parse_duration(results.setting(label, "horizon.warmup", point))
    length = parse_duration(results.setting(label, "horizon.length", point))
    at_limit = suggested == search_limit(int(length // 7))
    said = finding(series, ratio, suggested, at_limit, warmup, runs=True)
    return f"{FILLING} in {filling} of {len(ok)} runs; for {_where(results, label, point)}, {said}"


def _worst(ok: pd.DataFrame) -> tuple[int, str, str]:
    """The point, policy and series whose filling runs' mean ratio is furthest from 1."""
    deviations = {}
    for (point, label), runs in ok.groupby(["point", "policy"], sort=True, observed=True):
        for series in SERIES:
            ratios = runs.loc[runs[f"filling_{series}"] == 1, f"year_ratio_{series}"]
            if len(ratios):
                deviations[(point, label, series)] = distance(ratios.mean())
    return max(deviations, key=deviations.get)


NAMED_UP_TO = 3
"""A sweep point is named by its factor values up to this many factors, else by its number."""


def _where(results: Results, label: str, point: int) -> str:
    """A policy, and the sweep point when there are several: its factor values, or, with many
    factors, its number in the results."""
    points = results.manifest["points"]
    if len(points) < 2:
        return label
    if len(points[point]) > NAMED_UP_TO:
        return f"{label} at sweep point {point}"
    values = ", ".join(f"{k}={v}" for k, v in points[point].items())
    return f"{label} at {values}"
