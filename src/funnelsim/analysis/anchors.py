"""The published benchmarks a scenario is calibrated against, with the band each must fall in.

Plain data: :mod:`funnelsim.analysis.calibration` measures the same quantities on simulated
runs and sets them side by side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Anchor:
    """A published figure and the band a simulated figure should fall in to match it."""

    name: str
    published: str
    value: float
    low: float
    high: float
    unit: str
    source: str
    note: str = ""


_HBR = 'Oldroyd, McElheran, Elkington, "The Short Life of Online Sales Leads", HBR, March 2011'
_JG = "Johnny Grow lead nurture research"
_BRIDGE = (
    "Bridge Group 2017 SaaS AE report (384 firms: 60 days, 25k); "
    "Bridge Group 2017 Inside Sales AE report (266 firms: 72 days, 35k)"
)
_VELOCIFY = "Velocify call-attempt research, as widely cited"
_CSO = "CSO Insights sales performance studies, 2016-2019"
_WATERFALL = "practitioner waterfall benchmarks (no universal benchmark: Forrester)"
_BENCHSIGHTS = "BenchSights AE quota and attainment benchmarks (83 members, mostly 2020)"
_NURTURED = "leads of nurtured sources only"
_MARKETING = _NURTURED + ": prospected leads count as MQLs at hand-off"

_AUDIT = "test leads sent in the working day; measured under the scenario's misaligned policy"
_CADENCE = "measured with sla.enforced=true and 12 attempts, so that every lead gets them all"
_DECAY = "measured with sla.enforced=false and a thinner desk, so that first touches spread"

ANCHORS: tuple[Anchor, ...] = (
    Anchor(
        "response_decay_next_hour",
        "first attempt within 1h nearly 7x as likely to qualify the lead as one an hour later",
        7.0,
        5.0,
        10.0,
        "ratio",
        _HBR,
        "share of MQLs whose buyer was ever reached, first touched within 1 business hour over "
        "those first touched 1-2 business hours in; " + _DECAY,
    ),
    Anchor(
        "response_decay_day",
        "within 1h more than 60x as likely to qualify as after 24 hours or more",
        60.0,
        45.0,
        math.inf,
        "ratio",
        _HBR,
        "as above, over those first touched a working day (24 calendar hours) or more in; the "
        "band opens at 45 for the noise of a rate near 1%; " + _DECAY,
    ),
    *(
        Anchor(
            f"response_{bucket}",
            published,
            value,
            round(value - 0.10, 2),
            round(value + 0.10, 2),
            "share",
            _HBR,
            "marketing's MQLs arriving while the desk is open, wall-clock hours; " + _AUDIT,
        )
        for bucket, value, published in (
            ("within_1h", 0.37, "37% of 2,241 firms answered a web lead within an hour"),
            ("1h_to_24h", 0.16, "16% answered within 1-24 hours"),
            ("over_24h", 0.24, "24% answered after more than 24 hours"),
            ("never", 0.23, "23% never answered (within 30 days)"),
        )
    ),
    *(
        Anchor(
            f"contact_by_attempt_{k}",
            f"{value:.0%} of leads ever contacted were contacted by attempt {k}",
            value,
            round(value - 0.10, 2),
            min(round(value + 0.10, 2), 1.0),
            "share",
            _VELOCIFY,
            "marketing's MQLs whose buyer was reached: share reached by this attempt; " + _CADENCE,
        )
        for k, value in ((1, 0.48), (2, 0.70), (6, 0.93))
    ),
    Anchor(
        "ready_at_capture",
        "26% of leads sales-ready at capture",
        0.26,
        0.16,
        0.36,
        "share",
        _JG,
        "in market and fit >= sdr.min_fit at capture; " + _NURTURED,
    ),
    Anchor(
        "not_yet_ready_at_capture",
        "49% qualified but not yet ready",
        0.49,
        0.39,
        0.59,
        "share",
        _JG,
        "fit >= sdr.min_fit, not in market at capture",
    ),
    Anchor(
        "unqualified_at_capture",
        "25% unqualified",
        0.25,
        0.15,
        0.35,
        "share",
        _JG,
        "fit < sdr.min_fit at capture",
    ),
    Anchor(
        "not_yet_in_market_within_11_months",
        "72% of the not-yet group ready within 6-11 months",
        0.72,
        0.62,
        0.82,
        "share",
        _JG,
        "of the not-yet group still in nurture (simulated opt-outs, a touch every "
        "nurture.touch_every) when its window opened or 11 months passed: the share whose "
        "window opened within 11 months of capture",
    ),
    Anchor(
        "mid_market_median_won_opportunity_age",
        "median sales cycle (opportunity opened to won) 60 days at 25k ACV (SaaS AE report); "
        "72 days at a 35k selling price (Inside Sales AE report)",
        math.nan,
        50.0,
        85.0,
        "days",
        _BRIDGE,
        "mid-market opportunities won in the window: opened to closed won",
    ),
    Anchor(
        "mid_market_median_won_deal",
        "median ACV 25k (SaaS AE report); selling price 35k (Inside Sales AE report)",
        math.nan,
        22_000.0,
        42_000.0,
        "currency",
        _BRIDGE,
        "mid-market opportunities won in the window",
    ),
    Anchor(
        "forecast_won",
        "47% of forecast deals won",
        0.47,
        0.37,
        0.57,
        "share",
        _CSO,
        "deals closed in the window that entered their segment's last stage",
    ),
    Anchor(
        "forecast_lost",
        "30% lost (to a competitor)",
        0.30,
        0.20,
        0.40,
        "share",
        _CSO,
        "as above; outcome lost",
    ),
    Anchor(
        "forecast_no_decision",
        "23% no decision",
        0.23,
        0.13,
        0.33,
        "share",
        _CSO,
        "as above; no decision, or the buyer went dark (abandoned, stalled)",
    ),
    Anchor(
        "inquiry_to_mql",
        "inquiry to MQL 10-35%",
        math.nan,
        0.10,
        0.35,
        "share",
        _WATERFALL,
        "cohort of the window; " + _MARKETING,
    ),
    Anchor(
        "mql_to_sal",
        "MQL to SAL 40-85%",
        math.nan,
        0.40,
        0.85,
        "share",
        _WATERFALL,
        "cohort of the window; " + _MARKETING,
    ),
    Anchor(
        "sal_to_sql",
        "SAL to SQL 13-70% (wide)",
        math.nan,
        0.13,
        0.70,
        "share",
        _WATERFALL,
        "cohort of the window; " + _MARKETING,
    ),
    Anchor(
        "sql_to_opportunity",
        "SQL to opportunity 40-80%",
        math.nan,
        0.40,
        0.80,
        "share",
        _WATERFALL,
        "cohort of the window: SQLs an AE accepted and opened (summary metric "
        "conversion_sql_to_opportunity)",
    ),
    Anchor(
        "sql_to_won",
        "SQL to won 15-30%",
        math.nan,
        0.15,
        0.30,
        "share",
        _WATERFALL,
        "cohort of the window, all sources (summary metrics sqls and wins)",
    ),
    Anchor(
        "win_rate",
        "win rate of all opportunities 19-29%",
        math.nan,
        0.19,
        0.29,
        "share",
        "Ebsta x Pavilion B2B sales benchmarks",
        "opportunities closed in the window, any outcome (summary metric win_rate)",
    ),
    Anchor(
        "ae_bookings_per_year",
        "AE quota: median 750k, average 955k of yearly bookings",
        750_000.0,
        450_000.0,
        955_000.0,
        "currency",
        _BENCHSIGHTS,
        "bookings in the window per AE, per year; the band runs from 60% of the median quota "
        "to the average quota",
    ),
    Anchor(
        "quota_attainment",
        "median share of quota capacity achieved 66-87%; average attainment 47% (Forrester)",
        math.nan,
        0.45,
        0.95,
        "share",
        _BENCHSIGHTS,
        "bookings per AE per year over sales.quota_per_ae",
    ),
)
