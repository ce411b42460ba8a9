"""Terminal tables for a run, with rich: what a person reads instead of JSON."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.console import Console, Group
from rich.table import Table

from funnelsim.record.ledger import LEAK_REASONS, STAGE_OF_LEAK
from funnelsim.record.metrics import FUNNEL
from funnelsim.views.formats import compact_money, number, share, significant, whole_money


def waterfall(m: dict[str, float]) -> Table:
    table = Table(title="Waterfall (leads created in the window, each stage ever reached)")
    for col in ("stage", "leads", "from previous", "from leads"):
        table.add_column(col, justify="left" if col == "stage" else "right")
    prev = None
    for stage, name in FUNNEL:
        n = m[name]
        table.add_row(
            stage,
            f"{n:,}",
            "" if prev is None else share(n / prev if prev else float("nan")),
            share(n / m["leads"] if m["leads"] else float("nan")),
        )
        prev = n
    return table


def headline(summary: dict[str, Any]) -> Table:
    m, cur = summary["metrics"], summary["currency"]
    table = Table(title="Pipeline, revenue and cost", show_header=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        ("Pipeline created", f"{m['pipeline_created_count']:,} opps, "
         f"{whole_money(m['pipeline_created_value'], cur)}"),
        ("Open pipeline at end", f"{m['open_pipeline_count']:,} opps, "
         f"{whole_money(m['open_pipeline_value'], cur)}"),
        ("Bookings", f"{whole_money(m['bookings'], cur)} from {m['deals_won']:,} deals"),
        ("Win rate (opportunities closed)", share(m["win_rate"])),
        ("Average deal", whole_money(m["average_deal"], cur)),
        ("Lead spend", whole_money(m["lead_spend"], cur)),
        ("Cost per lead / opportunity / won deal",
         " / ".join(whole_money(m[k], cur) for k in
                    ("cost_per_lead", "cost_per_opportunity", "cost_per_won_deal"))),
    ]  # fmt: skip
    for row in rows:
        table.add_row(*row)
    return table


def timing(m: dict[str, float]) -> Table:
    table = Table(title="Cycle length, speed to lead and capacity")
    for col in ("measure", "p10", "p50", "p90"):
        table.add_column(col, justify="left" if col == "measure" else "right")
    for label, key in (("Lead to close (days)", "lead_to_close_days"),
                       ("MQL to close (days)", "mql_to_close_days"),
                       ("Opportunity age at close (days)", "opportunity_age_days"),
                       ("Speed to lead (business hours)", "speed_to_lead_hours"),
                       ("SQL wait for an AE (days)", "ae_wait_days")):  # fmt: skip
        table.add_row(label, *(number(m[f"{key}_p{p}"]) for p in (10, 50, 90)))
    table.caption = (
        f"SLA compliance {share(m['sla_compliance'])} of {m['mqls_judged_for_sla']:,} MQLs; "
        f"SDR utilisation {share(m['sdr_utilisation'])}; "
        f"AE utilisation {share(m['ae_utilisation'])}"
    )
    return table


def leakage(m: dict[str, float]) -> Table:
    table = Table(title=f"Leakage: {m['leaked']:,} leads ({share(m['leakage_rate'])} of leads)")
    table.add_column("reason")
    table.add_column("leads", justify="right")
    for reason in LEAK_REASONS:
        table.add_row(reason.replace("_", " "), f"{m[f'leaked_{reason}']:,}")
    table.caption = "by stage: " + ", ".join(f"{s} {m[f'leaked_in_{s}']:,}" for s in STAGE_OF_LEAK)
    return table


def groups(frame: pd.DataFrame, title: str, currency: str) -> Table:
    table = Table(title=title)
    for col in ("", "leads", "MQLs", "SQLs", "opps", "deals won", "bookings", "win rate",
                "cost/won"):  # fmt: skip
        table.add_column(col, justify="left" if not col else "right")
    for name, row in frame.iterrows():
        table.add_row(
            str(name), f"{row['leads']:,.0f}", f"{row['mqls']:,.0f}", f"{row['sqls']:,.0f}",
            f"{row['opportunities']:,.0f}", f"{row['deals_won']:,.0f}",
            compact_money(row["bookings"], currency), share(row["win_rate"]),
            compact_money(row["cost_per_won_deal"], currency),
        )  # fmt: skip
    table.caption = (
        "leads to opps: leads created in the window; deals won, bookings and win rate: "
        "what closed in the window"
    )
    return table


def run_report(result) -> Group:
    s = result.summary
    w = s["window"]
    policy = f", policy {s['policy']}" if s["policy"] else ""
    m = s["metrics"]
    title = (
        f"[bold]{s['scenario']}[/bold]{policy}, seed {s['seed']}: {w['start']} to {w['end']} "
        f"({w['weeks']:g} weeks after warm-up); {m['leads_simulated']:,} leads simulated in "
        f"{s['runtime_seconds']:.1f}s, {m['events_per_lead']:.2f} events per lead"
    )
    return Group(
        title,
        waterfall(m),
        headline(s),
        timing(m),
        leakage(m),
        groups(result.by_source, "By source", s["currency"]),
        groups(result.by_segment, "By segment", s["currency"]),
    )


def print_run(result, console: Console | None = None) -> None:
    (console or Console()).print(run_report(result))


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
