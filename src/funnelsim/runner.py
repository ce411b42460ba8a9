"""One replication: a scenario and a seed in, a :class:`RunResult` out."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np
import pandas as pd

from funnelsim.base.jsondoc import content_hash
from funnelsim.base.streams import Streams
from funnelsim.model.fast import Funnel
from funnelsim.model.roster import Teams
from funnelsim.model.settled import settled_days
from funnelsim.record import cohorts, costs, metrics, warmup
from funnelsim.record.ledger import Ledger, event_log
from funnelsim.record.registry import money_periods
from funnelsim.record.response import YARDSTICKS
from funnelsim.scenario.schema import Scenario

try:
    __version__ = version("funnelsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"


@dataclass
class RunResult:
    """Everything one run produced: figures, frames, and what is needed to replay it."""

    scenario: Scenario
    seed: int | dict[str, list[int]]
    summary: dict[str, Any]
    by_source: pd.DataFrame
    by_segment: pd.DataFrame
    weekly: pd.DataFrame
    ledger: Ledger = field(repr=False)
    events: pd.DataFrame | None = field(default=None, repr=False)
    teams: Teams | None = field(default=None, repr=False)  # who was on the teams, when
    runtime: float = 0.0
    version: str = __version__


RUN_FIGURES = ("leads_simulated", "events_scheduled", "events_per_lead", "final_mql_threshold")
"""Figures about the run itself, beside the metrics of the funnel."""


@functools.cache
def metric_names() -> tuple[str, ...]:
    """The name of every figure in ``summary["metrics"]``, in order, without running a model."""
    return (*metrics.names(), *cohorts.NAMES, *costs.FIGURES, *RUN_FIGURES, *warmup.FIGURES)


def context(scenario: Scenario, funnel: Funnel) -> metrics.Context:
    ctx = metrics.Context(
        start=scenario.horizon.warmup,
        end=scenario.horizon.length,
        start_date=scenario.start_date,
        calendar=funnel.calendar,
        sla_response=funnel.calendar.open_time(scenario.sla.response_time),
        sdr_headcount=scenario.sdr.headcount,
        ae_capacity=scenario.sales.ae_count * scenario.sales.max_open_per_ae,
        ae_count=scenario.sales.ae_count,
        quota_per_ae=scenario.sales.quota_per_ae or float("nan"),
        source_names=tuple(scenario.sources),
        segment_names=tuple(scenario.segments),
        sdr_cost_per_year=scenario.sdr.headcount * scenario.cost.sdr_per_year,
        ae_cost_per_year=scenario.sales.ae_count * scenario.cost.ae_per_year,
        programs_per_year=tuple(scenario.cost.programs.get(s, 0.0) for s in scenario.sources),
        gross_margin=scenario.cost.gross_margin,
        yardsticks=tuple((w, funnel.calendar.open_time(w)) for w in YARDSTICKS),
    )
    return staffed(ctx, scenario, funnel.teams)


def staffed(ctx: metrics.Context, scenario: Scenario, teams: Teams) -> metrics.Context:
    """``ctx`` with the teams' own figures over the window, where a staffing plan moves them:
    open time, deal slots and years on the team, and people cost (days on the team at the
    yearly cost, and each hire's one-off cost)."""
    start, end, cost = ctx.start, ctx.end, scenario.cost
    span = end - start
    changes: dict[str, float] = {}
    if teams.sdr is not None:
        sdr = teams.sdr
        changes["sdr_open_time"] = sdr.open_time(ctx.calendar.business_array, start, end)
        hires = sdr.hires_within(start, end) * cost.sdr_hire / ctx.years
        changes["sdr_cost_per_year"] = sdr.head_days(start, end) / span * cost.sdr_per_year + hires
    if teams.ae is not None:
        ae = teams.ae
        changes["ae_slot_days"] = ae.slot_days(scenario.sales.max_open_per_ae, start, end)
        days = ae.head_days(start, end)
        changes["ae_years"] = days / 365.25
        hires = ae.hires_within(start, end) * cost.ae_hire / ctx.years
        changes["ae_cost_per_year"] = days / span * cost.ae_per_year + hires
    return dataclasses.replace(ctx, **changes) if changes else ctx


def seed_record(root: np.random.SeedSequence) -> int | dict[str, list[int]]:
    """How a run reports its seed: the int it was given, or a SeedSequence's full identity."""
    entropy = root.entropy
    if not root.spawn_key and not np.ndim(entropy):
        return int(entropy)
    entropy = [int(e) for e in entropy] if np.ndim(entropy) else [int(entropy)]
    return {"entropy": entropy, "spawn_key": [int(k) for k in root.spawn_key]}


def replay_seed(record: int | dict[str, list[int]]) -> int | np.random.SeedSequence:
    """The seed to pass to :func:`simulate` to replay a run from its reported seed."""
    if isinstance(record, int):
        return record
    return np.random.SeedSequence(record["entropy"], spawn_key=tuple(record["spawn_key"]))


def simulate(
    scenario: Scenario, seed: int | np.random.SeedSequence = 0, events: bool = False
) -> RunResult:
    """Run the funnel once. The same scenario and seed always give the same result."""
    started = time.perf_counter()
    streams = Streams(seed)
    with _collector_paused():
        funnel = Funnel(scenario, streams, record_events=events)
        ledger = funnel.run()
    ctx = context(scenario, funnel)
    spent = costs.spends(ledger, ctx)
    figures = _figures(funnel, ledger, ctx, spent)
    runtime = time.perf_counter() - started  # the frames below are reading, not running
    seed_out = seed_record(streams.root)
    weekly = metrics.weekly(ledger, ctx, funnel.thresholds)
    window = warmup.diagnose(weekly, scenario.horizon.warmup, scenario.horizon.length)
    return RunResult(
        scenario=scenario,
        seed=seed_out,
        summary=_summary(scenario, seed_out, figures | window.figures(), runtime, window),
        by_source=costs.by_source(spent, metrics.by_group(ledger, ctx, "source"), ctx),
        by_segment=costs.yearly(metrics.by_group(ledger, ctx, "segment"), ctx),
        weekly=weekly,
        ledger=ledger,
        events=_event_log(scenario, ledger) if events else None,
        teams=funnel.teams,
        runtime=runtime,
    )


def _figures(
    funnel: Funnel, ledger: Ledger, ctx: metrics.Context, spent: pd.DataFrame
) -> dict[str, Any]:
    """The funnel's figures, the cohort's followed to its outcomes, their costs, then the
    figures about the run itself (:data:`RUN_FIGURES`)."""
    figures = metrics.scalars(ledger, ctx) | metrics.utilisation(ledger, ctx)
    figures |= cohorts.figures(ledger, ctx.start, ctx.end)
    figures |= costs.total(spent, figures, ctx)
    events_scheduled = funnel.events_scheduled()
    run_figures = (
        len(ledger),
        events_scheduled,
        events_scheduled / max(len(ledger), 1),
        funnel.threshold,
    )
    return figures | dict(zip(RUN_FIGURES, run_figures, strict=True))


def _summary(
    scenario: Scenario,
    seed: int | dict[str, list[int]],
    figures: dict[str, Any],
    runtime: float,
    window: warmup.Diagnosis,
) -> dict[str, Any]:
    """The run's summary: what ran, over which window, its figures, and whether the window
    is stationary."""
    horizon = scenario.horizon
    return {
        "scenario": scenario.name,
        "policy": scenario.policy,
        "overrides": dict(scenario.overrides),
        "scenario_hash": scenario_hash(scenario),
        "seed": seed,
        "currency": scenario.currency,
        "window": {
            "start": (scenario.start_date + _days(horizon.warmup)).isoformat(),
            "end": (scenario.start_date + _days(horizon.length)).isoformat(),
            "weeks": round((horizon.length - horizon.warmup) / 7.0, 3),
            "years": round((horizon.length - horizon.warmup) / 365.25, 4),
        },
        "funnel_start": _funnel_start(scenario),
        "money_periods": money_periods(figures),
        "metrics": figures,
        "stationarity": window.document(),
        "runtime_seconds": runtime,
        "version": __version__,
    }


def _funnel_start(scenario: Scenario) -> dict[str, Any]:
    """How the funnel stood at time zero: empty, or steady with the history it was drawn from
    and how long its pilot settled it; and the deals open then, when it starts from a
    pipeline."""
    horizon = scenario.horizon
    start: dict[str, Any] = {"state": "empty"}
    if horizon.start != "empty":
        settle = settled_days(horizon)  # the pilot's history ends where it starts
        start = {
            "state": "steady",
            "history_weeks": round(horizon.history / 7.0, 3),
            "history_from": (scenario.start_date - _days(settle + horizon.history)).isoformat(),
        }
        if settle:
            start["settled_weeks"] = round(settle / 7.0, 3)
    if scenario.pipeline is not None:
        deals = scenario.pipeline.deals
        start["pipeline_date"] = scenario.pipeline.date.isoformat()
        start["open_deals"] = len(deals)
        start["open_value_given"] = float(sum(d.value for d in deals if d.value is not None))
    return start


def scenario_hash(scenario: Scenario) -> str:
    """The hash of the resolved scenario's content: runs of equal scenarios share it, whatever
    file, policy and overrides produced them, and an experiment's manifest names it alike."""
    return content_hash(scenario.model_dump(mode="json", by_alias=True))


def _event_log(scenario: Scenario, ledger: Ledger) -> pd.DataFrame:
    return event_log(
        ledger,
        scenario.start_date,
        scenario.calendar.timezone,
        list(scenario.sources),
        list(scenario.segments),
    )


@contextlib.contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector while the model runs.

    A run allocates many small objects that live until its end (tasks, ledger rows), so the
    collector's repeated sweeps cost a quarter of the run and free almost nothing: the model's
    objects hold no reference cycles and are freed by reference counting as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _days(days: float):
    import datetime as dt

    return dt.timedelta(days=days)
