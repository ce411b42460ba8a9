"""The SLA's response rule: when a first touch counts as on time.

One definition for the model (the closed-loop review's running count), the run's metrics and
the SLA judge, so the three can never disagree about a touch at the deadline.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

SLACK = 1e-12
"""Business days a touch may run past the deadline and still be on time.

Waits are differences of business clocks (``business(touch) - business(mql)``), which can land
a rounding step past a response time the touch met exactly; the slack absorbs that step. It
has been the same 1e-12 in every caller, so adopting this rule changed no result.
"""

YARDSTICKS = ("5m", "15m", "30m", "1h", "2h", "4h", "1d", "2d", "3d", "1w")
"""Response times every run judges its first touches against, whatever its own SLA says:
business time, as a scenario writes it. A comparison reads all its policies at one of them
(``sla_compliance_within_1h``), so policies with different SLAs are held to one yardstick."""

Waited = TypeVar("Waited", float, np.ndarray)


def within_response(waited: Waited, response: float) -> Waited:
    """Whether a first touch after ``waited`` business days met a ``response`` time (days).

    Works on one wait or an array of them; a never-touched MQL (NaN wait) is never on time.
    """
    return waited <= response + SLACK
