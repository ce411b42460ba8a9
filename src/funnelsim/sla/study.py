"""The stress test of an SLA proposal: baseline against proposal, under every condition.

One experiment runs the baseline and the proposal at every condition (normal, then each
stress), with common random numbers across all of them: replication ``r`` meets the same
leads and buyers whatever the policy or the stress, so every difference is the policy's or
the stress's own. Each run's periods are counted in the worker (:mod:`~funnelsim.sla.judging`)
and judged here against the clauses.

Then the capacity the proposal needs: the smallest SDR headcount whose first-touch clause
holds in a period with at least the chosen probability, found by a search over headcount
(:mod:`~funnelsim.sla.capacity`), and at that headcount the smallest AE count that takes up
SQLs in time.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from funnelsim.base.mapping import dotted
from funnelsim.errors import Problem, ScenarioError, UsageError
from funnelsim.experiments import Experiment, Plan, conduct, parse_experiment
from funnelsim.experiments.design import portable
from funnelsim.experiments.spec import KEY_METRICS
from funnelsim.results import Results
from funnelsim.results.sla import PROPOSAL
from funnelsim.scenario import resolve
from funnelsim.scenario.loading import overridden
from funnelsim.scenario.schema import Scenario
from funnelsim.sla.judging import counts_for, judge, period_edges
from funnelsim.sla.proposal import Clause, Period, Proposal
from funnelsim.sla.stress import BUILT_IN, NORMAL, Condition, condition

IMPACT = (
    "bookings_per_year",
    "pipeline_created_value_per_year",
    "lead_to_close_days_p50",
    "opportunity_age_days_p50",
    "leakage_rate",
    "still_open_share",
)
"""What the proposal does to the business: revenue and pipeline per year, lead to close,
opportunity age, and leakage beside the leads still open."""


@dataclass(frozen=True)
class Study:
    """A checked stress test, ready to run: the proposal, its conditions and the plan."""

    proposal: Proposal
    clauses: tuple[Clause, ...]
    conditions: tuple[Condition, ...]
    plan: Plan
    scenario_path: Path
    baseline: str | None  # the baseline policy as `resolve` takes it
    proposal_sets: dict[str, Any] = field(repr=False)
    probability: float = 0.9
    source: str = "<proposal>"

    @property
    def labels(self) -> tuple[str, ...]:
        return self.plan.labels

    def scenario(self, point: int, policy: int) -> Scenario:
        return Scenario.model_validate(self.plan.scenarios[point][policy])

    def judged(self, periods: pd.DataFrame) -> pd.DataFrame:
        """The clauses judged in each condition's periods (a stress's own window only)."""
        if periods.empty:
            return judge(periods, list(self.clauses))
        keep = pd.Series(False, index=periods.index)
        for point, cond in enumerate(self.conditions):
            scenario = self.scenario(point, 0)
            h = scenario.horizon
            edges = period_edges(scenario.start_date, h.warmup, h.length, self.proposal.period)
            inside = [cond.judged(scenario, a, b) for a, b in itertools.pairwise(edges)]
            rows = periods["point"] == point
            keep |= rows & periods["period"].map(dict(enumerate(inside))).fillna(False).astype(bool)
        return judge(periods[keep], list(self.clauses))


def prepare_study(
    proposal: Proposal,
    *,
    source: str = "<proposal>",
    scenario: str | None = None,
    baseline: str | None = None,
    stresses: Sequence[str] | None = None,
    reps: int = 20,
    seed: int = 0,
    probability: float = 0.9,
    overrides: Mapping[str, Any] | None = None,
) -> Study:
    """Check everything and build the plan; raise every problem before anything runs.

    ``scenario`` and ``baseline`` replace the proposal's; ``stresses`` are built-in names or
    stress files (default: all built-in ones; ``["normal"]`` for none); ``overrides`` (dotted
    keys, as ``--set``) apply to both sides, after the proposal's own keys and ``set``.
    """
    proposal = _chosen(proposal, scenario, baseline)
    conditions = _conditions(stresses)
    path, policy, sides = _sides(proposal, overrides)
    experiment = _experiment(proposal, reps, seed, source)
    plan = _plan(proposal, experiment, conditions, path, sides, source)
    clauses, sets = tuple(proposal.clauses()), sides[1][1]
    return Study(proposal, clauses, conditions, plan, path, policy, sets, probability, source)


def _chosen(proposal: Proposal, scenario: str | None, baseline: str | None) -> Proposal:
    """The proposal with the scenario and baseline chosen on the command line, if any."""
    updates = {k: v for k, v in (("scenario", scenario), ("baseline", baseline)) if v}
    if not updates:
        return proposal
    chosen = proposal.model_copy(update=updates)
    chosen._base = proposal._base  # relative files are still found beside the proposal file
    return chosen


def _conditions(stresses: Sequence[str] | None) -> tuple[Condition, ...]:
    """Normal conditions, then each stress named once (every built-in one by default)."""
    names = list(BUILT_IN) if stresses is None else list(stresses)
    stressed = [name for name in dict.fromkeys(names) if name != NORMAL.name]
    conditions = (NORMAL, *(condition(name) for name in stressed))
    _named_once(conditions, ["normal (built in)", *stressed])
    return conditions


def _named_once(conditions: Sequence[Condition], given: Sequence[str]) -> None:
    """Tables, figures and the report key conditions by name: two alike would show one
    condition's numbers under both, so a clash is refused, naming what clashed."""
    seen: dict[str, str] = {}
    for found, source in zip(conditions, given, strict=True):
        if found.name in seen:
            clash = f"{seen[found.name]} and {source} are both named {found.name!r}"
            raise UsageError(f"--stress: {clash}; rename a stress file")
        seen[found.name] = source


Side = tuple[str | None, dict[str, Any]]
"""A policy of the study (None: the proposal's overlay on the base) and its overrides."""


def _sides(
    proposal: Proposal, overrides: Mapping[str, Any] | None
) -> tuple[Path, str | None, tuple[Side, Side]]:
    """The scenario file, the baseline policy, and both sides: the baseline and the proposal
    take ``set`` and the overrides alike, the proposal's after its overlay."""
    path, policy = proposal.scenario_file(), proposal.baseline_policy()
    common = {**proposal.set, **(overrides or {})}
    return path, policy, ((policy, common), (None, {**dotted(proposal.overlay()), **common}))


def _experiment(proposal: Proposal, reps: int, seed: int, source: str) -> Experiment:
    """The experiment behind the study: baseline and proposal, common random numbers."""
    data = {
        "name": proposal.name,
        "description": proposal.description,
        "scenario": proposal.scenario,
        "policies": ["base" if proposal.baseline is None else proposal.baseline, PROPOSAL],
        "replications": reps,
        "seed": seed,
        "metrics": list(dict.fromkeys([*IMPACT, *KEY_METRICS])),
        "common_random_numbers": "across_points",
    }
    return parse_experiment(data, source)


def _plan(
    proposal: Proposal,
    experiment: Experiment,
    conditions: tuple[Condition, ...],
    path: Path,
    sides: tuple[Side, Side],
    source: str,
) -> Plan:
    """Both sides under every condition, with the overrides that replay each run."""
    rows = [[_stressed(path, policy, sets, cond) for policy, sets in sides] for cond in conditions]
    _check_window(Scenario.model_validate(rows[0][0][0]), proposal.period, source)
    baseline = sides[0][0]
    replay = {
        "scenario": portable(path),
        "policies": [portable(baseline) if baseline else None, None],
        "sets": [[overrides for _, overrides in row] for row in rows],
    }
    points = tuple({"condition": c.name} for c in conditions)
    scenarios = tuple(tuple(data for data, _ in row) for row in rows)
    periods = counts_for(proposal.clauses(), proposal.period)
    labels = tuple(experiment.labels)
    return Plan(experiment, labels, ("condition",), points, scenarios, replay, periods=periods)


def _check_window(scenario: Scenario, period: Period, source: str) -> None:
    """The measured window must hold a whole calendar period to judge."""
    horizon, start = scenario.horizon, scenario.start_date
    if len(period_edges(start, horizon.warmup, horizon.length, period)) < 2:
        first, last = (start + dt.timedelta(days=d) for d in (horizon.warmup, horizon.length))
        raise UsageError(
            f"{source}: the measured window, {first} to {last}, holds no whole calendar "
            f"{period} to judge; lengthen horizon.length (e.g. with set:) or judge by month"
        )


def _stressed(
    path: Path, policy: str | None, sets: dict[str, Any], cond: Condition
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A policy's scenario under a condition, as data, and the overrides that replay it."""
    _, scenario = resolve(path, policy, sets)
    overrides = {**sets, **cond.sets(scenario)}
    try:
        _, scenario = resolve(path, policy, overrides)
    except ScenarioError as exc:
        if cond.source is None:
            raise
        raise ScenarioError([_at_stress(p, cond) for p in exc.problems]) from None
    return scenario.model_dump(mode="json", by_alias=True), overrides


def _at_stress(problem: Problem, cond: Condition) -> Problem:
    """A problem an override from a stress file caused, at that file's line."""
    key = overridden(problem)
    if key is None:
        return problem
    loc = tuple(int(p) if p.isdigit() else p for p in key.split("."))
    message = problem.message if problem.path == key else f"{problem.path}: {problem.message}"
    line = (cond.lines or {}).get(loc)
    return Problem(cond.source or problem.source, key, message, line)


def run_plan(plan: Plan, out: Path | None, resume: bool, **options: Any) -> Results:
    """Run a plan into ``out`` (resuming what a folder already holds) or in memory."""
    if out is not None and resume and not (out / "manifest.json").exists():
        resume = False
    return conduct(plan, out=out, resume=resume, **options)


# -- capacity ----------------------------------------------------------------------------------
def probe_plan(study: Study, sets: dict[str, Any]) -> Plan:
    """The proposal alone, under normal conditions, with ``sets`` (a headcount): the stress
    test's seeds, so a probe at the proposal's own headcount replays its normal runs."""
    base = study.plan.experiment
    experiment = base.model_copy(update={"policies": [PROPOSAL], "metrics": list(base.metrics)})
    overrides = {**study.proposal_sets, **sets}
    _, scenario = resolve(study.scenario_path, None, overrides)
    replay = {"scenario": study.plan.replay["scenario"], "policies": [None], "sets": [[overrides]]}
    return Plan(
        experiment,
        (PROPOSAL,),
        tuple(sets),
        (dict(sets),),
        ((scenario.model_dump(mode="json", by_alias=True),),),
        replay,
        periods=study.plan.periods,
    )
