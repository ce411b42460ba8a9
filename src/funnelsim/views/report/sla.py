"""What the report says about an SLA stress test: the verdict in sentences and its tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from funnelsim.results import SlaResults
from funnelsim.results.sla import PROPOSAL, condition_title
from funnelsim.views.formats import metric_label, value, whole_percent
from funnelsim.views.report.sentences import join, mean_cell, tone_of


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
            cell = mean_cell(metric, diff, money, signed=True, narrow=True)
            cells.append(cell | {"tone": tone_of(metric, diff)})
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
        out = [f"{where} every clause holds in a {period} {goal}: {join(kept)}."]
    elif not kept:
        out = [f"{where} no clause holds in a {period} {goal}: {join(short)}."]
    else:
        out = [
            f"{where} {len(kept)} of {len(shares)} clauses {_verb(kept, 'hold')} in a {period} "
            f"{goal}: {join(kept)}; {join(short)} {_verb(short, 'fall')} short."
        ]
    open_ = [label for label, (_, low, high) in shares.items() if low < target <= high]
    if open_:
        out.append(
            f"The 95% interval of {join(open_)} {_verb(open_, 'span')} {_target(target)}: "
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
            under = join([f"{condition_title(s)} ({whole_percent(x)})" for x, s in broken])
            parts.append(f"{_quoted(clause['label'])} falls below {_target(target)} under {under}")
        else:
            parts.append(f"{_quoted(clause['label'])} holds under every stress")
    return f"Of the clauses that hold, {join(parts)}." if parts else ""


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
    text = f"Under {condition_title(normal)} conditions {join(seen)}"
    by_outcome: dict[str, list[str]] = {}
    for name in stresses:
        who = max(WHO, key=lambda w: rows[name][f"first_{w}"])
        by_outcome.setdefault(outcome(rows[name], who), []).append(condition_title(name))
    for what, names in by_outcome.items():
        text += f"; under {join(names)} {what}"
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
    if tone_of("bookings", d):
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
            groups.setdefault(tone_of("bookings", diffs[s]), []).append(condition_title(s))
    parts = [phrase.format(join(groups[k])) for k, phrase in phrases.items() if k in groups]
    if parts:
        text += f"; under stress it books {join(parts)} (by the 95% intervals)"
    return text + "."
