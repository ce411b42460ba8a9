"""Running work items: in this process, on a local process pool, or on a Dask cluster
(:mod:`.cluster`).

Work travels in *chunks*: some replications of every policy at one sweep point. A worker gets
the resolved scenarios (as plain data) and the seeds, never the parent's results, and sends
back compact frames. A replication that raises is recorded with its seed and the exception,
and its chunk carries on. Every executor is driven the same way: a bounded window of chunks
in flight, topped up as chunks finish, so the parent's memory does not grow with the size
of the experiment.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import select
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from funnelsim.base.files import running
from funnelsim.experiments.cluster import DaskCluster
from funnelsim.results.experiment import ID_COLUMNS, named_policies
from funnelsim.runner import RunResult, metric_names, simulate
from funnelsim.scenario.schema import Scenario

Periods = Callable[[RunResult], pd.DataFrame]
"""What a study counts per period of each run, beyond the weekly series (e.g. the clauses of
an SLA): a picklable callable, run in the worker while the run's ledger is still at hand."""


RUN_COLUMNS = ("status", "error", *metric_names())
"""A run's row after its identifiers and factor values: outcome, then every metric."""


@dataclass(frozen=True)
class Chunk:
    """Replications of every policy at one sweep point, with what a worker needs to run them."""

    point: int
    replications: tuple[int, ...]
    labels: tuple[str, ...]
    scenarios: tuple[tuple[str, dict[str, Any]], ...]  # per policy: (content hash, data)
    seeds: tuple[tuple[int, ...], ...]  # per replication, per policy
    factors: tuple[tuple[str, Any], ...]  # the point's factor values, for the rows
    periods: Periods | None = None

    @property
    def name(self) -> str:
        return f"p{self.point:06d}-r{self.replications[0]:07d}-{self.replications[-1]:07d}"

    @property
    def size(self) -> int:
        return len(self.replications) * len(self.labels)


@dataclass
class ChunkResult:
    """What a chunk sends back: one row per item, and each item's weekly, group and period
    frames (the last empty unless the chunk counts periods)."""

    chunk: str
    runs: pd.DataFrame
    weekly: pd.DataFrame
    groups: pd.DataFrame
    periods: pd.DataFrame
    seconds: float = 0.0  # worker time spent on the chunk, for sizing later chunks

    def tables(self) -> dict[str, pd.DataFrame]:
        """The frames that grow with the replications, by table name (runs first)."""
        return {
            "runs": self.runs,
            "weekly": self.weekly,
            "groups": self.groups,
            "periods": self.periods,
        }


_VALIDATED: dict[str, Scenario] = {}


def scenario_of(content_hash: str, data: dict[str, Any]) -> Scenario:
    """The validated scenario for ``data``: validated once per worker per content hash."""
    scenario = _VALIDATED.get(content_hash)
    if scenario is None:
        if len(_VALIDATED) >= 64:
            _VALIDATED.clear()
        scenario = _VALIDATED[content_hash] = Scenario.model_validate(data)
    return scenario


def run_chunk(chunk: Chunk) -> ChunkResult:
    """Run every item of a chunk; a replication that raises becomes a failed row.

    Every table names its policies as the experiment does (see :func:`named_policies`).
    """
    scenarios = [scenario_of(h, d) for h, d in chunk.scenarios]
    runs, weekly, groups, periods = [], [], [], []
    started = time.perf_counter()
    for replication, seeds in zip(chunk.replications, chunk.seeds, strict=True):
        for label, scenario, seed in zip(chunk.labels, scenarios, seeds, strict=True):
            ids = (chunk.point, replication, label)
            row = {**dict(zip(ID_COLUMNS, ids, strict=True)), "seed": seed, **dict(chunk.factors)}
            try:
                result = simulate(scenario, seed=seed)
            except Exception as exc:  # recorded with its seed, replayable; the rest carries on
                if stopping():  # the interrupt, turned into an error by a library it reached
                    raise KeyboardInterrupt from exc
                runs.append(row | {"status": "failed", "error": _describe(exc)})
                continue
            runs.append(row | {"status": "ok", "error": None, **result.summary["metrics"]})
            weekly.append((ids, result.weekly))
            groups += [((*ids, "source"), result.by_source), ((*ids, "segment"), result.by_segment)]
            if chunk.periods is not None:
                periods.append((ids, chunk.periods(result)))
    columns = [*ID_COLUMNS, "seed", *(n for n, _ in chunk.factors), *RUN_COLUMNS]
    tables = (
        pd.DataFrame(runs, columns=columns),
        _stack(weekly, ID_COLUMNS, index=False),
        _stack(groups, (*ID_COLUMNS, "group", "name"), index=True),
        _stack(periods, ID_COLUMNS, index=False),
    )
    named = (named_policies(table, chunk.labels) for table in tables)
    return ChunkResult(chunk.name, *named, time.perf_counter() - started)


def _stack(
    frames: list[tuple[tuple, pd.DataFrame]], names: tuple[str, ...], index: bool
) -> pd.DataFrame:
    """One frame from many, each keyed by its identifiers: one concatenation per chunk.

    ``index`` keeps each frame's own index as the last identifier (a group's name).
    """
    if not frames:
        return pd.DataFrame(columns=list(names))
    keys, parts = zip(*frames, strict=True)
    levels = list(names) if index else [*names, None]
    stacked = pd.concat(parts, keys=keys, names=levels)
    return stacked.reset_index(level=list(names)).reset_index(drop=True)


def _describe(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {os.path.basename(last[0].filename)}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


class Executor(Protocol):
    """Where chunks run: submit one, wait for some, shut down."""

    window: int  # chunks kept in flight
    parallel: int  # chunks running at once

    def submit(self, chunk: Chunk) -> Any: ...

    def wait(self, futures: set) -> tuple[set, set]: ...

    def close(self) -> None: ...


@dataclass
class InProcess:
    """Runs each chunk as it is submitted, here: no processes, easy to debug and profile."""

    window: int = 1
    parallel: int = 1

    def submit(self, chunk: Chunk) -> cf.Future:
        future: cf.Future = cf.Future()
        future.set_result(run_chunk(chunk))
        return future

    def wait(self, futures: set) -> tuple[set, set]:
        return set(futures), set()

    def close(self) -> None:
        pass


WATCH_SECONDS = 1.0
"""How often a worker looks whether its run is still there, where it cannot wait for it."""


def _start_worker(run: int) -> None:
    """Workers leave Ctrl-C to the parent, which stops the pool and keeps what is finished,
    and end with the run (process ``run``): a killed run leaves no worker behind."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    end_with(run)


def end_with(run: int) -> None:
    """End this process when process ``run`` ends, however it ends (even ``kill -9``).

    A worker's parent is the fork server, not the run, so the run is watched by its id: on
    Linux through a pidfd, which names that very process (an id can be reused), elsewhere by
    looking every :data:`WATCH_SECONDS`.
    """
    threading.Thread(target=_watch, args=(run,), daemon=True, name="run-watch").start()


def _watch(run: int) -> None:
    try:
        handle = os.pidfd_open(run)
    except (AttributeError, OSError):  # not Linux, or the run has already gone
        while running(run):
            time.sleep(WATCH_SECONDS)
    else:
        select.select([handle], [], [])  # readable once the run has ended
    os._exit(1)


@dataclass
class StopSignal:
    """SIGTERM's handler while a run lasts: it raises KeyboardInterrupt, as Ctrl-C does, and
    remembers that it did, for a library that turns the interrupt into an error of its own."""

    previous: Any = None  # the handler it replaced
    asked: bool = False

    def __call__(self, signum: int, frame: Any) -> None:
        self.asked = True
        raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")

    def restore(self) -> None:
        signal.signal(signal.SIGTERM, self.previous)
        _STOPS.remove(self)


_STOPS: list[StopSignal] = []
"""The stop signals in force in this process, the latest last."""


def stopping() -> bool:
    """Whether this process was asked to stop: a replication that then fails in process is the
    interrupt, not a failed run (a library may turn the KeyboardInterrupt into its own error)."""
    return any(stop.asked for stop in _STOPS)


def interrupt_on_terminate() -> StopSignal:
    """Make SIGTERM (``kill``, a scheduler's stop) end a run as Ctrl-C does.

    The run then stops its workers, marks its folder interrupted and keeps every finished
    chunk for ``--resume``, instead of dying mid-write. :meth:`StopSignal.restore` puts the
    handler it replaced back.
    """
    stop = StopSignal()
    stop.previous = signal.signal(signal.SIGTERM, stop)
    _STOPS.append(stop)
    return stop


@dataclass
class ProcessPool:
    """A pool of local worker processes, started by a fork server that imported funnelsim."""

    workers: int
    window: int = 0
    pool: cf.ProcessPoolExecutor = field(init=False)

    def __post_init__(self) -> None:
        self.window = self.window or 2 * self.workers
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else None
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            context.set_forkserver_preload(["funnelsim.experiments.execution"])
        self.pool = cf.ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)
        )

    @property
    def parallel(self) -> int:
        return self.workers

    def submit(self, chunk: Chunk) -> cf.Future:
        return self.pool.submit(run_chunk, chunk)

    def wait(self, futures: set) -> tuple[set, set]:
        done, pending = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
        return done, pending

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def executor_for(workers: int | None, scheduler: str | None) -> Executor:
    """The executor the options ask for: Dask when a scheduler is named, else local."""
    workers = workers or os.cpu_count() or 1
    if scheduler is not None:
        return DaskCluster(scheduler, workers, run_chunk)
    return InProcess() if workers == 1 else ProcessPool(workers)


def run_chunks(chunks: Iterable[Chunk], executor: Executor) -> Iterator[tuple[Chunk, Any]]:
    """Each chunk with what came back for it, as they finish, at most ``executor.window`` in
    flight. What came back is as a worker sent it: see :mod:`.received` before using it."""
    chunks = iter(chunks)
    pending: dict[Any, Chunk] = {}
    exhausted = False
    while True:
        while not exhausted and len(pending) < executor.window:
            chunk = next(chunks, None)
            if chunk is None:
                exhausted = True
                break
            pending[executor.submit(chunk)] = chunk
        if not pending:
            return
        done, _ = executor.wait(set(pending))
        for future in done:
            yield pending.pop(future), future.result()
