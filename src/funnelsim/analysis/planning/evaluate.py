"""Running candidate plans: replications under common random numbers, kept as they land.

Replication ``r`` of every plan runs on the same seed, so two plans meet the same leads, the
same buyers and the same leavers, and the difference between their chances is the plans'
(common random numbers across points). A plan's chance of reaching the target is the share of
its replications that do, with a Wilson interval. Every chunk's runs are written to the plan's
folder as they land, so an interrupted search, run again with ``--resume``, makes the same
choices and runs only what it had not finished.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from funnelsim.analysis.planning.levers import Lever, overrides
from funnelsim.analysis.planning.months import Months
from funnelsim.analysis.planning.target import Period, Target
from funnelsim.base.files import atomic_write
from funnelsim.base.jsondoc import content_hash
from funnelsim.errors import FunnelsimError
from funnelsim.experiments.design import item_seed
from funnelsim.experiments.execution import Chunk, Executor, run_chunks
from funnelsim.experiments.received import checked
from funnelsim.scenario import load_scenario
from funnelsim.scenario.schema import Scenario

CONFIDENCE = 0.95
CHUNK = 4
"""Replications per chunk: small, so a few plans keep every worker busy."""
Levels = tuple[float, ...]
OUTCOMES = ("value", "spend", "period_spend", "mqls")
"""What a plan keeps of each run: the target's figure, spend to the period's end and within
it, MQLs in the period."""


@dataclass(frozen=True)
class Estimate:
    """A plan's chance of reaching the target over its replications, and what it costs."""

    levels: Levels
    runs: int
    hits: int
    low: float  # Wilson interval of the chance
    high: float
    spend: float  # mean go-to-market spend from the run's start to the period's end
    period_spend: float  # ... within the period
    mean: float  # mean of the target's figure
    mqls_per_day: float  # MQLs in the period, a day

    @property
    def chance(self) -> float:
        return self.hits / self.runs if self.runs else float("nan")

    def row(self, levers: Sequence[Lever]) -> dict[str, Any]:
        named = {lever.name: level for lever, level in zip(levers, self.levels, strict=True)}
        fields = dataclasses.asdict(self) | {"chance": self.chance}
        return named | {k: v for k, v in fields.items() if k != "levels"}


@dataclass(frozen=True)
class Setting:
    """What every candidate plan shares: the scenario as given, the target, the period."""

    scenario: Scenario  # as loaded, with the user's policy and --set
    source: str | Path | None  # the scenario file or bundled name
    policy: str | None
    sets: dict[str, Any]  # the user's --set
    levers: tuple[Lever, ...]
    target: Target
    period: Period
    seed: int

    @property
    def window(self) -> tuple[float, float]:
        return self.period.days_from(self.scenario.start_date)

    def scenario_of(self, levels: Levels, ramped: bool = True) -> Scenario:
        """The scenario with the levers at ``levels``, measuring the period (its window)."""
        start, end = self.window
        horizon = {"horizon.warmup": f"{start:g}d", "horizon.length": f"{end:g}d"}
        planned = overrides(self.scenario, self.levers, levels, start, ramped)
        return load_scenario(self.source, self.policy, {**self.sets, **horizon, **planned})


@dataclass
class Evaluator:
    """Runs plans to a number of replications each, and keeps every outcome."""

    setting: Setting
    executor: Executor
    folder: Path | None = None
    on_progress: Callable[[int, int], None] | None = None
    outcomes: dict[tuple[Levels, bool], dict[int, tuple[float, ...]]] = field(default_factory=dict)
    months: dict[tuple[Levels, bool], list[pd.DataFrame]] = field(default_factory=dict)
    _data: dict[tuple[Levels, bool], tuple[str, dict]] = field(default_factory=dict)
    _asked: int = 0
    _done: int = 0

    def run(self, plans: Sequence[Levels], reps: int, ramped: bool = True) -> None:
        """Give each plan at least ``reps`` replications (the first ones: 0, 1, ...)."""
        wanted = []
        for levels in dict.fromkeys(plans):
            have = self.outcomes.setdefault((levels, ramped), {})
            missing = [r for r in range(reps) if r not in have]
            wanted += [(levels, missing[i : i + CHUNK]) for i in range(0, len(missing), CHUNK)]
        self._asked += sum(len(r) for _, r in wanted)
        chunks = (self._chunk(k, levels, reps_, ramped) for k, (levels, reps_) in enumerate(wanted))
        for chunk, answer in run_chunks(chunks, self.executor):
            self._land(checked(chunk, answer), wanted[chunk.point][0], ramped)
            self._done += chunk.size
            if self.on_progress is not None:
                self.on_progress(self._done, self._asked)

    def estimate(self, levels: Levels, ramped: bool = True, reps: int | None = None) -> Estimate:
        """The plan's chance over its first ``reps`` replications (all it has had by default):
        a search decides on the replications it asked for, so a resumed search, which finds
        later ones already there, decides the same."""
        runs = self.outcomes.get((levels, ramped), {})
        # In replication order, whatever order they landed in: sums are the same to the bit.
        ordered = (runs[r] for r in sorted(runs) if reps is None or r < reps)
        values, spend, period, mqls = (np.array(c, float) for c in zip(*ordered, strict=True))
        hits = int(self.setting.target.hit(values).sum())
        interval = binomtest(hits, len(values)).proportion_ci(CONFIDENCE, method="wilson")
        days = self.setting.window[1] - self.setting.window[0]
        return Estimate(
            levels,
            len(values),
            hits,
            interval.low,
            interval.high,
            float(spend.mean()),
            float(period.mean()),
            float(values.mean()),
            float(mqls.mean()) / days,
        )

    def values(self, levels: Levels, ramped: bool = True) -> np.ndarray:
        """The target's figure in each replication, in replication order."""
        runs = self.outcomes[(levels, ramped)]
        return np.array([runs[r][0] for r in sorted(runs)])

    def month_by_month(self, levels: Levels, ramped: bool = True) -> pd.DataFrame:
        """The plan's months, each figure's mean over the replications."""
        frames = pd.concat(self.months[(levels, ramped)]).sort_values(["replication", "period"])
        frames = frames.drop(columns="replication")
        return frames.groupby("period", sort=True).mean(numeric_only=True).reset_index()

    def _chunk(self, k: int, levels: Levels, reps: list[int], ramped: bool) -> Chunk:
        key = (levels, ramped)
        if key not in self._data:
            data = self.setting.scenario_of(levels, ramped).model_dump(mode="json", by_alias=True)
            self._data[key] = (content_hash(data), data)
        factors = tuple(
            (lever.name, level) for lever, level in zip(self.setting.levers, levels, strict=True)
        )
        return Chunk(
            point=k,
            replications=tuple(reps),
            labels=("plan",),
            scenarios=(self._data[key],),
            seeds=tuple((item_seed(self.setting.seed, (r,)),) for r in reps),
            factors=factors,
            periods=Months(),
        )

    def _land(self, result, levels: Levels, ramped: bool) -> None:
        runs = result.runs
        failed = runs[runs["status"] != "ok"]
        if len(failed):
            row = failed.iloc[0]
            raise FunnelsimError(f"a plan's run failed (seed {row['seed']}): {row['error']}")
        metric = self.setting.target.metric
        years = (self.setting.window[1] - self.setting.window[0]) / 365.25
        months = result.periods
        totals = months.groupby("replication")["spend"].sum()
        landed = {
            int(r.replication): (
                float(getattr(r, metric)),
                float(totals[r.replication]),
                float(r.gtm_cost_per_year) * years,
                float(r.mqls),
            )
            for r in runs.itertuples()
        }
        self.outcomes[(levels, ramped)].update(landed)
        self.months.setdefault((levels, ramped), []).append(
            months.drop(columns=["point", "policy"])
        )
        if self.folder is not None:
            self._keep(result.chunk, levels, ramped, landed, months)

    def _keep(self, name: str, levels: Levels, ramped: bool, landed: dict, months) -> None:
        """The chunk's runs in the plan's folder, each part written whole."""
        parts = self.folder / "parts"
        parts.mkdir(parents=True, exist_ok=True)
        key = content_hash({"levels": levels, "ramped": ramped}).removeprefix("sha256:")[:16]
        rows = pd.DataFrame(
            [(r, *v) for r, v in landed.items()],
            columns=["replication", *OUTCOMES],
        )
        tag = f"{key}-{min(landed):06d}"
        named = {
            lever.name: level for lever, level in zip(self.setting.levers, levels, strict=True)
        }
        rows = rows.assign(**named, ramped=ramped)
        # The runs' part last: a part with runs always has its months.
        atomic_write(
            parts / f"{tag}-months.parquet", lambda tmp: months.to_parquet(tmp, index=False)
        )
        atomic_write(parts / f"{tag}-runs.parquet", lambda tmp: rows.to_parquet(tmp, index=False))

    def resume(self) -> int:
        """Take back the runs an earlier search of the same plan kept in the folder."""
        names = [lever.name for lever in self.setting.levers]
        kept = 0
        for part in sorted((self.folder / "parts").glob("*-runs.parquet")):
            rows = pd.read_parquet(part)
            months = pd.read_parquet(part.with_name(part.name.replace("-runs", "-months")))
            first = rows.iloc[0]
            key = (tuple(float(first[n]) for n in names), bool(first["ramped"]))
            runs = self.outcomes.setdefault(key, {})
            for r in rows.itertuples():
                runs[int(r.replication)] = tuple(float(getattr(r, c)) for c in OUTCOMES)
            self.months.setdefault(key, []).append(months.drop(columns=["point", "policy"]))
            kept += len(rows)
        return kept
