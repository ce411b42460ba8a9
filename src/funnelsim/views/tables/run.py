"""Terminal tables for a run, with rich: what a person reads instead of JSON."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.console import Console, Group
from rich.table import Table

from funnelsim.record.cohorts import HORIZONS, QUARTER
from funnelsim.record.registry import DURATIONS, FUNNEL_STAGES, LEAKAGE_REASONS, LEAKAGE_STAGES
from funnelsim.record.warmup import BATCH, SERIES, STANDARD_ERRORS, TOLERANCE
from funnelsim.views.formats import (
    compact_money,
    metric_label,
    metric_unit,
    number,
    share,
    significant,
    whole_money,
)
from funnelsim.views.tables.fit import Fitted
from funnelsim.views.text import literal

TIMES = (
    "lead_to_close_days",
    "mql_to_close_days",
    "opportunity_age_days",
    "speed_to_lead_hours",
    "ae_wait_days",
)
"""The durations of a run's timing table, each by its percentiles."""
WINDOW_DEALS = (
    "Revenue, win rate and deals won count the deals closed in the window, from leads of any "
    "time; the waterfall's last stage counts the window's own leads won, whenever they closed"
)
"""Why a run shows two counts of won deals."""
MONEY = (
    "average_deal",
    "marketing_spend_per_year",
    "sdr_cost_per_year",
    "ae_cost_per_year",
    "gtm_cost_per_year",
    "contribution_per_year",
    "cost_per_lead",
    "cost_per_sql",
    "cost_per_opportunity",
    "cost_per_won_deal",
)
"""The amounts of a run's headline table that stand alone: each states its period."""


def waterfall(m: dict[str, float]) -> Table:
    table = Table(title="Waterfall (leads created in the window, each stage ever reached)")
    for col in ("stage", "leads", "from previous", "from leads"):
        table.add_column(col, justify="left" if col == "stage" else "right")
    prev = None
    for name in FUNNEL_STAGES:
        n = m[name]
        table.add_row(
            metric_label(name),
            f"{n:,}",
            "" if prev is None else share(n / prev if prev else float("nan")),
            share(n / m["leads"] if m["leads"] else float("nan")),
        )
        prev = n
    return table


def headline(summary: dict[str, Any]) -> Table:
    m, cur = summary["metrics"], summary["currency"]
    pipeline = m["pipeline_created_value_per_year"]
    table = Table(title="Pipeline, revenue and cost", show_header=False, caption=WINDOW_DEALS)
    table.add_column("figure")
    table.add_column("value", justify="right")
    values = {
        "pipeline_created_value_per_year": f"{whole_money(pipeline, cur)} "
        f"({m['pipeline_created_count']:,} opps over the window)",
        "open_pipeline_value": f"{m['open_pipeline_count']:,} opps, "
        f"{whole_money(m['open_pipeline_value'], cur)}",
        "bookings_per_year": f"{whole_money(m['bookings_per_year'], cur)} "
        f"({whole_money(m['bookings'], cur)} from {m['deals_won']:,} deals over the window)",
        "win_rate": share(m["win_rate"]),
        **{name: whole_money(m[name], cur) for name in MONEY},
    }
    for name, text in values.items():
        table.add_row(metric_label(name), text)
    return table


def timing(m: dict[str, float]) -> Table:
    table = Table(title="Durations, speed to lead and capacity")
    for col in ("measure", "p10", "p50", "p90"):
        table.add_column(col, justify="left" if col == "measure" else "right")
    for key in TIMES:
        label = f"{DURATIONS[key]} ({metric_unit(f'{key}_p50', '')})"
        table.add_row(label, *(number(m[f"{key}_p{p}"]) for p in (10, 50, 90)))
    table.caption = (
        f"{metric_label('sla_compliance')} {share(m['sla_compliance'])} of "
        f"{m['mqls_judged_for_sla']:,} MQLs; "
        f"{metric_label('sdr_utilisation')} {share(m['sdr_utilisation'])}; "
        f"{metric_label('ae_utilisation')} {share(m['ae_utilisation'])}"
    )
    return table


def leakage(m: dict[str, float]) -> Table:
    table = Table(
        title=f"Leakage: {m['leaked']:,} leads ({share(m['leakage_rate'])}); "
        f"still open: {m['still_open_at_end']:,} ({share(m['still_open_share'])})"
    )
    table.add_column("reason")
    table.add_column("leads", justify="right")
    for name in LEAKAGE_REASONS:
        table.add_row(metric_label(name), f"{m[name]:,}")
    stages = (f"{_in_sentence(metric_label(name))} {m[name]:,}" for name in LEAKAGE_STAGES)
    table.caption = "by stage: " + ", ".join(stages)
    return table


OUTCOME_ROWS = {
    "Won": (("final_won",), "won_within_{}d", "won_share_first_quarter"),
    "Closed lost": (
        ("final_lost", "final_no_decision"),
        "closed_lost_within_{}d",
        "closed_lost_share_first_quarter",
    ),
    "Disqualified": (
        ("final_disqualified",),
        "disqualified_within_{}d",
        "disqualified_share_first_quarter",
    ),
    "Leaked": (("final_leaked",), "leaked_within_{}d", "leakage_rate_first_quarter"),
    "Still open": (
        ("still_open_at_end",),
        "still_open_after_{}d",
        "still_open_share_first_quarter",
    ),
}
"""Per row of the outcomes table: the final states it counts at the end, its figure within
each horizon of capture, and its share of the first quarter's leads."""


def outcomes(m: dict[str, float], window_start: str) -> Table:
    """The window's leads by outcome, still open beside: at the end, within each horizon of
    capture (open leads censored), and for the first quarter's leads followed to the end."""
    table = Table(title="Outcomes of the window's leads, the still open counted as open")
    within = [f"within {h} d" for h in HORIZONS]
    for col in ("outcome", "at the end", *within, "first quarter"):
        table.add_column(col, justify="left" if col == "outcome" else "right")
    for label, (finals, incidence, quarter) in OUTCOME_ROWS.items():
        ended = sum(m[name] for name in finals)
        at_end = ended / m["leads"] if m["leads"] else float("nan")
        cells = (at_end, *(m[incidence.format(h)] for h in HORIZONS), m[quarter])
        table.add_row(label, *map(share, cells))
    table.caption = (
        f"At the end: the {m['leads']:,} leads captured in the window, by their state when "
        "the run ends. Within: the share with that outcome that soon after capture "
        "(Aalen-Johansen; still open: no outcome yet), each lead still open at the end "
        f"censored there. First quarter: the {m['leads_first_quarter']:,} leads captured in "
        f"the {QUARTER:.0f} days from {window_start}, followed to the end."
    )
    return table


def _in_sentence(label: str) -> str:
    """A label inside a sentence: 'In nurture' as 'in nurture' (an acronym stays as it is)."""
    return label if label[:2].isupper() else label[0].lower() + label[1:]


COHORT = ("leads", "mqls", "sqls", "opportunities")
"""The columns of a group's leads: those created in the window, and how far they got."""
CLOSED = ("deals_won", "bookings_per_year", "win_rate")
"""The columns of a group's deals: those closed in the window, from leads of any time."""
COSTS = ("gtm_cost_per_year", "contribution_per_year", "cost_per_won_deal")
"""The columns of a group's costs, where the run splits them (by source)."""


def groups(frame: pd.DataFrame, title: str, currency: str) -> list[Table]:
    """Two tables per grouping, as the figures are counted: the window's leads, and the deals
    closed in the window."""
    leads = Table(title=f"{title}: leads created in the window")
    deals = Table(title=f"{title}: deals closed in the window, money per year")
    closed = CLOSED + (COSTS if set(COSTS) <= set(frame.columns) else ())
    for table, names in ((leads, COHORT), (deals, closed)):
        table.add_column("")
        for name in names:
            table.add_column(metric_label(name), justify="right")
    for name, row in frame.iterrows():
        leads.add_row(literal(str(name)), *(f"{row[n]:,.0f}" for n in COHORT))
        deals.add_row(
            literal(str(name)),
            f"{row['deals_won']:,.0f}",
            compact_money(row["bookings_per_year"], currency),
            share(row["win_rate"]),
            *(compact_money(row[n], currency) for n in closed[len(CLOSED) :]),
        )
    return [leads, deals]


def stationarity(diagnostic: dict[str, Any]) -> Table:
    """Each key series' two checks of the measured window, and the verdict they give."""
    verdict = {True: "stationary", False: "still filling up", None: "not judged"}
    table = Table(title=f"Measured window: {verdict[diagnostic['stationary']]}")
    for col in ("series", "year 2 / year 1", "standard errors", "MSER-5 warm-up", "filling up"):
        table.add_column(col, justify="left" if col == "series" else "right")
    for name, check in diagnostic["series"].items():
        judged = diagnostic["reason"] is None
        table.add_row(
            f"weekly {SERIES[name]}",
            f"{check['year_ratio']:.2f}x" if judged else "–",
            number(check["standard_errors"]) if judged else "–",
            _suggested(check),
            ("yes" if check["filling"] else "no") if judged else "–",
        )
    table.caption = diagnostic["reason"] or (
        f"filling up: year 2 differs from year 1 by over {TOLERANCE:.0%} and "
        f"{STANDARD_ERRORS:g} standard errors, and MSER-5 suggests a warm-up past "
        f"horizon.warmup ({diagnostic['warmup_weeks']:g} w) rounded up to {BATCH}-week batches"
    )
    return table


def _suggested(check: dict[str, Any]) -> str:
    """MSER-5's warm-up in weeks; ``≥`` when it is the latest the search could reach."""
    weeks = check["mser5_weeks"]
    if weeks != weeks:
        return "–"
    return f"{'≥ ' if check['mser5_at_search_limit'] else ''}{weeks:.0f} w"


def _start(summary: dict) -> str:
    """How the run started, for its title: from a steady start, or an empty one; with the
    deals open at the start, if a pipeline gave them."""
    start = summary.get("funnel_start", {})
    state = start.get("state")
    text = f" from {'a' if state == 'steady' else 'an'} {state} start" if state else ""
    if start.get("open_deals"):
        text += f", the {start['open_deals']:,} deals open on {start['pipeline_date']} taking over"
    return text


def run_report(result) -> Group:
    s = result.summary
    w = s["window"]
    policy = f", policy {literal(s['policy'])}" if s["policy"] else ""
    m = s["metrics"]
    title = (
        f"[bold]{literal(s['scenario'])}[/bold]{policy}, seed {s['seed']}: "
        f"{w['start']} to {w['end']} "
        f"({w['weeks']:g} weeks, {w['years']:.2f} years, after warm-up{_start(s)}; money per "
        f"year unless said); {m['leads_simulated']:,} leads simulated in "
        f"{s['runtime_seconds']:.1f}s, {m['events_per_lead']:.2f} events per lead"
    )
    tables = [
        waterfall(m),
        headline(s),
        timing(m),
        outcomes(m, w["start"]),
        leakage(m),
        *groups(result.by_source, "By source", s["currency"]),
        *groups(result.by_segment, "By segment", s["currency"]),
        stationarity(s["stationarity"]),
    ]
    return Group(title, *(Fitted(table) for table in tables))


def print_run(result, console: Console | None = None) -> None:
    """The run's tables on ``console`` (stdout by default, where ``:name:`` stays text)."""
    (console or Console(emoji=False)).print(run_report(result))


def calibration(frame: pd.DataFrame) -> Table:
    """Published anchors next to the simulated figures, with whether each lands in its band."""
    table = Table(title="Calibration: published figures versus this scenario")
    for col in ("anchor", "published", "band", "simulated", "in band", "source"):
        table.add_column(col, justify="right" if col in ("band", "simulated") else "left")
    for row in frame.itertuples():
        inside = row.low <= row.simulated <= row.high
        table.add_row(
            row.anchor.replace("_", " "),
            row.published,
            f"{significant(row.low)} – {significant(row.high)}",
            significant(row.simulated),
            "[green]yes[/]" if inside else "[red]no[/]",
            row.source,
        )
    return table
