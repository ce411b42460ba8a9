"""Run a sweep of many tiny replications and print the parent's peak memory as JSON.

Run as its own process so that its peak resident set is the experiment parent's alone: the
workers are separate processes and do not count.

    python benchmarks/sweep_memory.py REPLICATIONS WORKERS
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from experiment_cases import tiny_spec
from funnelsim.experiments import sweep
from rss import peak_rss_bytes


def main() -> None:
    replications, workers = int(sys.argv[1]), int(sys.argv[2])
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        results = sweep(tiny_spec(replications), out=Path(folder) / "out", workers=workers)
        seconds = time.perf_counter() - started
        parts = len(list((Path(folder) / "out" / "parts").iterdir()))
    peak = peak_rss_bytes()
    report = {
        "replications": int(results.manifest["replications"]["used"]),
        "parts": parts,
        "seconds": seconds,
        "peak_rss_bytes": peak,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
