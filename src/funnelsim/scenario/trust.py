"""Sales trust: the SDR desk's effort follows how many of marketing's MQLs proved worth it."""

from __future__ import annotations

from pydantic import Field, model_validator

from funnelsim.base.distributions import Probability
from funnelsim.base.strict import Frozen
from funnelsim.scenario.fields import MAX_TRUST_WINDOW, BusinessDuration


class Trust(Frozen):
    """Sales trust: follow-up effort tracks how many recent MQLs the SDRs found worth it.

    The share is of the last ``window`` MQLs whose buyer was reached that qualified (SQL):
    the leads sales talked to and could take forward. Effort is full at or above ``full_at``
    and at ``min_effort`` at or below ``zero_at``. Below full effort the desk owes fewer
    attempts and puts off more new MQLs: of those ``sdr.put_off`` does not, a share
    ``1 - effort``. An MQL is put off for ``max_delay`` of business time on average, and one
    put off past ``sdr.max_queue_age`` is never touched. Until ``window`` MQLs have been judged,
    effort is full. An enforced SLA holds effort at full and puts nothing off.
    """

    window: int = Field(default=50, ge=1, le=MAX_TRUST_WINDOW, strict=True)
    full_at: Probability = 0.35
    zero_at: Probability = 0.15
    min_effort: Probability = 0.3
    max_delay: BusinessDuration = "1d"

    @model_validator(mode="after")
    def _ordered(self):
        if not self.zero_at < self.full_at:
            raise ValueError(f"expected zero_at < full_at, got {self.zero_at} and {self.full_at}")
        return self
