"""The pipeline open at a run's start: the deals a company holds today, with their ages.

A run normally starts on a funnel with no open deals (``horizon.start``). Given the open
pipeline (``funnelsim fit`` writes it from a CRM export, as ``pipeline.yaml``), a run starts
where the company stands: each deal in its stage, as long open as it is, held by an AE, and
plays out from there (:mod:`funnelsim.model.pipeline`).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from funnelsim.base.strict import Frozen
from funnelsim.base.units import format_duration
from funnelsim.scenario.fields import Duration, Money


class OpenDeal(Frozen):
    """One opportunity open at time zero.

    ``age`` is how long it has been open; ``in_stage`` how long it has been in its ``stage``
    (its whole age when omitted). ``value`` is drawn from the segment's deal size when
    omitted; ``ae`` numbers the AE who holds it (from 0), the least loaded when omitted or
    past the scenario's AEs.
    """

    id: str | None = None
    source: str
    segment: str
    stage: str
    age: Duration = Field(ge=0)
    in_stage: Duration | None = Field(default=None, ge=0)
    value: Money | None = None
    ae: int | None = Field(default=None, ge=0, strict=True)

    @model_validator(mode="after")
    def _inside_age(self):
        if self.in_stage is not None and self.in_stage > self.age:
            raise ValueError(
                f"expected in_stage at most the deal's age ({format_duration(self.age)}), "
                f"got {format_duration(self.in_stage)}"
            )
        return self

    @property
    def stage_age(self) -> float:
        """How long the deal has been in its stage, in days."""
        return self.age if self.in_stage is None else self.in_stage
