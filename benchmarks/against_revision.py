"""The reference against a SimPy M/M/c, for this tree and for an earlier revision, in one run.

    python benchmarks/against_revision.py 7ae72fe

How fast the reference runs beside a textbook SimPy M/M/c depends on the machine as well as on
the code: the queue allocates a process per customer, the funnel mostly runs its own loops,
and machines differ in which they favour. A ratio read on one machine in one season cannot be
held against a ratio read on another. This measures both trees here and now: each round runs
a child process per tree, the revision's first, which times the reference (from an empty start
with a 13-week warm-up, as ``make bench`` does) and the SimPy M/M/c of ``baselines.py`` in
pairs over seeds 1 to 3 twice. Each tree's reference speed is its fastest over the rounds;
both are divided by the fastest M/M/c of every child, one yardstick for both (the M/M/c's
speed varies by a few percent from one process to the next, so a child's own would add that to
the ratios' difference). The revision is checked out into a temporary folder and runs on this
tree's environment.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EMPTY_START = ["horizon.start=empty", "horizon.warmup=13w", "horizon.length=117w"]

CHILD = """
import sys, time
sys.path.insert(0, {benchmarks!r})
import baselines, funnelsim
scenario = funnelsim.load_scenario()
if hasattr(scenario.horizon, "start"):  # a steady start by default: run it as it ran before
    scenario = funnelsim.load_scenario(overrides={empty!r})
funnelsim.simulate(scenario, seed=1)
leads = queue = 0.0
for seed in (1, 2, 3) * 2:
    started = time.perf_counter()
    result = funnelsim.simulate(scenario, seed=seed)
    seconds = time.perf_counter() - started
    leads = max(leads, result.summary["metrics"]["leads_simulated"] / seconds)
    queue = max(queue, baselines.simpy_mmc(100_000, 10, 0.9, seed, 0.0).rate)
print(leads, queue)
"""


def measure(tree: Path) -> tuple[float, float]:
    """The fastest reference leads/s and SimPy M/M/c customers/s of one child on ``tree``."""
    code = CHILD.format(benchmarks=str(HERE), empty=EMPTY_START)
    env = os.environ | {"PYTHONPATH": str(tree / "src")}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    )
    leads, queue = map(float, out.stdout.split())
    return leads, queue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="a git revision of this repository")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        then = Path(folder) / "then"
        git = ["git", "-C", str(ROOT), "worktree"]
        subprocess.run([*git, "add", "--detach", str(then), args.revision], check=True)
        try:
            leads = {"then": 0.0, "now": 0.0}
            queue = 0.0
            for _ in range(args.rounds):
                for name, tree in (("then", then), ("now", ROOT)):
                    found, found_queue = measure(tree)
                    leads[name], queue = max(leads[name], found), max(queue, found_queue)
        finally:
            subprocess.run([*git, "remove", "--force", str(then)], check=True)
    print(f"SimPy M/M/c: {queue:,.0f} customers/s")
    for name, label in (("then", args.revision), ("now", "this tree")):
        print(f"{label}: reference {leads[name]:,.0f} leads/s, {leads[name] / queue:.3f}x")


if __name__ == "__main__":
    main()
