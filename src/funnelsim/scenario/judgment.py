"""Parameters no published figure sets, each with the range a reasonable company could hold.

A scenario's ``judgment`` section names them by their ``--set`` key, with the range and the
reason for it. ``funnelsim robustness --settings N`` compares two policies again at ``N``
settings drawn across these ranges (a Latin hypercube), so a reader sees whether the answer
survives the judgment calls it rests on. docs/calibration.md lists the reference scenario's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from funnelsim.base.intervals import Interval, number, written


class Judgment(Interval):
    """A judgment parameter's plausible range (``min`` to ``max``) and why it is that range."""

    why: str = Field(min_length=1, description="what the range rests on")

    def range_text(self) -> str:
        """The range as people write it: ``20 to 100``, ``85,000 to 115,000``, ``0.5d to 2d``."""
        return f"{written(self.min)} to {written(self.max)}"

    def comparable(self, value: Any) -> bool:
        """Whether a scenario's value is of the range's kind: a number, or a duration."""
        if isinstance(value, bool):
            return False
        try:
            _, unit = number(value)
        except (TypeError, ValueError):
            return False
        return bool(unit) == bool(number(self.min)[1])


def judgment_problems(judgment: Mapping[str, Judgment], values: Mapping[str, Any]) -> list[str]:
    """What is wrong with a scenario's judgment section, given the scenario's own ``--set``
    keys and values: a key it does not have, a range of durations for a number (or the other
    way round), or a range of any numbers for a whole-number parameter.

    A value outside its range is no error: the range is where a reasonable company sits, and
    a user may well ask what happens beyond it.
    """
    problems = []
    for key, judged in judgment.items():
        if key not in values:
            problems.append(f"judgment.{key}: the scenario has no key {key}")
        elif not judged.comparable(values[key]):
            problems.append(
                f"judgment.{key}: a range from {judged.min} to {judged.max} for a value of "
                f"{values[key]!r}: expected a range of the same kind, number or duration"
            )
        elif isinstance(values[key], int) and not judged.integer:
            problems.append(
                f"judgment.{key}: {key} takes whole numbers; expected integer: true in its range"
            )
    return problems
