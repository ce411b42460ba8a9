"""One self-contained HTML report of an experiment, for the people who decide.

The question and the answer come first, in numbers and in two or three sentences written from
those numbers; the figures follow, each with a line on how to read it; then the assumptions
each policy makes, and where the results came from. An SLA stress test's folder (``sla.json``)
puts the proposal's verdict before the answer: which clauses hold, under which stress they
break, who breaches first, the headcount needed and the revenue at stake. Figures are inline
SVG and the styles are inline, so the file opens offline, travels by e-mail and prints cleanly.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from funnelsim.base.files import atomic_write
from funnelsim.base.mapping import dotted
from funnelsim.record.registry import KEY_METRICS
from funnelsim.record.registry import metric as metric_entry
from funnelsim.results import Results, SlaResults
from funnelsim.results.sla import PROPOSAL, condition_title
from funnelsim.results.stats import direction
from funnelsim.views.formats import currency, metric_label, value, whole_percent
from funnelsim.views.tables.experiments import replications

KEY_PARAMETERS = (
    "horizon.length",
    "horizon.warmup",
    "scoring.mql_threshold",
    "scoring.closed_loop.enabled",
    "sla.response_time",
    "sla.enforced",
    "sdr.headcount",
    "sdr.attempts",
    "sdr.attempt_spacing",
    "sdr.queue",
    "sales.ae_count",
    "sales.max_open_per_ae",
    "recycle.rejected.enabled",
    "recycle.unreachable.enabled",
    "recycle.stalled.enabled",
)
"""Parameters always shown among the assumptions, whether or not the policies differ."""


@dataclass(frozen=True)
class Figure:
    """One embedded figure: its name, its inline SVG and the line that says how to read it."""

    name: str
    title: str
    svg: str
    reading: str


def svg_of(figure: Any) -> str:
    """A matplotlib figure as inline SVG markup, without the XML prologue."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _ids(text: str, prefix: str) -> str:
    """Make an SVG's element ids unique in the page: several inline SVGs share one namespace."""
    text = re.sub(r'id="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', text)
    return re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", text).replace(
        'xlink:href="#', f'xlink:href="#{prefix}-'
    )


def _cell(
    metric: str, row: pd.Series, money: str, signed: bool = False, narrow: bool = False
) -> dict[str, str]:
    """A mean and its interval; ``narrow`` leaves the currency out of the interval, for tables
    with a column per condition."""
    mean = value(metric, row["mean"], money, signed)
    if row["ci_low"] != row["ci_low"]:
        return {"value": mean, "interval": ""}
    code = "" if narrow else money
    low, high = (value(metric, row[k], code, signed) for k in ("ci_low", "ci_high"))
    return {"value": mean, "interval": f"{low} to {high}"}


def headline(results: Results, point: int = 0) -> list[dict[str, Any]]:
    """The headline table: per key metric, each policy's mean and interval, the paired
    differences from the baseline, and the share of replications each policy wins."""
    policies, money = results.manifest["policies"], currency(results)
    summary = results.summary[results.summary["point"] == point]
    diffs = results.differences[results.differences["point"] == point]
    rows = []
    for metric in [m for m in KEY_METRICS if m in set(summary["metric"])]:
        by_policy = summary[summary["metric"] == metric].set_index("policy")
        row: dict[str, Any] = {
            "metric": metric_label(metric),
            "means": [_cell(metric, by_policy.loc[p], money) for p in policies],
            "wins": [whole_percent(by_policy.loc[p, "win_share"]) for p in policies],
            "differences": [],
        }
        for label in policies[1:]:
            d = diffs[(diffs["metric"] == metric) & (diffs["policy"] == label)]
            cell = _cell(metric, d.iloc[0], money, signed=True) if len(d) else {"value": "–"}
            cell["tone"] = _tone(metric, d.iloc[0]) if len(d) else ""
            row["differences"].append(cell)
        rows.append(row)
    return rows


def _tone(metric: str, diff: pd.Series) -> str:
    """'better' or 'worse' when the interval excludes zero, else '' (cannot tell)."""
    low, high = diff["ci_low"], diff["ci_high"]
    if not (low > 0 or high < 0):
        return ""
    return "better" if (low > 0) == (direction(metric) > 0) else "worse"


def verdict(results: Results, point: int = 0) -> list[str]:
    """Two or three sentences from the numbers, saying how sure they are."""
    policies, money = results.manifest["policies"], currency(results)
    if len(policies) < 2:
        return _sweep_verdict(results)
    diffs = results.differences[results.differences["point"] == point].set_index(
        ["policy", "metric"]
    )
    means = results.summary[results.summary["point"] == point].set_index(["policy", "metric"])
    base, sentences = policies[0], []
    for other in policies[1:]:
        if (other, "bookings") in diffs.index:
            revenue = {p: means.loc[(p, "bookings"), "mean"] for p in (base, other)}
            sentences.append(_revenue(other, base, diffs.loc[(other, "bookings")], revenue, money))
            sentences += _tradeoffs(diffs, other, base)
    return sentences


def _revenue(other: str, base: str, d: pd.Series, revenue: dict, money: str) -> str:
    """The revenue sentence: the difference with its interval, or that none can be told."""
    low, high = (value("bookings", d[k], money, signed=True) for k in ("ci_low", "ci_high"))
    n = int(d["n"])
    if not _tone("bookings", d):
        return (
            f"On revenue, {other} and {base} cannot be told apart after {n} replications: "
            f"the difference is {value('bookings', d['mean'], money, signed=True)}, with a "
            f"95% interval from {low} to {high} that includes zero. More replications "
            "(--precision) would narrow it."
        )
    more = "more" if d["mean"] > 0 else "less"
    share = d["policy_better"] if more == "more" else d["baseline_better"]
    books = {p: value("bookings", revenue[p], money) for p in (base, other)}
    return (
        f"{other.capitalize()} books {books[other]} against {books[base]} for {base}: "
        f"{value('bookings', abs(d['mean']), money)} {more} (95% interval {low} to {high}), "
        f"and {more} in {share:.0%} of {n} paired replications."
    )


def _tradeoffs(diffs: pd.DataFrame, other: str, base: str) -> list[str]:
    """What else clearly moves, for better and for worse, beyond revenue."""
    gains, costs = [], []
    for metric in KEY_METRICS[1:]:
        if (other, metric) not in diffs.index:
            continue
        d = diffs.loc[(other, metric)]
        tone = _tone(metric, d)
        change = _change(metric, d["mean"])
        if tone == "better":
            gains.append(change)
        elif tone == "worse":
            costs.append(change)
    out = []
    if gains:
        out.append(f"Against {base}, {other} also has {_join(gains[:3])}.")
    if costs:
        out.append(f"It is not free: {_join(costs)}.")
    return out


def _change(metric: str, mean: float) -> str:
    entry = metric_entry(metric)
    return f"{entry.rise if mean > 0 else entry.fall} ({value(metric, mean, '', True)})"


def _join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _sweep_verdict(results: Results) -> list[str]:
    """For one policy over sweep points: where the revenue is highest and lowest."""
    money = currency(results)
    revenue = results.summary[results.summary["metric"] == "bookings"]
    if revenue.empty:
        return []
    best, worst = revenue.loc[revenue["mean"].idxmax()], revenue.loc[revenue["mean"].idxmin()]
    points = results.manifest["points"]

    def where(row: pd.Series) -> str:
        values = points[int(row["point"])]
        return ", ".join(f"{k} = {v}" for k, v in values.items()) or "the base scenario"

    def amount(row: pd.Series) -> str:
        half = (row["ci_high"] - row["ci_low"]) / 2
        return f"{value('bookings', row['mean'], money)} ± {value('bookings', half, '')}"

    return [
        f"Revenue is highest at {where(best)}: {amount(best)} (mean ± 95% half-width), and "
        f"lowest at {where(worst)}: {amount(worst)}.",
        "Points whose intervals overlap cannot be told apart at this number of replications.",
    ]


def assumptions(results: Results) -> list[dict[str, Any]]:
    """Key parameters of each policy side by side; every parameter the policies differ on."""
    policies = results.manifest["policies"]
    scenarios = results.manifest["scenario"]
    flat = {p: dotted(scenarios[p]["resolved"]) for p in policies}
    keys = [k for k in flat[policies[0]] if not k.startswith(("policies", "policy"))]
    rows = []
    for key in keys:
        values = [_plain(flat[p].get(key)) for p in policies]
        differs = len(set(values)) > 1
        if differs or key in KEY_PARAMETERS:
            rows.append({"key": key, "values": values, "differs": differs})
    return rows


def _plain(item: Any) -> str:
    if isinstance(item, Mapping):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in item.items())
    if isinstance(item, list):
        return ", ".join(map(_plain, item))
    return str(item)


def provenance(results: Results) -> list[tuple[str, str]]:
    """Where the numbers came from: enough to run the experiment again."""
    m = results.manifest
    hashes = ", ".join(f"{p}: {s['hash'][:19]}…" for p, s in m["scenario"].items())
    return [
        ("funnelsim version", m["funnelsim_version"]),
        ("scenario", str(m["experiment"]["scenario"])),
        ("scenario content hash", hashes),
        ("root seed", str(m["root_seed"])),
        ("common random numbers", m["common_random_numbers"].replace("_", " ")),
        ("replications", replications(results)),
        ("failed replications", str(m.get("failed", 0))),
        ("command", m["command"]),
        ("run", f"{m['started']} to {m['finished']}"),
        ("report written", dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
    ]


def question(results: Results) -> str:
    """The question the experiment asks, in one line under the title."""
    m = results.manifest
    policies = m["policies"]
    if len(policies) > 1 and len(m["points"]) == 1:
        return f"Does {', '.join(policies[1:])} pay, compared with {policies[0]}?"
    return f"How do the results respond to {', '.join(m['factors']) or 'the policies'}?"


# -- an SLA stress test ------------------------------------------------------------------------
def sla_section(sla: SlaResults, money: str) -> dict[str, Any]:
    """What the report says about an SLA proposal: its name, the verdict in sentences, the
    clause by condition table and the impact table."""
    doc = sla.document
    return {
        "name": doc["proposal"]["name"] or "SLA proposal",
        "description": (doc["proposal"]["description"] or "").strip(),
        "verdict": sla_verdict(sla, money),
        "period": doc["proposal"]["period"],
        "target": _target(doc["probability"]),
        "conditions": [
            {"name": condition_title(c["name"]), "description": c["description"]}
            for c in doc["conditions"]
        ],
        "clauses": clause_rows(sla),
        "impact": impact_rows(sla, money),
    }


def sla_question(sla: SlaResults) -> str:
    """The question a stress test asks, in one line under the title."""
    return (
        "Does the proposal hold, in normal times and under stress, and what does it do "
        f"against {sla.document['baseline']}?"
    )


def _target(p: float) -> str:
    return f"{100 * p:g}%"


def _numbers(record: Mapping[str, Any], *keys: str) -> list[float]:
    """A verdict record's numbers, with NaN where ``sla.json`` has none."""
    return [float("nan") if record[k] is None else float(record[k]) for k in keys]


def _difference(record: Mapping[str, Any]) -> pd.Series:
    """An impact record as a difference row: ``mean``, ``ci_low``, ``ci_high``."""
    numbers = _numbers(record, "difference", "ci_low", "ci_high")
    return pd.Series(numbers, index=["mean", "ci_low", "ci_high"])


def _held(sla: SlaResults) -> dict[tuple[str, str, str], tuple[float, float, float]]:
    """(clause, condition, policy) to the chance the clause holds in a period, and its interval."""
    return {
        (r["clause"], r["condition"], r["policy"]): tuple(
            _numbers(r, "held_share", "ci_low", "ci_high")
        )
        for r in sla.document["compliance"]
    }


def clause_rows(sla: SlaResults) -> list[dict[str, Any]]:
    """Per clause, under each condition: the proposal's chance to hold with its interval,
    toned by the target, and the baseline's beside it."""
    doc = sla.document
    held, target = _held(sla), doc["probability"]
    rows = []
    for clause in doc["clauses"]:
        cells = []
        for condition in doc["conditions"]:
            mine = held.get((clause["name"], condition["name"], PROPOSAL))
            base = held.get((clause["name"], condition["name"], doc["baseline"]))
            cell = {"value": "–", "interval": "", "tone": "", "baseline": "–"}
            if mine is not None:
                share, low, high = mine
                cell |= {
                    "value": whole_percent(share),
                    "tone": "better" if share >= target else "worse",
                }
                cell["interval"] = f"{100 * low:.0f}–{whole_percent(high)}" if low == low else ""
            if base is not None:
                cell["baseline"] = whole_percent(base[0])
            cells.append(cell)
        rows.append({"side": clause["side"], "label": clause["label"], "cells": cells})
    return rows


def impact_rows(sla: SlaResults, money: str) -> list[dict[str, Any]]:
    """Per figure, under each condition: the proposal minus the baseline with its interval,
    coloured when the interval excludes zero."""
    doc = sla.document
    records = {(r["metric"], r["condition"]): r for r in doc["impact"]}
    rows = []
    for metric in dict.fromkeys(r["metric"] for r in doc["impact"]):
        cells = []
        for condition in doc["conditions"]:
            record = records.get((metric, condition["name"]))
            if record is None:
                cells.append({"value": "–", "interval": "", "tone": ""})
                continue
            diff = _difference(record)
            cell = _cell(metric, diff, money, signed=True, narrow=True)
            cells.append(cell | {"tone": _tone(metric, diff)})
        rows.append({"metric": metric_label(metric), "cells": cells})
    return rows


def sla_verdict(sla: SlaResults, money: str) -> list[str]:
    """Sentences from the verdict: which clauses hold, which stress breaks them, who breaches
    first, the capacity needed and the revenue impact, each only as sure as its numbers."""
    sentences = [
        *_holding(sla),
        _breaking(sla),
        _first(sla),
        _capacity(sla),
        _revenue_impact(sla, money),
    ]
    return [s for s in sentences if s]


def _holding(sla: SlaResults) -> list[str]:
    """Which clauses hold under normal conditions, and which intervals leave it open."""
    doc = sla.document
    held, target, period = _held(sla), doc["probability"], doc["proposal"]["period"]
    normal = doc["conditions"][0]["name"]
    shares = {
        _quoted(c["label"]): held[c["name"], normal, PROPOSAL]
        for c in doc["clauses"]
        if (c["name"], normal, PROPOSAL) in held
    }
    if not shares:
        return []
    kept = [f"{label} ({whole_percent(s[0])})" for label, s in shares.items() if s[0] >= target]
    short = [f"{label} ({whole_percent(s[0])})" for label, s in shares.items() if s[0] < target]
    goal = f"with at least the target probability of {_target(target)}"
    where = f"Under {condition_title(normal)} conditions"
    if not short:
        out = [f"{where} every clause holds in a {period} {goal}: {_join(kept)}."]
    elif not kept:
        out = [f"{where} no clause holds in a {period} {goal}: {_join(short)}."]
    else:
        out = [
            f"{where} {len(kept)} of {len(shares)} clauses {_verb(kept, 'hold')} in a {period} "
            f"{goal}: {_join(kept)}; {_join(short)} {_verb(short, 'fall')} short."
        ]
    open_ = [label for label, (_, low, high) in shares.items() if low < target <= high]
    if open_:
        out.append(
            f"The 95% interval of {_join(open_)} {_verb(open_, 'span')} {_target(target)}: "
            f"more replications would tell whether {'it' if len(open_) == 1 else 'they'} "
            f"{_verb(open_, 'hold')}."
        )
    return out


def _quoted(label: str) -> str:
    """A clause's label set off in a sentence: most begin with a number of their own."""
    return f"“{label}”"


def _verb(subjects: Sequence[str], verb: str) -> str:
    """'holds' for one subject, 'hold' for several."""
    return f"{verb}s" if len(subjects) == 1 else verb


def _breaking(sla: SlaResults) -> str:
    """Under which stresses the clauses that hold under normal conditions fall short."""
    doc = sla.document
    held, target = _held(sla), doc["probability"]
    normal, *stresses = [c["name"] for c in doc["conditions"]]
    parts = []
    for clause in doc["clauses"] if stresses else []:
        share = held.get((clause["name"], normal, PROPOSAL))
        if share is None or not share[0] >= target:
            continue
        broken = sorted(
            (held[key][0], s)
            for s in stresses
            if (key := (clause["name"], s, PROPOSAL)) in held and held[key][0] < target
        )
        if broken:
            under = _join([f"{condition_title(s)} ({whole_percent(x)})" for x, s in broken])
            parts.append(f"{_quoted(clause['label'])} falls below {_target(target)} under {under}")
        else:
            parts.append(f"{_quoted(clause['label'])} holds under every stress")
    return f"Of the clauses that hold, {_join(parts)}." if parts else ""


WHO = {
    "marketing": "marketing breaches first",
    "sales": "sales breaches first",
    "both": "both sides breach first in the same {period}",
    "neither": "no clause ever breaks",
}
"""Who breaches first in a run, as a sentence says it."""


def _first(sla: SlaResults) -> str:
    """Which side breaks a clause first under the proposal: every outcome under normal
    conditions, and the most common one under each stress."""
    doc = sla.document
    rows = {r["condition"]: r for r in doc["breaches"] if r["policy"] == PROPOSAL}
    if not rows:
        return ""
    normal, *stresses = [c["name"] for c in doc["conditions"] if c["name"] in rows]

    def outcome(row: Mapping[str, Any], who: str) -> str:
        n = row["replications"]
        what = WHO[who].format(period=doc["proposal"]["period"])
        return f"{what} in {round(row[f'first_{who}'] * n)} of {n} runs"

    seen = [outcome(rows[normal], who) for who in WHO if rows[normal][f"first_{who}"] > 0]
    text = f"Under {condition_title(normal)} conditions {_join(seen)}"
    by_outcome: dict[str, list[str]] = {}
    for name in stresses:
        who = max(WHO, key=lambda w: rows[name][f"first_{w}"])
        by_outcome.setdefault(outcome(rows[name], who), []).append(condition_title(name))
    for what, names in by_outcome.items():
        text += f"; under {_join(names)} {what}"
    return text + "."


def _capacity(sla: SlaResults) -> str:
    """The SDRs the first-touch clause needs and the AEs that take up their SQLs in time."""
    cap = sla.capacity
    if cap is None:
        return "The headcount the proposal needs was not sought."
    target, sdr, ae = _target(cap["probability"]), cap["sdr"], cap["ae"]
    if sdr is None:
        text = "The proposal has no first-touch clause to size the SDR desk for"
    else:
        current, needed = sdr["current"], sdr["needed"]
        text = f"For first touch to hold with {target} probability"
        if needed is None:
            most = max(p["headcount"] for p in sdr["probes"])
            text += f", no SDR headcount up to {most} is enough (the proposal has {current})"
        elif needed == current:
            text += f", the proposal's {current} SDRs are the fewest that do"
        else:
            more = "more" if needed > current else "fewer"
            text += f", the desk needs {needed} SDRs, {abs(needed - current)} {more} than "
            text += f"the proposal's {current}"
    if ae is not None:
        aes = (
            f"{ae['needed']} AEs (the proposal has {ae['current']}) are the fewest"
            if ae["needed"] is not None
            else f"no AE count up to {max(p['ae_count'] for p in ae['probes'])} is enough"
        )
        text += f"; with {ae['sdr_headcount']} SDRs, {aes} for which {ae['criterion']} in "
        text += f"{target} of runs"
    return text + "."


def _revenue_impact(sla: SlaResults, money: str) -> str:
    """The proposal's revenue against the baseline's: under normal conditions with its
    interval, then under each stress as far as the intervals tell."""
    doc = sla.document
    base = doc["baseline"]
    diffs = {r["condition"]: _difference(r) for r in doc["impact"] if r["metric"] == "bookings"}
    normal, *stresses = [c["name"] for c in doc["conditions"]]
    d = diffs.get(normal)
    if d is None or d["mean"] != d["mean"]:
        return ""
    low, high = (value("bookings", d[k], money, signed=True) for k in ("ci_low", "ci_high"))
    where = f"Under {condition_title(normal)} conditions"
    if _tone("bookings", d):
        text = (
            f"{where} the proposal books {value('bookings', abs(d['mean']), money)} "
            f"{'more' if d['mean'] > 0 else 'less'} than {base} (95% interval {low} to {high})"
        )
    else:
        text = (
            f"{where} the proposal's revenue cannot be told apart from {base}'s: "
            f"{value('bookings', d['mean'], money, signed=True)}, with a 95% interval from "
            f"{low} to {high} that includes zero"
        )
    phrases = {
        "better": "more under {}",
        "worse": "less under {}",
        "": f"an amount that cannot be told apart from {base}'s under {{}}",
    }
    groups: dict[str, list[str]] = {}
    for s in stresses:
        if s in diffs and diffs[s]["mean"] == diffs[s]["mean"]:
            groups.setdefault(_tone("bookings", diffs[s]), []).append(condition_title(s))
    parts = [phrase.format(_join(groups[k])) for k, phrase in phrases.items() if k in groups]
    if parts:
        text += f"; under stress it books {_join(parts)} (by the 95% intervals)"
    return text + "."


def render_html(results: Results, figures: Iterable[Figure]) -> str:
    """The report as one HTML document; an SLA stress test's verdict and figures first."""
    from funnelsim.views.plots import STRESS, sla_results

    template = jinja2.Environment(
        loader=jinja2.PackageLoader("funnelsim.views.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    ).get_template("report.html.j2")
    m = results.manifest
    one_point = len(m["points"]) == 1
    sla = sla_results(results)
    embedded = [
        Figure(f.name, f.title, _ids(f.svg, f"fig{k}"), f.reading) for k, f in enumerate(figures)
    ]
    return template.render(
        title=m["experiment"].get("name") or "funnelsim experiment",
        question=question(results) if sla is None else sla_question(sla),
        sla=None if sla is None else sla_section(sla, currency(results)),
        sla_figures=[f for f in embedded if f.name in STRESS],
        verdict=verdict(results),
        policies=m["policies"],
        baseline=m["policies"][0],
        headline=headline(results) if one_point else [],
        replications=replications(results),
        money=currency(results),
        figures=[f for f in embedded if f.name not in STRESS],
        assumptions=assumptions(results),
        points=m["points"] if not one_point else [],
        factors=m["factors"],
        provenance=provenance(results),
        css=importlib.resources.files("funnelsim.views.report")
        .joinpath("templates/report.css")
        .read_text(),
    )


def plotted(results: Results) -> list[Figure]:
    """Every figure that applies to these results, as inline SVG with its reading guide."""
    from funnelsim.views import plots

    out = []
    for name in plots.available(results):
        drawn = plots.FIGURES[name](results)
        figure = (drawn[0] if isinstance(drawn, list | tuple) else drawn).figure
        title = name.replace("_", " ").capitalize()
        out.append(Figure(name, title, svg_of(figure), plots.READING.get(name, "")))
    return out


def write_report(
    results: Results, path: Path, figures: Callable[[Results], Iterable[Figure]] = plotted
) -> Path:
    """Write the report atomically; ``figures`` makes the figures to embed."""
    html = render_html(results, figures(results))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    return path
