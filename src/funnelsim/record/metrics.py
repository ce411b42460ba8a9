"""Key figures of a run: pure functions of a :class:`~funnelsim.record.ledger.Ledger`.

Two kinds of figure, both over the measured window (after warm-up):

* **cohort** figures follow the leads created in the window to wherever they are at the end
  (the waterfall, leakage, final states); a lead counts once per stage it ever reached;
* **period** figures count what happened in the window whoever it happened to (pipeline
  created, bookings, win rate, lead to close, MQL to close and opportunity age, speed to lead,
  utilisation, cost per deal).

The cohort followed to its outcomes, with the leads still open counted as open, is
:mod:`~funnelsim.record.cohorts`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from funnelsim.base.calendar import Calendar
from funnelsim.record.ledger import LEAK_REASONS, OPP, SPELL, STAGE_OF_LEAK, STATE, STATES, Ledger
from funnelsim.record.response import YARDSTICKS, within_response

FUNNEL = (
    ("lead", "leads"),
    ("mql", "mqls"),
    ("sal", "sals"),
    ("sql", "sqls"),
    ("opportunity", "opportunities"),
    ("won", "wins"),
)
"""The waterfall's stages and the name of their counts."""

PERCENTILES = (10, 50, 90)


@dataclass(frozen=True)
class Context:
    """What metrics need to know about the scenario beyond the ledger."""

    start: float  # measured window, simulated days
    end: float
    start_date: dt.date
    calendar: Calendar
    sla_response: float  # open time, days
    sdr_headcount: int
    ae_capacity: int  # open opportunities all AEs can hold at once
    ae_count: int
    quota_per_ae: float  # one AE's yearly bookings quota; NaN when the scenario sets none
    source_names: tuple[str, ...]
    segment_names: tuple[str, ...]
    sdr_cost_per_year: float = 0.0  # all SDRs, fully loaded
    ae_cost_per_year: float = 0.0  # all AEs, fully loaded
    programs_per_year: tuple[float, ...] = ()  # per source, in the order of source_names
    gross_margin: float = 1.0
    yardsticks: tuple[tuple[str, float], ...] = ()  # response times (as written, open days)
    # With a staffing plan, the teams' own figures over the window (else from the headcounts):
    sdr_open_time: float | None = None  # open time of all SDRs on the desk
    ae_slot_days: float | None = None  # deal-days the AEs on the team could hold
    ae_years: float | None = None  # years of AEs on the team

    @property
    def years(self) -> float:
        """The measured window's length in years of 365.25 days: what per-year figures divide by."""
        return (self.end - self.start) / 365.25


def _pct(values: np.ndarray, name: str, scale: float = 1.0) -> dict[str, float]:
    values = values[np.isfinite(values)] * scale
    if values.size == 0:
        return {f"{name}_p{p}": float("nan") for p in PERCENTILES}
    return dict(
        zip(
            (f"{name}_p{p}" for p in PERCENTILES),
            np.percentile(values, PERCENTILES).tolist(),
            strict=True,
        )
    )


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b else float("nan")


def _within(t: np.ndarray, ctx: Context) -> np.ndarray:
    return (t >= ctx.start) & (t < ctx.end)


def _overlap(start: np.ndarray, end: np.ndarray, ctx: Context) -> float:
    """Total length of [start, end) intervals inside the window."""
    return float(np.clip(np.minimum(end, ctx.end) - np.maximum(start, ctx.start), 0, None).sum())


@dataclass(frozen=True)
class _Columns:
    """The ledger's columns as the scalar figures read them, computed once for many groups.

    Every figure of a group is the same arithmetic on the group's rows of these columns, so a
    table of groups (:func:`by_group`) prepares them once and takes each group's rows
    (:meth:`only`) rather than masking every column of the whole run for every figure.
    """

    created_in_window: np.ndarray  # per lead
    reached: list[np.ndarray]  # per lead: MQL, SAL, SQL, opportunity, won ever stamped
    state: np.ndarray  # per lead: where it ended, and why and where it leaked
    reason: np.ndarray
    leak_stage: np.ndarray
    opps: dict[str, np.ndarray]  # per opportunity, with its lead's capture time
    spells: dict[str, np.ndarray]  # per spell: lead, prospect, outcome, MQL and touch times
    due: np.ndarray  # per spell: its SLA deadline fell inside the run, so it can be judged
    judged: np.ndarray  # per spell: such an MQL in the window
    waited: np.ndarray  # per spell: open time from MQL to first touch
    left: np.ndarray  # per spell: open time from MQL to the run's end

    @classmethod
    def of(cls, ledger: Ledger, ctx: Context) -> _Columns:
        opps, spells = ledger.opp_frame(), ledger.spell_frame()
        cal = ctx.calendar
        mql, touch = spells["mql_at"].to_numpy(), spells["first_touch_at"].to_numpy()
        b_mql = cal.business_array(mql)
        end = cal.business_array(np.array([ctx.end]))[0]
        by_opp = {name: opps[name].to_numpy() for name in opps.columns}
        by_opp["lead_created"] = ledger.created[by_opp["lead"]]
        return cls(
            created_in_window=_within(ledger.created, ctx),
            reached=[
                np.isfinite(col)
                for col in (
                    ledger.mql_at,
                    ledger.sal_at,
                    ledger.sql_at,
                    ledger.opp_at,
                    ledger.won_at,
                )
            ],
            state=ledger.state,
            reason=ledger.reason,
            leak_stage=ledger.leak_stage,
            opps=by_opp,
            spells={name: spells[name].to_numpy() for name in spells.columns},
            # Only MQLs whose SLA deadline fell inside the run can be judged.
            due=(due := end - b_mql >= ctx.sla_response),
            judged=_within(mql, ctx) & due,
            waited=cal.business_array(touch) - b_mql,
            left=end - b_mql,
        )

    def only(self, leads: np.ndarray) -> _Columns:
        """The rows of these leads (a boolean mask over leads), and of their spells and deals."""
        lead = np.flatnonzero(leads)
        spell = np.flatnonzero(leads[self.spells["lead"]])
        opp = np.flatnonzero(leads[self.opps["lead"]])
        return _Columns(
            created_in_window=self.created_in_window.take(lead),
            reached=[stamped.take(lead) for stamped in self.reached],
            state=self.state.take(lead),
            reason=self.reason.take(lead),
            leak_stage=self.leak_stage.take(lead),
            opps={name: column.take(opp) for name, column in self.opps.items()},
            spells={name: column.take(spell) for name, column in self.spells.items()},
            due=self.due.take(spell),
            judged=self.judged.take(spell),
            waited=self.waited.take(spell),
            left=self.left.take(spell),
        )


def scalars(ledger: Ledger, ctx: Context, leads: np.ndarray | None = None) -> dict[str, float]:
    """Every scalar figure, flat, for the leads in ``leads`` (a boolean mask; all if None)."""
    cols = _Columns.of(ledger, ctx)
    return _scalars(ctx, cols if leads is None else cols.only(leads))


def _scalars(ctx: Context, cols: _Columns) -> dict[str, float]:
    """Every scalar figure of the rows in ``cols``."""
    cohort = cols.created_in_window
    out: dict[str, float] = {}
    # Waterfall: leads of the cohort that ever reached each stage.
    reached = [cohort] + [cohort & stamped for stamped in cols.reached]
    counts = [int(r.sum()) for r in reached]
    for (_, name), n in zip(FUNNEL, counts, strict=True):
        out[name] = n
    for (a, _), (b, _), na, nb in zip(FUNNEL, FUNNEL[1:], counts, counts[1:], strict=False):
        out[f"conversion_{a}_to_{b}"] = _ratio(nb, na)
    out["conversion_lead_to_won"] = _ratio(counts[-1], counts[0])
    # Final states and leakage of the cohort.
    states = np.bincount(cols.state[cohort], minlength=len(STATES))
    for name, n in zip(STATES, states.tolist(), strict=True):
        out[f"final_{name}"] = n
    leaked = cohort & (cols.state == STATE["leaked"])
    out["leaked"] = int(leaked.sum())
    out["leakage_rate"] = _ratio(out["leaked"], counts[0])
    reasons = np.bincount(cols.reason[leaked], minlength=len(LEAK_REASONS))
    for name, n in zip(LEAK_REASONS, reasons.tolist(), strict=True):
        out[f"leaked_{name}"] = n
    stages = np.bincount(cols.leak_stage[leaked], minlength=len(STAGE_OF_LEAK))
    for name, n in zip(STAGE_OF_LEAK, stages.tolist(), strict=True):
        out[f"leaked_in_{name}"] = n
    out.update(_pipeline(ctx, cols.opps))
    out.update(_speed(ctx, cols))
    return out


def _pipeline(ctx: Context, opps: dict[str, np.ndarray]) -> dict[str, float]:
    opened, resolved = opps["opened_at"], opps["resolved_at"]
    outcome, value = opps["outcome"], opps["value"]
    created = _within(opened, ctx)
    closed = _within(resolved, ctx) & np.isfinite(opened)  # deals, not SQLs never opened
    won = closed & (outcome == OPP["won"])
    is_open = np.isfinite(opened) & ~np.isfinite(resolved)
    out = {
        "pipeline_created_count": int(created.sum()),
        "pipeline_created_value": float(value[created].sum()),
        "open_pipeline_count": int(is_open.sum()),
        "open_pipeline_value": float(value[is_open].sum()),
        "bookings": float(value[won].sum()),
        "deals_won": int(won.sum()),
        "average_deal": _ratio(float(value[won].sum()), int(won.sum())),
        "ae_queue_at_end": int((~np.isfinite(opened) & ~np.isfinite(resolved)).sum()),
    }
    for name in ("declined", "no_sales_capacity"):  # SQLs that never became a deal
        out[f"sqls_{name}"] = int((_within(resolved, ctx) & (outcome == OPP[name])).sum())
    ae_years = ctx.ae_count * ctx.years if ctx.ae_years is None else ctx.ae_years
    out["bookings_per_ae_year"] = _ratio(out["bookings"], ae_years)
    out["quota_attainment"] = _ratio(out["bookings_per_ae_year"], ctx.quota_per_ae)
    for name in ("lost", "no_decision", "stalled", "abandoned"):
        out[f"deals_{name}"] = int((closed & (outcome == OPP[name])).sum())
    out["win_rate"] = _ratio(out["deals_won"], int(closed.sum()))
    out |= _pct(resolved[won] - opps["lead_created"][won], "lead_to_close_days")
    out |= _pct(resolved[won] - opps["mql_at"][won], "mql_to_close_days")
    decided = closed & np.isin(outcome, [OPP["won"], OPP["lost"], OPP["no_decision"]])
    out |= _pct(resolved[decided] - opened[decided], "opportunity_age_days")
    queued = opps["queued_at"]
    out |= _pct(opened[created] - queued[created], "ae_wait_days")
    return out


def _on_time(touch: np.ndarray, waited: np.ndarray, ctx: Context) -> np.ndarray:
    """First touched within the SLA's response time, on the business clock."""
    return np.isfinite(touch) & within_response(waited, ctx.sla_response)


def _speed(ctx: Context, cols: _Columns) -> dict[str, float]:
    spells = cols.spells
    mine = ~spells["prospect"]
    touch = spells["first_touch_at"][mine]
    judged, waited = cols.judged[mine], cols.waited[mine]
    out = _pct(waited[judged], "speed_to_lead_hours", scale=24.0)
    on_time = judged & _on_time(touch, waited, ctx)
    out["sla_compliance"] = _ratio(int(on_time.sum()), int(judged.sum()))
    out["mqls_judged_for_sla"] = int(judged.sum())
    in_window, left = _within(spells["mql_at"][mine], ctx), cols.left[mine]
    for written, response in ctx.yardsticks:
        due = in_window & (left >= response)
        met = due & np.isfinite(touch) & within_response(waited, response)
        out[f"sla_compliance_within_{written}"] = _ratio(int(met.sum()), int(due.sum()))
    out["never_worked_share"] = _ratio(
        int((judged & (spells["outcome"][mine] == SPELL["never_worked"])).sum()),
        int(judged.sum()),
    )
    return out


def utilisation(ledger: Ledger, ctx: Context) -> dict[str, float]:
    """Share of SDR open time spent on attempts; mean share of AE opportunity slots in use."""
    cal = ctx.calendar
    busy = np.asarray(ledger.sdr_busy, dtype=float).reshape(-1, 2)
    start = cal.business_array(np.clip(busy[:, 0], ctx.start, ctx.end))
    end = cal.business_array(np.clip(busy[:, 1], ctx.start, ctx.end))
    open_time = ctx.sdr_open_time
    if open_time is None:
        open_time = float(cal.business(ctx.end) - cal.business(ctx.start)) * ctx.sdr_headcount
    opps = ledger.opp_frame()
    opened = opps["opened_at"].to_numpy()
    resolved = np.where(np.isfinite(opps["resolved_at"]), opps["resolved_at"], ctx.end)
    slots = (
        ctx.ae_capacity * (ctx.end - ctx.start) if ctx.ae_slot_days is None else ctx.ae_slot_days
    )
    live = np.isfinite(opened)
    return {
        "sdr_utilisation": _ratio(float((end - start).sum()), open_time),
        "ae_utilisation": _ratio(_overlap(opened[live], resolved[live], ctx), slots),
    }


def names() -> tuple[str, ...]:
    """The names :func:`scalars` and :func:`utilisation` return, read off an empty ledger."""
    empty = Ledger(*[np.empty(0)] * 7)
    empty.sdr_busy = []
    empty.close()
    ctx = Context(0.0, 1.0, dt.date(2000, 1, 3), Calendar.always_open(), 0.0, 1, 1, 1, 1.0, (), ())
    ctx = dataclasses.replace(ctx, yardsticks=tuple((w, 0.0) for w in YARDSTICKS))
    return (*scalars(empty, ctx), *utilisation(empty, ctx))


def by_group(ledger: Ledger, ctx: Context, column: str) -> pd.DataFrame:
    """The scalar figures per source or per segment, one row each."""
    names = ctx.source_names if column == "source" else ctx.segment_names
    codes, cols = getattr(ledger, column), _Columns.of(ledger, ctx)
    rows = [{column: name, **_scalars(ctx, cols.only(codes == k))} for k, name in enumerate(names)]
    return pd.DataFrame(rows).set_index(column)


def _level(
    start: np.ndarray, end: np.ndarray, at: np.ndarray, weight: np.ndarray | None = None
) -> np.ndarray:
    """Total weight of the intervals [start, end) that contain each of ``at``; NaN end = open."""
    weight = np.ones(start.shape) if weight is None else np.nan_to_num(weight)
    live = np.isfinite(start)
    start, end, weight = start[live], np.nan_to_num(end[live], nan=np.inf), weight[live]

    def arrived(t: np.ndarray, by: np.ndarray) -> np.ndarray:
        order = np.argsort(t, kind="stable")
        total = np.concatenate([[0.0], np.cumsum(weight[order])])
        return total[np.searchsorted(t[order], by, side="right")]

    return arrived(start, at) - arrived(end, at)


def weekly(ledger: Ledger, ctx: Context, thresholds: list[tuple[float, float]]) -> pd.DataFrame:
    """Weekly series over the whole run (warm-up flagged), counted in the week they happen.

    ``sla_judged`` and ``sla_on_time`` count MQLs by the week they arrived: those whose SLA
    deadline fell inside the run, and of them those first touched in time. Their ratio over
    any run of weeks is the SLA compliance of that period.
    """
    weeks = int(np.ceil(ctx.end / 7.0))
    edges = np.arange(weeks + 1) * 7.0

    def count(t: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.histogram(
            t[np.isfinite(t)], edges, weights=None if weights is None else weights[np.isfinite(t)]
        )[0]

    spells, opps = ledger.spell_frame(), ledger.opp_frame()
    mql, prospect = spells["mql_at"].to_numpy(), spells["prospect"].to_numpy()
    sql_at = np.where(spells["outcome"] == SPELL["sql"], spells["outcome_at"], np.nan)
    opened, resolved = opps["opened_at"].to_numpy(), opps["resolved_at"].to_numpy()
    left_line = np.where(np.isfinite(opened), opened, resolved)  # taken, declined or gone
    value = opps["value"].to_numpy()
    won_at = np.where(opps["outcome"] == OPP["won"], resolved, np.nan)
    ends = edges[1:]
    touched = spells["first_touch_at"].fillna(spells["outcome_at"]).to_numpy()
    times, levels = zip(*thresholds, strict=True)
    cols = _Columns.of(ledger, ctx)
    judged = cols.due & ~prospect  # marketing's MQLs whose deadline fell inside the run
    on_time = judged & _on_time(cols.spells["first_touch_at"], cols.waited, ctx)
    frame = pd.DataFrame(
        {
            "week": np.arange(weeks),
            "week_start": pd.Timestamp(ctx.start_date) + pd.to_timedelta(edges[:-1], unit="D"),
            "warmup": edges[:-1] < ctx.start,
            "new_leads": count(ledger.created),
            "mqls": count(mql[~prospect]),
            "prospected": count(mql[prospect]),
            "sqls": count(sql_at),
            "opportunities_created": count(opened),
            "open_pipeline_count": _level(opened, resolved, ends),
            "open_pipeline_value": _level(opened, resolved, ends, value),
            "bookings": count(won_at, value),
            "deals_won": count(won_at),
            "sdr_queue": _level(mql, touched, ends),
            "ae_queue": _level(opps["queued_at"].to_numpy(), left_line, ends),
            "sla_judged": count(mql[judged]),
            "sla_on_time": count(mql[on_time]),
            "mql_threshold": np.asarray(levels)[np.searchsorted(times, edges[:-1], "right") - 1],
        }
    )
    return frame
