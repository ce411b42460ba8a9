"""The horizon: how long a run lasts, what it leaves out as warm-up, and how it starts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from funnelsim.base.strict import Frozen
from funnelsim.base.units import format_duration
from funnelsim.scenario.fields import MAX_HORIZON_DAYS, Duration


class Horizon(Frozen):
    """How long to simulate; metrics cover ``length`` after a ``warmup`` that fills the funnel.

    ``start: steady`` (the default) opens the run on the nurture pool a funnel that has run
    for years holds: leads captured over the ``history`` before time zero, advanced through
    nurture to it (:mod:`funnelsim.model.history`), and on what a funnel that has run for
    ``settle`` holds beyond nurture's own leads: recycled leads, sales trust, a reviewed
    threshold (:mod:`funnelsim.model.settled`; ``settle: 0w`` leaves them to the warm-up).
    ``start: empty`` opens on an empty funnel, as a company launching its first campaigns does.
    """

    length: Duration = Field(gt=0)
    warmup: Duration = 0.0
    start: Literal["steady", "empty"] = "steady"
    history: Duration = Field(default=3 * 52 * 7.0, gt=0)
    settle: Duration = Field(default=52 * 7.0, ge=0)

    @field_validator("length", "history", "settle")
    @classmethod
    def _bounded(cls, days: float) -> float:
        if days > MAX_HORIZON_DAYS:
            longest = format_duration(MAX_HORIZON_DAYS)
            raise ValueError(f"expected at most {longest}, got {format_duration(days)}")
        return days

    @model_validator(mode="after")
    def _warmup_inside(self):
        if not self.warmup < self.length:
            raise ValueError("expected warmup shorter than length")
        return self
