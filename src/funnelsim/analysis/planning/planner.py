"""Planning backward from a target: the cheapest plan that reaches it with the chance asked.

:func:`plan_target` runs the search (:mod:`.search`) over the levers the user allows, puts the
spreadsheet's reverse waterfall (:mod:`.waterfall`) beside its pick, simulated the same way,
and checks the SDR count against Erlang C where the desk is a queue (:mod:`.erlang`).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import BrokenExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from funnelsim.analysis.planning import erlang
from funnelsim.analysis.planning.evaluate import Estimate, Evaluator, Levels, Setting
from funnelsim.analysis.planning.levers import Lever, hire_date, parse_lever
from funnelsim.analysis.planning.search import Search, feasible_odds
from funnelsim.analysis.planning.target import Period, Target, parse_period, parse_target
from funnelsim.analysis.planning.waterfall import reverse_waterfall, scalable
from funnelsim.base.files import atomic_write
from funnelsim.base.jsondoc import content_hash, plain
from funnelsim.errors import UsageError
from funnelsim.experiments.execution import executor_for
from funnelsim.experiments.orchestrate import WorkerLost
from funnelsim.results.plan import FILE, TargetPlan, load_plan
from funnelsim.runner import __version__
from funnelsim.scenario import load_scenario
from funnelsim.scenario.fields import MAX_HORIZON_DAYS

SETTING = "setting.json"
"""What a plan's folder was made for: resuming checks it matches."""
MADE_BY = "funnelsim plan"
OBJECTIVES = {
    "spend": "go-to-market spend from time zero to the period's end",
    "period_spend": "go-to-market spend within the period",
}
"""What the cheapest plan has least of."""
OURS = (SETTING, FILE, "evaluations.csv", "months.csv", "outcomes.csv", "report.html", "parts",
        "figures")  # fmt: skip
"""What ``--overwrite`` removes: a plan's own files, nothing else in the folder."""
QUANTILES = (0.1, 0.5, 0.9)


def plan_target(
    scenario: str | Path | None = None,
    *,
    target: str | Target,
    period: str | Period,
    levers: Sequence[str],
    probability: float = 0.8,
    policy: str | None = None,
    overrides: dict[str, Any] | None = None,
    reps: int = 20,
    final_reps: int | None = None,
    max_reps: int | None = None,
    seed: int = 0,
    objective: str = "spend",
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> TargetPlan:
    """The cheapest plan whose chance of reaching ``target`` over ``period`` is at least
    ``probability``. ``levers`` are ``sdr``, ``ae`` or ``leads.SOURCE``, each with optional
    ``=LOW:HIGH[:STEP]``. Each probe of the search runs ``reps`` replications; the final check
    ``final_reps`` (default 2 x reps) each, up to ``max_reps`` (default 4 x final_reps).
    ``objective`` is what the cheapest plan has least of: ``spend`` from time zero to the
    period's end, or ``period_spend``, the spend within the period."""
    started = time.perf_counter()
    final_reps = final_reps or 2 * reps
    max_reps = max_reps or 4 * final_reps
    if objective not in OBJECTIVES:
        raise UsageError(f"--objective {objective!r}: expected one of {list(OBJECTIVES)}")
    setting = _setting(scenario, target, period, levers, probability, policy, overrides, seed)
    folder = None if out is None else Path(out)
    key = content_hash(
        {
            "setting": _described(setting, probability),
            "scenario": setting.scenario.model_dump(mode="json", by_alias=True),
            "reps": [reps, final_reps, max_reps],
            "objective": objective,
            "version": __version__,  # a resumed plan is all from one funnelsim
        }
    )
    executor = executor_for(workers, scheduler)  # a cluster out of reach: no folder made
    try:
        if folder is not None:
            _open(folder, key, resume, overwrite)
        evaluator = Evaluator(setting, executor, folder, on_progress)
        if folder is not None and resume:
            evaluator.resume()
        search = Search(evaluator, setting.levers, probability, reps, final_reps, max_reps,
                        objective=objective)  # fmt: skip
        document, tables = _plan(search, setting, probability)
    except BrokenExecutor as exc:
        raise WorkerLost(f"a worker process stopped unexpectedly ({exc})") from None
    finally:
        executor.close()
    document["wall_seconds"] = time.perf_counter() - started
    document["runs"] = sum(len(r) for r in evaluator.outcomes.values())
    plan = TargetPlan(plain(document), **tables, path=folder)
    if folder is not None:
        _write(plan, folder)
        return load_plan(folder)
    return plan


def _setting(scenario, target, period, levers, probability, policy, overrides, seed) -> Setting:
    """The checked setting: bad input is refused before anything runs."""
    if not 0 < probability < 1:
        raise UsageError(f"--probability {probability:g}: expected a chance in (0, 1)")
    target = target if isinstance(target, Target) else parse_target(target)
    period = period if isinstance(period, Period) else parse_period(period)
    sets = dict(overrides or {})
    loaded = load_scenario(scenario, policy, sets)
    if not levers:
        raise UsageError("--lever: expected at least one lever, such as --lever sdr")
    parsed = tuple(parse_lever(text, loaded) for text in levers)
    names = [lever.name for lever in parsed]
    if len(set(names)) < len(names):
        raise UsageError(f"--lever: each lever once, got {names}")
    start, end = period.days_from(loaded.start_date)
    if start < 0:
        raise UsageError(
            f"--period {period.label}: starts before the scenario's start_date "
            f"({loaded.start_date}), its time zero; plan a later period or --set start_date"
        )
    if end > MAX_HORIZON_DAYS:
        raise UsageError(f"--period {period.label}: ends more than twenty years after start_date")
    source = scenario if scenario is None or isinstance(scenario, Path) else str(scenario)
    return Setting(loaded, source, policy, sets, parsed, target, period, seed)


def _plan(search: Search, setting: Setting, probability: float) -> tuple[dict, dict]:
    evaluator, levers = search.evaluator, setting.levers
    today = tuple(lever.today for lever in levers)
    evaluator.run([today], search.reps)
    baseline = evaluator.estimate(today)
    found = search.cheapest()
    pick, pcs, candidates = (None, 0.0, []) if found is None else search.final(found)
    document = _described(setting, probability)
    document |= {"method": _method(search), "baseline": _summary(evaluator, today, probability)}
    outcomes = [("today", today, True)]
    months = []
    if pick is not None:
        document["pick"] = _summary(evaluator, pick, probability) | {
            "probability_correct_selection": pcs,
            "changes": _changes(setting, pick, ramped=True),
        }
        document["candidates"] = [_row(levers, e, probability) for e in candidates]
        document["erlang_c"] = _erlang(setting, pick, evaluator.estimate(pick))
        outcomes.append(("pick", pick, True))
        months.append(evaluator.month_by_month(pick).assign(plan="pick"))
    else:
        top = search.levels(search.top)
        document |= {"pick": None, "candidates": [], "erlang_c": None}
        document["unreachable"] = _summary(evaluator, top, probability)
    document["waterfall"] = None
    if scalable(setting.target):
        volume = sum(s.rate_per_week for s in setting.scenario.sources.values())
        planned = reverse_waterfall(levers, setting.target, baseline.mean, volume)
        evaluator.run([planned], search.final_reps, ramped=False)
        document["waterfall"] = _summary(evaluator, planned, probability, ramped=False) | {
            "changes": _changes(setting, planned, ramped=False)
        }
        outcomes.append(("waterfall", planned, False))
        months.append(evaluator.month_by_month(planned, ramped=False).assign(plan="waterfall"))
    tables = {
        "evaluations": _evaluations(
            evaluator,
            probability,
            [
                ("today", today, True),
                *((stage, lv, True) for stage, lv in search.probes),
                *(
                    ("waterfall", levels, False)
                    for name, levels, _ in outcomes
                    if name == "waterfall"
                ),
            ],
        ),
        "months": pd.concat(months, ignore_index=True) if months else pd.DataFrame(),
        "outcomes": pd.concat(
            [
                pd.DataFrame({"plan": name, "value": evaluator.values(levels, ramped)})
                .rename_axis("replication")
                .reset_index()
                for name, levels, ramped in outcomes
            ],
            ignore_index=True,
        ),
    }
    return document, tables


def _described(setting: Setting, probability: float) -> dict[str, Any]:
    """What was asked: scenario, target, period, chance, levers."""
    scenario, target, period = setting.scenario, setting.target, setting.period
    return {
        "scenario": scenario.name,
        "policy": scenario.policy,
        "overrides": setting.sets,
        "currency": scenario.currency,
        "start_date": scenario.start_date.isoformat(),
        "target": dataclasses.asdict(target) | {"words": target.words},
        "period": {
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "probability": probability,
        "seed": setting.seed,
        "levers": [
            dataclasses.asdict(lever)
            | {"unit": lever.unit, "unit_cost": _unit_cost(setting, lever)}
            for lever in setting.levers
        ],
    }


def _unit_cost(setting: Setting, lever: Lever) -> dict[str, float]:
    cost = setting.scenario.cost
    if lever.name == "sdr":
        return {"per_year": cost.sdr_per_year, "per_hire": cost.sdr_hire}
    if lever.name == "ae":
        return {"per_year": cost.ae_per_year, "per_hire": cost.ae_hire}
    source = setting.scenario.sources[lever.name.removeprefix("leads.")]
    return {"per_lead": source.cost_per_lead}


def _method(search: Search) -> dict[str, Any]:
    several = len(search.levers) > 1
    return {
        "objective": {"name": search.objective, "meaning": OBJECTIVES[search.objective]},
        "search": "coarse design, local search, final check" if several else "bisection",
        "replications": {
            "probe": search.reps,
            "final": search.final_reps,
            "most": search.max_reps,
        },
        "selection": "replications allocated in turn to the candidate whose feasibility is "
        "least certain, in the spirit of OCBA for constrained selection; Jeffreys posterior "
        "probability of correct selection",
        "interval": "Wilson, 95%",
        "common_random_numbers": "replication r of every plan runs on the same seed",
    }


def _summary(evaluator: Evaluator, levels: Levels, probability: float, ramped=True) -> dict:
    estimate = evaluator.estimate(levels, ramped)
    values = pd.Series(evaluator.values(levels, ramped))
    return _row(evaluator.setting.levers, estimate, probability) | {
        "quantiles": {f"p{round(q * 100)}": float(values.quantile(q)) for q in QUANTILES}
    }


def _row(levers: Sequence[Lever], estimate: Estimate, probability: float) -> dict[str, Any]:
    row = estimate.row(levers)
    levels = {lever.name: row.pop(lever.name) for lever in levers}
    return {"levels": levels, **row, "feasible_odds": feasible_odds(estimate, probability)}


def _changes(setting: Setting, levels: Levels, ramped: bool) -> list[dict[str, Any]]:
    """What the plan changes from today, lever by lever: hires with their start date, a
    smaller team, a source's new volume."""
    start = setting.window[0]
    out = []
    for lever, level in zip(setting.levers, levels, strict=True):
        change = {"lever": lever.name, "today": lever.today, "level": level}
        if lever.team and level > lever.today:
            when = hire_date(setting.scenario, lever, start, ramped)
            change |= {"hires": round(level - lever.today), "start": when.isoformat()}
        out.append(change)
    return out


def _erlang(setting: Setting, pick: Levels, estimate: Estimate) -> dict[str, Any] | None:
    names = [lever.name for lever in setting.levers]
    if "sdr" not in names:
        return None
    found = erlang.check(
        setting.scenario_of(pick),
        setting.target.metric,
        setting.target.value,
        estimate.mqls_per_day,
    )
    if found["applies"]:
        planned = pick[names.index("sdr")]
        found |= {"plan_sdrs": planned, "agrees": abs(planned - found["sdrs"]) <= 1}
    return found


def _evaluations(
    evaluator: Evaluator, probability: float, ran: list[tuple[str, Levels, bool]]
) -> pd.DataFrame:
    """Every plan run, once, in the order the search first ran it (``ran``: stage, levels,
    ramped), with all its replications."""
    rows, seen = [], set()
    for stage, levels, ramped in ran:
        if (levels, ramped) in seen:
            continue
        seen.add((levels, ramped))
        row = _row(evaluator.setting.levers, evaluator.estimate(levels, ramped), probability)
        rows.append({"stage": stage, **row.pop("levels"), **row, "ramped": ramped})
    return pd.DataFrame(rows)


def _open(folder: Path, key: str, resume: bool, overwrite: bool) -> None:
    """The plan's folder: new, resumed (made for the same plan) or replaced (a plan's)."""
    if resume and overwrite:
        raise UsageError("--resume, --overwrite: expected one of them")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: is a file; choose another --out")
    used = folder.exists() and any(folder.iterdir())
    made_for = _made_for(folder) if used else None
    if used and made_for is None:
        raise UsageError(f"{folder}: exists and is not a plan's folder; choose another --out")
    if used and resume:
        if made_for != key:
            raise UsageError(
                f"{folder}: holds a plan for another target, scenario, levers or funnelsim; "
                "run it as it was first run to resume it"
            )
        return
    if used and not overwrite:
        raise UsageError(f"{folder}: already holds a plan; add --resume or --overwrite")
    for name in OURS if used else ():  # a plan's own files only
        path = folder / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"made_by": MADE_BY, "key": key})
    atomic_write(folder / SETTING, lambda tmp: tmp.write_text(text))


def _made_for(folder: Path) -> str | None:
    """The key of the plan a folder was made for; ``None`` if no plan made it."""
    try:
        document = json.loads((folder / SETTING).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("made_by") != MADE_BY:
        return None
    return document.get("key")


def _write(plan: TargetPlan, folder: Path) -> None:
    """The tables, then the document that says the plan is whole."""
    for name in ("evaluations", "months", "outcomes"):
        table = getattr(plan, name)
        atomic_write(folder / f"{name}.csv", lambda tmp, t=table: t.to_csv(tmp, index=False))
    text = json.dumps(plan.document, indent=1)
    atomic_write(folder / FILE, lambda tmp: tmp.write_text(text))
