"""The capacity an SLA needs: the smallest headcount for which a promise holds.

The search assumes what the model shows under common random numbers: more SDRs never make
first touch slower, more AEs never make SQLs wait longer, so whether the promise holds is
monotone in headcount. It starts at the headcount the proposal has, gallops (1, 2, 4, ... away)
until the answer changes, then bisects: a handful of probes, each a small experiment of its
own on the same seeds as the stress test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Search:
    """The smallest ``n >= 1`` with ``holds(n)``, and every probe made to find it."""

    holds: Callable[[int], bool]
    ceiling: int
    probes: dict[int, bool] = field(default_factory=dict)

    def ok(self, n: int) -> bool:
        if n not in self.probes:
            self.probes[n] = self.holds(n)
        return self.probes[n]

    def smallest(self, start: int) -> int | None:
        """Search from ``start``; ``None`` when even ``ceiling`` does not hold."""
        start = min(max(start, 1), self.ceiling)
        step = 1
        if self.ok(start):
            lo, hi = start - 1, start
            while lo >= 1 and self.ok(lo):
                hi, step = lo, step * 2
                lo = hi - step
            lo = max(lo, 0)  # no desk at all never holds
        else:
            lo, hi = start, start + 1
            while hi <= self.ceiling and not self.ok(hi):
                lo, step = hi, step * 2
                hi = min(lo + step, self.ceiling) if lo < self.ceiling else self.ceiling + 1
            if hi > self.ceiling:
                return None
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.ok(mid):
                hi = mid
            else:
                lo = mid
        return hi
