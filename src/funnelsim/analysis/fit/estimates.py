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
from scipy import optimize, special, stats

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
MIN_EPISODES = 20
"""A segment's stage with fewer deals through it borrows the stage's estimate across segments."""
Z90 = stats.norm.ppf(0.9)
EXITS = ("advance", "lost", "no_decision", "dark")
"""How a deal leaves a stage: on to the next (or won, from the last), lost, no decision, or
gone dark (no activity until it is closed out)."""


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
        if "segment" in group and group["segment"].notna().any():
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
    for segment, group in opps.groupby(_opp_segments(data), sort=True):
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


def _opp_segments(data: CrmData) -> pd.Series:
    """Each opportunity's segment: its own, else its lead's."""
    opps = data.opportunities
    own = opps["segment"] if "segment" in opps else pd.Series(np.nan, index=opps.index)
    if "lead_id" in opps and "segment" in data.leads:
        of_lead = opps["lead_id"].map(data.leads.set_index("lead_id")["segment"])
        own = own.fillna(of_lead)
    return own.fillna("unknown")


def stage_episodes(data: CrmData) -> pd.DataFrame:
    """A row per deal and stage it entered: its segment, days in the stage, and how it left
    (``exit``: one of :data:`EXITS`, or ``open`` at the export, censored there)."""
    opps = data.opportunities.assign(segment=_opp_segments(data))
    history = data.stage_history
    if history is None or history.empty:  # no history: a deal's whole life is one stage
        rows = (
            opps[["opp_id", "created"]]
            .assign(stage="pipeline")
            .rename(columns={"created": "entered"})
        )
    else:
        rows = history[history["opp_id"].isin(opps["opp_id"])]
    rows = rows.sort_values(["opp_id", "entered"], kind="stable")
    info = opps.set_index("opp_id")
    out = []
    for opp, group in rows.groupby("opp_id", sort=False):
        deal = info.loc[opp]
        times = group["entered"].tolist()
        names = group["stage"].tolist()
        for k, (name, entered) in enumerate(zip(names, times, strict=True)):
            if name in ("won", "lost"):
                continue
            if k + 1 < len(names) and names[k + 1] not in ("won", "lost"):
                left, exit_ = times[k + 1], "advance"
            elif deal["outcome"] == "open":
                left, exit_ = data.exported_at, "open"
            else:
                left = times[k + 1] if k + 1 < len(names) else deal["closed"]
                exit_ = "advance" if deal["outcome"] == "won" else deal["outcome"]
            opened = days_between(entered, deal["created"])
            out.append((opp, deal["segment"], name, days_between(left, entered), exit_, opened))
    columns = ["opp_id", "segment", "stage", "days", "exit", "opened_days"]
    episodes = pd.DataFrame(out, columns=columns)
    episodes["days"] = episodes["days"].clip(lower=0.0)
    return episodes


def stage_order(episodes: pd.DataFrame, mapped: dict[str, str]) -> dict[str, list[str]]:
    """Each segment's stages in order: the mapping's, else by how long after a deal opens it
    typically enters them."""
    out = {}
    for segment, mine in episodes.groupby("segment", sort=True):
        entered = mine.groupby("stage")["opened_days"].median().sort_values(kind="stable")
        if mapped:
            out[segment] = [s for s in dict.fromkeys(mapped.values()) if s in entered.index]
        else:
            out[segment] = entered.index.tolist()
    return out


def stages(data: CrmData, mapped: dict[str, str]) -> list[Estimate]:
    """Each segment's stages: how deals leave each (cumulative incidences at the end, open
    deals censored) and how long a stage takes (a log-normal, with deals gone dark or still
    open censored)."""
    episodes = stage_episodes(data)
    out = []
    for segment, order in stage_order(episodes, mapped).items():
        mine = episodes[episodes["segment"] == segment]
        fitted, n = [], 0
        for name in order:
            here = mine[mine["stage"] == name]
            if here.empty:
                continue
            pooled = len(here) < MIN_EPISODES
            used = episodes[episodes["stage"] == name] if pooled else here
            fitted.append(_stage(name, used))
            n += len(here)
        if fitted:
            method = (
                "per stage: exits by Aalen-Johansen cumulative incidence, duration a log-normal "
                "with right censoring (open and gone-dark deals censored)"
            )
            out.append(Estimate(f"segments.{segment}.stages", fitted, n, None, None, method))
    return out


def _stage(name: str, episodes: pd.DataFrame) -> dict:
    codes = episodes["exit"].map({e: k for k, e in enumerate(EXITS, start=1)}).fillna(0)
    days = episodes["days"].to_numpy(dtype=float)
    incidence = cumulative_incidence(days, codes.to_numpy(dtype=int), (np.inf,), EXITS)
    shares = np.array([incidence[e][0] for e in EXITS])
    shares = shares / shares.sum() if shares.sum() > 0 else shares  # the open tail alike
    exits = episodes["exit"].to_numpy()
    done = np.isin(exits, EXITS[:3])
    median, p90 = _durations(days[done], days[exits == "dark"], days[exits == "open"])
    return {
        "name": name,
        "duration": {
            "lognormal": {"median": f"{median:.3g}d", "p90": f"{max(p90, median * 1.01):.3g}d"}
        },
        "advance": round(float(shares[0]), 3),
        "lost": round(float(shares[1]), 3),
        "no_decision": round(float(shares[2]), 3),
    }


def _durations(done: np.ndarray, dark: np.ndarray, still: np.ndarray) -> tuple[float, float]:
    """Median and 90th percentile of a stage's duration: a log-normal fitted by maximum
    likelihood to the deals that finished it (``done``: days to their exit), with a share that
    never finishes (it goes dark, and is closed out after ``dark`` days, the stall clock) and
    the deals still in it at the export (``still``: days so far), which either go dark or
    finish later. Without the share, the open deals that will go dark would read as slow ones,
    and dropping the open deals would make the stage look short."""
    done = np.maximum(done, 1e-3)
    if len(done) < 2:
        pooled = np.concatenate((done, still)) if len(done) + len(still) else np.ones(1)
        return float(np.median(pooled)), float(np.quantile(pooled, 0.9))
    logs = np.log(done)
    lag = float(np.median(dark)) if len(dark) else np.inf
    maybe_dark = still < lag  # a dark deal would not have been closed out yet

    def loss(theta: np.ndarray) -> float:
        mu, sigma, dark_share = theta[0], math.exp(theta[1]), special.expit(theta[2])
        finished = np.sum(stats.norm.logpdf(logs, mu, sigma) - logs) + len(done) * np.log1p(
            -dark_share
        )
        waiting = (1 - dark_share) * stats.norm.sf(np.log(np.maximum(still, 1e-3)), mu, sigma)
        waiting = waiting + np.where(maybe_dark, dark_share, 0.0)
        gone = len(dark) * math.log(max(dark_share, 1e-300))
        return -(finished + gone + np.sum(np.log(np.maximum(waiting, 1e-300))))

    share = (len(dark) + 0.5) / (len(done) + len(dark) + 1.0)
    start = np.array([logs.mean(), math.log(max(logs.std(), 0.05)), special.logit(share)])
    found = optimize.minimize(
        loss, start, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 4000}
    )
    mu, sigma = found.x[0], math.exp(found.x[1])
    return math.exp(mu), math.exp(mu + Z90 * sigma)


def outcomes(data: CrmData) -> list[Estimate]:
    """How the export's opportunities end, by segment: the cumulative incidence of won, lost,
    no decision and gone dark, deals open at the export censored there (reported: the stages
    make it)."""
    opps = data.opportunities.assign(segment=_opp_segments(data))
    closed = opps["outcome"] != "open"
    days = days_between(opps["closed"].where(closed, data.exported_at), opps["created"])
    names = ("won", "lost", "no_decision", "dark")
    codes = opps["outcome"].map({o: k for k, o in enumerate(names, start=1)}).fillna(0)
    out = []
    for segment, rows in opps.groupby("segment", sort=True):
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
    if "owner" in opps:
        working = opps[(opps["closed"].isna() | (opps["closed"] > recent))]
        working = working[working["created"] <= data.exported_at]
        owners = working["owner"].dropna().nunique()
        if owners:
            method = f"owners of deals open in the export's last {RECENT_DAYS} days"
            out.append(Estimate("sales.ae_count", int(owners), len(working), None, None, method))
    leads = data.leads
    if "sql_date" in leads and "lead_id" in opps:
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
    calls = calls[calls["type"].isin(mapped_calls)]
    out = []
    recent = calls[calls["time"] > data.exported_at - pd.Timedelta(days=RECENT_DAYS)]
    if "owner" in recent and recent["owner"].notna().any():
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
            "days pass without one), leads at least 90 days old"
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
    mql = mature["mql_date"].notna() if "mql_date" in mature else None
    sql = mature["sql_date"].notna() if "sql_date" in mature else None
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
    noise = float(pooled * (1 - pooled) * np.mean(1 / n[keep]))
    if spread <= noise:
        return np.full(len(k), pooled)  # the groups differ no more than noise would make them
    strength = max(pooled * (1 - pooled) / (spread - noise) - 1, 0.0)
    return (k + strength * pooled) / (n + strength)
