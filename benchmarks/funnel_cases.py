"""funnelsim's side of the benchmarks: timed runs of the bundled scenarios."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import funnelsim

HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class FunnelRun:
    """One timed ``funnelsim.simulate`` call: leads, scheduled SimPy events, wall seconds."""

    leads: int
    events: int
    seconds: float

    @property
    def leads_per_second(self) -> float:
        return self.leads / self.seconds

    @property
    def events_per_lead(self) -> float:
        return self.events / self.leads

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds


@dataclass(frozen=True)
class MemoryRun:
    """The scaled-up run of the memory benchmark, as its child process reported it."""

    leads: int
    seconds: float
    events_per_lead: float
    sdr_headcount: int
    ae_count: int
    peak_rss_bytes: int

    @property
    def leads_per_second(self) -> float:
        return self.leads / self.seconds


def timed_run(scenario: funnelsim.Scenario, seed: int) -> tuple[FunnelRun, funnelsim.RunResult]:
    """Time the whole public call, metrics included: what a user waits for."""
    started = time.perf_counter()
    result = funnelsim.simulate(scenario, seed=seed)
    seconds = time.perf_counter() - started
    figures = result.summary["metrics"]
    return FunnelRun(figures["leads_simulated"], figures["events_scheduled"], seconds), result


def warm_up() -> None:
    """One short untimed run, so lazy imports and first-call caches do not count."""
    scenario = funnelsim.load_scenario(overrides={"horizon.warmup": "4w", "horizon.length": "17w"})
    funnelsim.simulate(scenario, seed=0)


def reference_runs(policy: str | None, seeds: tuple[int, ...]) -> list[FunnelRun]:
    """The bundled reference scenario under ``policy`` (None: as bundled), one run per seed."""
    scenario = funnelsim.load_scenario(policy=policy)
    return [timed_run(scenario, seed)[0] for seed in seeds]


EMPTY_START = {"horizon.start": "empty", "horizon.warmup": "13w", "horizon.length": "117w"}
"""The reference as it ran before its steady start: an empty funnel and a 13-week warm-up."""


def empty_start_run(seed: int) -> FunnelRun:
    """One timed run of the reference opened on an empty funnel, measuring the same 104 weeks."""
    return timed_run(funnelsim.load_scenario(overrides=EMPTY_START), seed)[0]


def pilot_seconds(policy: str | None = None) -> float:
    """Seconds the reference's pilot takes, run afresh (once per scenario, policy and
    process: every run of the scenario after it takes it over)."""
    from funnelsim.model import settled

    scenario = funnelsim.load_scenario(policy=policy)
    settled._SETTLED.clear()
    started = time.perf_counter()
    settled.settled(scenario)
    return time.perf_counter() - started


def reference_run(seed: int) -> FunnelRun:
    """One timed run of the bundled reference scenario as bundled."""
    return timed_run(funnelsim.load_scenario(), seed)[0]


def mmc_scenario(horizon: str) -> funnelsim.Scenario:
    return funnelsim.load_scenario(
        funnelsim.bundled_scenario("mmc"), overrides={"horizon.length": horizon}
    )


def mean_wait_hours(result: funnelsim.RunResult) -> float:
    """Mean wait for a first touch of MQLs arriving after the warm-up (always-open desk)."""
    spells = result.ledger.spell_frame()
    after = spells[spells["mql_at"] >= result.scenario.horizon.warmup]
    waits = (after["first_touch_at"] - after["mql_at"]).to_numpy()
    return float(np.nanmean(waits)) * HOURS_PER_DAY


def mmc_runs(horizon: str, seeds: tuple[int, ...]) -> tuple[list[FunnelRun], list[float]]:
    """The SDR desk reduced to M/M/c: timed runs and each run's mean wait in hours."""
    scenario = mmc_scenario(horizon)
    runs, waits = [], []
    for seed in seeds:
        run, result = timed_run(scenario, seed)
        runs.append(run)
        waits.append(mean_wait_hours(result))
    return runs, waits


def peak_memory(scale: float, seed: int = 1) -> MemoryRun:
    """Run the scaled-up reference in a child process and read back what it measured."""
    child = Path(__file__).with_name("peak_memory.py")
    command = [sys.executable, str(child), "--scale", repr(scale), "--seed", str(seed)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return MemoryRun(**report)
