"""An interval of numbers, or of durations in one unit (``1h`` to ``8h``), sampled by quantile.

Experiments sample their factors' intervals (a Latin hypercube); a scenario states the range of
each judgment parameter the same way.
"""

from __future__ import annotations

import math

from pydantic import model_validator

from funnelsim.base.strict import Frozen
from funnelsim.base.units import SECONDS_PER_UNIT


class Interval(Frozen):
    """An interval a Latin hypercube samples: numbers, or durations in one unit (``1h``..``8h``)."""

    min: float | str
    max: float | str
    integer: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        (low, unit), (high, unit_high) = number(self.min), number(self.max)
        if unit != unit_high:
            raise ValueError("expected 'min' and 'max' in the same unit")
        if high < low:
            raise ValueError(f"expected 'max' ({self.max}) at or above 'min' ({self.min})")
        if not math.isfinite(high - low):
            raise ValueError("expected 'max' - 'min' to be a finite number")
        if self.integer and unit:
            raise ValueError("'integer' applies to numbers, not durations")
        if self.integer and math.ceil(low) > math.floor(high):
            raise ValueError("expected a whole number between 'min' and 'max'")
        return self

    def at(self, u: float) -> float | int | str:
        """The value at quantile ``u`` of the interval (``u`` in [0, 1))."""
        (low, unit), (high, _) = number(self.min), number(self.max)
        if self.integer:
            first, last = math.ceil(low), math.floor(high)
            return min(first + math.floor(u * (last - first + 1)), last)
        value = low + u * (high - low)
        return f"{value:.6g}{unit}" if unit else value


def number(value: float | str) -> tuple[float, str]:
    """A bound as (number, unit): ``"4h"`` is (4.0, "h"), ``12`` is (12.0, "")."""
    if isinstance(value, str):
        text = value.strip()
        if text[-1:] in SECONDS_PER_UNIT:
            try:
                amount = float(text[:-1])
            except ValueError:
                amount = math.nan
            if math.isfinite(amount):
                return amount, text[-1]
        raise ValueError(f"expected a finite number or a duration such as '4h', got {value!r}")
    return float(value), ""


def written(bound: float | str) -> str:
    """A bound as people write it: ``20``, ``85,000``, ``0.35``, ``0.5d``."""
    if isinstance(bound, str):
        return bound
    return f"{bound:,.0f}" if float(bound).is_integer() else f"{bound:g}"
