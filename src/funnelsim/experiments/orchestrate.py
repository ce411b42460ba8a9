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
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import BrokenExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import pyarrow as pa

from funnelsim.errors import FunnelsimError, UsageError
from funnelsim.experiments.design import Item, Plan, content_hash, plan
from funnelsim.experiments.execution import (
    ID_COLUMNS,
    Chunk,
    ChunkResult,
    executor_for,
    run_chunks,
)
from funnelsim.experiments.spec import (
    KEY_METRICS,
    Experiment,
    bundled_experiment,
    parse_experiment,
    read_experiment,
)
from funnelsim.experiments.storage import (
    TABLES,
    ResultsFolder,
    factor_type,
    now,
    runs_schema,
    to_table,
)
from funnelsim.results import Results, load_results, stats
from funnelsim.runner import __version__, metric_names

CHUNK_SECONDS = 2.0
"""Work per chunk once its cost is known: short enough that an interrupt or the last chunk
wastes little, long enough that landing a chunk costs next to nothing."""

Progress = Callable[[int, int], None]
"""Called with (items done, items planned) as work lands."""


class WorkerLost(FunnelsimError):
    """A local worker process died mid-run; the finished work is kept for --resume."""


@dataclass(frozen=True)
class Precision:
    """Run until the 95% interval of ``metric`` is within ``target`` of its mean (relative)."""

    target: float
    metric: str = "bookings"
    max_replications: int = 200

    def __post_init__(self) -> None:
        if self.metric not in metric_names():
            raise UsageError(f"--metric: unknown metric {self.metric!r}; expected a run metric")
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


class Store(Protocol):
    """Where finished chunks land: a results folder, or memory when there is none."""

    manifest: dict[str, Any]
    done: dict[int, set[int]]  # point -> replications landed

    def add(self, result: ChunkResult, schema: pa.Schema) -> None: ...

    def runs(self, columns: list[str] | None = None) -> pd.DataFrame: ...

    def save(self) -> None: ...


@dataclass
class _MemoryStore:
    """The store of an experiment run without a folder: everything stays in memory."""

    manifest: dict[str, Any]
    done: dict[int, set[int]] = field(default_factory=dict)
    parts: dict[str, list[pa.Table]] = field(default_factory=lambda: {n: [] for n in TABLES})

    def add(self, result: ChunkResult, schema: pa.Schema) -> None:
        for name, frame in result.tables().items():
            self.parts[name].append(to_table(frame, schema if name == "runs" else None))
        for point, replication in result.runs[["point", "replication"]].drop_duplicates().values:
            self.done.setdefault(int(point), set()).add(int(replication))

    def runs(self, columns: list[str] | None = None) -> pd.DataFrame:
        frames = [t.select(columns or t.column_names).to_pandas() for t in self.parts["runs"]]
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return frame.sort_values(["point", "replication", "policy"], kind="stable")

    def save(self) -> None:
        pass


class _Sizer:
    """Replications per chunk: one until a chunk's cost is known, then about CHUNK_SECONDS."""

    def __init__(self, policies: int):
        self.policies, self.per_item = policies, None

    def learn(self, result: ChunkResult, items: int) -> None:
        if items:
            seconds = result.seconds / items
            self.per_item = seconds if self.per_item is None else min(self.per_item, seconds)

    def replications(self) -> int:
        if not self.per_item:
            return 1
        return max(1, min(64, int(CHUNK_SECONDS / (self.per_item * self.policies))))


def _chunks(p: Plan, missing: dict[int, list[int]], sizer: _Sizer) -> Iterator[Chunk]:
    """Chunks of consecutive missing replications, point by point, sized as they are made."""
    for point, replications in missing.items():
        scenarios = tuple((content_hash(d), d) for d in p.scenarios[point])
        factors = tuple(p.points[point].items())
        run: list[int] = []
        for r in [*replications, None]:
            if run and (r is None or r != run[-1] + 1 or len(run) >= sizer.replications()):
                seeds = tuple(
                    tuple(p.seed(Item(point, rep, k)) for k in range(len(p.labels))) for rep in run
                )
                yield Chunk(point, tuple(run), p.labels, scenarios, seeds, factors, p.periods)
                run = []
            if r is not None:
                run.append(r)


def _manifest(p: Plan, command: str, precision: Precision | None) -> dict[str, Any]:
    first = {label: p.scenarios[0][k] for k, label in enumerate(p.labels)}
    return {
        "funnelsim_version": __version__,
        "status": "running",
        "command": command,
        "started": now(),
        "finished": None,
        "root_seed": p.experiment.seed,
        "common_random_numbers": p.experiment.common_random_numbers,
        "experiment": p.experiment.model_dump(mode="json", by_alias=True),
        "policies": list(p.labels),
        "factors": list(p.factors),
        "points": list(p.points),
        "scenario": {
            label: {"hash": content_hash(data), "resolved": data} for label, data in first.items()
        },
        "fingerprint": p.fingerprint,
        "replay": p.replay,
        "replications": {
            "requested": p.experiment.replications,
            "used": None,
            "precision": None if precision is None else vars(precision),
        },
    }


class _Execution:
    """Runs the missing items of a plan into a store: the executor, chunk sizes, progress."""

    def __init__(self, p: Plan, workers: int | None, scheduler: str | None, on_progress):
        self.p, self.workers, self.scheduler, self.on_progress = p, workers, scheduler, on_progress
        self.sizer, self.executor = _Sizer(len(p.labels)), None

    def start(self) -> None:
        if self.executor is None:
            self.executor = executor_for(self.workers, self.scheduler)

    def close(self) -> None:
        if self.executor is not None:
            self.executor.close()

    def fill(self, store: Store, schema: pa.Schema, replications: int) -> None:
        """Run every item of the first ``replications`` that the store does not hold yet."""
        p, policies = self.p, len(self.p.labels)
        missing = {
            point: [r for r in range(replications) if r not in store.done.get(point, set())]
            for point in range(len(p.points))
        }
        missing = {k: v for k, v in missing.items() if v}
        total = replications * len(p.points) * policies
        done = total - sum(map(len, missing.values())) * policies
        self._report(done, total)
        if not missing:
            return
        self.start()
        for result in run_chunks(_chunks(p, missing, self.sizer), self.executor):
            store.add(result, schema)
            self.sizer.learn(result, len(result.runs))
            done += len(result.runs)
            self._report(done, total)

    def _report(self, done: int, total: int) -> None:
        if self.on_progress is not None:
            self.on_progress(done, total)


def _replications(
    execution: _Execution, store: Store, schema: pa.Schema, precision: Precision | None
) -> tuple[int, int | None]:
    """Run until done: the replications asked for, or until the precision target is met.

    Returns the replications kept, and for a precision target the count that met it (None if
    the limit came first).
    """
    wanted = execution.p.experiment.replications
    if precision is None:
        execution.fill(store, schema, wanted)
        return wanted, None
    wanted = min(wanted, precision.max_replications)
    args = (precision.metric, precision.target, len(execution.p.labels))
    while True:
        execution.fill(store, schema, wanted)
        runs = store.runs()
        start, stop = execution.p.experiment.replications, precision.max_replications
        reached = stats.replications_needed(runs, *args, start=start, stop=stop)
        if reached is not None or wanted >= precision.max_replications:
            return reached or wanted, reached
        more = stats.next_batch(runs[runs["replication"] < wanted], *args, have=wanted)
        wanted = min(wanted + more, precision.max_replications)


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
    command: str | None = None,
) -> Results:
    """Run a plan to the end (or resume it) and return its tables.

    A new results folder is made only once the executor is up, so an unreachable cluster or
    an unusable folder leaves nothing on disk.
    """
    if precision is not None:
        precision.check(p.experiment.replications)
    command = command or " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
    manifest = _manifest(p, command, precision)
    folder = None if out is None else Path(out)
    execution = _Execution(p, workers, scheduler, on_progress)
    schema = runs_schema({f: factor_type(pt[f] for pt in p.points) for f in p.factors})
    store: Store | None = None
    try:
        if folder is not None and resume:
            store = ResultsFolder.reopen(folder, p.fingerprint)
            store.manifest |= {k: manifest[k] for k in ("command", "replications", "status")}
            store.save()
        else:
            if folder is not None:
                ResultsFolder.check_new(folder, overwrite)
            execution.start()
            store = (
                _MemoryStore(manifest) if folder is None else ResultsFolder.create(folder, manifest)
            )
        replications, reached = _replications(execution, store, schema, precision)
    except (KeyboardInterrupt, BrokenExecutor) as exc:
        if store is not None:
            store.manifest["status"] = "interrupted"
            store.save()
        if isinstance(exc, BrokenExecutor):
            raise WorkerLost(f"a worker process stopped unexpectedly ({exc})") from None
        raise
    finally:
        execution.close()
    return _finish(p, store, schema, replications, reached, precision)


def _finish(
    p: Plan,
    store: Store,
    schema: pa.Schema,
    replications: int,
    reached: int | None,
    precision: Precision | None,
) -> Results:
    metrics = list(p.experiment.metrics)
    if precision is not None and precision.metric not in metrics:
        metrics.append(precision.metric)
    runs = store.runs([*ID_COLUMNS, *p.factors, "status", *metrics])  # what the statistics read
    runs = runs[runs["replication"] < replications].reset_index(drop=True)
    summary = stats.summarise(runs, metrics, p.labels, p.factors)
    differences = stats.differences(runs, metrics, p.labels, p.factors)
    failed = int((runs["status"] == "failed").sum())
    store.manifest["replications"] |= {
        "used": replications,
        "precision_reached": None if precision is None else reached is not None,
    }
    store.manifest |= {"status": "complete", "finished": now(), "failed": failed}
    if isinstance(store, ResultsFolder):
        store.finish(replications, schema)
        store.write_csv("summary.csv", summary)
        store.write_csv("differences.csv", differences)
        store.save()
        return load_results(store.path)
    frames = {name: _concat(store.parts[name], replications) for name in TABLES}
    return Results(summary, differences, store.manifest, tables=frames)


def _concat(tables: list[pa.Table], replications: int) -> pd.DataFrame:
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return pd.DataFrame()
    frame = pa.concat_tables(tables).to_pandas()
    frame = frame[frame["replication"] < replications]
    return frame.sort_values(["point", "replication", "policy"], kind="stable").reset_index(
        drop=True
    )


def compare(
    scenario: str | Path | None = None,
    policies: Sequence[str] = ("misaligned", "aligned"),
    reps: int = 10,
    seed: int = 0,
    *,
    overrides: Mapping[str, Any] | None = None,
    metrics: Sequence[str] = KEY_METRICS,
    precision: float | None = None,
    metric: str = "bookings",
    max_reps: int = 200,
    **options: Any,
) -> Results:
    """Compare policies on one scenario under common random numbers.

    ``policies`` are names from the scenario's ``policies`` section or policy files; the
    first is the baseline of the paired differences. With ``precision``, replications are
    added until the 95% interval of the difference in ``metric`` is within ``precision`` of
    its mean (e.g. 0.05), up to ``max_reps``. Other options (``out``, ``workers``,
    ``scheduler``, ``resume``, ``overwrite``, ``on_progress``) are those of :func:`conduct`.
    """
    target = None if precision is None else Precision(precision, metric, max_reps)
    prepared = comparison(scenario, policies, reps, seed, overrides=overrides, metrics=metrics)
    return conduct(prepared, precision=target, **options)


def comparison(
    scenario: str | Path | None,
    policies: Sequence[str],
    reps: int,
    seed: int,
    *,
    overrides: Mapping[str, Any] | None = None,
    metrics: Sequence[str] = KEY_METRICS,
) -> Plan:
    """The checked plan of a comparison: one point, these policies, common random numbers."""
    data = {
        "scenario": str(scenario) if scenario is not None else "reference",
        "policies": list(policies),
        "set": dict(overrides or {}),
        "replications": reps,
        "seed": seed,
        "metrics": list(metrics),
    }
    return plan(parse_experiment(data, "<arguments>"), "<arguments>")


def sweep(spec: str | Path | Mapping[str, Any] | Experiment, **options: Any) -> Results:
    """Run an experiment file (or the same content as a mapping) and return its tables.

    ``options`` are those of :func:`conduct`: ``out``, ``workers``, ``scheduler``,
    ``resume``, ``overwrite``, ``on_progress``.
    """
    return conduct(prepare(spec), **options)


def prepare(spec: str | Path | Mapping[str, Any] | Experiment) -> Plan:
    """The checked plan of an experiment given as a file, a mapping or an Experiment."""
    if isinstance(spec, Experiment):
        return plan(spec)
    if isinstance(spec, Mapping):
        return plan(parse_experiment(spec, "<experiment>"))
    path = Path(spec)
    if not path.exists() and not path.suffix:
        path = bundled_experiment(str(spec))
    experiment, doc = read_experiment(path)
    return plan(experiment, doc.source, doc.lines, base=path.parent)
