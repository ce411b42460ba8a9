"""What going to market cost over the measured window, per year, in total and by source.

Four costs, all period figures of the window, stated per year (the window's total over its
length in years of 365.25 days):

* **lead spend**: ``cost_per_lead`` of each lead created in the window;
* **program spend**: each source's fixed ``cost.programs`` per year;
* **SDR cost**: headcount x ``cost.sdr_per_year``, split between sources by their share of
  the SDR attempts of spells first touched in the window;
* **AE cost**: AE count x ``cost.ae_per_year``, split between sources by their share of the
  opportunity-days open in the window.

Marketing spend is lead plus program spend; go-to-market cost is marketing, SDR and AE cost.
Each unit cost divides the cost of the stages that produced its unit by the window's count of
it: marketing spend per lead created; marketing and SDR cost per SQL qualified and per
opportunity opened; the whole go-to-market cost per deal won (the customer acquisition cost:
every deal won is a new customer). Contribution is bookings x ``cost.gross_margin`` less the
go-to-market cost. A split with nothing to split by (no attempt, no open opportunity) goes to
sources by their share of leads. See docs/cost.md.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from funnelsim.record.ledger import SPELL, Ledger
from funnelsim.record.metrics import Context

SPENDS = ("lead_spend", "program_spend", "sdr_cost", "ae_cost")
"""The window's costs, money over the window, each source's and in total."""
PER_YEAR = (
    "lead_spend_per_year",
    "program_spend_per_year",
    "marketing_spend_per_year",
    "sdr_cost_per_year",
    "ae_cost_per_year",
    "gtm_cost_per_year",
    "bookings_per_year",
    "pipeline_created_value_per_year",
    "contribution_per_year",
)
"""The money figures stated per year."""
UNIT_COSTS = ("cost_per_lead", "cost_per_sql", "cost_per_opportunity", "cost_per_won_deal")
"""Cost per unit: the stages' cost over the window's count of the unit."""
FIGURES = (*PER_YEAR, *UNIT_COSTS, "sqls_in_window")
"""Every figure this module adds to a run's metrics and to each source's row."""
YEARLY_COUNTS = ("bookings", "pipeline_created_value")
"""The run's own money totals over the window that are also stated per year."""


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b else float("nan")


def _split(total: float, weights: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """``total`` in proportion to ``weights``; to ``fallback`` when the weights are all zero,
    and evenly when both are."""
    w = next(w for w in (weights, fallback, np.ones(len(weights))) if w.sum() > 0)
    return total * w / w.sum()


def _inside(start: np.ndarray, end: np.ndarray, ctx: Context) -> np.ndarray:
    """Length of each [start, end) inside the window; an open end runs to the window's end."""
    end = np.where(np.isfinite(end), end, ctx.end)
    return np.clip(np.minimum(end, ctx.end) - np.maximum(start, ctx.start), 0, None)


def _window(t: np.ndarray, ctx: Context) -> np.ndarray:
    return (t >= ctx.start) & (t < ctx.end)


def spends(ledger: Ledger, ctx: Context) -> pd.DataFrame:
    """Each source's costs over the window, and its SQLs qualified in the window."""
    n = len(ctx.source_names)
    created = _window(ledger.created, ctx)
    leads = np.bincount(ledger.source[created], minlength=n).astype(float)
    spells, opps = ledger.spell_frame(), ledger.opp_frame()
    spell_source = ledger.source[spells["lead"].to_numpy()]
    touched = _window(spells["first_touch_at"].to_numpy(), ctx)
    attempts = np.bincount(
        spell_source[touched], spells["attempts"].to_numpy()[touched], minlength=n
    )
    opened = opps["opened_at"].to_numpy()
    live = np.isfinite(opened)
    days = _inside(opened[live], opps["resolved_at"].to_numpy()[live], ctx)
    opp_days = np.bincount(ledger.source[opps["lead"].to_numpy()[live]], days, minlength=n)
    sql = (spells["outcome"].to_numpy() == SPELL["sql"]) & _window(
        spells["outcome_at"].to_numpy(), ctx
    )
    return pd.DataFrame(
        {
            "lead_spend": np.bincount(ledger.source[created], ledger.cost[created], minlength=n),
            "program_spend": np.asarray(ctx.programs_per_year, float) * ctx.years,
            "sdr_cost": _split(ctx.sdr_cost_per_year * ctx.years, attempts, leads),
            "ae_cost": _split(ctx.ae_cost_per_year * ctx.years, opp_days, leads),
            "sqls_in_window": np.bincount(spell_source[sql], minlength=n),
        },
        index=pd.Index(ctx.source_names, name="source"),
    )


def figures(spent: Mapping[str, float], counted: Mapping[str, float], ctx: Context) -> dict:
    """The per-year and unit-cost figures of one source's (or all sources') ``spent`` costs
    over the window, with its ``counted`` leads, deals and bookings (the run's figures)."""
    years = ctx.years
    marketing = spent["lead_spend"] + spent["program_spend"]
    qualifying = marketing + spent["sdr_cost"]
    gtm = qualifying + spent["ae_cost"]
    over_window = {
        "lead_spend_per_year": spent["lead_spend"],
        "program_spend_per_year": spent["program_spend"],
        "marketing_spend_per_year": marketing,
        "sdr_cost_per_year": spent["sdr_cost"],
        "ae_cost_per_year": spent["ae_cost"],
        "gtm_cost_per_year": gtm,
        **{f"{name}_per_year": counted[name] for name in YEARLY_COUNTS},
        "contribution_per_year": counted["bookings"] * ctx.gross_margin - gtm,
    }
    out = {name: _ratio(amount, years) for name, amount in over_window.items()}
    out["cost_per_lead"] = _ratio(marketing, counted["leads"])
    out["cost_per_sql"] = _ratio(qualifying, spent["sqls_in_window"])
    out["cost_per_opportunity"] = _ratio(qualifying, counted["pipeline_created_count"])
    out["cost_per_won_deal"] = _ratio(gtm, counted["deals_won"])
    out["sqls_in_window"] = int(spent["sqls_in_window"])
    return out


def total(spent: pd.DataFrame, counted: Mapping[str, float], ctx: Context) -> dict:
    """The run's figures: the sources' costs summed, over the run's counts."""
    return figures(spent.sum().to_dict(), counted, ctx)


def yearly(counted: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """A grouping's bookings and pipeline created per year, beside its other figures."""
    rates = {f"{name}_per_year": counted[name] / ctx.years for name in YEARLY_COUNTS}
    return counted.assign(**rates)


def by_source(spent: pd.DataFrame, counted: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Each source's figures, beside its other figures (``counted``, one row per source)."""
    rows = [figures(spent.loc[s], counted.loc[s], ctx) for s in spent.index]
    return counted.join(pd.DataFrame(rows, index=spent.index))
