"""The base of every model read from an input file: typed, immutable, strict and finite."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """Base of every input model (scenario, distribution, experiment, SLA proposal).

    Unknown keys are errors, so a typo never falls back to a default silently; a model never
    changes once read; and no number may be NaN or infinite, however it is written (``.nan``,
    ``"inf"``, ``1e999``): the model would otherwise simulate it, or fail deep inside NumPy.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
