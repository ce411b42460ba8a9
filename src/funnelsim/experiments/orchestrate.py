"""An experiment from plan to results: run what is missing, keep what finishes, summarise.

:func:`conduct` is the one loop behind :func:`compare` and :func:`sweep`. It asks the store
which replications are already done (none, unless resuming), runs the rest in chunks sized
to about two seconds of work each, lands every finished chunk, and at the end writes the
tables from what landed. With a precision target it adds replications in batches until the
intervals are narrow enough; the replications kept are the fewest, taken in order, that meet
the target, so the answer never depends on the batch sizes or the number of workers.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import BrokenExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from funnelsim.base.jsondoc import content_hash
from funnelsim.errors import FunnelsimError, Problem, ScenarioError, UsageError
from funnelsim.experiments.design import ARGUMENTS, Plan, plan
from funnelsim.experiments.filling import Estimating, Filling, Progress, run_replications
from funnelsim.experiments.memory import MemoryStore, Store
from funnelsim.experiments.received import MalformedChunk
from funnelsim.experiments.spec import (
    KEY_METRICS,
    Experiment,
    checked_experiment,
    experiment_file,
    read_experiment,
)
from funnelsim.experiments.storage import ResultsFolder, now
from funnelsim.experiments.tables import factor_type, runs_schema
from funnelsim.record.registry import unknown_metric
from funnelsim.results import Results, load_results, stats
from funnelsim.results.experiment import ID_COLUMNS
from funnelsim.runner import __version__, metric_names


class WorkerLost(FunnelsimError):
    """A local worker process died mid-run; the finished work is kept for --resume."""


@dataclass(frozen=True)
class Precision:
    """Run until the 95% interval of ``metric`` is within ``target`` of its mean (relative)."""

    target: float
    metric: str = "bookings"
    max_replications: int = 200

    def __post_init__(self) -> None:
        if self.metric not in (known := metric_names()):
            raise UsageError(f"--metric: {unknown_metric(self.metric, known)}")
        if not (math.isfinite(self.target) and self.target > 0):
            message = f"expected a positive share of the mean such as 0.05, got {self.target}"
            raise UsageError(f"--precision: {message}")

    def check(self, replications: int) -> None:
        """The limit must leave room for the replications that always run."""
        if self.max_replications < max(replications, 2):
            message = (
                f"expected at least --reps ({replications}) and 2, got {self.max_replications}"
            )
            raise UsageError(f"--max-reps: {message}")


def _manifest(p: Plan, command: str, precision: Precision | None) -> dict[str, Any]:
    first = {label: p.scenarios[0][k] for k, label in enumerate(p.labels)}
    manifest = {
        "funnelsim_version": __version__,
        "status": "running",
        "command": command,
        "started": now(),
        "finished": None,
        "root_seed": p.experiment.seed,
        "common_random_numbers": p.experiment.common_random_numbers,
        "experiment": p.experiment.model_dump(mode="json", by_alias=True),
        "policies": list(p.labels),
        "metrics": list(p.metrics),
        "yardstick": {"response_time": p.yardstick, "given": p.experiment.yardstick is not None},
        "factors": list(p.factors),
        "points": list(p.points),
        "scenario": {
            label: {"hash": content_hash(data), "resolved": data} for label, data in first.items()
        },
        "fingerprint": p.fingerprint,
        "options": p.options,
        "replay": p.replay,
        "replications": {
            "requested": p.experiment.replications,
            "used": None,
            "precision": None if precision is None else vars(precision),
        },
    }
    if p.analysis is not None:  # what an analysis built on the plan reads its results with
        manifest["analysis"] = p.analysis
    return manifest


def conduct(
    p: Plan,
    *,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    precision: Precision | None = None,
    resume: bool = False,
    overwrite: bool = False,
    on_progress: Progress | None = None,
    on_estimate: Estimating | None = None,
    command: str | None = None,
) -> Results:
    """Run a plan to the end (or resume it) and return its tables.

    A new results folder is made only once the executor is up, so an unreachable cluster or
    an unusable folder leaves nothing on disk. ``on_progress`` hears (runs done, runs planned)
    as work lands; ``on_estimate``, once the first chunk's cost is known, how long the rest
    should take.
    """
    if precision is not None:
        precision.check(p.experiment.replications)
    manifest = _manifest(p, command or " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]), precision)
    filling = Filling(p, workers, scheduler, on_progress, on_estimate)
    schema = runs_schema({f: factor_type(pt[f] for pt in p.points) for f in p.factors})
    opener = _opener(out, manifest, p.fingerprint, resume, overwrite)
    store, replications, reached = _fill(filling, opener, schema, precision)
    return _finish(p, store, schema, replications, reached, precision)


def _opener(
    out: str | Path | None,
    manifest: dict[str, Any],
    fingerprint: str,
    resume: bool,
    overwrite: bool,
) -> Callable[[Filling], Store]:
    """How the store is opened: a folder resumed, a new folder, or memory."""
    folder = None if out is None else Path(out)

    def reopen(filling: Filling) -> Store:
        store = ResultsFolder.reopen(folder, fingerprint)
        store.manifest |= {k: manifest[k] for k in ("command", "options", "replications", "status")}
        store.save()
        return store

    def create(filling: Filling) -> Store:
        if folder is not None:
            ResultsFolder.check_new(folder, overwrite)
        filling.start()  # the executor up before a new folder is made
        return MemoryStore(manifest) if folder is None else ResultsFolder.create(folder, manifest)

    return reopen if folder is not None and resume else create


def _fill(
    filling: Filling,
    opener: Callable[[Filling], Store],
    schema: pa.Schema,
    precision: Precision | None,
) -> tuple[Store, int, int | None]:
    """Open the store and fill it; an interrupt, a lost worker or a malformed chunk marks it
    interrupted, with every chunk kept before it."""
    store: Store | None = None
    try:
        store = opener(filling)
        return store, *run_replications(filling, store, schema, precision)
    except (KeyboardInterrupt, BrokenExecutor, MalformedChunk) as exc:
        if store is not None:
            store.manifest["status"] = "interrupted"
            store.save()
        if isinstance(exc, BrokenExecutor):
            raise WorkerLost(f"a worker process stopped unexpectedly ({exc})") from None
        raise
    finally:
        filling.close()


def _finish(
    p: Plan,
    store: Store,
    schema: pa.Schema,
    replications: int,
    reached: int | None,
    precision: Precision | None,
) -> Results:
    """The tables from what landed; the manifest completed; a folder's files written."""
    summary, differences, failed = _statistics(p, store, replications, precision)
    store.manifest["replications"] |= {
        "used": replications,
        "precision_reached": None if precision is None else reached is not None,
    }
    store.manifest |= {"status": "complete", "finished": now(), "failed": failed}
    if not isinstance(store, ResultsFolder):
        tables = store.tables(replications)
        return Results(summary, differences, store.manifest, tables=tables)
    store.finish(replications, schema)
    store.write_csv("summary.csv", summary)
    store.write_csv("differences.csv", differences)
    store.save()
    return load_results(store.path)


def _statistics(
    p: Plan, store: Store, replications: int, precision: Precision | None
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The summary, the paired differences and the count of failed runs."""
    metrics = list(p.metrics)
    if precision is not None and precision.metric not in metrics:
        metrics.append(precision.metric)
    runs = store.runs([*ID_COLUMNS, *p.factors, "status", *metrics])  # what the statistics read
    runs = runs[runs["replication"] < replications].reset_index(drop=True)
    summary = stats.summarise(runs, metrics, p.labels, p.factors)
    differences = stats.differences(runs, metrics, p.labels, p.factors)
    return summary, differences, int((runs["status"] == "failed").sum())


def compare(
    scenario: str | Path | None = None,
    policies: Sequence[str] = ("misaligned", "aligned"),
    reps: int = 10,
    seed: int = 0,
    *,
    overrides: Mapping[str, Any] | None = None,
    pipeline: str | Path | None = None,
    metrics: Sequence[str] = KEY_METRICS,
    precision: float | None = None,
    metric: str = "bookings",
    max_reps: int = 200,
    yardstick: str | None = None,
    **options: Any,
) -> Results:
    """Compare policies on one scenario under common random numbers.

    ``policies`` are names from the scenario's ``policies`` section or policy files; the
    first is the baseline of the paired differences. With ``precision``, replications are
    added until the 95% interval of the difference in ``metric`` is within ``precision`` of
    its mean (e.g. 0.05), up to ``max_reps``. ``pipeline`` starts every run from the deals a
    pipeline file holds open (``funnelsim fit`` writes one). SLA compliance is also judged
    within one ``yardstick`` response time for every policy (``"1h"``; by default the
    strictest SLA among them). Other options (``out``, ``workers``,
    ``scheduler``, ``resume``, ``overwrite``, ``on_progress``, ``on_estimate``) are those of
    :func:`conduct`.
    """
    target = None if precision is None else Precision(precision, metric, max_reps)
    prepared = comparison(
        *(scenario, policies, reps, seed),
        overrides=overrides,
        pipeline=pipeline,
        metrics=metrics,
        yardstick=yardstick,
    )
    return conduct(prepared, precision=target, **options)


def comparison(
    scenario: str | Path | None,
    policies: Sequence[str],
    reps: int,
    seed: int,
    *,
    overrides: Mapping[str, Any] | None = None,
    pipeline: str | Path | None = None,
    metrics: Sequence[str] = KEY_METRICS,
    yardstick: str | None = None,
) -> Plan:
    """The checked plan of a comparison: one point, these policies, common random numbers."""
    data = {
        "scenario": str(scenario) if scenario is not None else "reference",
        "policies": list(policies),
        "pipeline": None if pipeline is None else str(pipeline),
        "set": dict(overrides or {}),
        "replications": reps,
        "seed": seed,
        "metrics": list(metrics),
        "yardstick": yardstick,
    }
    experiment, found = checked_experiment(data, ARGUMENTS)
    return plan(experiment, ARGUMENTS, found=found)


def sweep(
    spec: str | Path | Mapping[str, Any] | Experiment,
    *,
    reps: int | None = None,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    **options: Any,
) -> Results:
    """Run an experiment file (or the same content as a mapping) and return its tables.

    ``reps``, ``seed`` and ``overrides`` change the experiment as :func:`prepare` says;
    ``options`` are those of :func:`conduct`: ``out``, ``workers``, ``scheduler``,
    ``resume``, ``overwrite``, ``on_progress``, ``on_estimate``.
    """
    return conduct(prepare(spec, reps=reps, seed=seed, overrides=overrides), **options)


def prepare(
    spec: str | Path | Mapping[str, Any] | Experiment,
    *,
    reps: int | None = None,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Plan:
    """The checked plan of an experiment given as a file, a mapping or an Experiment.

    ``reps`` and ``seed`` take the place of the experiment's replications and seed, and
    ``overrides`` are set on top of its ``set``, as ``compare`` takes them. The plan keeps
    them for the manifest (``Plan.options``); the seed and the settings are part of its
    fingerprint, so resuming asks for the same ones.
    """
    given = {"replications": reps, "seed": seed, "set": dict(overrides or {})}
    changed = {key: value for key, value in given.items() if value not in (None, {})}
    source, lines, base, found = "<experiment>", {}, None, []
    if isinstance(spec, Experiment):
        experiment = spec
    elif isinstance(spec, Mapping):
        experiment, found = checked_experiment(spec, source)
    else:
        path = experiment_file(spec)
        experiment, found, doc = read_experiment(path)
        source, lines, base = doc.source, doc.lines, path.parent
    if changed:
        experiment, again = _changed(experiment, changed, source)
        found = found or again  # the file's own problems keep their lines
    return plan(experiment, source, lines, base, changed, found)


def _changed(
    experiment: Experiment, changed: dict[str, Any], source: str
) -> tuple[Experiment, list[Problem]]:
    """The experiment with the command line's replications, seed and settings, checked again
    (:func:`checked_experiment`).

    A setting of a factor's key is refused: the factor's values would replace it at every
    point, so it would change nothing.
    """
    sets = changed.get("set", {})
    clash = [key for key in sets if key in experiment.factors]
    if clash:
        message = f"is a factor of {source}; change its values there"
        raise ScenarioError([Problem(f"--set {key}", key, message) for key in clash])
    data = experiment.model_dump(mode="json", by_alias=True)
    data |= {k: v for k, v in changed.items() if k != "set"}
    flags = ", ".join(_FLAGS[key] for key in changed)
    data["set"] = {**experiment.set, **sets}
    return checked_experiment(data, f"{source} with {flags}")


_FLAGS = {"replications": "--reps", "seed": "--seed", "set": "--set"}
"""The command line's options that change an experiment file, by the key they change."""
