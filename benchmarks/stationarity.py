"""How often the stationarity rule warns, on windows known to fill up and on stationary ones.

Each policy of the reference scenario runs ten years from an empty start (seeds 0 to 9). The window
of its first 117 weeks (after a 13-week warm-up) is still filling up; windows of the same
shape cut from the fifth year on are taken as stationary. The rule of
:mod:`funnelsim.record.warmup`, and each of its parts alone, judge each window; the table gives
the share of windows each calls filling up (``docs/stationarity.md`` quotes it)::

    .venv/bin/python benchmarks/stationarity.py
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

import funnelsim
from funnelsim.record.warmup import TOLERANCE, diagnose

SEEDS = range(10)
LENGTH = 533  # weeks: ten years and the warm-up
WINDOW, WARMUP = 117, 13  # weeks, as the reference scenario measures
STEADY = range(260, LENGTH - WINDOW + 1, 26)  # window starts from the fifth year on


RULES = {
    "the rule": lambda d: d.stationary is False,
    "any ratio past 5%": lambda d: any(abs(s.ratio - 1) > TOLERANCE for s in d.series),
    "yearly change alone": lambda d: any(s.change.moved for s in d.series),
    "MSER-5 alone": lambda d: any(s.suggested > s.allowed for s in d.series),
}
"""What calls a window filling up: the rule, and each of its parts alone."""


def judged(weekly: pd.DataFrame) -> list[dict[str, bool]]:
    """Each rule's call on the first window (filling) and the later ones (stationary)."""
    out = []
    for start in (0, *STEADY):
        window = weekly.iloc[start : start + WINDOW].reset_index(drop=True)
        window["warmup"] = np.arange(WINDOW) < WARMUP
        diagnosis = diagnose(window, WARMUP * 7.0, WINDOW * 7.0)
        calls = {name: rule(diagnosis) for name, rule in RULES.items()}
        out.append({"window": "stationary" if start else "filling", **calls})
    return out


def main() -> int:
    rows = []
    for policy in ("base", "misaligned", "aligned"):
        scenario = funnelsim.load_scenario(
            policy=None if policy == "base" else policy,
            overrides={
                "horizon.length": f"{LENGTH}w",
                "horizon.start": "empty",
                "horizon.warmup": f"{WARMUP}w",
            },
        )
        for seed in SEEDS:
            weekly = funnelsim.simulate(scenario, seed=seed).weekly
            rows += [{"policy": policy, **calls} for calls in judged(weekly)]
    table = pd.DataFrame(rows)
    shares = table.groupby(["window", "policy"])[list(RULES)].mean()
    print("| window | policy | " + " | ".join(RULES) + " |")
    print("|---|---|" + "---|" * len(RULES))
    for (window, policy), row in shares.iterrows():
        print(f"| {window} | {policy} | " + " | ".join(f"{x:.0%}" for x in row) + " |")
    counts = table.groupby("window").size()
    print(f"\n{counts['filling']} filling windows, {counts['stationary']} stationary windows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
