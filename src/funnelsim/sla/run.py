"""Run a stress test to its verdict, and keep it: ``sla.json`` beside the experiment's tables.

Layout of a stress test's folder: the experiment's own files (``manifest.json``, ``runs``,
``weekly``, ``groups`` and ``periods`` tables, ``summary.csv``, ``differences.csv``), then

    sla.json           the verdict: clauses, conditions, compliance, who breaches first,
                       impact, capacity; everything the terminal, --json and the report show
    compliance.csv     per condition, policy and clause: probability the clause holds
    capacity/<probe>/  one results folder per headcount probed

Every part lands whole (atomic renames), so an interrupted stress test resumes with
``--resume`` from what finished, the probes included.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from funnelsim.base.files import atomic_write, write_json
from funnelsim.base.jsondoc import plain
from funnelsim.base.units import parse_duration
from funnelsim.results import Results, SlaResults
from funnelsim.results.experiment import check_succeeded
from funnelsim.results.sla import VERDICT
from funnelsim.runner import __version__
from funnelsim.sla import verdict
from funnelsim.sla.capacity import Search
from funnelsim.sla.judging import judge
from funnelsim.sla.study import IMPACT, Study, probe_plan, run_plan

AE_WAIT = "5d"
"""By default, AEs keep up when nine SQLs in ten (at the chosen probability) wait at most
five days for an AE to open their opportunity."""


def stress_test(
    study: Study,
    out: str | Path | None = None,
    *,
    ae_wait: str = AE_WAIT,
    capacity: bool = True,
    resume: bool = False,
    overwrite: bool = False,
    **options: Any,
) -> SlaResults:
    """Run the study and (unless ``capacity`` is off) the capacity search; write ``sla.json``
    when there is a folder.

    ``options`` are :func:`~funnelsim.experiments.conduct`'s ``workers``, ``scheduler``,
    ``on_progress`` and ``on_estimate`` (heard again for each headcount probed).
    """
    folder = None if out is None else Path(out)
    results = run_plan(study.plan, folder, resume, overwrite=overwrite, **options)
    check_succeeded(results)  # the verdict is not written: the folder stays an experiment's
    judged = _judged(study, results)  # before the capacity search: it runs more experiments
    needs = _capacity(study, folder, ae_wait, options) if capacity else None
    where = None if results.path is None else str(results.path)
    document = plain({**_header(study, results), **judged, "capacity": needs, "results": where})
    if folder is not None:
        _keep(folder, document)
    return SlaResults(document, results, folder)


def _header(study: Study, results: Results) -> dict[str, Any]:
    """What was tested: the proposal, the scenario, the policies, seeds, clauses, conditions."""
    proposal = study.proposal
    return {
        "funnelsim_version": __version__,
        "proposal": {
            "name": proposal.name,
            "description": proposal.description,
            "file": study.source,
            "period": proposal.period,
            "overlay": proposal.overlay(),
        },
        "scenario": study.plan.replay["scenario"],
        "baseline": study.labels[0],
        "policies": list(study.labels),
        "replications": results.manifest["replications"]["used"],
        "seed": study.plan.experiment.seed,
        "probability": study.probability,
        "clauses": [_clause(c) for c in study.clauses],
        "conditions": [{"name": c.name, "description": c.description} for c in study.conditions],
    }


def _judged(study: Study, results: Results) -> dict[str, Any]:
    """The verdict: each clause's chance to hold, who breaches first, the impact."""
    judged = study.judged(results.periods)
    conditions = [c.name for c in study.conditions]
    return {
        "compliance": _named(verdict.compliance(judged), conditions, study),
        "breaches": _named(verdict.breaches(judged), conditions),
        "impact": _impact(results, conditions),
    }


def _keep(folder: Path, document: dict[str, Any]) -> None:
    """``sla.json`` and ``compliance.csv`` in the stress test's folder."""
    write_json(folder / VERDICT, document)
    frame = pd.DataFrame(document["compliance"])
    atomic_write(folder / "compliance.csv", lambda p: frame.to_csv(p, index=False))


def _clause(clause) -> dict[str, Any]:
    return {
        "side": clause.side,
        "name": clause.name,
        "description": clause.description,
        "label": clause.label,
        "threshold": clause.threshold,
        "period": clause.period,
        "key": clause.key,
    }


def _named(
    frame: pd.DataFrame, conditions: list[str], study: Study | None = None
) -> list[dict[str, Any]]:
    """Records with the condition named, and each clause's text beside its name."""
    if frame.empty:
        return []
    frame = frame.copy()
    frame.insert(0, "condition", [conditions[int(p)] for p in frame["point"]])
    if study is not None:
        texts = {c.name: c.description for c in study.clauses}
        thresholds = {c.name: c.threshold for c in study.clauses}
        frame["threshold"] = frame["clause"].map(thresholds)
        frame["description"] = frame["clause"].map(texts)
    return frame.drop(columns="point").to_dict(orient="records")


def _impact(results: Results, conditions: list[str]) -> list[dict[str, Any]]:
    """The paired differences on the impact figures, with each side's mean beside them."""
    diffs = results.differences[results.differences["metric"].isin(IMPACT)]
    means = results.summary.set_index(["point", "policy", "metric"])["mean"]
    rows = []
    for row in diffs.to_dict(orient="records"):
        point = int(row["point"])
        rows.append(
            {
                "condition": conditions[point],
                "metric": row["metric"],
                "baseline_mean": means.get((point, row["baseline"], row["metric"])),
                "proposal_mean": means.get((point, row["policy"], row["metric"])),
                "difference": row["mean"],
                "ci_low": row["ci_low"],
                "ci_high": row["ci_high"],
                "relative": row["relative"],
                "proposal_better": row["policy_better"],
            }
        )
    return rows


def _capacity(
    study: Study, folder: Path | None, ae_wait: str, options: dict[str, Any]
) -> dict[str, Any]:
    """The smallest SDR headcount for the first-touch clause, then AEs at that headcount."""
    out: dict[str, Any] = {"probability": study.probability}
    out["sdr"] = sdr_needed(study, folder, **options)
    sdrs = (out["sdr"] or {}).get("needed") or study.scenario(0, 1).sdr.headcount
    out["ae"] = ae_needed(study, sdrs, ae_wait, folder, **options)
    return out


def _probe(study: Study, sets: dict[str, int], folder: Path | None, **options: Any) -> Results:
    where = (
        None
        if folder is None
        else folder
        / "capacity"
        / "-".join(f"{key.split('.')[-1].replace('_', '-')}-{n:03d}" for key, n in sets.items())
    )
    results = run_plan(probe_plan(study, sets), where, resume=True, overwrite=True, **options)
    check_succeeded(results)
    return results


def sdr_needed(study: Study, folder: Path | None = None, **options: Any) -> dict[str, Any] | None:
    """The smallest SDR headcount at which the first-touch clause holds in a period with the
    study's probability; ``None`` when the proposal has no first-touch clause."""
    touch = [c for c in study.clauses if c.name == "first_touch"]
    if not touch:
        return None
    shares: dict[int, tuple[float, float, float]] = {}

    def holds(h: int) -> bool:
        periods = _probe(study, {"sdr.headcount": h}, folder, **options).periods
        shares[h] = verdict.held_probability(judge(periods, touch), "first_touch")
        return shares[h][0] >= study.probability

    current = study.scenario(0, 1).sdr.headcount
    search, needed = _searched(holds, current)
    probes = [
        {"headcount": h, "held_share": s[0], "ci_low": s[1], "ci_high": s[2], "holds": ok}
        for h, ok in sorted(search.probes.items())
        for s in [shares[h]]
    ]
    return {"clause": touch[0].description, "current": current, "needed": needed, "probes": probes}


def ae_needed(
    study: Study, sdrs: int, ae_wait: str = AE_WAIT, folder: Path | None = None, **options: Any
) -> dict[str, Any]:
    """The smallest AE count at which, with ``sdrs`` SDRs, the 90th percentile of the SQLs'
    wait for an AE is at most ``ae_wait`` in at least the study's probability of runs."""
    limit = parse_duration(ae_wait)
    within: dict[int, float] = {}

    def holds(a: int) -> bool:
        runs = _probe(study, {"sdr.headcount": sdrs, "sales.ae_count": a}, folder, **options).runs
        within[a] = _share_within(runs, limit)
        return within[a] >= study.probability

    current = study.scenario(0, 1).sales.ae_count
    search, needed = _searched(holds, current)
    return {
        "criterion": f"SQLs wait at most {ae_wait} for an AE (90th percentile of a run)",
        "sdr_headcount": sdrs,
        "current": current,
        "needed": needed,
        "probes": [
            {"ae_count": a, "runs_within": within[a], "holds": ok}
            for a, ok in sorted(search.probes.items())
        ],
    }


def _searched(holds: Callable[[int], bool], current: int) -> tuple[Search, int | None]:
    """The search over headcount from ``current``, up to ten times it (at least 20 more)."""
    search = Search(holds, ceiling=max(10 * current, current + 20))
    return search, search.smallest(current)


def _share_within(runs: pd.DataFrame, limit: float) -> float:
    """The share of runs whose SQLs' 90th-percentile wait for an AE is within ``limit`` days."""
    p90 = runs.loc[runs["status"] == "ok", "ae_wait_days_p90"].fillna(0.0)  # no SQL waited
    return float((p90 <= limit + 1e-9).mean()) if len(p90) else 0.0
