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
from funnelsim.record.ledger import OPP, REASON, SPELL, STATE
from funnelsim.runner import RunResult, simulate
from funnelsim.scenario.schema import Scenario

__all__ = [
    "ANCHORS",
    "COLUMNS",
    "Anchor",
    "audit_probe",
    "cadence_probe",
    "calibration_table",
    "contact_by_attempt",
    "conversation_ratios",
    "decay_probe",
    "forecast_outcomes",
    "measure",
    "readiness_shares",
    "response_buckets",
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
REACHED = [SPELL[name] for name in ("sql", "rejected", "disqualified")]
"""Spell outcomes that mean a conversation with the buyer: what the decay studies call contact."""


def _marketing(spells: pd.DataFrame) -> pd.DataFrame:
    """Spells of marketing's MQLs with an outcome: prospects have no MQL moment."""
    return spells[~spells["prospect"].to_numpy() & (spells["outcome"] != SPELL["open"])]


def conversation_ratios(
    spells: pd.DataFrame, calendar: Calendar, hour: float, day: float
) -> dict[str, float]:
    """How much likelier a buyer is reached when the first touch comes within an hour.

    The share of MQLs whose buyer the desk ever spoke to, first touched within ``hour`` of
    business time, over the share for those first touched one to two hours in
    (``next_hour``), and over those first touched ``day`` or more in (``day``). NaN where a
    group is empty or never reached.
    """
    done = _marketing(spells)
    delay = calendar.business_array(done["first_touch_at"].to_numpy()) - calendar.business_array(
        done["mql_at"].to_numpy()
    )
    reached = np.isin(done["outcome"].to_numpy(), REACHED)
    fast = delay <= hour + 1e-12
    groups = {"next_hour": (delay > hour + 1e-12) & (delay <= 2 * hour), "day": delay >= day}
    out = {}
    for name, slow in groups.items():
        ok = fast.any() and slow.any() and reached[slow].any()
        out[name] = float(reached[fast].mean() / reached[slow].mean()) if ok else math.nan
    return out


def response_buckets(spells: pd.DataFrame, calendar: Calendar, since: float, until: float):
    """Shares of MQLs first touched within an hour, in 1-24 hours, later, or never.

    Wall-clock hours, as the audit timed its test leads, of marketing's MQLs that arrived
    while the desk was open (a test lead sent in the working day) between ``since`` and
    ``until``. ``until`` should leave ``sdr.max_queue_age`` before the end of the run, so
    that every one was touched or aged out: an untouched MQL still waiting is not counted.
    """
    mql = spells["mql_at"].to_numpy()
    keep = (
        ~spells["prospect"].to_numpy() & (mql >= since) & (mql < until) & calendar.open_array(mql)
    )
    rows = spells[keep]
    hours = (rows["first_touch_at"].to_numpy() - rows["mql_at"].to_numpy()) * 24.0
    never = rows["outcome"].to_numpy() == SPELL["never_worked"]
    n = len(rows)
    return {
        "within_1h": _share(hours <= 1.0, n),
        "1h_to_24h": _share((hours > 1.0) & (hours <= 24.0), n),
        "over_24h": _share(hours > 24.0, n),
        "never": _share(never, n),
    }


def contact_by_attempt(spells: pd.DataFrame, attempts: Sequence[int] = (1, 2, 6)):
    """Of marketing's MQLs whose buyer was reached, the share reached by each attempt."""
    done = _marketing(spells)
    made = done["attempts"].to_numpy()[np.isin(done["outcome"].to_numpy(), REACHED)]
    return {k: _share(made <= k, len(made)) for k in attempts}


def readiness_shares(
    leads: pd.DataFrame, min_fit: float, within: float = 11 * DAYS_PER_MONTH
) -> dict[str, float]:
    """Shares of leads sales-ready, not yet ready and unqualified at capture.

    ``leads`` has columns fit, created and buy_start (days), and optionally unsubscribed_at
    (when the lead opted out of nurture; absent or inf if it never did). Ready means in market
    (the buying window has opened) and fit at least ``min_fit``, the bar SDRs disqualify
    below. ``in_market_within`` is the share of the not-yet group nurture carried to
    readiness within ``within`` days of capture (its window opened by then), of those it
    nurtured until then: a lead that opted out first was not nurtured to the end.
    """
    fit_ok = leads["fit"].to_numpy() >= min_fit
    wait = leads["buy_start"].to_numpy() - leads["created"].to_numpy()
    in_market = wait <= 0
    not_yet = fit_ok & ~in_market
    ready_by = np.minimum(leads["buy_start"].to_numpy(), leads["created"].to_numpy() + within)
    if "unsubscribed_at" in leads:
        nurtured = ready_by < leads["unsubscribed_at"].to_numpy()
    else:
        nurtured = np.ones(len(leads), dtype=bool)
    n = len(leads)
    return {
        "ready": _share(fit_ok & in_market, n),
        "not_yet": _share(not_yet, n),
        "unqualified": _share(~fit_ok, n),
        "in_market_within": _share(
            not_yet & nurtured & (wait <= within), int((not_yet & nurtured).sum())
        ),
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
    """The scenario with no enforced SLA and a thinner SDR desk, for the decay anchors.

    An enforced one-hour SLA touches nearly every MQL fast, and an ample desk never lets one
    wait a day: either leaves one side of the comparison empty. Unenforced, with about
    ``headcount_share`` of the SDRs, first touches spread from minutes to days.
    """
    sdr = scenario.sdr.model_copy(
        update={"headcount": max(1, math.ceil(scenario.sdr.headcount * headcount_share))}
    )
    return _with(scenario, sdr=sdr, sla=scenario.sla.model_copy(update={"enforced": False}))


def cadence_probe(scenario: Scenario, attempts: int = 12) -> Scenario:
    """The scenario with an enforced SLA and at least ``attempts`` attempts per lead.

    The dialing studies count, of the leads ever contacted, those contacted by each attempt:
    every lead must get the whole cadence, so effort is held full (an enforced SLA) and the
    cadence is long enough that "ever" means something.
    """
    sdr = scenario.sdr.model_copy(update={"attempts": max(attempts, scenario.sdr.attempts)})
    return _with(scenario, sdr=sdr, sla=scenario.sla.model_copy(update={"enforced": True}))


def audit_probe(scenario: Scenario) -> Scenario:
    """The scenario with no enforced SLA: a desk left to its own devices, as the audit found.

    Used for the response anchors when no misaligned policy is given (see
    :func:`calibration_table`).
    """
    return _with(scenario, sla=scenario.sla.model_copy(update={"enforced": False}))


def _with(scenario: Scenario, **sections) -> Scenario:
    return scenario.model_copy(update=sections)


def _calendar(result: RunResult) -> Calendar:
    return Calendar.from_spec(result.scenario.calendar, result.scenario.start_date)


def _in_window(result: RunResult, times: pd.Series) -> np.ndarray:
    horizon = result.scenario.horizon
    t = times.to_numpy()
    return (t >= horizon.warmup) & (t < horizon.length)


def measure(
    result: RunResult,
    decay: RunResult | None = None,
    cadence: RunResult | None = None,
    audit: RunResult | None = None,
) -> dict[str, float]:
    """Every anchor's simulated figure from one run and its probes' runs."""
    scenario = result.scenario
    out: dict[str, float] = {}
    if decay is not None:
        cal = _calendar(decay)
        ratios = conversation_ratios(
            decay.ledger.spell_frame(), cal, cal.open_time("1h"), cal.open_time("1d")
        )
        out["response_decay_next_hour"] = ratios["next_hour"]
        out["response_decay_day"] = ratios["day"]
    if audit is not None:
        horizon, age = audit.scenario.horizon, audit.scenario.sdr.max_queue_age
        buckets = response_buckets(
            audit.ledger.spell_frame(), _calendar(audit), horizon.warmup, horizon.length - age
        )
        out.update({f"response_{name}": share for name, share in buckets.items()})
    if cadence is not None:
        shares = contact_by_attempt(cadence.ledger.spell_frame())
        out.update({f"contact_by_attempt_{k}": share for k, share in shares.items()})
    nurtured = [name for name, s in scenario.sources.items() if not s.skips_nurture]
    ledger = result.ledger
    unsubscribed = (ledger.state == STATE["leaked"]) & (ledger.reason == REASON["unsubscribed"])
    frame = pd.DataFrame(
        {
            "fit": ledger.fit,
            "created": ledger.created,
            "buy_start": ledger.buy_start,
            "unsubscribed_at": np.where(unsubscribed, ledger.state_at, np.inf),
        }
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
    audit: Scenario | None = None,
) -> pd.DataFrame:
    """One row per anchor: the published figure, its band, and the mean over ``seeds``.

    ``scenario`` may be policy-resolved. Three anchors need a desk run otherwise: the decay
    anchors are measured on ``probe`` (by default :func:`decay_probe`: no enforced SLA, fewer
    SDRs), the contact-by-attempt anchors on :func:`cadence_probe` (every lead gets twelve
    attempts), and the response-time anchors on ``audit``, the scenario under its misaligned
    policy (by default :func:`audit_probe`: the scenario with no enforced SLA).
    """
    probes = {
        "decay": decay_probe(scenario) if probe is None else probe,
        "cadence": cadence_probe(scenario),
        "audit": audit_probe(scenario) if audit is None else audit,
    }
    runs = [
        measure(
            simulate(scenario, seed),
            **{name: simulate(probed, seed) for name, probed in probes.items()},
        )
        for seed in seeds
    ]
    simulated = pd.DataFrame(runs).mean(skipna=True)
    notes = {
        "response_decay": f"sdr.headcount={probes['decay'].sdr.headcount} "
        f"(scenario: {scenario.sdr.headcount}); ",
        "response_": f"policy: {probes['audit'].policy or 'none'}; ",
    }
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
            "note": _note(a.name, notes) + a.note,
        }
        for a in ANCHORS
    ]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _note(anchor: str, notes: dict[str, str]) -> str:
    """What the run behind an anchor was, for the anchors measured on a probe."""
    return next((text for prefix, text in notes.items() if anchor.startswith(prefix)), "")
