"""The experiment machinery's side of the benchmarks: speed-up, overhead, Dask, parent memory."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import funnelsim
from funnelsim.experiments import execution, prepare, sweep
from funnelsim.experiments.cluster import DaskCluster

BUNDLED = Path(__file__).parent.parent / "experiments" / "aligned-vs-misaligned.yaml"
TINY = {"horizon.length": "3d", "horizon.warmup": "1d"}
"""The M/M/c desk over three days: a replication that is nearly all fixed cost."""


def timed_sweep(spec: Any, **options: Any) -> float:
    """Wall seconds of a whole sweep into a fresh folder, pool start-up and files included."""
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        sweep(spec, out=Path(folder) / "out", **options)
        return time.perf_counter() - started


def bundled(replications: int) -> dict[str, Any]:
    """The bundled comparison as data, with its replications set for the benchmark."""
    experiment = prepare(BUNDLED).experiment
    return experiment.model_dump(by_alias=True) | {"replications": replications}


@dataclass(frozen=True)
class Overhead:
    """An in-process sweep's wall time against the ``simulate`` calls it made, timed inside it."""

    items: int
    direct: float  # seconds inside simulate
    machinery: float  # seconds of the whole sweep

    @property
    def share(self) -> float:
        return self.machinery / self.direct - 1.0


def overhead(replications: int, rounds: int) -> Overhead:
    """The machinery's own time: an in-process sweep's wall time beyond its ``simulate`` calls.

    Both are timed in the same sweep, so a slower moment of the machine weighs on both alike
    (two sweeps compared against each other differ by more than the overhead on a shared
    machine). The round with the smallest share is kept.
    """
    spec, found = bundled(replications), []
    for _ in range(rounds):
        timed = TimedSimulate()
        with mock.patch.object(execution, "simulate", timed):
            wall = timed_sweep(spec, workers=1)
        found.append(Overhead(len(timed.seconds), sum(timed.seconds), wall))
    return min(found, key=lambda o: o.share)


class TimedSimulate:
    """``funnelsim.simulate``, keeping the wall time of each call."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, *args: Any, **kwargs: Any) -> funnelsim.RunResult:
        started = time.perf_counter()
        result = funnelsim.simulate(*args, **kwargs)
        self.seconds.append(time.perf_counter() - started)
        return result


def tiny_spec(replications: int) -> dict[str, Any]:
    return {"scenario": "mmc", "set": TINY, "replications": replications, "seed": 1}


@dataclass(frozen=True)
class DaskFigures:
    startup: float  # seconds to start a LocalCluster and connect to it
    per_item: float  # wall seconds per item beyond the in-process compute split over workers
    pool_per_item: float  # the same for the local process pool


def dask_figures(workers: int, replications: int) -> DaskFigures:
    spec = tiny_spec(replications)
    started = time.perf_counter()
    DaskCluster("local", workers, execution.run_chunk).close()
    startup = time.perf_counter() - started
    alone = timed_sweep(spec, workers=1)
    on_dask = timed_sweep(spec, workers=workers, scheduler="local")
    on_pool = timed_sweep(spec, workers=workers)

    def per_item(wall: float) -> float:
        return (wall - alone / workers) / replications

    return DaskFigures(startup, per_item(on_dask - startup), per_item(on_pool))


def parent_memory(replications: int, workers: int) -> dict[str, Any]:
    """Run a sweep of tiny replications in a child process; it reports its own peak RSS."""
    child = Path(__file__).with_name("sweep_memory.py")
    command = [sys.executable, str(child), str(replications), str(workers)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])
