"""A fingerprint of bundled runs: one hash that changes if any result changes in any bit.

Every bundled scenario under its base settings and each of its policies, seeds 0, 1 and 7:
the summary's figures, the frames by source, segment and week, the ledger's lead columns,
spells, opportunities and SDR busy intervals, and (for seed 1) the event log; then the tables
of a small comparison of the reference scenario's policies. A change meant
to alter no result is checked by running this before and after it::

    .venv/bin/python benchmarks/fingerprint.py
"""

from __future__ import annotations

import hashlib
import json
import sys

import numpy as np
import pandas as pd

import funnelsim

SEEDS = (0, 1, 7)
LEAD_COLUMNS = (
    "created", "source", "segment", "fit", "cost", "state", "reason", "leak_stage",
    "mql_at", "sal_at", "sql_at", "opp_at", "won_at", "recycles", "sdr_busy",
)  # fmt: skip


def frame_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(float_format="%.17g").encode()


def run_digest(scenario: funnelsim.Scenario, seed: int) -> str:
    result = funnelsim.simulate(scenario, seed=seed, events=seed == 1)
    h = hashlib.sha256()
    figures = dict(result.summary["metrics"])
    h.update(json.dumps(figures, sort_keys=True, default=repr).encode())
    for frame in (result.by_source, result.by_segment, result.weekly):
        h.update(frame_bytes(frame))
    ledger = result.ledger
    for name in LEAD_COLUMNS:
        h.update(np.ascontiguousarray(getattr(ledger, name)).tobytes())
    h.update(frame_bytes(ledger.spell_frame()))
    h.update(frame_bytes(ledger.opp_frame()))
    if result.events is not None:
        h.update(frame_bytes(result.events))
    return h.hexdigest()


def scenarios():
    for path in sorted(funnelsim.bundled_scenario().parent.glob("*.yaml")):
        name = path.stem
        base = funnelsim.load_scenario(name)
        yield f"{name}/base", base
        for policy in base.policies:
            yield f"{name}/{policy}", funnelsim.load_scenario(name, policy=policy)


def comparison_digest() -> str:
    """The tables of a small comparison: what the experiment machinery and statistics add."""
    results = funnelsim.compare(policies=["misaligned", "aligned"], reps=4, seed=3)
    h = hashlib.sha256()
    for frame in (results.summary, results.differences, results.runs, results.weekly):
        h.update(frame_bytes(frame))
    h.update(frame_bytes(results.groups))
    return h.hexdigest()


def main() -> int:
    total = hashlib.sha256()
    runs = 0
    for label, scenario in scenarios():
        for seed in SEEDS:
            digest = run_digest(scenario, seed)
            total.update(digest.encode())
            runs += 1
            print(f"{label:36s} seed {seed}: {digest[:16]}", flush=True)
    comparison = comparison_digest()
    total.update(comparison.encode())
    print(f"{'comparison, 4 replications':36s}        : {comparison[:16]}")
    print(f"{runs} runs and a comparison: {total.hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
