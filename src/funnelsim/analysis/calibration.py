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

import numpy as np
import pandas as pd

from funnelsim.analysis.anchors import ANCHORS, Anchor
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
    "won_opportunity_age",
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
    opened = np.isfinite(opps["opened_at"].to_numpy())  # not SQLs that never became deals
    forecast = (opps["stages_passed"].to_numpy() >= np.asarray(stages) - 1) & (
        outcome != OPP["open"]
    )
    forecast &= opened
    n = int(forecast.sum())
    no_decision = np.isin(outcome, [OPP[name] for name in NO_DECISION])
    return {
        "won": _share(forecast & (outcome == OPP["won"]), n),
        "lost": _share(forecast & (outcome == OPP["lost"]), n),
        "no_decision": _share(forecast & no_decision, n),
    }


def won_opportunity_age(opps: pd.DataFrame) -> tuple[float, float]:
    """Median age at close of the won deals given (days from opening to closing won), and
    their median value: the published "sales cycle" starts at the opportunity."""
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
    # The run's own captures: the history's leads at time zero are those not yet promoted.
    captured = np.isin(ledger.source, codes) & (ledger.created >= 0)
    shares = readiness_shares(frame[captured], scenario.sdr.min_fit)
    out["ready_at_capture"] = shares["ready"]
    out["not_yet_ready_at_capture"] = shares["not_yet"]
    out["unqualified_at_capture"] = shares["unqualified"]
    out["not_yet_in_market_within_11_months"] = shares["in_market_within"]

    opps = ledger.opp_frame()
    closed = opps[_in_window(result, opps["resolved_at"])]
    segment = ledger.segment[closed["lead"].to_numpy()]
    names = list(scenario.segments)
    if "mid_market" in names:
        days, value = won_opportunity_age(closed[segment == names.index("mid_market")])
    else:
        days = value = math.nan
    out["mid_market_median_won_opportunity_age"] = days
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
    out["sql_to_opportunity"] = figures["conversion_sql_to_opportunity"]
    out["sql_to_won"] = _share(figures["wins"], figures["sqls"])
    out["win_rate"] = figures["win_rate"]
    out["ae_bookings_per_year"] = figures["bookings_per_ae_year"]
    out["quota_attainment"] = figures["quota_attainment"]
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
