"""Published benchmarks next to what a scenario simulates: the calibration table.

A scenario's defaults are only as credible as the public figures they reproduce. Each anchor
below pairs a published figure with the same quantity measured on simulated runs, computed
from the ledger the way the source defines it (as far as a model can), and a pass band wide
enough for the difference between one company and a survey average. The table is plain data;
rendering it belongs to the CLI (``funnelsim calibrate``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from funnelsim.base.calendar import Calendar
from funnelsim.record.ledger import OPP, SPELL
from funnelsim.runner import RunResult, simulate
from funnelsim.scenario.schema import Scenario

__all__ = [
    "ANCHORS",
    "COLUMNS",
    "Anchor",
    "calibration_table",
    "decay_probe",
    "forecast_outcomes",
    "measure",
    "readiness_shares",
    "response_decay",
    "stage_rate",
    "won_cycle",
]

COLUMNS = (
    "anchor",
    "published",
    "published_value",
    "low",
    "high",
    "simulated",
    "unit",
    "source",
    "note",
)
"""Columns of the table; ``low`` and ``high`` bound the band a calibrated scenario falls in."""

DAYS_PER_MONTH = 365.25 / 12
NO_DECISION = ("no_decision", "abandoned", "stalled")
"""Opportunity outcomes that count as "no decision": the buyer decided nothing, or went dark."""


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
_BRIDGE = "Bridge Group SaaS AE reports, 2017"
_CSO = "CSO Insights sales performance studies, 2016-2019"
_WATERFALL = "practitioner waterfall benchmarks (no universal benchmark: Forrester)"
_NURTURED = "leads of nurtured sources only"
_MARKETING = _NURTURED + ": prospected leads count as MQLs at hand-off"

ANCHORS: tuple[Anchor, ...] = (
    Anchor(
        "response_decay",
        "contact within 1h ~7x likelier to qualify than 1h later, >60x than after 24h",
        60.0,
        3.0,
        math.inf,
        "ratio",
        _HBR,
        "SQL rate of MQLs first touched within 1 business hour over those first touched "
        "after 1 working day (24 calendar hours); pass: several times",
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
        "share of the not-yet group whose buying window opens within 11 months of capture",
    ),
    Anchor(
        "mid_market_median_cycle",
        "median cycle 60 days at 25k ACV, 72 days at 35k",
        math.nan,
        50.0,
        85.0,
        "days",
        _BRIDGE,
        "mid-market opportunities won in the window: opened to closed won",
    ),
    Anchor(
        "mid_market_median_won_deal",
        "median ACV 25-35 thousand",
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
)


# -- measures: pure functions of frames ----------------------------------------------------
def response_decay(
    spells: pd.DataFrame, calendar: Calendar, early: float = 1 / 24, late: float = 1 / 3
) -> float:
    """SQL rate of MQLs first touched within ``early`` over those first touched after ``late``.

    Delays, ``early`` and ``late`` are business time in days of open time (the defaults are an
    hour and an eight-hour working day), so a lead that arrives at night is not counted late.
    Prospected leads have no MQL moment and open spells no outcome yet; both are left out.
    NaN when either group is empty or never qualifies.
    """
    done = spells[~spells["prospect"].to_numpy() & (spells["outcome"] != SPELL["open"])]
    touched = done["first_touch_at"].to_numpy()
    delay = calendar.business_array(touched) - calendar.business_array(done["mql_at"].to_numpy())
    sql = done["outcome"].to_numpy() == SPELL["sql"]
    fast, slow = delay <= early + 1e-12, delay > late
    if not fast.any() or not slow.any() or not sql[slow].any():
        return math.nan
    return float(sql[fast].mean() / sql[slow].mean())


def readiness_shares(
    leads: pd.DataFrame, min_fit: float, within: float = 11 * DAYS_PER_MONTH
) -> dict[str, float]:
    """Shares of leads sales-ready, not yet ready and unqualified at capture.

    ``leads`` has columns fit, created and buy_start (days). Ready means in market (the
    buying window has opened) and fit at least ``min_fit``, the bar SDRs disqualify below.
    ``in_market_within`` is the share of the not-yet group whose window opens within
    ``within`` days of capture.
    """
    fit_ok = leads["fit"].to_numpy() >= min_fit
    wait = leads["buy_start"].to_numpy() - leads["created"].to_numpy()
    in_market = wait <= 0
    not_yet = fit_ok & ~in_market
    n = len(leads)
    return {
        "ready": _share(fit_ok & in_market, n),
        "not_yet": _share(not_yet, n),
        "unqualified": _share(~fit_ok, n),
        "in_market_within": _share(not_yet & (wait <= within), int(not_yet.sum())),
    }


def forecast_outcomes(opps: pd.DataFrame, stages: np.ndarray) -> dict[str, float]:
    """Won, lost and no-decision shares of deals that entered their last stage.

    ``stages`` is each opportunity's number of stages (its segment's). A deal entered the last
    stage once it passed all the others; won deals passed that one too. Only closed deals
    count; a dark or stalled deal is a no decision, as a forecast sees it.
    """
    outcome = opps["outcome"].to_numpy()
    forecast = (opps["stages_passed"].to_numpy() >= np.asarray(stages) - 1) & (
        outcome != OPP["open"]
    )
    n = int(forecast.sum())
    no_decision = np.isin(outcome, [OPP[name] for name in NO_DECISION])
    return {
        "won": _share(forecast & (outcome == OPP["won"]), n),
        "lost": _share(forecast & (outcome == OPP["lost"]), n),
        "no_decision": _share(forecast & no_decision, n),
    }


def won_cycle(opps: pd.DataFrame) -> tuple[float, float]:
    """Median days from opening to closing won, and median value, of the won deals given."""
    won = opps[opps["outcome"] == OPP["won"]]
    if won.empty:
        return math.nan, math.nan
    days = won["resolved_at"] - won["opened_at"]
    return float(days.median()), float(won["value"].median())


def stage_rate(by_source: pd.DataFrame, sources: Iterable[str], frm: str, to: str) -> float:
    """Pooled conversion between two waterfall counts over the given sources."""
    rows = by_source.loc[list(sources)]
    return _share(float(rows[to].sum()), float(rows[frm].sum()))


def _share(part: np.ndarray | float, whole: float) -> float:
    count = float(np.sum(part)) if isinstance(part, np.ndarray) else float(part)
    return count / whole if whole else math.nan


# -- one seed ------------------------------------------------------------------------------
def decay_probe(scenario: Scenario, headcount_share: float = 0.6) -> Scenario:
    """The scenario with no enforced SLA and a thinner SDR desk, for the decay anchor.

    An enforced one-hour SLA touches nearly every MQL fast, and an ample desk never lets one
    wait a day: either leaves one side of the comparison empty. Unenforced, with about
    ``headcount_share`` of the SDRs, first touches spread from minutes to days.
    """
    sdr = scenario.sdr.model_copy(
        update={"headcount": max(1, math.ceil(scenario.sdr.headcount * headcount_share))}
    )
    sla = scenario.sla.model_copy(update={"enforced": False})
    return scenario.model_copy(update={"sdr": sdr, "sla": sla})


def _in_window(result: RunResult, times: pd.Series) -> np.ndarray:
    horizon = result.scenario.horizon
    t = times.to_numpy()
    return (t >= horizon.warmup) & (t < horizon.length)


def measure(result: RunResult, probe: RunResult | None = None) -> dict[str, float]:
    """Every anchor's simulated figure from one run (and its decay probe run)."""
    scenario = result.scenario
    out: dict[str, float] = {}
    if probe is not None:
        cal = Calendar.from_spec(probe.scenario.calendar, probe.scenario.start_date)
        out["response_decay"] = response_decay(
            probe.ledger.spell_frame(), cal, cal.open_time("1h"), cal.open_time("1d")
        )
    nurtured = [name for name, s in scenario.sources.items() if not s.skips_nurture]
    ledger = result.ledger
    frame = pd.DataFrame(
        {"fit": ledger.fit, "created": ledger.created, "buy_start": ledger.buy_start}
    )
    codes = [list(scenario.sources).index(name) for name in nurtured]
    shares = readiness_shares(frame[np.isin(ledger.source, codes)], scenario.sdr.min_fit)
    out["ready_at_capture"] = shares["ready"]
    out["not_yet_ready_at_capture"] = shares["not_yet"]
    out["unqualified_at_capture"] = shares["unqualified"]
    out["not_yet_in_market_within_11_months"] = shares["in_market_within"]

    opps = ledger.opp_frame()
    closed = opps[_in_window(result, opps["resolved_at"])]
    segment = ledger.segment[closed["lead"].to_numpy()]
    names = list(scenario.segments)
    if "mid_market" in names:
        days, value = won_cycle(closed[segment == names.index("mid_market")])
    else:
        days = value = math.nan
    out["mid_market_median_cycle"] = days
    out["mid_market_median_won_deal"] = value
    stages = np.array([len(s.stages) for s in scenario.segments.values()])[segment]
    split = forecast_outcomes(closed, stages)
    out["forecast_won"] = split["won"]
    out["forecast_lost"] = split["lost"]
    out["forecast_no_decision"] = split["no_decision"]

    by_source = result.by_source
    out["inquiry_to_mql"] = stage_rate(by_source, nurtured, "leads", "mqls")
    out["mql_to_sal"] = stage_rate(by_source, nurtured, "mqls", "sals")
    out["sal_to_sql"] = stage_rate(by_source, nurtured, "sals", "sqls")
    figures = result.summary["metrics"]
    out["sql_to_won"] = _share(figures["wins"], figures["sqls"])
    out["win_rate"] = figures["win_rate"]
    return out


# -- the table -----------------------------------------------------------------------------
def calibration_table(
    scenario: Scenario,
    seeds: Sequence[int] = (1, 2, 3),
    probe: Scenario | None = None,
) -> pd.DataFrame:
    """One row per anchor: the published figure, its band, and the mean over ``seeds``.

    ``scenario`` may be policy-resolved. The response-decay anchor is measured on ``probe``,
    by default :func:`decay_probe` of the scenario (no enforced SLA, fewer SDRs), because
    it needs MQLs first touched both within the hour and after a day.
    """
    probe = decay_probe(scenario) if probe is None else probe
    runs = [measure(simulate(scenario, seed), simulate(probe, seed)) for seed in seeds]
    simulated = pd.DataFrame(runs).mean(skipna=True)
    note = (
        f"measured with sla.enforced=false and sdr.headcount={probe.sdr.headcount} "
        f"(scenario: {scenario.sdr.headcount}) so that delays vary; "
    )
    rows = [
        {
            "anchor": a.name,
            "published": a.published,
            "published_value": a.value,
            "low": a.low,
            "high": a.high,
            "simulated": float(simulated.get(a.name, math.nan)),
            "unit": scenario.currency if a.unit == "currency" else a.unit,
            "source": a.source,
            "note": (note if a.name == "response_decay" else "") + a.note,
        }
        for a in ANCHORS
    ]
    return pd.DataFrame(rows, columns=list(COLUMNS))
