"""Experiment files: which scenario, which policies, which factors, how many replications.

An experiment file is validated like a scenario file: every problem at once, each with the
file, line and dotted key, and nothing run until the whole file is sound. Factor values are
checked by resolving the scenario at every point, so ``sdr.headcount: [8, -1]`` is reported
at the factor's line, not as a failed replication later.
"""

from __future__ import annotations

import importlib.resources
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import Discriminator, Field, Tag, model_validator

from funnelsim.base.bundled import bundled, find
from funnelsim.base.intervals import Interval
from funnelsim.base.strict import Frozen
from funnelsim.base.yamldoc import Document, problem_at, validated
from funnelsim.errors import Problem, ScenarioError
from funnelsim.experiments.sampling import MAX_POINTS, Design
from funnelsim.experiments.yardstick import unknown
from funnelsim.record.registry import KEY_METRICS, unknown_metric
from funnelsim.runner import metric_names

Scalar = bool | int | float | str
MAX_VALUES = 100_000
"""The most values one range may spell out: more is a typo, not a plan."""
MAX_ITEMS = 10_000_000
"""The most runs an experiment may plan (points x policies x replications)."""
CRN = Literal["across_policies", "across_points", "off"]


class Range(Frozen):
    """Evenly spaced values from ``from`` to ``to`` inclusive, ``step`` apart."""

    model_config = pydantic.ConfigDict(populate_by_name=True)  # ``start`` or ``from``

    start: float = Field(alias="from")
    stop: float = Field(alias="to")
    step: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.stop < self.start:
            raise ValueError(f"expected 'to' ({self.stop:g}) at or above 'from' ({self.start:g})")
        steps = (self.stop - self.start) / self.step
        if not steps < MAX_VALUES:  # also an infinite or NaN count, from a tiny step
            got = f", got {math.floor(steps + 1e-9) + 1:,}" if math.isfinite(steps) else ""
            raise ValueError(f"expected at most {MAX_VALUES:,} values{got}")
        return self

    @property
    def count(self) -> int:
        return math.floor((self.stop - self.start) / self.step + 1e-9) + 1

    def values(self) -> list[float | int]:
        count = self.count
        out = [self.start + k * self.step for k in range(count)]
        whole = all(float(v).is_integer() for v in (self.start, self.step))
        return [round(v) for v in out] if whole else [round(v, 12) for v in out]


def _factor_kind(value: Any) -> str | None:
    if isinstance(value, Range | Interval):
        return "<range>" if isinstance(value, Range) else "<interval>"
    if isinstance(value, list):
        return "<list>"
    if isinstance(value, Mapping):
        return "<interval>" if {"min", "max"} & set(value) else "<range>"
    return None


def _design_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "<grid>"
    return "<sample>" if isinstance(value, Mapping | Design) else None


Factor = Annotated[
    Annotated[list[Scalar], Field(min_length=1), Tag("<list>")]
    | Annotated[Range, Tag("<range>")]
    | Annotated[Interval, Tag("<interval>")],
    Discriminator(
        _factor_kind,
        custom_error_type="factor",
        custom_error_message="expected a list of values, a range {from, to, step} "
        "or an interval {min, max}",
    ),
]
DesignSpec = Annotated[
    Annotated[Literal["grid"], Tag("<grid>")] | Annotated[Design, Tag("<sample>")],
    Discriminator(
        _design_kind,
        custom_error_type="design",
        custom_error_message="expected 'grid', {latin_hypercube: {points: N}}, "
        "{morris: {trajectories: N}} or {sobol: {samples: N}}",
    ),
]


class Experiment(Frozen):
    """One experiment: policies x points x replications of one scenario."""

    name: str | None = None
    description: str | None = None
    scenario: str = "reference"
    policies: list[str] = Field(default_factory=list)
    pipeline: str | None = Field(
        default=None,
        description="a pipeline file: the deals open at the start (funnelsim fit writes one)",
    )
    set: dict[str, Any] = Field(default_factory=dict)
    factors: dict[str, Factor] = Field(default_factory=dict)
    design: DesignSpec = "grid"
    replications: int = Field(default=10, ge=1, le=1_000_000)
    seed: int = Field(default=0, ge=0)
    metrics: list[str] = Field(default_factory=lambda: list(KEY_METRICS), min_length=1)
    common_random_numbers: CRN = "across_policies"
    yardstick: str | None = Field(
        default=None,
        description="the response time every policy's SLA compliance is also judged by; "
        "the strictest SLA of the experiment's scenarios when omitted",
    )

    @property
    def labels(self) -> list[str]:
        """Policy labels: names as given, a policy file by its stem, ``base`` for none."""
        return [Path(p).stem if p.endswith((".yaml", ".yml")) else p for p in self.policies] or [
            "base"
        ]


def parse_experiment(data: Mapping[str, Any], source: str, lines=None) -> Experiment:
    """Validate experiment data; raise :class:`ScenarioError` listing every problem."""
    experiment, problems = checked_experiment(data, source, lines)
    if problems:
        raise ScenarioError(problems)
    return experiment


def checked_experiment(
    data: Mapping[str, Any], source: str, lines=None
) -> tuple[Experiment, list[Problem]]:
    """Validate experiment data; return it with the problems that span keys, so that resolving
    the scenario at every point can add its own and every problem is reported at once.

    Raises :class:`ScenarioError` when the data do not make an experiment at all, or make one
    too large to resolve.
    """
    lines = lines or {}
    experiment = validated(Experiment, data, source, lines)
    problems = [problem_at(source, lines, loc, m) for loc, m in _cross_checks(experiment)]
    too_large = [problem_at(source, lines, loc, m) for loc, m in _size_checks(experiment)]
    if too_large:
        raise ScenarioError(problems + too_large)
    return experiment, problems


def _cross_checks(experiment: Experiment) -> list[tuple[tuple, str]]:
    """Problems that span keys: repeated policies, unknown metrics, factors the design refuses."""
    out = []
    seen: dict[str, str] = {}
    for k, (policy, label) in enumerate(zip(experiment.policies, experiment.labels, strict=False)):
        if label in seen:
            twice = f"policy {policy!r} is listed twice"
            named = f"policies {seen[label]!r} and {policy!r} would both be labelled {label!r}"
            out.append((("policies", k), twice if seen[label] == policy else named))
        seen.setdefault(label, policy)
    known = metric_names()
    for k, name in enumerate(experiment.metrics):
        if name not in known:
            out.append((("metrics", k), unknown_metric(name, known)))
    if experiment.yardstick is not None and (message := unknown(experiment.yardstick)):
        out.append((("yardstick",), message))
    sampled = isinstance(experiment.design, Design)
    for key, factor in experiment.factors.items():
        if sampled and not isinstance(factor, Interval):
            out.append((("factors", key), "a sampled design samples intervals {min, max}"))
        elif not sampled and isinstance(factor, Interval):
            message = "an interval needs a sampled design, such as {latin_hypercube: {points: N}}"
            out.append((("factors", key), message))
    if sampled and not experiment.factors:
        out.append((("design",), "a sampled design needs at least one factor"))
    return out


def _points(experiment: Experiment) -> int:
    """How many sweep points the design makes (intervals in a grid count as one)."""
    if isinstance(experiment.design, Design):
        return experiment.design.sample.count(len(experiment.factors))
    factors = experiment.factors.values()
    return math.prod(f.count if isinstance(f, Range) else len(f) for f in factors
                     if not isinstance(f, Interval))  # fmt: skip


def _kind(experiment: Experiment) -> str:
    return "grid" if experiment.design == "grid" else "design"


def _size_checks(experiment: Experiment) -> list[tuple[tuple, str]]:
    """Designs too large to resolve, or to run, refused before any resolving starts."""
    points = _points(experiment)
    if points > MAX_POINTS:  # a sample's points are bounded by the schema
        return [
            (
                ("factors",),
                f"the {_kind(experiment)} has {points:,} points; expected at most {MAX_POINTS:,}",
            )
        ]
    resolved = points * len(experiment.labels)
    if resolved > MAX_POINTS:
        message = (
            f"{points:,} points x {len(experiment.labels)} policies are {resolved:,} scenarios "
            f"to resolve; expected at most {MAX_POINTS:,}"
        )
        return [(("factors",), message)]
    items = resolved * experiment.replications
    if items > MAX_ITEMS:
        message = (
            f"{resolved:,} scenarios x {experiment.replications:,} replications are "
            f"{items:,} runs; expected at most {MAX_ITEMS:,}"
        )
        return [(("replications",), message)]
    return []


BUNDLED = Path(str(importlib.resources.files("funnelsim") / "experiments" / "bundled"))
"""The folder of the experiments (SLA proposals among them) shipped with funnelsim."""


def bundled_experiment(name: str) -> Path:
    """Path of an experiment shipped with funnelsim (``aligned-vs-misaligned``, ...)."""
    return bundled(name, BUNDLED, "experiment")


def experiment_file(name: str | Path) -> Path:
    """An experiment (or proposal) file, or one bundled by name (``aligned-vs-misaligned``)."""
    return find(name, BUNDLED, "experiment")


def read_experiment(path: str | Path) -> tuple[Experiment, list[Problem], Document]:
    """Load and validate an experiment file (:func:`checked_experiment`); its document keeps
    the line of every key."""
    doc = Document(Path(path))
    return *checked_experiment(doc.data, doc.source, doc.lines), doc
