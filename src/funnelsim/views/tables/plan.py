"""Terminal tables of a plan: the levers, its chance beside the waterfall's, month by month."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from funnelsim.results.plan import TargetPlan
from funnelsim.views.formats import compact_money, duration_words, number, value, whole_percent
from funnelsim.views.tables.fit import Fitted
from funnelsim.views.text import literal

PLANS = (("pick", "plan"), ("waterfall", "reverse waterfall"), ("baseline", "today"))
"""The plans a table compares, by their key in the document, and what a column calls them."""


def headline(plan: TargetPlan) -> str:
    doc = plan.document
    target, period = doc["target"], doc["period"]["label"]
    goal = value(target["metric"], target["value"], plan.currency)
    side = "at least" if target["better"] > 0 else "at most"
    policy = f", policy {doc['policy']}" if doc["policy"] else ""
    return (
        f"Plan: {target['metric']} {side} {goal} in {period} with a chance of at least "
        f"{whole_percent(doc['probability'])} ({literal(doc['scenario'])}{policy})"
    )


def _change(change: dict[str, Any] | None, unit: str) -> str:
    if change is None or change["level"] == change["today"]:
        return "as today"
    if "hires" in change:
        return f"+{change['hires']} from {change['start']}"
    more = change["level"] - change["today"]
    return f"{more:+,.0f} from the start" if unit == "heads" else f"{more:+,.0f} a week"


def levers(plan: TargetPlan) -> Table:
    """Each lever today, in the plan and in the waterfall's plan, with what changes."""
    doc = plan.document
    table = Table(title="The levers")
    for head in ("lever", "today", "bounds", "plan", "", "reverse waterfall", ""):
        table.add_column(head, justify="left" if head in ("lever", "") else "right")
    for k, lever in enumerate(doc["levers"]):
        cells: list[str] = []
        for key in ("pick", "waterfall"):
            found = doc.get(key)
            if found is None:
                cells += ["—", ""]
                continue
            level = found["levels"][lever["name"]]
            cells += [number(level, 0), _change(found["changes"][k], lever["unit"])]
        bounds = f"{number(lever['low'], 0)} to {number(lever['high'], 0)}"
        table.add_row(literal(lever["name"]), number(lever["today"], 0), bounds, *cells)
    return table


def chances(plan: TargetPlan) -> Table:
    """The chance of reaching the target, with its interval, the period's figure and cost."""
    doc, code = plan.document, plan.currency
    metric = doc["target"]["metric"]
    table = Table(title=f"Chance of reaching the target, and what it costs ({code})")
    heads = (
        "",
        "chance",
        "95% interval",
        "runs",
        f"{metric} p10 / p50 / p90",
        "spend to period end",
        "spend in period",
    )
    for head in heads:
        table.add_column(head, justify="left" if not head else "right")
    for key, name in PLANS:
        found = doc.get(key)
        if found is None:
            continue
        q = found["quantiles"]
        spread = " / ".join(_bare(value(metric, q[p], code), code) for p in ("p10", "p50", "p90"))
        table.add_row(
            name,
            whole_percent(found["chance"]),
            f"{whole_percent(found['low'])} to {whole_percent(found['high'])}",
            str(found["runs"]),
            spread,
            _bare(compact_money(found["spend"], code), code),
            _bare(compact_money(found["period_spend"], code), code),
        )
    return table


def _bare(text: str, code: str) -> str:
    """An amount without its currency, which the table's title names."""
    return text.replace(f"{code} ", "")


def month_cells(plan: TargetPlan) -> tuple[list[str], list[list[str]]]:
    """The plan month by month, heads and rows: leads (in all, and from each source a lever
    moves), heads and hires by team, spend and bookings (means over replications; money
    without its currency)."""
    code = plan.currency
    sources = [lv["name"] for lv in plan.document["levers"] if lv["name"].startswith("leads.")]
    heads = ["month", "leads", *sources, "SDRs", "hired", "AEs", "hired", "spend", "bookings"]
    rows = []
    for _, row in plan.months_of("pick").iterrows():
        by_source = [number(row[f"leads_{s.removeprefix('leads.')}"], 0) for s in sources]
        rows.append([
            str(row["period"]),
            number(row["leads"], 0),
            *by_source,
            number(row["sdr_heads"], 1),
            number(row["sdr_hires"], 1) if row["sdr_hires"] else "",
            number(row["ae_heads"], 1),
            number(row["ae_hires"], 1) if row["ae_hires"] else "",
            _bare(compact_money(row["spend"], code), code),
            _bare(compact_money(row["bookings"], code), code),
        ])  # fmt: skip
    return heads, rows


def months(plan: TargetPlan) -> Table:
    """The plan month by month (:func:`month_cells`)."""
    heads, rows = month_cells(plan)
    table = Table(title=f"The plan month by month (means over replications, {plan.currency})")
    for head in heads:
        table.add_column(literal(head), justify="left" if head == "month" else "right")
    for row in rows:
        table.add_row(*row)
    return table


def notes(plan: TargetPlan) -> list[Text]:
    doc = plan.document
    out = []
    pick = doc["pick"]
    if pick is None:
        top = doc["unreachable"]
        out.append(
            Text(
                f"No plan within the bounds reaches the chance asked: with every lever at its "
                f"high bound the chance is {whole_percent(top['chance'])} "
                f"({whole_percent(top['low'])} to {whole_percent(top['high'])}). Widen a lever's "
                "bounds or add a lever."
            )
        )
    else:
        out.append(
            Text(
                "Probability that this is the cheapest plan reaching the chance asked, among it "
                "and the plans one step cheaper on each lever: "
                f"{whole_percent(pick['probability_correct_selection'])}."
            )
        )
    erlang = doc.get("erlang_c")
    if erlang and erlang["applies"]:
        agree = "agrees" if erlang["agrees"] else "does not agree"
        out.append(
            Text(
                f"Erlang C: the desk as an M/M/c queue ({erlang['mqls_per_hour']:.3g} MQLs an "
                f"hour, {erlang['work_hours']:.3g} h of work each) needs {erlang['sdrs']} SDRs; "
                "the plan's "
                f"{number(erlang['plan_sdrs'], 0)} {agree} within one head."
            )
        )
    method = doc["method"]
    out.append(
        Text(
            f"Search: {method['search']}; {doc['runs']:,} runs in "
            f"{duration_words(doc['wall_seconds']).removeprefix('about ')}. Hires start ramped by "
            "the period; the waterfall hires on its first day."
        )
    )
    return out


def plan_report(plan: TargetPlan) -> Group:
    """Everything the terminal shows at the end of ``funnelsim plan``."""
    parts: list = [Text(headline(plan)), Fitted(levers(plan)), Fitted(chances(plan))]
    if plan.found:
        parts.append(Fitted(months(plan)))
    return Group(*parts, *notes(plan))
