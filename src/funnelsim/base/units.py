"""Durations with units.

The simulated clock runs in **days** (floats). Scenario files state durations as strings with
a unit (``"90s"``, ``"15m"``, ``"2h"``, ``"3d"``, ``"2w"``) so that nobody has to remember
the clock's unit; bare numbers are refused because their unit would be a guess.
"""

from __future__ import annotations

import math
import re

SECONDS_PER_UNIT = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([smhdw])\s*$")


def parse_duration(text: str) -> float:
    """Return the duration ``text`` in days; raise ValueError with what was expected."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(
            "expected a duration with a unit such as '90s', '15m', '2h', '3d' or '2w', "
            f"got {text!r}"
        )
    value, unit = match.groups()
    days = float(value) * SECONDS_PER_UNIT[unit] / SECONDS_PER_UNIT["d"]
    if not math.isfinite(days):
        raise ValueError(f"expected a finite duration, got {text!r}")
    return days


def format_duration(days: float) -> str:
    """Render a duration in days with the largest unit that keeps it readable."""
    seconds = days * SECONDS_PER_UNIT["d"]
    for unit in ("w", "d", "h", "m"):
        size = SECONDS_PER_UNIT[unit]
        if seconds >= size and abs(seconds / size - round(seconds / size, 2)) < 1e-9:
            return f"{round(seconds / size, 2):g}{unit}"
    return f"{int(seconds)}s" if seconds == int(seconds) else f"{seconds!r}s"
