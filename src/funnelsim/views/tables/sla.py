"""Terminal tables for an SLA stress test: clause by condition, who breaches, impact, capacity."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from funnelsim.results import SlaResults
from funnelsim.results.sla import PROPOSAL, Estimate, Search, condition_title
from funnelsim.views.formats import metric_label, value, whole_percent
from funnelsim.views.tables.fit import Fitted
from funnelsim.views.text import literal, printable


def _style(share: float, target: float) -> str:
    if share != share:
        return "dim"
    return "green" if share >= target else "yellow" if share >= 0.5 else "red"


def clause_table(sla: SlaResults) -> Table:
    """Per clause and condition: the chance the clause holds in a period, proposal first."""
    table = Table(
        title=f"Chance each clause holds in a {sla.period}",
        caption=f"Proposal's chance, its 95% interval, and {literal(sla.baseline)}'s chance (vs); "
        f"green: at least {sla.target:.0%}",
    )
    table.add_column("clause")
    for condition in sla.conditions:
        table.add_column(literal(condition.title), justify="right")
    held, clauses = sla.held, sla.clauses
    for k, clause in enumerate(clauses):
        row = [f"[bold]{clause.side.capitalize()}[/]: {literal(clause.label)}"]
        for condition in sla.conditions:
            mine = held.get((clause.name, condition.name, PROPOSAL))
            base = held.get((clause.name, condition.name, sla.baseline))
            row.append("–" if mine is None else _chance_cell(mine, base, sla.target))
        last_of_side = k + 1 < len(clauses) and clauses[k + 1].side != clause.side
        table.add_row(*row, end_section=last_of_side)
    return table


def _chance_cell(mine: Estimate, base: Estimate | None, target: float) -> str:
    """The proposal's chance toned by the target, its interval, and the baseline's chance."""
    text = f"[{_style(mine.mean, target)}]{whole_percent(mine.mean)}[/]"
    if mine.low == mine.low and mine.high == mine.high:
        text += f"\n[dim]{whole_percent(mine.low)}–{whole_percent(mine.high)}[/]"
    if base is not None:
        text += f"\n[dim]vs {whole_percent(base.mean)}[/]"
    return text


def breach_table(sla: SlaResults) -> Table:
    """Per condition: which side of the proposal breaks a clause first, and how often."""
    table = Table(title=f"Who breaches first under the proposal (share of {sla.replications} runs)")
    table.add_column("condition")
    for column in ("marketing first", "sales first", "same period", "neither"):
        table.add_column(column, justify="right")
    table.add_column("periods broken: mkt / sales", justify="right")
    for condition, row in sla.first_breaches().items():
        table.add_row(
            literal(condition_title(condition)),
            *(whole_percent(row[f"first_{w}"]) for w in ("marketing", "sales", "both", "neither")),
            " / ".join(whole_percent(row[f"{s}_breach_share"]) for s in ("marketing", "sales")),
        )
    return table


def impact_table(sla: SlaResults, currency: str) -> Table:
    """Per figure and condition: proposal minus baseline, with its 95% interval."""
    title = f"Proposal − {literal(sla.baseline)}: mean paired difference (95% interval)"
    table = Table(title=title)
    table.add_column("figure")
    for condition in sla.conditions:
        table.add_column(literal(condition.title), justify="right")
    impacts = sla.impacts
    for metric in dict.fromkeys(m for m, _ in impacts):
        cells = [metric_label(metric)]
        for condition in sla.conditions:
            found = impacts.get((metric, condition.name))
            cells.append("–" if found is None else _difference_cell(metric, found, currency))
        table.add_row(*cells)
    return table


def _difference_cell(metric: str, difference: Estimate, currency: str) -> str:
    """A paired difference in the figure's unit, with its interval where it has one."""
    text = value(metric, difference.mean, currency, signed=True)
    low, high = difference.low, difference.high
    if low == low:
        low_text = value(metric, low, "", signed=True)
        text += f"\n[dim]{low_text} to {value(metric, high, '', signed=True)}[/]"
    return text


def _search(found: Search, role: str) -> tuple[str, str]:
    """A headcount search in words: what it found, and the share at every count probed."""
    needed = found.needed
    verdict = f"{needed} {role} needed" if needed is not None else "none up to the limit"
    return verdict, ", ".join(f"{p.count}: {whole_percent(p.chance.mean)}" for p in found.probes)


def capacity_text(sla: SlaResults) -> Text:
    """The headcount the proposal needs, in a sentence per role."""
    cap = sla.headcount
    if cap is None:
        return Text("Capacity not sought (--no-capacity).")
    lines = []
    sdr, ae = cap.sdr, cap.ae
    if sdr is None:
        lines.append("SDRs: no first-touch clause to size the desk for")
    else:
        verdict, probes = _search(sdr, "SDRs")
        lines.append(
            f"SDRs: {sdr.current} in the proposal; {verdict} for the first-touch clause to "
            f"hold with {cap.target:.0%} probability (chance by headcount: {probes})"
        )
    if ae is not None:
        verdict, probes = _search(ae, "AEs")
        lines.append(
            f"AEs: {ae.current} in the proposal; {verdict} with {cap.ae_sdrs} SDRs "
            f"so that {ae.promise} in {cap.target:.0%} of runs (runs within, by AEs: {probes})"
        )
    return Text("\n".join(lines))


def sla_report(sla: SlaResults, currency: str) -> Group:
    """Everything the terminal shows at the end of ``funnelsim sla``."""
    head = Text(
        f"{printable(sla.name)}: proposal against {printable(sla.baseline)} on "
        f"{printable(sla.scenario)}, {sla.replications} replications per condition",
        style="bold",
    )
    tables = (clause_table(sla), breach_table(sla), impact_table(sla, currency))
    parts: list[Any] = [head, *(Fitted(table) for table in tables)]
    parts.append(capacity_text(sla))
    if sla.path is not None:
        where = printable(sla.path)
        parts.append(Text(f"results: {where}", style="bold"))
        parts.append(Text(f"figures and report: funnelsim report {where}"))
    return Group(*parts)
