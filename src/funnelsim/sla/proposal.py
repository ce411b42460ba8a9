"""SLA proposal files: the clauses leaders are asked to sign, as a policy and as promises.

A proposal states, in business terms, what marketing promises sales (so many MQLs or SQLs a
period, so many of them accepted) and what sales promises back (first touch within so many
business hours for so many MQLs, so many attempts over so many business days, unengaged leads
and stalled deals handed back to marketing). It is read two ways:

* :meth:`Proposal.overlay` is the **policy overlay** the clauses imply, a partial scenario
  applied on the scenario's base like any policy in its ``policies:`` section (keys it leaves
  alone keep the base values, not the baseline's), so a proposal and its baseline compare
  like ``aligned`` and ``misaligned`` do;
* :meth:`Proposal.clauses` are the **promises** a run is judged against, period by period.

Clause to scenario key (the overlay):

====================================  =====================================================
proposal key                          scenario keys it sets
====================================  =====================================================
``sales.first_touch.within: T``       ``sla.response_time: T``, ``sla.enforced: true``
``sales.attempts.at_least: K``        ``sdr.attempts: K``
``sales.attempts.over: D`` (K > 1)    ``sdr.attempt_spacing: D / (K - 1)``, in D's unit: the
                                      first attempt is the first touch, the last falls D after
                                      it (6 attempts over ``10d`` are ``2d`` apart)
``sales.unengaged_to_nurture_after``  ``recycle.unreachable: {enabled: true, delay: D}``: a
                                      lead the cadence never reached goes back to nurture,
                                      which picks it up again D later (the model has no other
                                      engagement clock: the cadence's end is when a lead is
                                      judged unengaged)
``sales.stalled_to_marketing_after``  ``sales.stall_after: D``, ``recycle.stalled.enabled:
                                      true`` (the stalled rule's delay stays the scenario's)
``marketing.*``, ``for_at_least``     nothing: outcomes to judge, not levers
``levers``                            deep-merged as written
====================================  =====================================================

``set`` holds dotted keys applied to the baseline and the proposal alike, like an experiment
file's ``set`` (a longer warm-up, say, so that both are judged in their steady state).

``within`` and ``over`` are on the business clock (``1d`` is a working day); the two
hand-back delays are calendar time, like every recycle delay and ``stall_after``.

A lever that sets a key a clause also sets, to another value, is an error reported at the
lever's line: the proposal would promise one thing and simulate another. Setting the same
value twice is allowed, and so is planning the attempts closer together than the window
implies, in the same unit (``sdr.attempt_spacing: 1.6d`` for 6 attempts over ``10d``): the
promise stands, and follow-ups get room to wait for a free SDR.

Every problem is reported at once with the file, line and dotted key, as scenario and
experiment files are; the overlay is checked by resolving the scenario with it, and problems
it causes are moved back to the proposal key that set the value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from funnelsim.base.mapping import deep_merge
from funnelsim.base.strict import Frozen
from funnelsim.base.units import parse_duration
from funnelsim.base.yamldoc import Key
from funnelsim.experiments.design import scenario_path
from funnelsim.scenario import resolve
from funnelsim.scenario.schema import Scenario

Period = Literal["month", "quarter"]
MONTHS = {"month": 1, "quarter": 3}
UNIT_WORDS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}


def _percent(value: Any) -> Any:
    """``"90%"`` is 0.9; anything else goes on to the number check."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return float(value.strip()[:-1]) / 100
        except ValueError:
            return value
    return value


def _share(value: float) -> float:
    if not 0 <= value <= 1:
        raise ValueError(f"expected a share between 0 and 1 (0.9 or '90%'), got {value:g}")
    return value


def _positive_duration(text: str) -> str:
    if parse_duration(text) <= 0:
        raise ValueError(f"expected a duration above zero, got {text!r}")
    return text.strip()


def _duration(text: str) -> str:
    parse_duration(text)
    return text.strip()


Share = Annotated[float, BeforeValidator(_percent), AfterValidator(_share)]
"""A share of MQLs, 0 to 1; ``"90%"`` is accepted for 0.9."""
PositiveDuration = Annotated[str, BeforeValidator(_positive_duration)]
"""A duration above zero, kept as written (``"4h"``)."""
Delay = Annotated[str, BeforeValidator(_duration)]
"""A duration of zero or more, kept as written."""


class Volume(Frozen):
    """At least so many leads a period; ``per`` defaults to the proposal's period."""

    at_least: int = Field(ge=1)
    per: Period | None = None


class Acceptance(Frozen):
    """At least this share of marketing's MQLs accepted by SDRs (SAL / MQL)."""

    at_least: Share


class Marketing(Frozen):
    """What marketing promises: volume (MQLs or SQLs, or both) and quality (acceptance)."""

    mqls: Volume | None = None
    sqls: Volume | None = None
    accepted: Acceptance | None = None


class FirstTouch(Frozen):
    """First touch within ``within`` business time for at least ``for_at_least`` of MQLs."""

    within: PositiveDuration
    for_at_least: Share


class Attempts(Frozen):
    """At least ``at_least`` attempts, spread over ``over``, on ``for_at_least`` of the MQLs
    the desk gives up on without reaching the buyer (all of them unless said otherwise)."""

    at_least: int = Field(ge=1, le=100)
    over: PositiveDuration | None = None
    for_at_least: Share = 1.0

    @model_validator(mode="after")
    def _cadence(self) -> Attempts:
        if self.at_least > 1 and self.over is None:
            raise ValueError(
                "expected 'over' (a business duration such as '10d') with more than one "
                "attempt: it sets the spacing of the attempts"
            )
        return self


class SalesSide(Frozen):
    """What sales promises: response, cadence, and leads and deals handed back."""

    first_touch: FirstTouch | None = None
    attempts: Attempts | None = None
    unengaged_to_nurture_after: Delay | None = None
    stalled_to_marketing_after: PositiveDuration | None = None


@dataclass(frozen=True)
class Clause:
    """One promise to judge per period.

    ``threshold`` is what must hold in each ``period``: a count of leads (volumes, already
    converted to the period) or a share of MQLs (acceptance, first touch, and the unreached
    MQLs that had the cadence of ``attempts`` over ``over``). ``key`` is the proposal key that
    states it.
    """

    side: Literal["marketing", "sales"]
    name: str
    period: Period
    threshold: float
    description: str
    key: str
    within: str | None = None
    attempts: int | None = None
    over: str | None = None

    @property
    def label(self) -> str:
        """The clause in a few words, for table rows and figure axes."""
        share = _pct(self.threshold)
        if self.name.endswith("_volume"):
            what = self.name.removesuffix("_volume").upper() + "s"
            return f"{_number(self.threshold)} {what} a {self.period}"
        if self.name == "acceptance":
            return f"{share} of MQLs accepted"
        if self.name == "first_touch":
            return f"{share} touched within {self.within} (business)"
        over = f" over {self.over}" if self.over else ""
        return f"{self.attempts} attempts{over} for {share} of unreached"


class Proposal(Frozen):
    """An SLA proposal: its scenario, the baseline to beat, the clauses and extra levers."""

    name: str | None = None
    description: str | None = None
    scenario: str = "reference"
    baseline: str | None = None
    period: Period = "month"
    marketing: Marketing = Marketing()
    sales: SalesSide = SalesSide()
    levers: dict[str, Any] = Field(default_factory=dict)
    set: dict[str, Any] = Field(default_factory=dict)
    _base: Path | None = pydantic.PrivateAttr(default=None)

    # -- the policy -------------------------------------------------------------------------
    def implied(self) -> dict[Key, tuple[Any, Key]]:
        """Every scenario key a clause sets: its value and the proposal key that sets it."""
        out: dict[Key, tuple[Any, Key]] = {}
        sales = self.sales
        if sales.first_touch is not None:
            where = ("sales", "first_touch", "within")
            out[("sla", "response_time")] = (sales.first_touch.within, where)
            out[("sla", "enforced")] = (True, where)
        if sales.attempts is not None:
            out[("sdr", "attempts")] = (sales.attempts.at_least, ("sales", "attempts", "at_least"))
            spacing = attempt_spacing(sales.attempts.at_least, sales.attempts.over)
            if spacing is not None:
                out[("sdr", "attempt_spacing")] = (spacing, ("sales", "attempts", "over"))
        if sales.unengaged_to_nurture_after is not None:
            where = ("sales", "unengaged_to_nurture_after")
            out[("recycle", "unreachable", "enabled")] = (True, where)
            out[("recycle", "unreachable", "delay")] = (sales.unengaged_to_nurture_after, where)
        if sales.stalled_to_marketing_after is not None:
            where = ("sales", "stalled_to_marketing_after")
            out[("sales", "stall_after")] = (sales.stalled_to_marketing_after, where)
            out[("recycle", "stalled", "enabled")] = (True, where)
        return out

    def overlay(self) -> dict[str, Any]:
        """The policy overlay: the clauses' scenario keys, deep-merged with ``levers``."""
        out: dict[str, Any] = {}
        for key, (value, _) in self.implied().items():
            node = out
            for part in key[:-1]:
                node = node.setdefault(part, {})
            node[key[-1]] = value
        deep_merge(out, self.levers)
        return out

    # -- the promises -----------------------------------------------------------------------
    def clauses(self) -> list[Clause]:
        """The promises the file states, marketing's first; hand-back rules are policy only."""
        return [*self._volumes(), *self._acceptance(), *self._first_touch(), *self._attempts()]

    def _volumes(self) -> Iterator[Clause]:
        """MQLs and SQLs a period, converted to the proposal's period."""
        period, m = self.period, self.marketing
        for name, label, volume in (("mql_volume", "MQLs", m.mqls), ("sql_volume", "SQLs", m.sqls)):
            if volume is None:
                continue
            per = volume.per or period
            threshold = volume.at_least * MONTHS[period] / MONTHS[per]
            text = f"Marketing delivers at least {volume.at_least:,} {label} a {per}"
            if per != period:
                text += f" (at least {_number(threshold)} a {period})"
            key = f"marketing.{label.lower()}.at_least"
            yield Clause("marketing", name, period, threshold, text, key)

    def _acceptance(self) -> Iterator[Clause]:
        if (accepted := self.marketing.accepted) is not None:
            share, period = accepted.at_least, self.period
            text = f"SDRs accept at least {_pct(share)} of marketing's MQLs each {period}"
            yield Clause("marketing", "acceptance", period, share, text, "marketing.accepted")

    def _first_touch(self) -> Iterator[Clause]:
        if (touch := self.sales.first_touch) is not None:
            share, within, period = touch.for_at_least, touch.within, self.period
            text = (
                f"Sales makes first touch within {business_words(within)} for at least "
                f"{_pct(share)} of MQLs each {period}"
            )
            yield Clause("sales", "first_touch", period, share, text, "sales.first_touch", within)

    def _attempts(self) -> Iterator[Clause]:
        if (attempts := self.sales.attempts) is not None:
            k, over, share = attempts.at_least, attempts.over, attempts.for_at_least
            text = f"Sales makes at least {k} attempt{'s' if k > 1 else ''}"
            text += f" over {business_words(over)}" if over else ""
            text += " on " + ("every MQL" if share == 1 else f"{_pct(share)} of the MQLs")
            text += f" it has not reached each {self.period}"
            clause = Clause("sales", "attempts", self.period, share, text, "sales.attempts")
            yield dataclasses.replace(clause, attempts=k, over=over)

    # -- where things are -------------------------------------------------------------------
    def scenario_file(self) -> Path:
        """The scenario: a file beside the proposal, any other path, or a bundled name."""
        return scenario_path(self.scenario, self._base)

    def baseline_policy(self) -> str | None:
        """The baseline as ``resolve`` takes it: a policy name, or a file beside the proposal."""
        policy = self.baseline
        if policy is None or not policy.endswith((".yaml", ".yml")) or self._base is None:
            return policy
        return policy if Path(policy).is_absolute() else str(self._base / policy)

    def resolve(self) -> tuple[dict[str, Any], Scenario]:
        """The scenario under the proposal's overlay (on the scenario's base), then ``set``."""
        return resolve(self.scenario_file(), None, {**self.overlay(), **self.set})


def attempt_spacing(attempts: int, over: str | None) -> str | None:
    """The spacing that fits ``attempts`` into ``over``, first to last, in ``over``'s unit.

    ``None`` when there is nothing to space (one attempt, or no window).
    """
    if over is None or attempts < 2:
        return None
    text = over.strip()
    value, unit = float(text[:-1]), text[-1]
    return f"{value / (attempts - 1):.6g}{unit}"


def business_words(text: str) -> str:
    """``"4h"`` as "4 business hours", ``"1d"`` as "1 business day"."""
    value, unit = float(text.strip()[:-1]), text.strip()[-1]
    word = UNIT_WORDS[unit] + ("" if value == 1 else "s")
    return f"{_number(value)} business {word}"


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.4g}"


def _pct(share: float) -> str:
    return f"{share * 100:.4g}%"
