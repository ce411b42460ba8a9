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

import funnelsim
from funnelsim.experiments import prepare, sweep
from funnelsim.experiments.execution import DaskCluster

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


def direct_seconds(spec: dict[str, Any]) -> float:
    """The same replications as ``spec``, by calling ``simulate`` in a plain loop."""
    p = prepare(spec)
    scenarios = [funnelsim.load_scenario(policy=policy) for policy in spec["policies"]]
    started = time.perf_counter()
    for item in p.items(range(spec["replications"])):
        funnelsim.simulate(scenarios[item.policy], seed=p.seed(item))
    return time.perf_counter() - started


@dataclass(frozen=True)
class Overhead:
    """The machinery against a plain loop of ``simulate`` calls over the same replications."""

    items: int
    direct: float
    machinery: float

    @property
    def share(self) -> float:
        return self.machinery / self.direct - 1.0


def overhead(replications: int, rounds: int) -> Overhead:
    """Fastest of ``rounds`` alternating timings: in-process sweep versus direct calls."""
    spec = bundled(replications)
    direct, machinery = [], []
    for _ in range(rounds):
        direct.append(direct_seconds(spec))
        machinery.append(timed_sweep(spec, workers=1))
    return Overhead(2 * replications, min(direct), min(machinery))


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
    DaskCluster("local", workers).close()
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
