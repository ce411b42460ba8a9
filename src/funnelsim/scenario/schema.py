"""The scenario: typed, frozen models of every section of a scenario file.

Unknown keys are errors (``extra="forbid"``), so a typo never silently falls back to a
default. Durations are strings with units (see :mod:`funnelsim.base.units`); durations on the
business clock (SLA response times, attempt spacing) count open time only, where ``1d`` is
one working day and ``1w`` one working week.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from funnelsim.base.distributions import Probability
from funnelsim.base.mapping import dotted
from funnelsim.base.strict import Frozen
from funnelsim.base.units import format_duration
from funnelsim.scenario.cost import Cost
from funnelsim.scenario.fields import (
    MAX_MULTIPLIER,
    MAX_OPEN_PER_AE,
    MAX_RATE_PER_WEEK,
    MAX_RECYCLES,
    BusinessDuration,
    DemandType,
    Duration,
    DurationDist,
    Money,
    MoneyDist,
    Staff,
    TimeZone,
    UnitDist,
    Weekday,
    When,
    not_before,
)
from funnelsim.scenario.horizon import Horizon
from funnelsim.scenario.judgment import Judgment, judgment_problems
from funnelsim.scenario.pipeline import Pipeline, inside_run
from funnelsim.scenario.staffing import Staffing, hires_from
from funnelsim.scenario.trust import Trust


class CalendarSpec(Frozen):
    """When the SDR desk works. ``always_open`` turns the business clock into the plain clock."""

    always_open: bool = False
    workdays: list[Weekday] = Field(default=["mon", "tue", "wed", "thu", "fri"], min_length=1)
    open_hour: float = Field(default=9.0, ge=0, le=24)
    close_hour: float = Field(default=17.0, ge=0, le=24)
    timezone: TimeZone = "UTC"

    @model_validator(mode="after")
    def _hours(self):
        if not self.open_hour < self.close_hour:
            raise ValueError(
                f"expected open_hour < close_hour, got {self.open_hour} and {self.close_hour}"
            )
        if len(set(self.workdays)) != len(self.workdays):
            raise ValueError("expected each workday once")
        return self


class Stage(Frozen):
    """One opportunity stage: how long it takes and how it ends.

    ``advance`` moves the deal on (or wins it, on the last stage); ``lost`` and
    ``no_decision`` close it; what is left goes dark: the buyer stops responding.
    """

    name: str
    duration: DurationDist
    advance: Probability
    lost: Probability = 0.0
    no_decision: Probability = 0.0

    @model_validator(mode="after")
    def _sums(self):
        total = self.advance + self.lost + self.no_decision
        if total > 1 + 1e-9:
            raise ValueError(f"expected advance + lost + no_decision <= 1, got {total:.4g}")
        return self


class Segment(Frozen):
    """A market segment: what its deals are worth and how they move."""

    deal_size: MoneyDist
    stages: list[Stage] = Field(min_length=1, max_length=30)
    buying_window: DurationDist | None = Field(
        default=None,
        description="how long a buyer in this segment stays in market; nurture's when omitted",
    )
    fit_effect: float = Field(
        default=0.0, description="change in the log-odds of advancing a stage per unit of fit"
    )
    sales_patience: DurationDist | None = Field(
        default=None,
        description="how long an SQL's buyer waits for an AE to take the deal before walking "
        "away (a judgment: no published figure); for ever when omitted",
    )


class Burst(Frozen):
    """A campaign: arrivals multiplied by ``factor`` for ``length`` from ``start``."""

    start: Duration
    length: Duration = Field(gt=0)
    factor: float = Field(gt=0, le=MAX_MULTIPLIER)


class RateChange(Frozen):
    """A source's weekly volume from a moment of the run on (a plan ahead: not its past)."""

    at: When
    rate_per_week: float = Field(ge=0, le=MAX_RATE_PER_WEEK)


class Source(Frozen):
    """Where leads come from, how many, what they are like and what they cost."""

    demand_type: DemandType
    rate_per_week: float = Field(ge=0, le=MAX_RATE_PER_WEEK)
    seasonality: list[Annotated[float, Field(ge=0, le=MAX_MULTIPLIER)]] | None = Field(
        default=None, min_length=12, max_length=12
    )
    bursts: list[Burst] = []
    rate_changes: list[RateChange] = []
    segment_mix: dict[str, Probability] = Field(min_length=1)
    cost_per_lead: Money = 0.0
    fit: UnitDist
    interest: UnitDist
    in_market: Probability = Field(description="share of leads already buying at capture")
    route: Literal["nurture", "sdr"] | None = None

    @property
    def skips_nurture(self) -> bool:
        """Prospected leads (outbound, tele) go straight to the SDR desk unless told otherwise."""
        if self.route is not None:
            return self.route == "sdr"
        return self.demand_type in ("outbound", "tele")

    @field_validator("segment_mix")
    @classmethod
    def _mix(cls, mix: dict[str, float]) -> dict[str, float]:
        if abs(sum(mix.values()) - 1) > 1e-6:
            raise ValueError(f"expected shares that sum to 1, got {sum(mix.values()):.4g}")
        return mix


class Engagement(Frozen):
    """Chance that a nurture touch engages the lead, by whether the buyer is in market."""

    in_market: Probability
    not_in_market: Probability


class BuyingWindow(Frozen):
    """The latent buying window: when a lead not yet in market enters it, and for how long.

    A segment may set its own ``buying_window`` length: enterprise buyers stay in market longer.
    """

    start: DurationDist
    length: DurationDist


class Nurture(Frozen):
    """Marketing nurture: touches on a cadence, engagement lifts interest, silence decays it."""

    touch_every: Duration
    engage: Engagement
    interest_gain: Probability = Field(description="share of the gap to 1 closed per engagement")
    interest_half_life: Duration = Field(gt=0)
    unsubscribe: Probability = Field(description="chance per touch that the lead opts out")
    buying_window: BuyingWindow

    @field_validator("touch_every")
    @classmethod
    def _cadence(cls, days: float) -> float:
        if days < 1 / 24:
            raise ValueError(f"expected at least 1h between touches, got {format_duration(days)}")
        return days


class ClosedLoop(Frozen):
    """Periodic joint review that re-tunes the MQL threshold from what the last period showed.

    Two signals, each used when its target is set: capacity (the share of MQLs first touched
    within the SLA response time) and quality (the share of accepted MQLs that qualified).
    Each shortfall raises the threshold, each surplus lowers it.
    """

    enabled: bool = False
    review_every: Duration = Field(default=28.0, gt=0)
    target_sla_compliance: Probability | None = Field(
        default=0.8, description="target share of MQLs first touched within the response time"
    )
    target_sql_rate: Probability | None = Field(
        default=None, description="target share of accepted MQLs (SALs) that qualify as SQLs"
    )
    gain: float = Field(default=20.0, ge=0, description="threshold points per unit of rate gap")
    min_threshold: float = 0.0
    max_threshold: float = 100.0

    @model_validator(mode="after")
    def _bounds(self):
        if not self.min_threshold <= self.max_threshold:
            raise ValueError(
                f"expected min_threshold <= max_threshold, got {self.min_threshold} and "
                f"{self.max_threshold}"
            )
        return self


class Scoring(Frozen):
    """Lead score = fit_weight*fit + interest_weight*interest + noise; MQL at the threshold."""

    fit_weight: float = Field(default=50.0, ge=0)
    interest_weight: float = Field(default=50.0, ge=0)
    noise_sd: float = Field(default=5.0, ge=0)
    mql_threshold: float
    closed_loop: ClosedLoop = ClosedLoop()

    @model_validator(mode="after")
    def _threshold_in_review_range(self):
        loop = self.closed_loop
        if loop.enabled and not loop.min_threshold <= self.mql_threshold <= loop.max_threshold:
            raise ValueError(
                f"expected mql_threshold within the closed loop's range "
                f"[{loop.min_threshold}, {loop.max_threshold}], got {self.mql_threshold}"
            )
        return self


class Qualification(Frozen):
    """Chance that an accepted lead qualifies (SQL), by whether the buyer is in market."""

    in_market: Probability
    not_in_market: Probability


class Sdr(Frozen):
    """The SDR desk: who works MQLs, in what order, how hard, and how reaching buyers decays."""

    headcount: Staff
    queue: Literal["fifo", "score"] = "fifo"
    followups: Literal["first", "last"] = "first"
    work_time: DurationDist
    talk_time: DurationDist
    reach: dict[BusinessDuration, Probability] = Field(
        min_length=1,
        description="chance the buyer is still in play, by business time from MQL to first touch",
    )
    answer: UnitDist | None = Field(
        default=None,
        description="a buyer's chance of picking up any one attempt, drawn per spell; "
        "none: a buyer in play picks up the first",
    )
    outbound_reach: Probability = 0.1
    attempts: int = Field(ge=1, le=100, strict=True)
    attempt_spacing: BusinessDuration = "1d"
    max_queue_age: Duration = Field(default=30.0, gt=0)
    put_off: Probability = Field(
        default=0.0,
        description="share of new MQLs a desk held to no enforced SLA puts off for later "
        "(for trust.max_delay on average); distrust puts off more",
    )
    min_fit: Probability = 0.0
    qualify: Qualification
    trust: Trust = Trust()
    staffing: Staffing = Staffing()


class Sales(Frozen):
    """Account executives: a cap on open opportunities each; stall and abandonment clocks."""

    ae_count: Staff
    max_open_per_ae: int = Field(ge=1, le=MAX_OPEN_PER_AE, strict=True)
    stall_after: Duration = Field(gt=0)
    abandon_after: Duration = Field(gt=0)
    acceptance: Probability = Field(
        default=1.0,
        description="share of SQLs an AE accepts as opportunities; the rest are declined and "
        "handled as rejected leads (recycle.rejected)",
    )
    quota_per_ae: Money | None = Field(
        default=None, description="one AE's yearly bookings quota, for quota attainment"
    )
    staffing: Staffing = Staffing()


class RecycleRule(Frozen):
    enabled: bool = False
    delay: Duration = 30.0


class Recycle(Frozen):
    """Which outcomes return a lead to nurture, after what delay, at most how many times."""

    rejected: RecycleRule = RecycleRule()
    unreachable: RecycleRule = RecycleRule()
    stalled: RecycleRule = RecycleRule()
    lost: RecycleRule = RecycleRule()
    max_recycles: int = Field(default=3, ge=0, le=MAX_RECYCLES, strict=True)


class Sla(Frozen):
    """The response clause: first touch within ``response_time`` of business time."""

    response_time: BusinessDuration = "1h"
    enforced: bool = False


class Scenario(Frozen):
    """A whole scenario, after policy overlays and overrides have been applied."""

    name: str
    description: str = ""
    currency: str
    start_date: dt.date
    horizon: Horizon
    calendar: CalendarSpec = CalendarSpec()
    segments: dict[str, Segment] = Field(min_length=1)
    sources: dict[str, Source] = Field(min_length=1)
    nurture: Nurture
    scoring: Scoring
    sdr: Sdr
    sales: Sales
    recycle: Recycle = Recycle()
    sla: Sla = Sla()
    cost: Cost = Cost()
    judgment: dict[str, Judgment] = Field(
        default={}, description="parameters no published figure sets: range and reason, by key"
    )
    pipeline: Pipeline | None = Field(
        default=None, description="the deals open on a date inside the run (``--pipeline``)"
    )
    policies: dict[str, dict[str, Any]] = {}
    policy: str | None = Field(default=None, description="the policy applied, set by the loader")
    overrides: dict[str, Any] = Field(default={}, exclude=True, description="--set, by the loader")

    @field_validator("policies")
    @classmethod
    def _finite_overlays(cls, policies: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Policies are checked in full when applied; their numbers must be finite already."""
        try:
            json.dumps(policies, allow_nan=False, default=str)
        except ValueError:
            raise ValueError("expected finite numbers in every policy, not .nan or .inf") from None
        return policies

    @model_validator(mode="after")
    def _judged(self) -> Scenario:
        """Each judgment parameter is a key of the scenario, with a range of its kind (its value
        may lie outside: the range is where a reasonable company sits, not a limit)."""
        if self.judgment:
            skip = {"judgment", "policies", "pipeline"}
            data = self.model_dump(mode="json", by_alias=True, exclude=skip)
            problems = judgment_problems(self.judgment, dotted(data))
            if problems:
                raise ValueError("; ".join(problems))
        return self

    @field_validator("pipeline")
    @classmethod
    def _pipeline_inside(cls, pipeline: Pipeline | None, info) -> Pipeline | None:
        """The pipeline's date falls inside the run: its deals need a day to open on."""
        return inside_run(pipeline, info.data.get("start_date"), info.data.get("horizon"))

    @field_validator("sdr", "sales")
    @classmethod
    def _hired_in_run(cls, team: Sdr | Sales, info) -> Sdr | Sales:
        hires_from(team.staffing, info.data.get("start_date"))
        return team

    @field_validator("sources")
    @classmethod
    def _changed_in_run(cls, sources: dict[str, Source], info) -> dict[str, Source]:
        for source in sources.values():
            not_before([c.at for c in source.rate_changes], info.data.get("start_date"), "changes")
        return sources

    @field_validator("currency")
    @classmethod
    def _currency(cls, code: str) -> str:
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise ValueError(f"expected a three-letter currency code such as USD, got {code!r}")
        return code
