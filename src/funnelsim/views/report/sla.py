"""What the report says about an SLA stress test: the verdict in sentences and its tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from funnelsim.results import SlaResults
from funnelsim.results.sla import PROPOSAL, Estimate, Search, condition_title
from funnelsim.views.formats import metric_label, value, whole_percent
from funnelsim.views.report.sentences import REVENUE, join, mean_cell, tone_of


def sla_section(sla: SlaResults, money: str) -> dict[str, Any]:
    """What the report says about an SLA proposal: its name, the verdict in sentences, the
    clause by condition table and the impact table."""
    return {
        "name": sla.name,
        "description": sla.description,
        "verdict": sla_verdict(sla, money),
        "period": sla.period,
        "target": _target(sla.target),
        "conditions": [{"name": c.title, "description": c.description} for c in sla.conditions],
        "clauses": clause_rows(sla),
        "impact": impact_rows(sla, money),
    }


def sla_question(sla: SlaResults) -> str:
    """The question a stress test asks, in one line under the title."""
    return (
        "Does the proposal hold, in normal times and under stress, and what does it do "
        f"against {sla.baseline}?"
    )


def _target(p: float) -> str:
    return f"{100 * p:g}%"


def _difference(estimate: Estimate) -> pd.Series:
    """A paired difference as a difference row: ``mean``, ``ci_low``, ``ci_high``."""
    return pd.Series(
        [estimate.mean, estimate.low, estimate.high], index=["mean", "ci_low", "ci_high"]
    )


def clause_rows(sla: SlaResults) -> list[dict[str, Any]]:
    """Per clause, under each condition: the proposal's chance to hold with its interval,
    toned by the target, and the baseline's beside it."""
    held = sla.held
    rows = []
    for clause in sla.clauses:
        cells = [
            _chance_cell(
                held.get((clause.name, condition.name, PROPOSAL)),
                held.get((clause.name, condition.name, sla.baseline)),
                sla.target,
            )
            for condition in sla.conditions
        ]
        rows.append({"side": clause.side, "label": clause.label, "cells": cells})
    return rows


def _chance_cell(mine: Estimate | None, base: Estimate | None, target: float) -> dict[str, str]:
    """A clause's chance under a condition: the proposal's with its interval, toned by the
    target, and the baseline's."""
    cell = {"value": "–", "interval": "", "tone": "", "baseline": "–"}
    if mine is not None:
        cell |= {
            "value": whole_percent(mine.mean),
            "tone": "better" if mine.mean >= target else "worse",
        }
        low = mine.low
        cell["interval"] = f"{100 * low:.0f}–{whole_percent(mine.high)}" if low == low else ""
    if base is not None:
        cell["baseline"] = whole_percent(base.mean)
    return cell


def impact_rows(sla: SlaResults, money: str) -> list[dict[str, Any]]:
    """Per figure, under each condition: the proposal minus the baseline with its interval,
    coloured when the interval excludes zero."""
    impacts = sla.impacts
    rows = []
    for metric in dict.fromkeys(m for m, _ in impacts):
        cells = []
        for condition in sla.conditions:
            found = impacts.get((metric, condition.name))
            if found is None:
                cells.append({"value": "–", "interval": "", "tone": ""})
                continue
            diff = _difference(found)
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
    shares = _normal_chances(sla)
    if not shares:
        return []
    out = [_kept(sla, shares)]
    target = sla.target
    open_ = [label for label, e in shares.items() if e.low < target <= e.high]
    if open_:
        out.append(
            f"The 95% interval of {join(open_)} {_verb(open_, 'span')} {_target(target)}: "
            f"more replications would tell whether {'it' if len(open_) == 1 else 'they'} "
            f"{_verb(open_, 'hold')}."
        )
    return out


def _normal_chances(sla: SlaResults) -> dict[str, Estimate]:
    """Each clause's label, quoted, to the proposal's chance under normal conditions."""
    held, normal = sla.held, sla.conditions[0].name
    return {
        _quoted(c.label): held[c.name, normal, PROPOSAL]
        for c in sla.clauses
        if (c.name, normal, PROPOSAL) in held
    }


def _kept(sla: SlaResults, shares: Mapping[str, Estimate]) -> str:
    """The clauses that reach the target under normal conditions, and those that fall short."""
    target, period = sla.target, sla.period
    kept = [f"{label} ({whole_percent(e.mean)})" for label, e in shares.items() if e.mean >= target]
    short = [f"{label} ({whole_percent(e.mean)})" for label, e in shares.items() if e.mean < target]
    goal = f"with at least the target probability of {_target(target)}"
    where = f"Under {sla.conditions[0].title} conditions"
    if not short:
        return f"{where} every clause holds in a {period} {goal}: {join(kept)}."
    if not kept:
        return f"{where} no clause holds in a {period} {goal}: {join(short)}."
    return (
        f"{where} {len(kept)} of {len(shares)} clauses {_verb(kept, 'hold')} in a {period} "
        f"{goal}: {join(kept)}; {join(short)} {_verb(short, 'fall')} short."
    )


def _quoted(label: str) -> str:
    """A clause's label set off in a sentence: most begin with a number of their own."""
    return f"“{label}”"


def _verb(subjects: Sequence[str], verb: str) -> str:
    """'holds' for one subject, 'hold' for several."""
    return f"{verb}s" if len(subjects) == 1 else verb


def _breaking(sla: SlaResults) -> str:
    """Under which stresses the clauses that hold under normal conditions fall short."""
    held, target = sla.held, sla.target
    normal, *stresses = [c.name for c in sla.conditions]
    parts = []
    for clause in sla.clauses if stresses else []:
        share = held.get((clause.name, normal, PROPOSAL))
        if share is None or not share.mean >= target:
            continue
        broken = sorted(
            (held[key].mean, s)
            for s in stresses
            if (key := (clause.name, s, PROPOSAL)) in held and held[key].mean < target
        )
        if broken:
            under = join([f"{condition_title(s)} ({whole_percent(x)})" for x, s in broken])
            parts.append(f"{_quoted(clause.label)} falls below {_target(target)} under {under}")
        else:
            parts.append(f"{_quoted(clause.label)} holds under every stress")
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
    rows = sla.first_breaches()
    if not rows:
        return ""
    normal, *stresses = [c.name for c in sla.conditions if c.name in rows]
    seen = [
        _outcome(rows[normal], who, sla.period) for who in WHO if rows[normal][f"first_{who}"] > 0
    ]
    text = f"Under {condition_title(normal)} conditions {join(seen)}"
    by_outcome: dict[str, list[str]] = {}
    for name in stresses:
        who = max(WHO, key=lambda w: rows[name][f"first_{w}"])
        by_outcome.setdefault(_outcome(rows[name], who, sla.period), []).append(
            condition_title(name)
        )
    for what, names in by_outcome.items():
        text += f"; under {join(names)} {what}"
    return text + "."


def _outcome(row: Mapping[str, Any], who: str, period: str) -> str:
    """How many runs of a condition had ``who`` breach first: 'sales breaches first in 3 of 8
    runs'."""
    n = row["replications"]
    return f"{WHO[who].format(period=period)} in {round(row[f'first_{who}'] * n)} of {n} runs"


def _capacity(sla: SlaResults) -> str:
    """The SDRs the first-touch clause needs and the AEs that take up their SQLs in time."""
    cap = sla.headcount
    if cap is None:
        return "The headcount the proposal needs was not sought."
    target = _target(cap.target)
    text = _sdrs_needed(cap.sdr, target)
    if cap.ae is not None:
        ae = cap.ae
        aes = (
            f"{ae.needed} AEs (the proposal has {ae.current}) are the fewest"
            if ae.needed is not None
            else f"no AE count up to {max(p.count for p in ae.probes)} is enough"
        )
        text += f"; with {cap.ae_sdrs} SDRs, {aes} for which {ae.promise} in {target} of runs"
    return text + "."


def _sdrs_needed(sdr: Search | None, target: str) -> str:
    """The SDRs first touch needs against the proposal's, in words."""
    if sdr is None:
        return "The proposal has no first-touch clause to size the SDR desk for"
    current, needed = sdr.current, sdr.needed
    text = f"For first touch to hold with {target} probability"
    if needed is None:
        most = max(p.count for p in sdr.probes)
        return text + f", no SDR headcount up to {most} is enough (the proposal has {current})"
    if needed == current:
        return text + f", the proposal's {current} SDRs are the fewest that do"
    more = "more" if needed > current else "fewer"
    return (
        text + f", the desk needs {needed} SDRs, {abs(needed - current)} {more} than "
        f"the proposal's {current}"
    )


def _revenue_impact(sla: SlaResults, money: str) -> str:
    """The proposal's revenue against the baseline's: under normal conditions with its
    interval, then under each stress as far as the intervals tell."""
    diffs = {c: _difference(e) for (m, c), e in sla.impacts.items() if m == REVENUE}
    normal, *stresses = [c.name for c in sla.conditions]
    d = diffs.get(normal)
    if d is None or d["mean"] != d["mean"]:
        return ""
    text = _normal_revenue(d, sla.baseline, f"Under {condition_title(normal)} conditions", money)
    phrases = {
        "better": "more under {}",
        "worse": "less under {}",
        "": f"an amount that cannot be told apart from {sla.baseline}'s under {{}}",
    }
    groups: dict[str, list[str]] = {}
    for s in stresses:
        if s in diffs and diffs[s]["mean"] == diffs[s]["mean"]:
            groups.setdefault(tone_of(REVENUE, diffs[s]), []).append(condition_title(s))
    parts = [phrase.format(join(groups[k])) for k, phrase in phrases.items() if k in groups]
    if parts:
        text += f"; under stress it books {join(parts)} (by the 95% intervals)"
    return text + "."


def _normal_revenue(d: pd.Series, base: str, where: str, money: str) -> str:
    """The revenue difference under normal conditions, per year: more or less, or not told
    apart."""
    low, high = (value(REVENUE, d[k], money, signed=True) for k in ("ci_low", "ci_high"))
    if tone_of(REVENUE, d):
        return (
            f"{where} the proposal books {value(REVENUE, abs(d['mean']), money)} a year "
            f"{'more' if d['mean'] > 0 else 'less'} than {base} (95% interval {low} to {high})"
        )
    return (
        f"{where} the proposal's revenue per year cannot be told apart from {base}'s: "
        f"{value(REVENUE, d['mean'], money, signed=True)}, with a 95% interval from "
        f"{low} to {high} that includes zero"
    )
