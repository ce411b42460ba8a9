"""Is every bundled scenario's measured window stationary, under its base and both policies?

Each scenario runs as bundled (a settled start and its warm-up), seeds 1 to 12; a scenario that
measures less than two years is run longer, so that two measured years can be compared. The
table gives, pooled over the seeds, the second measured year's weekly MQLs, SQLs and bookings
over the first's (``docs/stationarity.md`` quotes it), beside the same from an empty start
after the scenario's warm-up::

    .venv/bin/python benchmarks/steady_start.py
"""

from __future__ import annotations

import sys

import numpy as np

import funnelsim

SCENARIOS = ("reference", "enterprise_outbound", "smb_velocity", "sales_bound")
POLICIES = (None, "misaligned", "aligned")
SEEDS = range(1, 13)
YEAR = 52
SERIES = ("mqls", "sqls", "bookings")


def pooled_ratios(name: str, policy: str | None, start: str) -> dict[str, float]:
    """Year 2 over year 1 of each series, summed over the seeds."""
    bundled = funnelsim.bundled_scenario(name)
    horizon = funnelsim.load_scenario(bundled).horizon
    length = horizon.warmup + max(horizon.length - horizon.warmup, 2 * YEAR * 7.0)
    overrides = {"horizon.start": start, "horizon.length": f"{length:g}d"}
    scenario = funnelsim.load_scenario(bundled, policy=policy, overrides=overrides)
    years = np.zeros((2, len(SERIES)))
    for seed in SEEDS:
        weekly = funnelsim.simulate(scenario, seed=seed).weekly
        measured = weekly.loc[~weekly["warmup"], list(SERIES)].to_numpy()
        years += measured[: 2 * YEAR].reshape(2, YEAR, -1).sum(axis=1)
    return dict(zip(SERIES, (years[1] / years[0]).tolist(), strict=True))


def main() -> int:
    print("| scenario | policy | warm-up | start | MQLs | SQLs | bookings |")
    print("|---|---|---|---|---|---|---|")
    for name in SCENARIOS:
        warmup = funnelsim.load_scenario(funnelsim.bundled_scenario(name)).horizon.warmup
        for policy in POLICIES:
            for start in ("steady", "empty"):
                ratios = pooled_ratios(name, policy, start)
                cells = " | ".join(f"{ratios[s]:.3f}" for s in SERIES)
                label = policy or "base"
                print(f"| {name} | {label} | {warmup / 7:g} w | {start} | {cells} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
