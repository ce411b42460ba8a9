"""Which lever carries the difference between two policies: the plan of ``funnelsim explain``.

Two policies differ in a handful of scenario keys, and the keys fall into the levers a revenue
team argues about: the MQL threshold, the review, the SLA, the cadence, the follow-up order,
recycling, headcount. A *coalition* of levers is the first policy with the second's values at
those levers' keys. Its scenario is the first policy with ``--set`` overrides, so it is checked
like any other and ``funnelsim run`` replays it. Every coalition runs under common random
numbers, and :mod:`funnelsim.results.explanation` reads each lever's Shapley value off the
results: its marginal contribution, averaged over the orders in which the levers could be
switched.

Up to :data:`EXACT_UP_TO` levers every coalition runs. Beyond, the Shapley values are
estimated from sampled orders, each beside its reverse (antithetic orders), and the coalitions
run are those the orders pass through and each lever alone.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from funnelsim.base.mapping import dotted
from funnelsim.errors import Problem, ScenarioError, UsageError
from funnelsim.experiments.design import ARGUMENTS, Plan, portable, scenario_path
from funnelsim.experiments.spec import MAX_POINTS, Experiment, checked_experiment
from funnelsim.record.registry import KEY_METRICS
from funnelsim.scenario import resolve

LEVERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("threshold", ("scoring.mql_threshold",)),
    ("review", ("scoring.closed_loop",)),
    ("sla", ("sla", "sdr.put_off", "sdr.max_queue_age")),  # the response promise, kept or not
    ("cadence", ("sdr.attempts", "sdr.attempt_spacing")),
    ("followups", ("sdr.followups", "sdr.queue")),
    ("recycling", ("recycle",)),
    ("headcount", ("sdr.headcount", "sales.ae_count")),
)
"""The levers by name, each with the scenario keys it holds (a key or a section). A key that
no lever holds is a lever of its own."""
EXACT_UP_TO = 6
"""Every coalition runs up to this many levers (64 coalitions); beyond, sampled orders."""
ORDERS = 8
"""Sampled orders by default, beyond :data:`EXACT_UP_TO` levers: four and their reverses."""
BASE = "base"
"""The name of the scenario's own settings, with no policy applied, as experiments label it."""
NOT_SETTINGS = ("name", "description", "policy", "policies")
"""Top-level keys that describe a scenario rather than set it: never a lever."""


@dataclass(frozen=True)
class Levers:
    """The levers in which two policies differ, each with its keys: in :data:`LEVERS` order,
    then any other key (a lever of its own) in alphabetical order."""

    names: tuple[str, ...]
    keys: tuple[tuple[str, ...], ...]

    def settings(self, members: Iterable[int], second: Mapping[str, Any]) -> dict[str, Any]:
        """The ``--set`` overrides that switch the levers ``members`` to ``second``'s values."""
        return {key: second[key] for k in sorted(members) for key in self.keys[k]}


def differing(first: Mapping[str, Any], second: Mapping[str, Any]) -> dict[str, Any]:
    """The keys (dotted, as ``--set`` takes them) at which two resolved scenarios differ, with
    the second's values."""
    a, b = ({k: v for k, v in dotted(d).items() if _setting(k)} for d in (first, second))
    only_first = sorted(set(a) - set(b))
    if only_first:
        raise UsageError(
            f"the first policy sets {only_first[0]}, which the second does not: a lever can "
            "be switched to the second policy's value, not removed"
        )
    return {key: value for key, value in b.items() if key not in a or a[key] != value}


def _setting(key: str) -> bool:
    return key.split(".", 1)[0] not in NOT_SETTINGS


def lever_of(key: str) -> str:
    """The lever that holds ``key``: one of :data:`LEVERS`, or the key itself."""
    for name, prefixes in LEVERS:
        if any(key == p or key.startswith(p + ".") for p in prefixes):
            return name
    return key


def levers(keys: Iterable[str], by: str = "lever") -> Levers:
    """``keys`` grouped into levers (``by="lever"``), or each key a lever (``by="key"``)."""
    groups: dict[str, list[str]] = {}
    for key in keys:
        groups.setdefault(key if by == "key" else lever_of(key), []).append(key)
    known = [name for name, _ in LEVERS]
    names = sorted(groups, key=lambda n: (known.index(n) if n in known else len(known), n))
    return Levers(tuple(names), tuple(tuple(groups[n]) for n in names))


def sampled_orders(levers: int, count: int, seed: int) -> list[tuple[int, ...]]:
    """``count`` orders of the levers (rounded up to even): random ones, each with its reverse.

    A lever early in an order and late in its reverse sees both few and many levers already
    switched, which halves much of the estimate's noise for the same runs.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(levers,)))
    found = []
    for _ in range((count + 1) // 2):
        order = tuple(int(k) for k in rng.permutation(levers))
        found += [order, order[::-1]]
    return found


def coalitions(levers: int, orders: Sequence[tuple[int, ...]] | None) -> list[tuple[int, ...]]:
    """The coalitions to run, smallest first: every one for exact Shapley values; else those
    the ``orders`` pass through, and each lever alone."""
    if orders is None:
        found = {
            c for size in range(levers + 1) for c in itertools.combinations(range(levers), size)
        }
    else:
        found = {tuple(sorted(order[:k])) for order in orders for k in range(levers + 1)}
        found |= {(k,) for k in range(levers)}
    return sorted(found, key=lambda c: (len(c), c))


def explanation_plan(
    scenario: str | Path | None,
    policies: Sequence[str],
    reps: int,
    seed: int,
    *,
    by: str = "lever",
    overrides: Mapping[str, Any] | None = None,
    metrics: Sequence[str] = KEY_METRICS,
    orders: int | None = None,
) -> Plan:
    """The checked plan of an explanation: every coalition of the levers in which the two
    ``policies`` differ, under common random numbers, on one scenario.

    ``orders`` asks for sampled Shapley values from that many orders, however few the levers.
    """
    first, second = two_policies(policies)
    path = scenario_path(str(scenario) if scenario is not None else "reference", None)
    sets = dict(overrides or {})
    experiment = _experiment(scenario, (first, second), sets, reps, seed, metrics)
    names = (experiment.labels[0], experiment.labels[1])  # a policy file by its stem
    values = _switched(path, (first, second), sets, names)
    found = levers(values, by)
    n = len(found.names)
    sequence = (
        None if orders is None and n <= EXACT_UP_TO else sampled_orders(n, orders or ORDERS, seed)
    )
    members = coalitions(n, sequence)
    if len(members) > MAX_POINTS:
        raise UsageError(
            f"--orders: {len(members):,} coalitions to run; expected at most {MAX_POINTS:,}"
        )
    settings = [{**sets, **found.settings(c, values)} for c in members]
    scenarios = tuple(
        _coalition(path, first, s, found, c) for s, c in zip(settings, members, strict=True)
    )
    replay = {
        "scenario": portable(path),
        "policies": [None if _policy(first) is None else portable(first)] * len(members),
        "sets": [settings],
    }
    labels = tuple(_label(names, found, c) for c in members)
    analysis = {
        "kind": "explain",
        "first": names[0],
        "second": names[1],
        "by": by,
        "levers": list(found.names),
        "keys": {name: list(keys) for name, keys in zip(found.names, found.keys, strict=True)},
        "coalitions": [list(c) for c in members],
        "orders": None if sequence is None else [list(o) for o in sequence],
    }
    return Plan(experiment, labels, (), ({},), (scenarios,), replay, analysis=analysis)


def _experiment(
    scenario: str | Path | None,
    policies: tuple[str, str],
    sets: dict[str, Any],
    reps: int,
    seed: int,
    metrics: Sequence[str],
) -> Experiment:
    """The experiment an explanation is: the two policies compared, as ``compare`` would."""
    data = {
        "scenario": str(scenario or "reference"),
        "policies": list(policies),
        "set": sets,
        "replications": reps,
        "seed": seed,
        "metrics": list(metrics),
    }
    experiment, problems = checked_experiment(data, ARGUMENTS)
    if problems:
        raise ScenarioError(problems)
    return experiment


def _switched(
    path: Path, policies: tuple[str, str], sets: dict[str, Any], names: tuple[str, str]
) -> dict[str, Any]:
    """The keys the second policy sets otherwise than the first, with its values."""
    first, second = (
        resolve(path, _policy(p), sets)[1].model_dump(mode="json", by_alias=True) for p in policies
    )
    values = differing(first, second)
    if not values:
        raise UsageError(
            f"policies {names[0]!r} and {names[1]!r} set every key alike: nothing to explain"
        )
    return values


def _policy(name: str) -> str | None:
    """A policy as the loader takes it: ``base`` is the scenario's own settings."""
    return None if name == BASE else name


def two_policies(policies: Sequence[str]) -> tuple[str, str]:
    """The two policies a comparison of two takes, or a usage error saying it needs two."""
    if len(policies) != 2 or policies[0] == policies[1]:
        raise UsageError(f"--policy: expected two different policies, got {list(policies)}")
    return policies[0], policies[1]


def _label(names: tuple[str, str], found: Levers, members: tuple[int, ...]) -> str:
    """A coalition's name: the first policy, the second, or the first with the levers switched."""
    if not members:
        return names[0]
    if len(members) == len(found.names):
        return names[1]
    return " + ".join([names[0], *(found.names[k] for k in members)])


def _coalition(
    path: Path, first: str, settings: dict[str, Any], found: Levers, members: tuple[int, ...]
) -> dict[str, Any]:
    """A coalition's resolved scenario, or an error naming the levers that do not combine."""
    try:
        _, scenario = resolve(path, _policy(first), settings)
    except ScenarioError as exc:
        switched = ", ".join(found.names[k] for k in members)
        problems = [
            Problem(p.source, p.path, f"{p.message} (with {switched} switched)", p.line)
            for p in exc.problems
        ]
        raise ScenarioError(problems) from None
    return scenario.model_dump(mode="json", by_alias=True)
