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
from funnelsim.analysis.planning.levers import Lever, hire_day, parse_lever
from funnelsim.analysis.planning.search import Search, feasible_odds
from funnelsim.analysis.planning.target import Period, Target, parse_period, parse_target
from funnelsim.analysis.planning.waterfall import reverse_waterfall, scalable
from funnelsim.base.files import atomic_write
from funnelsim.base.jsondoc import content_hash, plain
from funnelsim.errors import UsageError
from funnelsim.experiments.execution import executor_for
from funnelsim.experiments.orchestrate import WorkerLost
from funnelsim.results.plan import FILE, TargetPlan, load_plan
from funnelsim.scenario import load_scenario
from funnelsim.scenario.fields import MAX_HORIZON_DAYS

SETTING = "setting.json"
"""What a plan's folder was made for: resuming checks it matches."""
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
    reps: int = 40,
    final_reps: int | None = None,
    max_reps: int | None = None,
    seed: int = 0,
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
    ``final_reps`` (default 2 x reps) each, up to ``max_reps`` (default 4 x final_reps)."""
    started = time.perf_counter()
    final_reps = final_reps or 2 * reps
    max_reps = max_reps or 4 * final_reps
    setting = _setting(scenario, target, period, levers, probability, policy, overrides, seed)
    folder = None if out is None else Path(out)
    key = content_hash(
        {"setting": _described(setting, probability), "reps": [reps, final_reps, max_reps]}
    )
    if folder is not None:
        _open(folder, key, resume, overwrite)
    executor = executor_for(workers, scheduler)
    try:
        evaluator = Evaluator(setting, executor, folder, on_progress)
        if folder is not None and resume:
            evaluator.resume()
        search = Search(evaluator, setting.levers, probability, reps, final_reps, max_reps)
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
    pick, pcs, candidates = (None, 0.0, []) if found is None else search.final(found[0])
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
        top = tuple(lever.high for lever in levers)
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
        "evaluations": _evaluations(search, probability),
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
        "search": "coarse design, local search, final check" if several else "bisection",
        "replications": {
            "probe": search.reps,
            "final": search.final_reps,
            "most": search.max_reps,
        },
        "selection": "sequential allocation to the least certain feasibility (OCBA for "
        "constrained selection); Jeffreys posterior probability of correct selection",
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
            team = setting.scenario.sdr if lever.name == "sdr" else setting.scenario.sales
            day = hire_day(start, team.staffing.ramp) if ramped else start
            when = setting.scenario.start_date + pd.Timedelta(days=day)
            change |= {"hires": round(level - lever.today), "start": when.isoformat()[:10]}
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


def _evaluations(search: Search, probability: float) -> pd.DataFrame:
    evaluator = search.evaluator
    stage = {}
    for name, levels in search.probes:
        stage.setdefault(levels, name)
    rows = []
    for (levels, ramped), runs in evaluator.outcomes.items():
        if not runs:
            continue
        row = _row(search.levers, evaluator.estimate(levels, ramped), probability)
        name = stage.get(levels, "today") if ramped else "waterfall"
        rows.append({"stage": name, **row.pop("levels"), **row, "ramped": ramped})
    return pd.DataFrame(rows)


def _open(folder: Path, key: str, resume: bool, overwrite: bool) -> None:
    """The plan's folder: new, resumed (made for the same plan) or replaced (a plan's)."""
    if resume and overwrite:
        raise UsageError("--resume, --overwrite: expected one of them")
    setting = folder / SETTING
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: is a file; choose another --out")
    used = folder.exists() and any(folder.iterdir())
    if used and not setting.exists():
        raise UsageError(f"{folder}: exists and is not a plan's folder; choose another --out")
    if used and resume:
        if json.loads(setting.read_text()).get("key") != key:
            raise UsageError(
                f"{folder}: holds a plan for another target, scenario or levers; "
                "run it as it was first run to resume it"
            )
        return
    if used and not overwrite:
        raise UsageError(f"{folder}: already holds a plan; add --resume or --overwrite")
    if used:
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(setting, lambda tmp: tmp.write_text(json.dumps({"key": key})))


def _write(plan: TargetPlan, folder: Path) -> None:
    """The tables, then the document that says the plan is whole."""
    for name in ("evaluations", "months", "outcomes"):
        table = getattr(plan, name)
        atomic_write(folder / f"{name}.csv", lambda tmp, t=table: t.to_csv(tmp, index=False))
    text = json.dumps(plan.document, indent=1)
    atomic_write(folder / FILE, lambda tmp: tmp.write_text(text))
