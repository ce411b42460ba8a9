"""Running a plan's missing items into a store: chunks sized as they go, progress, an
estimate of the time left, precision.

The chunks are consecutive replications of one point, one replication each until a chunk's
cost is known, then about :data:`CHUNK_SECONDS` of work; a point with little work in all goes
whole, so that its pilot (a settled start's, once per scenario and process) runs once. With a
precision target, replications are added in batches until the intervals are narrow enough.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from funnelsim.base.jsondoc import content_hash
from funnelsim.experiments.cluster import check_scheduler
from funnelsim.experiments.design import Item, Plan
from funnelsim.experiments.execution import Chunk, ChunkResult, executor_for, run_chunks
from funnelsim.experiments.memory import Store
from funnelsim.experiments.received import checked
from funnelsim.results import stats

if TYPE_CHECKING:
    from funnelsim.experiments.orchestrate import Precision

CHUNK_SECONDS = 2.0
"""Work per chunk once its cost is known: short enough that an interrupt or the last chunk
wastes little, long enough that landing a chunk costs next to nothing."""

WHOLE_POINT = 4
"""A point whose replications take at most this many chunks' work in all is one chunk: split,
each worker it reached would settle its scenarios again, at about a run's cost each."""

Progress = Callable[[int, int], None]
"""Called with (items done, items planned) as work lands."""


@dataclass(frozen=True)
class Estimate:
    """How long the work left should take at the pace measured so far (see :class:`Pace`)."""

    seconds: float
    runs: int  # runs left to do
    rate: float  # runs finished a second


Estimating = Callable[[Estimate], None]
"""Called once, as soon as the pace is known, with the estimate of the work left."""


class Pace:
    """Runs finished a second, from the first chunk landed until each worker has landed one
    more: the executor's start is left out, the runs and the landing of their tables count."""

    def __init__(self, parallel: int):
        self.parallel, self.marks = parallel, []

    def landed(self, done: int) -> float | None:
        """The pace, at the landing that makes it known; None at every other."""
        if len(self.marks) > self.parallel:
            return None  # known already
        self.marks.append((time.perf_counter(), done))
        if len(self.marks) <= self.parallel:
            return None
        (start, before), (end, after) = self.marks[0], self.marks[-1]
        return (after - before) / max(end - start, 1e-9)


class Sizer:
    """Replications per chunk: one until a chunk's cost is known, then about CHUNK_SECONDS."""

    def __init__(self, policies: int):
        self.policies, self.per_item = policies, None

    def learn(self, result: ChunkResult, items: int) -> None:
        if items:
            seconds = result.seconds / items
            self.per_item = seconds if self.per_item is None else min(self.per_item, seconds)

    def replications(self, total: int) -> int:
        """Replications in the next chunk of a point with ``total`` of them to run in all."""
        if not self.per_item:
            return 1
        per_replication = self.per_item * self.policies
        if total * per_replication <= WHOLE_POINT * CHUNK_SECONDS:
            return total
        return max(1, min(64, int(CHUNK_SECONDS / per_replication)))


def chunks(p: Plan, missing: dict[int, list[int]], sizer: Sizer) -> Iterator[Chunk]:
    """Chunks of consecutive missing replications, point by point, sized as they are made."""
    for point, replications in missing.items():
        scenarios = tuple((content_hash(d), d) for d in p.scenarios[point])
        factors = tuple(p.points[point].items())
        run: list[int] = []
        size = 0
        for r in [*replications, None]:
            if run and (r is None or r != run[-1] + 1 or len(run) >= size):
                seeds = tuple(
                    tuple(p.seed(Item(point, rep, k)) for k in range(len(p.labels))) for rep in run
                )
                yield Chunk(point, tuple(run), p.labels, scenarios, seeds, factors, p.periods)
                run = []
            if r is not None:
                size = size if run else sizer.replications(len(replications))
                run.append(r)


class Filling:
    """Runs the missing items of a plan into a store: the executor, chunk sizes, progress."""

    def __init__(
        self,
        p: Plan,
        workers: int | None,
        scheduler: str | None,
        on_progress: Progress | None,
        on_estimate: Estimating | None = None,
    ):
        self.p, self.workers, self.on_progress = p, workers, on_progress
        self.scheduler = None if scheduler is None else check_scheduler(scheduler)
        self.on_estimate = on_estimate
        self.sizer, self.executor = Sizer(len(p.labels)), None

    def start(self) -> None:
        if self.executor is None:
            self.executor = executor_for(self.workers, self.scheduler)

    def close(self) -> None:
        if self.executor is not None:
            self.executor.close()

    def fill(self, store: Store, schema: pa.Schema, replications: int) -> None:
        """Run every item of the first ``replications`` that the store does not hold yet."""
        missing = self._missing(store, replications)
        total = replications * len(self.p.points) * len(self.p.labels)
        done = total - sum(map(len, missing.values())) * len(self.p.labels)
        self._report(done, total)
        if not missing:
            return
        self.start()
        pace = Pace(self.executor.parallel)
        for chunk, sent in run_chunks(chunks(self.p, missing, self.sizer), self.executor):
            result = checked(chunk, sent)  # before any of it is kept
            store.add(result, schema)
            self.sizer.learn(result, len(result.runs))
            done += len(result.runs)
            self._estimate(pace.landed(done), total - done)
            self._report(done, total)

    def _estimate(self, rate: float | None, left: int) -> None:
        """The estimate of the work left, given once, when the pace is known."""
        if self.on_estimate is None or rate is None or not left:
            return
        self.on_estimate(Estimate(left / rate, left, rate))
        self.on_estimate = None

    def _missing(self, store: Store, replications: int) -> dict[int, list[int]]:
        """Per point, the replications below ``replications`` the store does not hold."""
        missing = {
            point: [r for r in range(replications) if r not in store.done.get(point, set())]
            for point in range(len(self.p.points))
        }
        return {k: v for k, v in missing.items() if v}

    def _report(self, done: int, total: int) -> None:
        if self.on_progress is not None:
            self.on_progress(done, total)


def run_replications(
    filling: Filling, store: Store, schema: pa.Schema, precision: Precision | None
) -> tuple[int, int | None]:
    """Run until done: the replications asked for, or until the precision target is met.

    Returns the replications kept, and for a precision target the count that met it (None if
    the limit came first).
    """
    wanted = filling.p.experiment.replications
    if precision is None:
        filling.fill(store, schema, wanted)
        return wanted, None
    wanted = min(wanted, precision.max_replications)
    args = (precision.metric, precision.target, filling.p.labels)
    while True:
        filling.fill(store, schema, wanted)
        runs = store.runs()
        start, stop = filling.p.experiment.replications, precision.max_replications
        reached = stats.replications_needed(runs, *args, start=start, stop=stop)
        if reached is not None or wanted >= precision.max_replications:
            return reached or wanted, reached
        more = stats.next_batch(runs[runs["replication"] < wanted], *args, have=wanted)
        wanted = min(wanted + more, precision.max_replications)
