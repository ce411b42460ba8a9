"""How well a fitted scenario reproduces a company's history: ``funnelsim backtest``.

Split the export's history at a date; fit on what was known then; simulate the weeks after it
many times; and score the real weeks against the simulated ones. Both sides are counted the
same way: every simulated run is exported as a CRM would export it (:mod:`funnelsim.record.crm`)
and read like the real export, so a lead's MQL is its first, as a CRM's "became an MQL" date
is. The simulation warms up to the split, where the deals the export shows open then take the
place of the model's own, each in its stage with its ages (:mod:`funnelsim.model.pipeline`);
without the pipeline, the open deals at the split are the fitted scenario's, not the
company's (docs/fit.md).
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from funnelsim.analysis.fit import Fitted, fitted_from
from funnelsim.analysis.fit.mapping import CrmMapping, read_mapping
from funnelsim.analysis.fit.reading import outcomes_of, read_export
from funnelsim.analysis.fit.tuning import PIPELINE_FILE, written
from funnelsim.base.files import atomic_write, write_json
from funnelsim.errors import UsageError
from funnelsim.record.crm import crm_export
from funnelsim.runner import simulate
from funnelsim.scenario.loading import load_scenario, scenario_file
from funnelsim.scenario.schema import Scenario

SERIES = ("leads", "mqls", "sqls", "opportunities", "won", "bookings")
"""What is counted each week: leads created, first MQLs, first SQLs, opportunities created,
deals won and their bookings."""
BANDS = (0.025, 0.1, 0.9, 0.975)
"""The simulated weeks' quantiles: the 95% and 80% bands."""
DEFAULT_WEEKS = 26
"""Weeks held out when no split is given."""
SEED_BITS = 63
FILES = ("scores.csv", "weekly.csv", "distances.csv", "backtest.json")
"""What a backtest writes into its folder, beside the fit at the split (``fit/``)."""


@dataclass(frozen=True)
class Backtest:
    """The scores of a backtest, the weekly series behind them, and the fit at the split."""

    scores: pd.DataFrame  # per series: real and simulated totals, MAE, WAPE, bias, coverage
    weekly: pd.DataFrame  # per series and week: real, simulated mean and bands
    distances: pd.DataFrame  # time to win and to loss: medians and earth mover's distance
    fitted: Fitted
    split: pd.Timestamp
    weeks: int
    reps: int
    seed: int
    pipeline: bool  # started from the pipeline open at the split, or from a warm-up

    def document(self) -> dict[str, Any]:
        return {
            "split": self.split.isoformat(),
            "start": "pipeline open at the split" if self.pipeline else "warm-up",
            "open_deals": len(self.fitted.pipeline.deals) if self.pipeline else None,
            "weeks": self.weeks,
            "replications": self.reps,
            "seed": self.seed,
            "scores": json.loads(self.scores.to_json(orient="records")),
            "distances": json.loads(self.distances.to_json(orient="records")),
        }

    def write(self, folder: str | Path) -> list[Path]:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        scores, weekly, distances, document = FILES
        tables = {scores: self.scores, weekly: self.weekly, distances: self.distances}
        paths = []
        for name, table in tables.items():
            atomic_write(folder / name, lambda tmp, t=table: t.to_csv(tmp, index=False))
            paths.append(folder / name)
        write_json(folder / document, self.document())
        paths.append(folder / document)
        return [*paths, *self.fitted.write(folder / "fit")]


def backtest(
    mapping: str | Path,
    split: dt.date | str | None = None,
    base: str | Path | None = None,
    reps: int = 20,
    seed: int = 0,
    workers: int = 1,
    tune: bool = True,
    pipeline: bool = True,
) -> Backtest:
    """Fit on the export's history up to ``split`` (a date; 26 weeks before the export by
    default), simulate the weeks from the split to the export ``reps`` times, and score.

    With ``pipeline``, each simulation starts from the deals open at the split; without, it
    reaches the split through the fitted scenario's warm-up."""
    crm, folder = read_mapping(mapping)
    base_path = scenario_file(base)
    segments = list(load_scenario(base_path).segments)
    whole = read_export(crm, folder, segments)
    start = _split(split, whole.exported_at, crm)
    weeks = int((whole.exported_at - start) / pd.Timedelta(weeks=1))
    if weeks < 4:
        raise UsageError(
            f"--split: expected a date at least 4 weeks before the export "
            f"({whole.exported_at:%Y-%m-%d}), got {start:%Y-%m-%d}"
        )
    before = read_export(
        crm.model_copy(update={"export_date": start.to_pydatetime()}), folder, segments
    )
    name = f"{Path(mapping).name} up to {start:%Y-%m-%d}"
    fitted = fitted_from(before, crm, base_path, name, tune)
    texts = (fitted.text, fitted.pipeline_text if pipeline else None)
    overrides = _overrides(fitted, start, weeks, pipeline)
    real = weekly(whole.leads, whole.opportunities, start, weeks)
    runs = _simulated(texts, overrides, start, weeks, _seeds(seed, reps), workers)
    sims = np.stack([r[0] for r in runs])  # replication, week, series
    scores, table = _scores(real, sims)
    distances = _distances(whole.opportunities, start, [r[1] for r in runs])
    return Backtest(scores, table, distances, fitted, start, weeks, reps, seed, pipeline)


def _split(split: dt.date | str | None, exported_at: pd.Timestamp, crm: CrmMapping) -> pd.Timestamp:
    if split is None:
        day = (exported_at - pd.Timedelta(weeks=DEFAULT_WEEKS)).normalize()
        return day.tz_localize(None).tz_localize(exported_at.tz)
    try:
        stamp = pd.Timestamp(split)
    except ValueError:
        raise UsageError(f"--split: expected a date such as 2027-10-04, got {split!r}") from None
    return stamp.tz_localize(crm.timezone) if stamp.tz is None else stamp.tz_convert(crm.timezone)


def _seeds(seed: int, reps: int) -> list[int]:
    """One seed per replication, from the root seed: the same whatever the workers."""
    out = []
    for r in range(reps):
        state = np.random.SeedSequence(seed, spawn_key=(r,)).generate_state(2)
        out.append((int(state[0]) << 32 | int(state[1])) >> (64 - SEED_BITS))
    return out


def _overrides(fitted: Fitted, start: pd.Timestamp, weeks: int, pipeline: bool) -> dict[str, str]:
    """What puts the run's measured window over the held-out weeks, after a warm-up that ends
    at the split: the pipeline file's (its deals are open then), or the fitted scenario's."""
    texts = (fitted.text, fitted.pipeline_text if pipeline else None)
    warmup = _loaded(texts, {}).horizon.warmup
    first = start.date() - dt.timedelta(days=warmup)
    return {
        "start_date": first.isoformat(),
        "horizon.warmup": f"{warmup:g}d",
        "horizon.length": f"{warmup + 7 * weeks:g}d",
    }


def _loaded(texts: tuple[str, str | None], overrides: dict[str, str]) -> Scenario:
    """A scenario from a file's text, and its pipeline from its file's (a worker gets the
    texts: a scenario does not pickle)."""
    text, pipeline = texts
    with written(text, pipeline) as path:
        opened = None if pipeline is None else path.with_name(PIPELINE_FILE)
        return load_scenario(path, overrides=overrides, pipeline=opened)


def _simulated(
    texts: tuple[str, str | None],
    overrides: dict[str, str],
    start: pd.Timestamp,
    weeks: int,
    seeds: list[int],
    workers: int,
) -> list[tuple[np.ndarray, dict[str, np.ndarray]]]:
    jobs = [(texts, overrides, s, start, weeks) for s in seeds]
    if workers <= 1:
        return [_one(*job) for job in jobs]
    with cf.ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_one, *zip(*jobs, strict=True)))


def _one(
    texts: tuple[str, str | None],
    overrides: dict[str, str],
    seed: int,
    start: pd.Timestamp,
    weeks: int,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One replication, exported and counted as the real export is."""
    scenario = _loaded(texts, overrides)
    result = simulate(scenario, seed=seed)
    export = crm_export(scenario, result.ledger)
    mapping = CrmMapping(timezone=str(start.tz))
    opps = export.opportunities.assign(outcome=lambda o: outcomes_of(o, mapping))
    counts = weekly(export.leads, opps, start, weeks).to_numpy(dtype=float)
    return counts, _cycles(opps, start)


def weekly(
    leads: pd.DataFrame, opps: pd.DataFrame, start: pd.Timestamp, weeks: int
) -> pd.DataFrame:
    """Each week's counts from ``start`` (:data:`SERIES`), from an export's tables."""
    edges = (start + pd.to_timedelta(np.arange(weeks + 1) * 7, unit="D")).as_unit("ns")
    won = opps[opps["outcome"] == "won"]

    def per_week(times: pd.Series, weights: pd.Series | None = None) -> np.ndarray:
        mask = times.notna()
        values = times[mask].dt.tz_convert("UTC").to_numpy(dtype="datetime64[ns]")
        bins = edges.tz_convert("UTC").to_numpy(dtype="datetime64[ns]")
        w = None if weights is None else weights[mask].to_numpy(dtype=float)
        return np.histogram(values.astype(np.int64), bins.astype(np.int64), weights=w)[0]

    return pd.DataFrame(
        {
            "leads": per_week(leads["created"]),
            "mqls": per_week(leads["mql_date"]),
            "sqls": per_week(leads["sql_date"]),
            "opportunities": per_week(opps["created"]),
            "won": per_week(won["closed"]),
            "bookings": per_week(won["closed"], won["amount"].fillna(0.0)),
        }
    )


def _cycles(opps: pd.DataFrame, start: pd.Timestamp) -> dict[str, np.ndarray]:
    """Days from creation to close of the deals won, and lost, after ``start``."""
    closed = opps[opps["outcome"].ne("open") & (opps["closed"] >= start)]
    days = (closed["closed"] - closed["created"]) / pd.Timedelta(days=1)
    lost = closed["outcome"].isin(["lost", "no_decision", "dark"])
    return {"won": days[closed["outcome"] == "won"].to_numpy(), "lost": days[lost].to_numpy()}


def _scores(real: pd.DataFrame, sims: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, weeks = [], []
    for k, name in enumerate(SERIES):
        truth, runs = real[name].to_numpy(dtype=float), sims[:, :, k]
        mean = runs.mean(axis=0)
        low95, low80, high80, high95 = np.quantile(runs, BANDS, axis=0)
        error = np.abs(truth - mean)
        total = truth.sum()
        rows.append(
            {
                "series": name,
                "real": total,
                "simulated": mean.sum(),
                "simulated_sd": float(runs.sum(axis=1).std(ddof=1)),
                "simulated_low_95": float(np.quantile(runs.sum(axis=1), 0.025)),
                "simulated_high_95": float(np.quantile(runs.sum(axis=1), 0.975)),
                "mae_per_week": error.mean(),
                "wape": error.sum() / total if total else np.nan,
                "bias": (mean.sum() - total) / total if total else np.nan,
                "inside_80": np.mean((truth >= low80) & (truth <= high80)),
                "inside_95": np.mean((truth >= low95) & (truth <= high95)),
            }
        )
        weeks.append(
            pd.DataFrame(
                {
                    "series": name,
                    "week": np.arange(len(truth)),
                    "real": truth,
                    "mean": mean,
                    "low_95": low95,
                    "low_80": low80,
                    "high_80": high80,
                    "high_95": high95,
                }
            )
        )
    return pd.DataFrame(rows), pd.concat(weeks, ignore_index=True)


def _distances(real: pd.DataFrame, start: pd.Timestamp, simulated: list[dict]) -> pd.DataFrame:
    """Time to win and to loss of the deals closed after the split: real against all the
    simulated runs' pooled, by median and by the earth mover's distance (in days)."""
    mine = _cycles(real, start)
    rows = []
    for kind in ("won", "lost"):
        sims = np.concatenate([s[kind] for s in simulated]) if simulated else np.empty(0)
        truth = mine[kind]
        if len(truth) and len(sims):
            distance = float(stats.wasserstein_distance(truth, sims))
        else:
            distance = np.nan
        rows.append(
            {
                "deals": kind,
                "real_n": len(truth),
                "real_median_days": float(np.median(truth)) if len(truth) else np.nan,
                "simulated_median_days": float(np.median(sims)) if len(sims) else np.nan,
                "earth_movers_days": distance,
            }
        )
    return pd.DataFrame(rows)
