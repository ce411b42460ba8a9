"""The HTML report of a plan (``funnelsim plan``), for the people who decide: the question, the
answer written from the numbers, the plan beside the spreadsheet's reverse waterfall (which
reaches the target less often than it promises), month by month, the figures, and how it was
found. The page is the other reports': self-contained, with inline styles and SVG figures.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from funnelsim.base.files import atomic_write
from funnelsim.results.plan import TargetPlan
from funnelsim.views.formats import compact_money, duration_words, number, value, whole_percent
from funnelsim.views.plots.plan import chance_and_cost, over_time
from funnelsim.views.report.crm import PAGES, VERSION
from funnelsim.views.report.html import TEMPLATES, Figure, svg_of, unique_ids
from funnelsim.views.report.sentences import join
from funnelsim.views.tables.plan import month_cells
from funnelsim.views.text import printable

PLANS = {"pick": "plan", "waterfall": "reverse waterfall", "baseline": "today"}
PLANS |= {"unreachable": "every lever at its high bound"}
"""The plans the chances table compares, by their key in the document, and their row's name."""
QUANTILES = ("p10", "p50", "p90")
TEAMS = {"sdr": "SDR", "ae": "AE"}  # the team levers, as a sentence names one head
FIGURES = {"plan_chance": ("Chance against cost", chance_and_cost)}
FIGURES |= {"plan_over_time": ("The plan over time", over_time)}
READINGS = {
    "plan_chance": "Each grey dot is a plan the search tried: its chance of reaching the target "
    "(up) against its go-to-market spend to the period's end (across), with its 95% interval; "
    "the dotted line is the chance asked, and the plan the cheapest dot found above it.",
    "plan_over_time": "Heads on the SDR desk and in the AE team, and bookings, month by month: "
    "the plan (solid) hires early enough for new heads to be ramped by the period (dotted).",
}
"""How to read each figure, in one line; below, what the reverse waterfall adds to it."""
WATERFALL = {
    "plan_chance": " The reverse waterfall's dot is the spreadsheet's plan, simulated.",
    "plan_over_time": " The reverse waterfall (dashed) hires on the period's first day.",
}


def write_plan_report(plan: TargetPlan, path: Path) -> Path:
    """Write a plan's report atomically."""
    html = render(plan)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    return path


def render(plan: TargetPlan) -> str:
    """A plan's report as one HTML document."""
    doc = plan.document
    return PAGES.get_template("plan.html.j2").render(
        title=f"Plan: {_goal(plan)} in {doc['period']['label']}",
        question=question(plan),
        verdict=answer(plan),
        levers=lever_rows(doc),
        chances=chance_rows(plan),
        months=month_cells(plan),
        figures=figures(plan),
        erlang=check if (check := doc.get("erlang_c")) and check.get("applies") else None,
        method=doc["method"] | {"tried": f"{len(plan.evaluations):,}", "wall": _wall(doc)},
        doc=doc,
        provenance=provenance(plan),
        metric=_words(doc["target"]["metric"]),
        css=TEMPLATES.joinpath("report.css").read_text(),
    )


def _words(metric: str) -> str:
    """A metric's name as a sentence says it: ``deals won``, ``SLA compliance within 15m``."""
    return re.sub(r"\bsla\b", "SLA", metric.replace("_", " "))


def _goal(plan: TargetPlan) -> str:
    """The target as a sentence says it: ``deals won of at least 1,700``."""
    target = plan.document["target"]
    side = "at least" if target["better"] > 0 else "at most"
    goal = value(target["metric"], target["value"], plan.currency)
    return f"{_words(target['metric'])} of {side} {goal}"


def question(plan: TargetPlan) -> str:
    """The question a plan answers, in one line under the title."""
    doc = plan.document
    return (
        f"What does it take to reach {_goal(plan)} in {doc['period']['label']} with a chance "
        f"of at least {whole_percent(doc['probability'])}?"
    )


def answer(plan: TargetPlan) -> list[str]:
    """The plan, or how close the bounds come; then the reverse waterfall's, with its chance."""
    out = _found(plan) if plan.found else _unreachable(plan)
    return out + ([_waterfall(plan)] if plan.document.get("waterfall") else [])


def _chance(found: dict[str, Any]) -> str:
    low, high = whole_percent(found["low"]), whole_percent(found["high"])
    return f"{whole_percent(found['chance'])} (95% interval {low} to {high}, {found['runs']} runs)"


def _level(lever: dict[str, Any], level: float) -> str:
    """A lever's level as a sentence says it: ``12 SDRs``, ``1,500 leads a week from paid``."""
    name = lever["name"]
    if name in TEAMS:
        return f"{number(level, 0)} {TEAMS[name]}{'' if level == 1 else 's'}"
    return f"{number(level, 0)} leads a week from {name.removeprefix('leads.')}"


def _change(lever: dict[str, Any], change: dict[str, Any]) -> str | None:
    """What a plan changes on one lever, with hires and their start date; None for nothing."""
    level, today = change["level"], change["today"]
    if level == today:
        return None
    if "hires" in change:
        heads = f"{change['hires']} {TEAMS[lever['name']]}{'' if change['hires'] == 1 else 's'}"
        return f"hire {heads} from {change['start']} ({_level(lever, level)} in all)"
    return f"{_level(lever, level)} instead of today's {number(today, 0)}"


def _changes(doc: dict[str, Any], found: dict[str, Any]) -> str:
    """Everything a plan changes, or that it keeps today's levels."""
    said = [_change(lv, c) for lv, c in zip(doc["levers"], found["changes"], strict=True)]
    said = [p for p in said if p]
    return join(said) if said else "keep every lever as it is today"


def _levels(doc: dict[str, Any], found: dict[str, Any]) -> str:
    return join([_level(lever, found["levels"][lever["name"]]) for lever in doc["levers"]])


def _found(plan: TargetPlan) -> list[str]:
    """What the plan changes; its chance, how sure the search is it is the cheapest, spend."""
    doc, code = plan.document, plan.currency
    pick, period = doc["pick"], doc["period"]["label"]
    return [
        f"The plan: {_changes(doc, pick)}.",
        f"It reaches the target with a chance of {_chance(pick)}; the probability that it is "
        "the cheapest plan that does, against the plans one step cheaper on each lever, is "
        f"{whole_percent(pick['probability_correct_selection'])}. It spends "
        f"{compact_money(pick['spend'], code)} on go-to-market to the end of {period}, "
        f"{compact_money(pick['period_spend'], code)} of it in {period}.",
    ]


def _unreachable(plan: TargetPlan) -> list[str]:
    """No plan within the bounds does it: how close every lever at its high bound comes."""
    doc, code, top = plan.document, plan.currency, plan.document["unreachable"]
    return [
        f"No plan within the bounds reaches the target with a chance of at least "
        f"{whole_percent(doc['probability'])}: with every lever at its high bound "
        f"({_levels(doc, top)}) the chance is {_chance(top)}, for "
        f"{compact_money(top['spend'], code)} to the end of {doc['period']['label']}. Widen a "
        "lever's bounds or add a lever."
    ]


def _waterfall(plan: TargetPlan) -> str:
    """The spreadsheet's plan: its cost against ours, its simulated chance against the one asked."""
    doc, code = plan.document, plan.currency
    found, asked, pick = doc["waterfall"], whole_percent(doc["probability"]), doc["pick"]
    than = ""
    if pick is not None:
        more = found["spend"] - pick["spend"]
        than = f" ({compact_money(abs(more), code)} {'more' if more >= 0 else 'less'} than ours)"
    head = (
        "The spreadsheet's reverse waterfall, which scales today's funnel up to the target at "
        f"fixed rates and hires on the period's first day, plans {_levels(doc, found)} for "
        f"{compact_money(found['spend'], code)}{than}; simulated the same way, it reaches the "
    )
    if found["chance"] < doc["probability"]:
        return (
            f"{head}target with a chance of only {_chance(found)}: short of the {asked} asked, "
            "though on paper it lands on the target."
        )
    return f"{head}target with a chance of {_chance(found)}, at least the {asked} asked."


def lever_rows(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Each lever today, its bounds, and its level in the plan and in the waterfall's plan,
    each with what it changes."""
    rows = []
    for k, lever in enumerate(doc["levers"]):
        cells = [("–", "")] * 2
        for j, found in enumerate(doc.get(key) for key in ("pick", "waterfall")):
            if found is not None:
                level = number(found["levels"][lever["name"]], 0)
                cells[j] = (level, _change(lever, found["changes"][k]) or "as today")
        unit = "heads" if lever["name"] in TEAMS else "leads a week"
        bounds = f"{number(lever['low'], 0)} to {number(lever['high'], 0)}"
        rows.append((lever["name"], unit, number(lever["today"], 0), bounds, cells))
    return rows


def chance_rows(plan: TargetPlan) -> list[list[str]]:
    """The chance of reaching the target with its interval and runs, the target's figure
    (p10, p50, p90 over the replications) and the spend, for each plan the document holds."""
    doc, code = plan.document, plan.currency
    metric, rows = doc["target"]["metric"], []
    for key, name in PLANS.items():
        if not (found := doc.get(key)):
            continue
        spread = " / ".join(value(metric, found["quantiles"][p], code) for p in QUANTILES)
        interval = f"{whole_percent(found['low'])} to {whole_percent(found['high'])}"
        rows.append([name, whole_percent(found["chance"]), interval, f"{found['runs']:,}"])
        rows[-1] += [spread, *(compact_money(found[k], code) for k in ("spend", "period_spend"))]
    return rows


def figures(plan: TargetPlan) -> list[Figure]:
    """Both figures as inline SVG with their readings; over time only if there are months."""
    out, spreadsheet = [], bool(plan.document.get("waterfall"))
    for name, (title, draw) in list(FIGURES.items())[: 1 if plan.months.empty else 2]:
        svg = unique_ids(svg_of(draw(plan)[0].figure), name)
        out.append(Figure(name, title, svg, READINGS[name] + WATERFALL[name] * spreadsheet))
    return out


def _wall(doc: dict[str, Any]) -> str:
    return duration_words(doc["wall_seconds"]).removeprefix("about ")


def provenance(plan: TargetPlan) -> list[tuple[str, str]]:
    """Where the numbers came from: enough to run the plan again."""
    doc, period = plan.document, plan.document["period"]
    sets = "; ".join(f"{k} = {json.dumps(v)}" for k, v in doc["overrides"].items()) or "none"
    out = [("funnelsim version", VERSION), ("folder", printable(plan.path))]
    out += [("scenario", doc["scenario"]), ("policy", doc["policy"] or "the scenario's own")]
    out += [("overrides", sets), ("target", doc["target"]["words"])]
    out += [("period", f"{period['label']}: {period['start']} up to {period['end']}")]
    out += [("scenario start", doc["start_date"]), ("root seed", str(doc["seed"]))]
    out += [("runs", f"{doc['runs']:,}"), ("wall time", _wall(doc))]
    written = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return [(name, printable(text)) for name, text in out] + [("report written", written)]
