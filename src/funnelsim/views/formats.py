"""How every view writes a number: money, shares, ratios, durations, counts and intervals.

Two registers, both here so they cannot drift apart: terminal tables and the report write a
figure's value with :func:`value` (``USD 8.35M``, ``12.5%``, ``4.0 h``, and differences in
percentage points), and figures write axis ticks and labels on bars with :func:`money`,
:func:`percent`, :func:`trim` and :func:`on_figure` (``USD 12.5M``, fewer digits). What a
figure is called and its unit come from :mod:`funnelsim.record.registry`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from funnelsim.base.units import parse_duration
from funnelsim.record.registry import Metric, metric
from funnelsim.results import Results

DASH = "–"
"""What a table or a figure shows for a number it does not have."""


def currency(results: Results) -> str:
    """The scenario's currency code, e.g. ``USD``."""
    scenario = next(iter(results.manifest["scenario"].values()))
    return scenario["resolved"].get("currency", "")


def partial_note(results: Results) -> str | None:
    """How much of an unfinished experiment the results hold, for every view to say; None
    once it has finished."""
    if results.partial is None:
        return None
    finished, planned = results.partial
    return f"partial: {finished:,} of {planned:,} replications finished"


def metric_label(name: str) -> str:
    """What a figure is called on an axis, in a table and in the report."""
    return metric(name).label


def metric_labels(*names: str) -> dict[str, str]:
    """Each figure's label, by name, in the order given: the rows of a table, a legend."""
    return {name: metric_label(name) for name in names}


def metric_unit(name: str, code: str) -> str:
    """A figure's unit on an axis; money's is the currency ``code``."""
    entry = metric(name)
    return code if entry.kind == "money" else entry.unit


def _missing(x: float | None) -> bool:
    return x is None or x != x


# -- the figures' register ----------------------------------------------------------------------
def trim(x: float, significant: int | None = None) -> str:
    """Thousands separated, no trailing zeros: 12.5, 1,250, 0.25; at most two decimals, or
    ``significant`` digits (for values written on bars and cells, where 473.27 is noise)."""
    decimals = 2
    if significant is not None and x:
        decimals = max(0, significant - 1 - int(np.floor(np.log10(abs(x)))))
    if round(x, decimals) == 0:
        return "0"
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def short(x: float, significant: int | None = None) -> str:
    """12.5M, 250k, 950: large numbers in thousands, millions or billions."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return trim(x / size, significant) + suffix
    return trim(x, significant)


def money(x: float, code: str, significant: int | None = None) -> str:
    """An amount with its currency, thousands separated: ``USD 12.5M``, ``-USD 250k``."""
    if x != x:
        return DASH
    return f"{'-' if x < 0 else ''}{code} {short(abs(x), significant)}".strip()


def percent(x: float, significant: int | None = None) -> str:
    """A share as a percentage: 0.125 is 12.5%."""
    return f"{trim(100 * x, significant)}%"


def on_figure(name: str, x: float, code: str) -> str:
    """A figure's value in its unit, for labels on bars and cells."""
    entry = metric(name)
    if x != x:
        return DASH
    if entry.kind == "money":
        return money(x, code, 3)
    if entry.kind == "share":
        return f"{100 * x:.1f}%"
    if entry.kind == "ratio":
        return f"{x:.2f}x"
    if entry.kind in ("days", "hours", "weeks"):
        return f"{x:,.1f}{entry.suffix}"
    return short(x, 3)


# -- the tables' and the report's register --------------------------------------------------------
def whole_money(x: float, code: str) -> str:
    """An amount to the unit: ``USD 1,250,000``."""
    return DASH if x != x else f"{code} {x:,.0f}"


def compact_money(x: float, code: str) -> str:
    """Money short enough for a narrow column: USD 8.35M, USD 612k."""
    if x != x:
        return DASH
    if abs(x) >= 1e6:
        return f"{code} {x / 1e6:,.2f}M"
    if abs(x) >= 1e3:
        return f"{code} {x / 1e3:,.0f}k"
    return f"{code} {x:,.0f}"


def share(x: float | None) -> str:
    """A share to a tenth of a percent: ``12.5%``."""
    return DASH if _missing(x) else f"{100 * x:.1f}%"


def whole_percent(x: float | None) -> str:
    """A chance to the percent: ``87%``."""
    return DASH if _missing(x) else f"{100 * x:.0f}%"


def number(x: float, digits: int = 1) -> str:
    """A plain number, thousands separated: ``1,234.5``."""
    return DASH if x != x else f"{x:,.{digits}f}"


def significant(x: float) -> str:
    """Three significant digits, thousands separated: 0.463, 4.0, 29,634."""
    if x != x:
        return DASH
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def value(name: str, x: float, code: str, signed: bool = False) -> str:
    """A figure's value in its unit: money, a share, days, hours or a plain count.

    ``signed`` writes differences: an explicit sign, and shares in percentage points.
    """
    if x != x:
        return DASH
    text = _magnitude(metric(name), abs(x), code, signed)
    if not any(digit in text for digit in "123456789"):
        return text  # a difference that rounds to nothing has no sign
    return ("-" if x < 0 else "+" if signed and x > 0 else "") + text


def _magnitude(entry: Metric, x: float, code: str, signed: bool) -> str:
    """A non-negative value in its metric's unit; ``signed`` writes shares in points."""
    if entry.kind == "money":
        return compact_money(x, code).strip()
    if entry.kind == "share":
        return f"{100 * x:.1f} pts" if signed else f"{100 * x:.1f}%"
    if entry.kind == "ratio":
        return f"{x:.2f}x"
    if entry.kind in ("days", "hours", "weeks"):
        return f"{x:,.1f}{entry.suffix}"
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def interval(
    name: str, low: float, high: float, code: str, signed: bool = False, once: bool = True
) -> str:
    """A 95% interval, ``low to high``; ``once`` writes a unit the two ends share only at the
    end, for narrow columns."""
    low_text, high_text = (value(name, x, code, signed) for x in (low, high))
    apart = abs(high - low) >= 1.0  # less than one unit of money apart: the same amount
    if low_text == high_text and apart and metric(name).kind == "money":
        low_text, high_text = _apart(low, high, code, signed)
    for suffix in (" pts", "%", " d", " h", " w", "x") if once else ():
        if low_text.endswith(suffix) and high_text.endswith(suffix):
            low_text = low_text.removesuffix(suffix)
    return f"{low_text} to {high_text}"


def _apart(low: float, high: float, code: str, signed: bool) -> tuple[str, str]:
    """Two amounts that differ, written with as many significant digits as tells them apart
    (``USD 8.04k to USD 8.11k``, not ``USD 8k to USD 8k``)."""
    for digits in range(3, 10):
        texts = [("+" if signed and x > 0 else "") + money(x, code, digits) for x in (low, high)]
        if texts[0] != texts[1]:
            break
    return texts[0], texts[1]


def duration_words(seconds: float) -> str:
    """A wait in words, as rounded as an estimate deserves: ``about 40 seconds``, ``about 3
    minutes``, ``about 1.5 hours``."""
    if seconds < 10:
        return "a few seconds"
    if seconds < 60:
        return f"about {round(seconds, -1):.0f} seconds"
    if seconds < 90 * 60:
        minutes = max(1, round(seconds / 60))
        return f"about {minutes} minute{'s' if minutes > 1 else ''}"
    return f"about {seconds / 3600:.1f} hours"


def span(results: Results) -> str:
    """The measured window once, with the period of money, for the top of every view; a sweep
    over the horizon gives its range."""
    weeks = sorted({days / 7 for days in _measured_days(results)})
    low, high = weeks[0], weeks[-1]
    over = (
        f"{low:g} weeks ({low * 7 / 365.25:.2f} years)"
        if low == high
        else f"{low:g} to {high:g} weeks, by sweep point,"
    )
    return f"measured over {over} after warm-up; money per year unless a figure says otherwise"


def _measured_days(results: Results) -> list[float]:
    """Days measured at each sweep point: its horizon, or the scenario's where not swept."""
    horizon = next(iter(results.manifest["scenario"].values()))["resolved"]["horizon"]
    points = results.manifest.get("points") or [{}]
    return [
        _days(point.get("horizon.length", horizon["length"]))
        - _days(point.get("horizon.warmup", horizon.get("warmup", 0)))
        for point in points
    ]


def _days(duration: str | float) -> float:
    """A duration as a scenario holds it: text with a unit, or a number of days."""
    return float(duration) if isinstance(duration, int | float) else parse_duration(duration)


def yardstick_note(results: Results, name: Callable[[str], str] = str) -> str | None:
    """Which SLA compliance is which: each policy's own SLA, and the one yardstick for all;
    None for results that predate the yardstick. ``name`` writes a policy's name (as rich
    markup that prints it as written, for a terminal)."""
    yardstick = results.manifest.get("yardstick")
    if yardstick is None or (
        f"sla_compliance_within_{yardstick['response_time']}" not in set(results.summary["metric"])
    ):
        return None
    own = ", ".join(
        f"{name(label)} {entry['resolved']['sla']['response_time']}"
        for label, entry in results.manifest["scenario"].items()
    )
    if "sla.response_time" in results.manifest["factors"]:
        own = "the sweep's sla.response_time at each point"
    how = "as given" if yardstick["given"] else "the strictest SLA compared"
    return (
        f"{metric_label('sla_compliance')}: each policy against its own response time ({own}); "
        f"within {yardstick['response_time']}: every policy against the same one ({how})"
    )
