"""Sales trust: follow-up effort that tracks how many recent MQLs qualified.

When marketing's MQLs disappoint, SDRs put more new ones off, some for good, and owe fewer
attempts; an enforced SLA owes full effort whatever the mood. No published figure sets this
loop: every parameter is a judgment (docs/calibration.md), and the loop is a hypothesis.
"""

from __future__ import annotations

import math
from collections import deque

from funnelsim.scenario.schema import Trust


class SalesTrust:
    """The effort the desk gives marketing's MQLs, from the share of recent ones qualified.

    Pure bookkeeping: ``effort`` maps the share over the last ``window`` judged MQLs linearly
    from ``zero_at`` (effort at its floor) to ``full_at`` (full effort). ``kept`` is the share
    of new MQLs the desk queues at once out of habit, at full effort: all under an enforced
    SLA, else all but the ``habit`` of putting leads off (``sdr.put_off``).
    """

    def __init__(self, trust: Trust, enforced: bool, habit: float = 0.0):
        self.trust, self.enforced = trust, enforced
        self.kept = 1.0 if enforced else 1.0 - habit
        self.recent: deque[bool] = deque(maxlen=trust.window)
        self.qualified = 0
        self.effort = 1.0  # kept current by record(): read once per MQL and first touch

    def resume(self, recent: tuple[bool, ...]) -> None:
        """Take over another desk's record of its last judged MQLs, oldest first."""
        for qualified in recent:
            self.record(qualified)

    def record(self, qualified: bool) -> None:
        if self.enforced:
            return  # effort is owed in full, whatever the record
        if len(self.recent) == self.recent.maxlen:
            self.qualified -= self.recent[0]
        self.recent.append(qualified)
        self.qualified += qualified
        if len(self.recent) < self.recent.maxlen:
            return  # too few judged yet: a first disappointment is not a trend
        t = self.trust
        share = self.qualified / len(self.recent)
        ramp = min(max((share - t.zero_at) / (t.full_at - t.zero_at), 0.0), 1.0)
        self.effort = t.min_effort + (1.0 - t.min_effort) * ramp


def judged_by_sales(outcome: str, prospect: bool) -> bool:
    """Whether a spell's outcome tells sales about lead quality, and so moves trust.

    Only marketing's MQLs whose buyer was reached: prospects are the SDRs' own work, and an
    unreachable buyer says nothing about the lead.
    """
    return not prospect and outcome != "unreachable"


def put_off(kept: float, mean_delay: float, u: float) -> float:
    """Business time a new MQL of marketing's is put off before it joins the queue.

    The desk queues a share ``kept`` of new MQLs at once: all of them when it trusts marketing
    and keeps no habit of putting leads off. It puts each other off ("I'll call them later")
    for an exponential time of mean ``mean_delay``, drawn by inversion of the spell's uniform
    ``u``. An MQL put off past the desk's working age (``sdr.max_queue_age``) is never touched.
    """
    doubt = 1.0 - kept
    if u >= doubt:
        return 0.0
    return mean_delay * math.log(doubt / max(u, 1e-300))  # u / doubt: uniform on (0, 1)


def owed_attempts(cadence: int, effort: float, u: float) -> int:
    """Attempts an SDR owes a lead at this effort: at least one, ``cadence * effort`` on average.

    The fraction is owed with its own chance (the spell's uniform ``u``), so effort moves the
    attempts made smoothly rather than in steps: two attempts at effort 0.7 owe one or two,
    1.4 on average, not always one.
    """
    return max(1, int(cadence * effort + u))
