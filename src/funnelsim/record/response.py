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

Waited = TypeVar("Waited", float, np.ndarray)


def within_response(waited: Waited, response: float) -> Waited:
    """Whether a first touch after ``waited`` business days met a ``response`` time (days).

    Works on one wait or an array of them; a never-touched MQL (NaN wait) is never on time.
    """
    return waited <= response + SLACK
