"""From an experiment to a plan: the sweep points, the resolved scenarios, every item's seed.

A *work item* is one replication of one policy at one sweep point. Its random streams come
from a :class:`numpy.random.SeedSequence` keyed by the experiment's root seed and the item's
place in the experiment, never by when or where it runs, so an experiment gives the same
numbers on one worker, on many, or on a cluster. Under common random numbers, replication
``r`` of every policy gets the same seed: the policies then meet the same arrivals, the same
leads and the same buyers, and their paired difference is the policy's effect alone.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from funnelsim.base.intervals import Interval
from funnelsim.base.jsondoc import content_hash
from funnelsim.base.yamldoc import Key
from funnelsim.errors import Problem, ScenarioError
from funnelsim.experiments.execution import Periods
from funnelsim.experiments.spec import Design, Experiment, Range, Scalar
from funnelsim.experiments.yardstick import strictest, with_yardstick
from funnelsim.runner import __version__
from funnelsim.scenario import resolve
from funnelsim.scenario.loading import overridden, scenario_file

SEED_BITS = 63
"""Item seeds are plain non-negative 63-bit integers: ``funnelsim run --seed`` replays them."""


def item_seed(root: int, key: tuple[int, ...]) -> int:
    """The seed of the run at ``key`` (its place in a study) under the root seed ``root``."""
    state = np.random.SeedSequence(root, spawn_key=key).generate_state(2)
    return (int(state[0]) << 32 | int(state[1])) >> (64 - SEED_BITS)


@dataclass(frozen=True)
class Item:
    """One replication of one policy at one sweep point."""

    point: int
    replication: int
    policy: int


@dataclass(frozen=True)
class Plan:
    """Everything an experiment will run, fixed and checked before anything runs."""

    experiment: Experiment
    labels: tuple[str, ...]
    factors: tuple[str, ...]
    points: tuple[dict[str, Scalar], ...]
    scenarios: tuple[tuple[dict[str, Any], ...], ...]  # [point][policy]: resolved scenario data
    replay: dict[str, Any]  # the scenario and policies as `funnelsim run` finds them anywhere
    periods: Periods | None = None  # what to count per period of each run, if anything
    options: dict[str, Any] = field(default_factory=dict)  # what --reps/--seed/--set changed
    analysis: dict[str, Any] | None = None  # what an analysis needs to read the results back

    def seed(self, item: Item) -> int:
        """The seed of ``item``'s run, from (root seed, point, replication[, policy])."""
        crn = self.experiment.common_random_numbers
        key = {
            "across_policies": (item.point, item.replication),
            "across_points": (item.replication,),
            "off": (item.point, item.replication, item.policy),
        }[crn]
        return item_seed(self.experiment.seed, key)

    def items(self, replications: range) -> Iterator[Item]:
        """The items of these replications, point by point, replication by replication."""
        for point in range(len(self.points)):
            for replication in replications:
                for policy in range(len(self.labels)):
                    yield Item(point, replication, policy)

    @property
    def yardstick(self) -> str:
        """The response time every policy's first touches are also judged by: the one given,
        or the strictest SLA of the experiment's scenarios."""
        given = self.experiment.yardstick
        return given or strictest(s for point in self.scenarios for s in point)

    @property
    def metrics(self) -> list[str]:
        """The metrics summarised: the experiment's, with compliance within the yardstick."""
        given = self.experiment.yardstick is not None
        return with_yardstick(list(self.experiment.metrics), self.yardstick, given)

    @property
    def fingerprint(self) -> str:
        """A hash of everything that fixes an item's result: resuming checks it matches."""
        ignored = {"replications", "name", "description"}  # more replications may be added
        experiment = self.experiment.model_dump(mode="json", exclude=ignored)
        content = {
            "version": __version__,  # a resumed experiment is all from one funnelsim
            "experiment": experiment,
            "labels": self.labels,
            "points": self.points,
            "scenarios": self.scenarios,
        }
        if self.periods is not None:
            content["periods"] = repr(self.periods)  # a frozen dataclass: its fields, in order
        if self.analysis is not None:
            content["analysis"] = self.analysis
        return content_hash(content)


def sweep_points(experiment: Experiment) -> list[dict[str, Scalar]]:
    """The factor values at each point: the full grid, or a Latin hypercube sample."""
    if not experiment.factors:
        return [{}]
    names = list(experiment.factors)
    if isinstance(experiment.design, Design):
        unit = unit_sample(experiment)
        intervals = [experiment.factors[n] for n in names]
        return [
            {n: f.at(float(u)) for n, f, u in zip(names, intervals, row, strict=True)}  # type: ignore[union-attr]
            for row in unit
        ]
    axes = [_values(experiment.factors[n]) for n in names]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*axes)]


def unit_sample(experiment: Experiment) -> np.ndarray:
    """The sampled design's points on the unit cube, a column per factor, in factor order."""
    sample = experiment.design.sample  # type: ignore[union-attr]
    seed = experiment.seed if sample.seed is None else sample.seed
    return sample.unit(len(experiment.factors), seed)


def _values(factor: list[Scalar] | Range | Interval) -> list[Scalar]:
    return factor.values() if isinstance(factor, Range) else list(factor)  # type: ignore[arg-type]


ARGUMENTS = "<arguments>"
"""The source of an experiment given as a function's arguments rather than a file."""


def scenario_path(name: str, base: Path | None) -> Path:
    """A scenario named in an experiment: a file (relative to the experiment) or bundled."""
    path = Path(name)
    if base is not None and not path.is_absolute() and (base / path).exists():
        return base / path
    return scenario_file(name)


def _pipeline_path(pipeline: str | None, base: Path | None) -> str | None:
    """A pipeline file named in an experiment is found beside the experiment file."""
    if pipeline is None or base is None or Path(pipeline).is_absolute():
        return pipeline
    return str(base / pipeline)


def _policy_path(policy: str, base: Path | None) -> str:
    """A policy file named in an experiment is found beside the experiment file."""
    if base is None or not policy.endswith((".yaml", ".yml")) or Path(policy).is_absolute():
        return policy
    return str(base / policy)


def plan(
    experiment: Experiment,
    source: str = "<experiment>",
    lines: Mapping[Key, int] | None = None,
    base: Path | None = None,
    options: Mapping[str, Any] | None = None,
    found: Sequence[Problem] = (),
) -> Plan:
    """Resolve the scenario under every policy at every point; raise every problem at once,
    with those already ``found`` in the experiment itself.

    A bad factor value is reported at the factor's key in the experiment file, once, however
    many points share it; a bad ``--set`` of the command line (in ``options``) by itself.
    """
    lines, options = lines or {}, dict(options or {})
    given = set(options.get("set", {}))
    try:
        path = scenario_path(experiment.scenario, base)
    except ScenarioError as exc:
        line = lines.get(("scenario",))
        message = f"{experiment.scenario!r}: {exc.problems[0].message}"
        raise ScenarioError([Problem(source, "scenario", message, line)]) from None
    points = sweep_points(experiment)
    policies = [_policy_path(p, base) for p in experiment.policies] or [None]
    pipeline = _pipeline_path(experiment.pipeline, base)
    scenarios, problems = [], {}
    for values in points:
        resolved = []
        for k, policy in enumerate(policies):
            overrides = {**experiment.set, **values}
            try:
                _, scenario = resolve(path, policy, overrides, pipeline)
            except ScenarioError as exc:
                for p in exc.problems:
                    key = overridden(p)
                    if key in given:  # the command line's own --set
                        p = Problem(f"--set {key}", p.path, p.message, p.line)
                    else:
                        p = _attribute(p, experiment, source, lines, (k, policy))
                    problems.setdefault((p.source, p.path, p.message), p)
                continue
            resolved.append(scenario.model_dump(mode="json", by_alias=True))
        scenarios.append(tuple(resolved))
    if found or problems:
        # The experiment file's own problems first, in the order of its lines.
        every = [*found, *problems.values()]
        raise ScenarioError(sorted(every, key=lambda p: (p.source != source, p.line or 0)))
    replay = {"scenario": portable(path), "policies": [portable(p) for p in policies if p]}
    if pipeline is not None:
        replay["pipeline"] = str(Path(pipeline).resolve())
    labels = tuple(experiment.labels)
    factors = tuple(experiment.factors)
    return Plan(
        experiment, labels, factors, tuple(points), tuple(scenarios), replay, options=options
    )


def portable(ref: str | Path) -> str:
    """A scenario or policy as `funnelsim run` finds it from any folder: a bundled scenario
    by name, a policy named in the scenario as itself, a file by its absolute path."""
    path = Path(ref)
    if not path.suffix and not path.exists():
        return str(ref)  # a policy named in the scenario
    if path.resolve().parent == scenario_file(None).resolve().parent:
        return path.stem
    return str(path.resolve())


def _attribute(
    problem: Problem, experiment: Experiment, source: str, lines, policy: tuple[int, str | None]
) -> Problem:
    """A problem a policy or an override caused, moved to the experiment key that named it.

    Problems inside a policy file keep its file, line and key; from arguments rather than a
    file (``<arguments>``), every problem names its own file or override.
    """
    k, name = policy
    key = overridden(problem)
    if source == ARGUMENTS or (name is not None and problem.source == name and problem.path):
        return problem
    if problem.path == "policies" or (name is not None and problem.source == name):
        file = f"policy file {name!r}: " if problem.source == name else ""
        where = ("policies", k)
        return Problem(source, f"policies.{k}", file + problem.message, lines.get(where))
    if key is None:
        return problem
    section = "factors" if key in experiment.factors else "set"
    where = (section, key)
    message = problem.message if problem.path == key else f"{problem.path}: {problem.message}"
    return Problem(source, ".".join(where), message, lines.get(where))
