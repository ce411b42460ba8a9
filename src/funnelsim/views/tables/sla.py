"""Terminal tables for an SLA stress test: clause by condition, who breaches, impact, capacity."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from funnelsim.results import SlaResults
from funnelsim.results.sla import PROPOSAL, condition_title
from funnelsim.views.formats import metric_label, value, whole_percent


def _style(share: float | None, target: float) -> str:
    if share is None:
        return "dim"
    return "green" if share >= target else "yellow" if share >= 0.5 else "red"


def clause_table(sla: SlaResults) -> Table:
    """Per clause and condition: the chance the clause holds in a period, proposal first."""
    doc = sla.document
    target, period = doc["probability"], doc["proposal"]["period"]
    baseline = doc["baseline"]
    conditions = [c["name"] for c in doc["conditions"]]
    table = Table(
        title=f"Chance each clause holds in a {period}",
        caption=f"Proposal's chance, its 95% interval, and {baseline}'s chance (vs); "
        f"green: at least {target:.0%}",
    )
    table.add_column("clause")
    for name in conditions:
        table.add_column(condition_title(name), justify="right")
    cells = {(r["condition"], r["policy"], r["clause"]): r for r in doc["compliance"]}
    sides = [c["side"] for c in doc["clauses"]]
    for k, clause in enumerate(doc["clauses"]):
        row = [f"[bold]{clause['side'].capitalize()}[/]: {clause['label']}"]
        for name in conditions:
            mine = cells.get((name, PROPOSAL, clause["name"]))
            base = cells.get((name, baseline, clause["name"]))
            if mine is None:
                row.append("–")
                continue
            share = mine["held_share"]
            text = f"[{_style(share, target)}]{whole_percent(share)}[/]"
            if mine["ci_low"] is not None and mine["ci_high"] is not None:
                text += (
                    f"\n[dim]{whole_percent(mine['ci_low'])}–{whole_percent(mine['ci_high'])}[/]"
                )
            if base is not None:
                text += f"\n[dim]vs {whole_percent(base['held_share'])}[/]"
            row.append(text)
        last_of_side = k + 1 < len(sides) and sides[k + 1] != clause["side"]
        table.add_row(*row, end_section=last_of_side)
    return table


def breach_table(sla: SlaResults) -> Table:
    """Per condition: which side of the proposal breaks a clause first, and how often."""
    doc = sla.document
    runs = doc["replications"]
    table = Table(title=f"Who breaches first under the proposal (share of {runs} runs)")
    table.add_column("condition")
    for column in ("marketing first", "sales first", "same period", "neither"):
        table.add_column(column, justify="right")
    table.add_column("periods broken: mkt / sales", justify="right")
    for row in doc["breaches"]:
        if row["policy"] != PROPOSAL:
            continue
        table.add_row(
            condition_title(row["condition"]),
            *(whole_percent(row[f"first_{w}"]) for w in ("marketing", "sales", "both", "neither")),
            " / ".join(whole_percent(row[f"{s}_breach_share"]) for s in ("marketing", "sales")),
        )
    return table


def impact_table(sla: SlaResults, currency: str) -> Table:
    """Per figure and condition: proposal minus baseline, with its 95% interval."""
    doc = sla.document
    conditions = [c["name"] for c in doc["conditions"]]
    table = Table(title=f"Proposal − {doc['baseline']}: mean paired difference (95% interval)")
    table.add_column("figure")
    for name in conditions:
        table.add_column(condition_title(name), justify="right")
    rows = {(r["metric"], r["condition"]): r for r in doc["impact"]}
    for metric in dict.fromkeys(r["metric"] for r in doc["impact"]):
        cells = [metric_label(metric)]
        for name in conditions:
            r = rows.get((metric, name))
            if r is None:
                cells.append("–")
                continue
            text = value(metric, _nan(r["difference"]), currency, signed=True)
            low, high = _nan(r["ci_low"]), _nan(r["ci_high"])
            if low == low:
                low_text = value(metric, low, "", signed=True)
                text += f"\n[dim]{low_text} to {value(metric, high, '', signed=True)}[/]"
            cells.append(text)
        table.add_row(*cells)
    return table


def _nan(x: float | None) -> float:
    return float("nan") if x is None else x


def _search(found: dict[str, Any], role: str, count: str, share: str) -> tuple[str, str]:
    """A headcount search in words: what it found, and the share at every count probed."""
    needed = found["needed"]
    verdict = f"{needed} {role} needed" if needed is not None else "none up to the limit"
    return verdict, ", ".join(f"{p[count]}: {whole_percent(p[share])}" for p in found["probes"])


def capacity_text(sla: SlaResults) -> Text:
    """The headcount the proposal needs, in a sentence per role."""
    cap = sla.capacity
    if cap is None:
        return Text("Capacity not sought (--no-capacity).")
    target = cap["probability"]
    lines = []
    sdr, ae = cap["sdr"], cap["ae"]
    if sdr is None:
        lines.append("SDRs: no first-touch clause to size the desk for")
    else:
        verdict, probes = _search(sdr, "SDRs", "headcount", "held_share")
        lines.append(
            f"SDRs: {sdr['current']} in the proposal; {verdict} for the first-touch clause to "
            f"hold with {target:.0%} probability (chance by headcount: {probes})"
        )
    if ae is not None:
        verdict, probes = _search(ae, "AEs", "ae_count", "runs_within")
        lines.append(
            f"AEs: {ae['current']} in the proposal; {verdict} with {ae['sdr_headcount']} SDRs "
            f"so that {ae['criterion']} in {target:.0%} of runs (runs within, by AEs: {probes})"
        )
    return Text("\n".join(lines))


def sla_report(sla: SlaResults, currency: str) -> Group:
    """Everything the terminal shows at the end of ``funnelsim sla``."""
    doc = sla.document
    name = doc["proposal"]["name"] or "SLA proposal"
    head = Text(
        f"{name}: proposal against {doc['baseline']} on {doc['scenario']}, "
        f"{doc['replications']} replications per condition",
        style="bold",
    )
    parts: list[Any] = [head, clause_table(sla), breach_table(sla), impact_table(sla, currency)]
    parts.append(capacity_text(sla))
    if sla.path is not None:
        parts.append(Text(f"results: {sla.path}", style="bold"))
        parts.append(Text(f"figures and report: funnelsim report {sla.path}"))
    return Group(*parts)
