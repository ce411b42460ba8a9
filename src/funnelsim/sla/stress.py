"""Conditions an SLA is tested under: normal, the built-in stresses, and stress files.

A stress is an overlay on a policy's scenario, written as ``--set`` overrides so that any run
replays with ``funnelsim run``. The built-in stresses are computed from the scenario they
stress (a quarter of *its* SDRs, a surge on *its* marketing sources), so the baseline and the
proposal each meet the same stress on their own terms. Each also says which periods it
stresses: a one-quarter surge is judged in that quarter, a seasonal peak in its months, and a
stress that lasts the whole run in every period.

Built-in stresses (marketing's sources are those whose leads go through nurture):

``surge``
    every marketing source at 1.5x its rate for the first whole calendar quarter of the
    measured window (a campaign burst added to each);
``lost_sdrs``
    a quarter of the SDRs gone for the whole run (at least one gone, at least one left);
``seasonal_peak``
    every marketing source at 1.4x its usual rate in October and November, each year;
``lower_fit_mix``
    marketing's volume shifted toward its lower-fit sources: those whose mean fit is below
    the volume-weighted mean gain 30% volume, taken from the others in proportion, so the
    total is unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from funnelsim.base.mapping import dotted
from funnelsim.base.suggest import did_you_mean
from funnelsim.base.yamldoc import Document, Key
from funnelsim.errors import Problem, ScenarioError, UsageError
from funnelsim.scenario.schema import Scenario
from funnelsim.sla.judging import period_edges

SURGE, PEAK, PEAK_MONTHS, MIX_SHIFT = 1.5, 1.4, (10, 11), 0.3

Window = tuple[float, float]
"""Simulated days [start, end) a stress bears on."""


@dataclass(frozen=True)
class Condition:
    """A condition the proposal is run under: its overrides for a scenario, and its window.

    ``sets`` maps the stressed policy's scenario to dotted overrides; ``windows`` to the
    stretches of simulated time its periods are judged in (``None``: every period).
    """

    name: str
    description: str
    sets: Callable[[Scenario], dict[str, Any]]
    windows: Callable[[Scenario], list[Window]] | None = None
    source: str | None = None  # the stress file, for errors
    lines: Mapping[Key, int] | None = None

    def judged(self, scenario: Scenario, start: float, end: float) -> bool:
        """Whether a period [start, end) is judged under this condition."""
        if self.windows is None:
            return True
        return any(start < b and a < end for a, b in self.windows(scenario))


def _marketing(scenario: Scenario) -> Iterator[tuple[str, Any]]:
    for name, source in scenario.sources.items():
        if not source.skips_nurture and source.rate_per_week > 0:
            yield name, source


def _surge_window(scenario: Scenario) -> list[Window]:
    h = scenario.horizon
    edges = period_edges(scenario.start_date, h.warmup, h.length, "quarter")
    if len(edges) < 2:
        raise UsageError("surge: the measured window holds no whole calendar quarter")
    return [(float(edges[0]), float(edges[1]))]


def _surge(scenario: Scenario) -> dict[str, Any]:
    start, end = _surge_window(scenario)[0]
    burst = {"start": f"{start:g}d", "length": f"{end - start:g}d", "factor": SURGE}
    return {
        f"sources.{name}.bursts": [*(b.model_dump(mode="json") for b in s.bursts), burst]
        for name, s in _marketing(scenario)
    }


def _lost_sdrs(scenario: Scenario) -> dict[str, Any]:
    headcount = scenario.sdr.headcount
    if headcount < 2:
        raise UsageError("lost_sdrs: a desk of one SDR has no quarter to lose")
    return {"sdr.headcount": headcount - max(1, round(headcount / 4))}


def _peak_windows(scenario: Scenario) -> list[Window]:
    out = []
    for year in range(scenario.start_date.year, scenario.start_date.year + 200):
        start = dt.date(year, PEAK_MONTHS[0], 1)
        end = dt.date(year, PEAK_MONTHS[-1] + 1, 1)
        a, b = ((d - scenario.start_date).days for d in (start, end))
        if a >= scenario.horizon.length:
            break
        out.append((float(a), float(b)))
    return out


def _seasonal_peak(scenario: Scenario) -> dict[str, Any]:
    out = {}
    for name, source in _marketing(scenario):
        factors = list(source.seasonality or [1.0] * 12)
        for month in PEAK_MONTHS:
            factors[month - 1] = round(factors[month - 1] * PEAK, 12)
        out[f"sources.{name}.seasonality"] = factors
    return out


def _lower_fit_mix(scenario: Scenario) -> dict[str, Any]:
    sources = dict(_marketing(scenario))
    rates = {n: s.rate_per_week for n, s in sources.items()}
    fits = {n: s.fit.mean() for n, s in sources.items()}
    total = sum(rates.values())
    mean = sum(rates[n] * fits[n] for n in rates) / total if total else 0.0
    low = [n for n in rates if fits[n] < mean - 1e-12]
    high = [n for n in rates if n not in low]
    low_rate = sum(rates[n] for n in low)
    high_rate = sum(rates[n] for n in high)
    if not low or not high_rate:
        raise UsageError("lower_fit_mix: the marketing sources do not differ in mean fit")
    cut = MIX_SHIFT * low_rate / high_rate
    out = {f"sources.{n}.rate_per_week": round(rates[n] * (1 + MIX_SHIFT), 9) for n in low}
    out |= {f"sources.{n}.rate_per_week": round(rates[n] * (1 - cut), 9) for n in high}
    return out


def _normal(scenario: Scenario) -> dict[str, Any]:
    return {}


NORMAL = Condition("normal", "The scenario as it is", _normal)
BUILT_IN = {
    c.name: c
    for c in (
        Condition(
            "surge",
            f"Marketing's leads at {SURGE:g}x for a quarter; judged in that quarter",
            _surge,
            _surge_window,
        ),
        Condition("lost_sdrs", "A quarter of the SDRs gone for the whole run", _lost_sdrs),
        Condition(
            "seasonal_peak",
            f"Marketing's leads at {PEAK:g}x in October and November; judged in those months",
            _seasonal_peak,
            _peak_windows,
        ),
        Condition(
            "lower_fit_mix",
            f"{MIX_SHIFT:.0%} more volume from marketing's lower-fit sources, as much less "
            "from the others",
            _lower_fit_mix,
        ),
    )
}
"""The built-in stresses, by name."""


def stress_file(path: str | Path) -> Condition:
    """A stress written as a file: a partial scenario, applied on top of each policy."""
    doc = Document(Path(path))
    if not isinstance(doc.data, Mapping) or not doc.data:
        message = "expected a mapping of scenario keys to stress, e.g. 'sdr: {headcount: 2}'"
        raise ScenarioError([Problem(doc.source, "", message, 1)])
    sets = dotted(doc.data)
    name = Path(path).stem
    return Condition(
        name, f"Stress file {path}", lambda _: dict(sets), source=doc.source, lines=doc.lines
    )


def condition(name: str) -> Condition:
    """A built-in stress by name, or a stress file by path."""
    if name in BUILT_IN:
        return BUILT_IN[name]
    if name.endswith((".yaml", ".yml")) or Path(name).exists():
        if not Path(name).exists():
            raise UsageError(f"--stress: no such stress file {name!r}")
        return stress_file(name)
    known = ", ".join(BUILT_IN)
    hint = did_you_mean(name, BUILT_IN)
    message = f"unknown stress {name!r}; {hint}expected a stress file or one of: {known}"
    raise UsageError(f"--stress: {message}")
