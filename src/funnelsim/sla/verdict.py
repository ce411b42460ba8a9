"""From judged periods to a verdict: how often each clause holds, and who breaches first.

Every figure is a mean over replications with a Student-t 95% interval, like the rest of
funnelsim's statistics: a replication's periods share its arrivals and its desk, so they are
not independent of each other, but replications are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from funnelsim.results.stats import interval

RUN = ["point", "replication", "policy"]
FIRST = ("marketing", "sales", "both", "neither")
"""Who breaches first in a run: one side, both in the same period, or neither at all."""


def compliance(judged: pd.DataFrame) -> pd.DataFrame:
    """Per condition, policy and clause: the probability the clause holds in a period.

    ``held_share`` is the mean over replications of the share of judged periods in which the
    clause held, with its 95% interval; ``periods`` the periods judged per replication;
    ``value_mean`` the clause's measure averaged over every judged period.
    """
    per_run = (
        judged.groupby([*RUN, "clause", "side"], sort=False)
        .agg(held=("held", "mean"), periods=("held", "size"), value=("value", "mean"))
        .reset_index()
    )
    values = judged.groupby(["point", "policy", "clause"])["value"].mean()  # NaN skipped
    groups = per_run.groupby(["point", "policy", "clause", "side"], sort=False)
    return pd.DataFrame([_held(*key, group, values) for key, group in groups])


def _held(
    point: int, policy: str, clause: str, side: str, group: pd.DataFrame, values: pd.Series
) -> dict[str, object]:
    """One row of :func:`compliance`: a clause's chance to hold, from its runs' shares."""
    mean, low, high = _share_interval(group["held"].to_numpy(dtype=float))
    return {
        "point": point,
        "policy": policy,
        "clause": clause,
        "side": side,
        "replications": len(group),
        "periods": float(group["periods"].mean()),
        "held_share": mean,
        "ci_low": low,
        "ci_high": high,
        "value_mean": float(values[(point, policy, clause)]),
    }


def first_breach(judged: pd.DataFrame) -> pd.DataFrame:
    """Per run: the first period each side broke a clause in (NaN: never), and who was first."""
    broken = judged[~judged["held"].astype(bool)]
    firsts = broken.groupby([*RUN, "side"])["period"].min().unstack("side")
    runs = judged[RUN].drop_duplicates().set_index(RUN)
    out = runs.join(firsts).reindex(columns=["marketing", "sales"])
    m, s = out["marketing"].to_numpy(dtype=float), out["sales"].to_numpy(dtype=float)
    first = np.select(
        [np.isnan(m) & np.isnan(s), np.isnan(s) | (m < s), np.isnan(m) | (s < m)],
        ["neither", "marketing", "sales"],
        default="both",
    )
    out["first"] = first
    rates = judged.groupby([*RUN, "side", "period"])["held"].all().groupby([*RUN, "side"]).mean()
    breach = (1 - rates).unstack("side").reindex(columns=["marketing", "sales"])
    out["marketing_breach_share"] = breach["marketing"]
    out["sales_breach_share"] = breach["sales"]
    return out.rename(
        columns={"marketing": "marketing_first_period", "sales": "sales_first_period"}
    ).reset_index()


def breaches(judged: pd.DataFrame) -> pd.DataFrame:
    """Per condition and policy: how often each side breaches first, and how often at all.

    ``first_<who>`` are shares of replications (they sum to 1); ``<side>_breach_share`` is
    the mean share of a run's periods in which at least one of that side's clauses broke.
    """
    runs = first_breach(judged)
    rows = []
    for (point, policy), group in runs.groupby(["point", "policy"], sort=False):
        row = {"point": point, "policy": policy, "replications": len(group)}
        counts = group["first"].value_counts(normalize=True)
        row |= {f"first_{who}": float(counts.get(who, 0.0)) for who in FIRST}
        for side in ("marketing", "sales"):
            mean, _, low, high = interval(group[f"{side}_breach_share"].to_numpy(dtype=float))
            row |= {f"{side}_breach_share": mean}
            row |= {f"{side}_breach_ci_low": low, f"{side}_breach_ci_high": high}
        rows.append(row)
    return pd.DataFrame(rows)


def held_probability(judged: pd.DataFrame, clause: str) -> tuple[float, float, float]:
    """The probability ``clause`` holds in a period, pooled over one plan's runs, and its
    95% interval over replications."""
    rows = judged[judged["clause"] == clause]
    return _share_interval(rows.groupby(RUN)["held"].mean().to_numpy(dtype=float))


def _share_interval(shares: np.ndarray) -> tuple[float, float, float]:
    """Mean of per-run shares and its 95% interval, cut to [0, 1] where a share can be."""
    mean, _, low, high = interval(shares)
    return mean, float(np.clip(low, 0.0, 1.0)), float(np.clip(high, 0.0, 1.0))
