"""Handing an SQL to sales: an AE accepts it or declines it, and its buyer does not wait for ever.

SDRs qualify a buyer; an AE still looks at the deal before opening it, and declines some
(SQL to opportunity runs at 40-80% in practitioner benchmarks; ``sales.acceptance``). An SQL
that finds every AE at their cap waits in line, and its buyer walks away once they have waited
their patience (``segments.*.sales_patience``; no published figure sets it: a judgment). Both
models stamp a buyer who gave up at the moment the patience ran out.
"""

from __future__ import annotations

import math

from funnelsim.scenario.schema import Segment


def accepted(acceptance: float, u: float) -> bool:
    """Whether the AE accepts the SQL, from its pre-drawn uniform ``u``."""
    return u < acceptance


def patience_ends(segment: Segment, queued_at: float, u: float) -> float:
    """When the buyer of an SQL queued at ``queued_at`` gives up waiting for an AE."""
    if segment.sales_patience is None:
        return math.inf
    return queued_at + float(segment.sales_patience.ppf(u))
