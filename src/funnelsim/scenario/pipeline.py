"""The pipeline a company holds open on a date: its deals, each with its stage and ages.

Given the open pipeline (``funnelsim fit`` writes it from a CRM export, as ``pipeline.yaml``),
a run starts where the company stands: it warms up from ``start_date`` to the pipeline's
``date``, so that nurture, the desk and recycling run as they do in steady state, and there
the company's open deals take the place of the model's own, each in its stage, as long open
as it is, held by an AE, and play out from there (:mod:`funnelsim.model.pipeline`).
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from funnelsim.base.strict import Frozen
from funnelsim.base.units import format_duration
from funnelsim.scenario.fields import Duration, Money
from funnelsim.scenario.horizon import Horizon


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


class Pipeline(Frozen):
    """The deals open on ``date``, which falls inside the run (after its warm-up, usually)."""

    date: dt.date
    deals: list[OpenDeal]


def inside_run(
    pipeline: Pipeline | None, start: dt.date | None, horizon: Horizon | None
) -> Pipeline | None:
    """``pipeline``, if its date falls on or after ``start`` and before the run ends."""
    if pipeline is None or start is None or horizon is None:
        return pipeline
    if not 0 <= (pipeline.date - start).days < horizon.length:
        end = start + dt.timedelta(days=horizon.length)
        raise ValueError(
            f"expected its date on or after start_date ({start}) and before the run ends "
            f"({end}), got {pipeline.date}"
        )
    return pipeline
