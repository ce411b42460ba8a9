"""What an export says about a company's funnel, each figure with its sample size and interval.

Every estimate names the scenario key it sets (``sources.inbound.rate_per_week``) or, for the
figures the model makes rather than takes (conversion rates), the figure it reports. Deals still
open at the export are unfinished, never lost: a stage's outcomes are cumulative incidences
(Aalen-Johansen, open deals censored) and its duration a log-normal fitted with right
censoring (lifelines). Rates of thin groups are shrunk toward the pooled rate.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from funnelsim.analysis.fit.reading import CrmData
from funnelsim.record.cohorts import cumulative_incidence

DAY = pd.Timedelta(days=1)
WINDOW_WEEKS = 52
"""Arrivals are counted over the export's last year (or all of it, if shorter)."""
SEASON_WEEKS = 104
"""Seasonality needs two years of leads, and is read from the last two."""
MATURE_DAYS = 90
"""Conversion rates use leads old enough to have had the chance: created this long before the
export at least."""
RECENT_DAYS = 90
"""Headcounts are the owners at work in the export's last quarter."""
SPELL_GAP_DAYS = 30
"""Calls to the same lead this far apart belong to different cadences (it was recycled)."""
Z90 = stats.norm.ppf(0.9)


@dataclass(frozen=True)
class Estimate:
    """One fitted figure: the scenario key it sets (or the figure it reports), its value, the
    number behind it, a 95% interval of its headline number, and how it was found."""

    key: str
    value: Any
    n: int
    low: float | None
    high: float | None
    method: str
    sets: bool = True

    def headline(self) -> float | None:
        """The number the interval is about: the value, or a distribution's median."""
        if isinstance(self.value, int | float):
            return float(self.value)
        if isinstance(self.value, dict) and "lognormal" in self.value:
            return float(self.value["lognormal"]["median"])
        return None


def days_between(later: pd.Series | pd.Timestamp, earlier: pd.Series | pd.Timestamp):
    return (later - earlier) / DAY


def arrivals(data: CrmData) -> list[Estimate]:
    """Leads per week by source over the last year, with a Poisson interval; the segment mix
    of each source's leads; yearly seasonality by month where two years or more are seen."""
    leads = data.leads
    span = days_between(data.exported_at, leads["created"].min()) / 7
    weeks = min(WINDOW_WEEKS, span)
    recent = leads[leads["created"] > data.exported_at - pd.Timedelta(weeks=weeks)]
    out = []
    for source, group in recent.groupby("source", sort=True):
        n = len(group)
        low, high = _poisson(n)
        method = f"leads created in the export's last {weeks:.0f} weeks, per week"
        out.append(
            Estimate(
                f"sources.{source}.rate_per_week",
                round(n / weeks, 2),
                n,
                low / weeks,
                high / weeks,
                method,
            )
        )
        if group["segment"].notna().any():
            shares = group["segment"].value_counts(normalize=True).sort_index()
            mix = {str(k): round(float(v), 3) for k, v in shares.items() if v > 0}
            seen = int(group["segment"].notna().sum())
            out.append(
                Estimate(f"sources.{source}.segment_mix", mix, seen, None, None, "share of leads")
            )
        mine = leads[leads["source"] == source]
        if days_between(data.exported_at, mine["created"].min()) / 7 >= SEASON_WEEKS:
            season = _seasonality(mine, source, data.exported_at)
            out.extend([] if season is None else [season])
    return out


def _poisson(n: int) -> tuple[float, float]:
    """The exact 95% interval of a Poisson count."""
    low = stats.chi2.ppf(0.025, 2 * n) / 2 if n else 0.0
    return float(low), float(stats.chi2.ppf(0.975, 2 * n + 2) / 2)


def _seasonality(leads: pd.DataFrame, source: str, exported_at: pd.Timestamp) -> Estimate | None:
    """Each calendar month's leads per day over the mean, in the whole months of the export's
    last two years; None unless every calendar month is among them."""
    created = leads["created"]
    since = max(created.min(), exported_at - pd.Timedelta(weeks=SEASON_WEEKS))
    first = (since + pd.offsets.MonthBegin(1)).normalize()
    last = exported_at.normalize() - pd.offsets.MonthBegin(1)
    inside = created[(created >= first) & (created < last)]
    months = pd.date_range(first, last, freq="MS", inclusive="left")
    days = pd.Series([m.days_in_month for m in months], index=months.month).groupby(level=0).sum()
    counts = inside.dt.month.value_counts().reindex(range(1, 13), fill_value=0)
    if len(days) < 12:
        return None
    per_day = counts / days.reindex(range(1, 13))
    factors = (per_day / (counts.sum() / days.sum())).round(3)
    method = f"leads per day by calendar month over {len(months)} whole months, over the mean"
    return Estimate(
        f"sources.{source}.seasonality", factors.tolist(), int(counts.sum()), None, None, method
    )


def deal_sizes(data: CrmData) -> list[Estimate]:
    """Each segment's deal size, a log-normal fitted to the amounts of its opportunities."""
    opps = data.opportunities
    out = []
    for segment, group in opps.groupby(opp_segments(data), sort=True):
        amounts = group["amount"].dropna()
        amounts = amounts[amounts > 0]
        n = len(amounts)
        if n < 2:
            continue
        logs = np.log(amounts.to_numpy())
        mu, sd = logs.mean(), logs.std(ddof=1)
        half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
        value = {
            "lognormal": {"median": _round(math.exp(mu)), "p90": _round(math.exp(mu + Z90 * sd))}
        }
        method = "log-normal fitted to the amounts of all its opportunities (interval: median)"
        out.append(
            Estimate(
                f"segments.{segment}.deal_size",
                value,
                n,
                math.exp(mu - half),
                math.exp(mu + half),
                method,
            )
        )
    return out


def _round(x: float) -> float:
    """Three significant figures: what an amount's estimate can claim."""
    return float(f"{x:.3g}")


def opp_segments(data: CrmData) -> pd.Series:
    """Each opportunity's segment: its own, else its lead's."""
    opps = data.opportunities
    of_lead = opps["lead_id"].map(data.leads.set_index("lead_id")["segment"])
    own = opps["segment"].fillna(of_lead)
    return own  # NaN where neither says: such deals are left out of each segment's figures


def outcomes(data: CrmData) -> list[Estimate]:
    """How the export's opportunities end, by segment: the cumulative incidence of won, lost,
    no decision and gone dark, deals open at the export censored there (reported: the stages
    make it)."""
    opps = data.opportunities.assign(segment=opp_segments(data))
    closed = opps["outcome"] != "open"
    days = days_between(opps["closed"].where(closed, data.exported_at), opps["created"])
    names = ("won", "lost", "no_decision", "dark")
    codes = opps["outcome"].map({o: k for k, o in enumerate(names, start=1)}).fillna(0)
    out = []
    for segment, rows in opps.groupby("segment", sort=True):
        if codes[rows.index].eq(0).all():
            continue  # every deal still open: nothing to say yet
        found = cumulative_incidence(
            days[rows.index].to_numpy(float), codes[rows.index].to_numpy(int), (np.inf,), names
        )
        method = "share of opportunities that end won: cumulative incidence, open deals censored"
        won = round(float(found["won"][0]), 4)
        out.append(Estimate(f"win_share.{segment}", won, len(rows), None, None, method, sets=False))
    return out


def sales(data: CrmData) -> list[Estimate]:
    """AEs at work in the last quarter, and the share of mature SQLs sales opened."""
    opps = data.opportunities
    out = []
    recent = data.exported_at - pd.Timedelta(days=RECENT_DAYS)
    if opps["owner"].notna().any():
        # Deals open in the last quarter, left out those not touched for a year (an AE who
        # left may still own a few never closed).
        alive = opps["created"] > data.exported_at - pd.Timedelta(days=365)
        working = opps[(opps["outcome"].eq("open") & alive) | (opps["closed"] > recent)]
        working = working[working["created"] <= data.exported_at]
        owners = working["owner"].dropna().nunique()
        if owners:
            method = f"owners of deals open in the export's last {RECENT_DAYS} days"
            out.append(Estimate("sales.ae_count", int(owners), len(working), None, None, method))
    leads = data.leads
    if leads["sql_date"].notna().any() and opps["lead_id"].notna().any():
        mature = leads[leads["sql_date"] <= data.exported_at - pd.Timedelta(days=MATURE_DAYS)]
        opened = mature["lead_id"].isin(opps["lead_id"])
        n, k = len(mature), int(opened.sum())
        if n:
            low, high = _wilson(k, n)
            method = f"SQLs at least {MATURE_DAYS} days old that became opportunities"
            out.append(Estimate("sales.acceptance", round(k / n, 3), n, low, high, method))
    return out


def desk(data: CrmData, mapped_calls: list[str]) -> list[Estimate]:
    """SDRs at work in the last quarter, attempts per MQL and their spacing, from the calls."""
    calls = data.activities
    if calls is None or calls.empty:
        return []
    wanted = {kind.casefold() for kind in mapped_calls}
    calls = calls[calls["type"].astype(str).str.casefold().isin(wanted)]
    out = []
    recent = calls[calls["time"] > data.exported_at - pd.Timedelta(days=RECENT_DAYS)]
    if recent["owner"].notna().any():
        method = f"owners of calls in the export's last {RECENT_DAYS} days"
        out.append(
            Estimate(
                "sdr.headcount", int(recent["owner"].nunique()), len(recent), None, None, method
            )
        )
    mature = calls[calls["time"] <= data.exported_at - pd.Timedelta(days=MATURE_DAYS)]
    mature = mature.sort_values(["lead_id", "time"], kind="stable")
    gaps = mature.groupby("lead_id")["time"].diff() / DAY
    cadence = (gaps.isna() | (gaps > SPELL_GAP_DAYS)).cumsum()  # a new MQL, a new cadence
    counts = mature.groupby(cadence).size()
    if len(counts):
        attempts = int(np.ceil(np.quantile(counts, 0.9)))
        method = (
            f"90th percentile of calls per cadence (a lead's calls, split where {SPELL_GAP_DAYS} "
            "days pass without one), calls at least 90 days before the export"
        )
        out.append(Estimate("sdr.attempts", attempts, len(counts), None, None, method))
    within = gaps[(gaps > 0) & (gaps <= SPELL_GAP_DAYS)]
    if len(within):
        method = (
            "median days between calls of a cadence, as worked: the scenario's spacing is the "
            "plan, to which a busy desk adds its queue (reported, not set)"
        )
        low, median, high = (float(q) for q in np.quantile(within, [0.25, 0.5, 0.75]))
        gap = Estimate("sdr.attempt_gap_days", round(median, 2), len(within), low, high, method)
        out.append(dataclasses.replace(gap, sets=False))
    return out


def conversions(data: CrmData) -> list[Estimate]:
    """Lead to MQL, MQL to SQL and SQL to won by source, over leads old enough to have had the
    chance, each shrunk toward the pooled rate by the spread between sources (reported: the
    model makes these rates rather than takes them)."""
    leads = data.leads
    mature = leads[leads["created"] <= data.exported_at - pd.Timedelta(days=MATURE_DAYS)]
    won = data.opportunities.loc[data.opportunities["outcome"] == "won", "lead_id"]
    out = []
    mql = mature["mql_date"].notna() if leads["mql_date"].notna().any() else None
    sql = mature["sql_date"].notna() if leads["sql_date"].notna().any() else None
    pairs = {"lead_to_mql": (None, mql), "mql_to_sql": (mql, sql)}
    if sql is not None:
        pairs["sql_to_won"] = (sql, mature["lead_id"].isin(won))
    for name, (base, hit) in pairs.items():
        if hit is None:
            continue
        base = pd.Series(True, index=mature.index) if base is None else base
        counts = pd.DataFrame({"n": base, "k": hit & base}).groupby(mature["source"]).sum()
        shrunk = _shrunk(counts["k"].to_numpy(float), counts["n"].to_numpy(float))
        for (source, row), rate in zip(counts.iterrows(), shrunk, strict=True):
            low, high = _wilson(int(row["k"]), int(row["n"]))
            method = "share of leads at least 90 days old, shrunk toward all sources' rate"
            out.append(
                Estimate(
                    f"{name}.{source}",
                    round(float(rate), 4),
                    int(row["n"]),
                    low,
                    high,
                    method,
                    sets=False,
                )
            )
    return out


def _wilson(k: int, n: int) -> tuple[float, float]:
    if not n:
        return float("nan"), float("nan")
    found = stats.binomtest(k, n).proportion_ci(method="wilson")
    return float(found.low), float(found.high)


def _shrunk(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Each group's rate pulled toward the pooled one, by a beta-binomial prior whose strength
    is the method-of-moments estimate from the spread of the groups' rates (none when the
    groups differ no more than binomial noise would make them)."""
    keep = n > 0
    pooled = k[keep].sum() / n[keep].sum() if keep.any() else 0.0
    rates = np.divide(k, n, out=np.full(len(k), pooled), where=keep)
    if keep.sum() < 2 or pooled in (0.0, 1.0):
        return rates
    weights = n[keep] / n[keep].sum()
    spread = float(np.sum(weights * (rates[keep] - pooled) ** 2))
    # The binomial noise of the size-weighted spread: p(1-p) K / N for K groups of N in all.
    noise = float(pooled * (1 - pooled) * keep.sum() / n[keep].sum())
    if spread <= noise:
        return np.full(len(k), pooled)  # the groups differ no more than noise would make them
    strength = max(pooled * (1 - pooled) / (spread - noise) - 1, 0.0)
    return (k + strength * pooled) / (n + strength)
