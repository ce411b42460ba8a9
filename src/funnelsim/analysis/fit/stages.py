"""An opportunity's stages as a CRM's stage history shows them: how long each takes, and how
deals leave it.

A stage's exits are cumulative incidences (Aalen-Johansen) with deals still in the stage at
the export censored. Its duration is a log-normal fitted by maximum likelihood together with
the share of deals that never finish it (they go dark): deals still in the stage may finish
later or go dark, and a deal gone dark shows no duration.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from funnelsim.analysis.fit.estimates import Z90, Estimate, days_between, opp_segments
from funnelsim.analysis.fit.reading import CrmData
from funnelsim.record.cohorts import cumulative_incidence

MIN_EPISODES = 20
"""A segment's stage with fewer deals through it borrows the stage's estimate across segments."""
EXITS = ("advance", "lost", "no_decision", "dark")
"""How a deal leaves a stage: on to the next (or won, from the last), lost, no decision, or
gone dark (no activity until it is closed out)."""


def stage_episodes(data: CrmData) -> pd.DataFrame:
    """A row per deal and stage it entered: its segment, days in the stage, and how it left
    (``exit``: one of :data:`EXITS`, or ``open`` at the export, censored there)."""
    opps = data.opportunities.assign(segment=opp_segments(data))
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
    # A history row per edit (an amount, a close date) repeats the stage: keep its first.
    rows = rows[rows["stage"].ne(rows["stage"].shift()) | rows["opp_id"].ne(rows["opp_id"].shift())]
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
            across = episodes[episodes["stage"] == name]
            used = here if len(here) >= MIN_EPISODES and _finished(here) else across
            if not _finished(used):
                continue  # no deal has finished this stage anywhere: nothing to fit
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


def _finished(episodes: pd.DataFrame) -> bool:
    """Whether any of these deals has finished its stage (advanced, lost or no decision)."""
    return bool(episodes["exit"].isin(EXITS[:3]).any())
