"""Which inputs drive the answer: Morris and Sobol' indices of an experiment's results (SALib).

An experiment with a ``morris`` or ``sobol`` design runs the scenario at SALib's sample of its
factors' intervals (:mod:`funnelsim.experiments.sampling`). Each point's output is the mean
over its replications: of a metric, or, with two policies, of their paired difference (the
second minus the first), which is what most questions ask. SALib then computes the indices
with bootstrap intervals. The replications' noise is not part of SALib's intervals, so it is
measured beside them: an index that the noise alone could produce is flagged, not ranked.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from funnelsim.base.files import atomic_write
from funnelsim.errors import UsageError
from funnelsim.experiments.design import Plan, unit_sample
from funnelsim.experiments.orchestrate import prepare
from funnelsim.experiments.sampling import Morris, Sobol, unit_problem
from funnelsim.experiments.spec import Experiment
from funnelsim.results import Results
from funnelsim.results.sensitivity import CONVERGENCE, FILE, Sensitivity

CONFIDENCE = 0.95
RESAMPLES = 1000
"""Bootstrap resamples behind every index's interval."""
ZERO = 1e-9
"""An effect this small beside the metric's own size is rounding, flagged like noise."""
WIDE = 0.1
"""A Sobol' interval wider than this (half-width) asks for a larger sample."""
HALVINGS = 3
"""The Sobol' indices are estimated again on the first N/2, N/4 and N/8 base samples ..."""
FEWEST = 8
"""... of those with at least this many base samples: the bootstrap resamples base samples,
and four or fewer give intervals many times the width of the indices' whole range."""
SOBOL = ("S1", "S1_conf", "ST", "ST_conf")


def method_of(experiment: Experiment) -> Morris | Sobol:
    """The experiment's Morris or Sobol' design, or a usage error saying what is needed."""
    design = experiment.design
    sample = None if design == "grid" else design.sample  # type: ignore[union-attr]
    if not isinstance(sample, Morris | Sobol):
        raise UsageError(
            "sensitivity: expected design: {morris: {trajectories: N}} or "
            "{sobol: {samples: N}} in the experiment file"
        )
    return sample


def sensitivity_plan(
    spec: str | Path | Mapping[str, Any],
    *,
    reps: int | None = None,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Plan:
    """The plan of a sensitivity study: an experiment with a Morris or Sobol' design.

    Unless the file says otherwise, every point's replication ``r`` meets the same leads
    (common random numbers across points): an elementary effect or a variance share then
    measures the input, not the luck of two different draws.
    """
    plan = prepare(spec, reps=reps, seed=seed, overrides=overrides)
    method_of(plan.experiment)
    if "common_random_numbers" not in plan.experiment.model_fields_set:
        experiment = plan.experiment.model_copy(update={"common_random_numbers": "across_points"})
        plan = dataclasses.replace(plan, experiment=experiment)
    return dataclasses.replace(plan, analysis={"kind": "sensitivity"})


def outputs(results: Results, metric: str) -> np.ndarray:
    """The output at each point (rows) in each replication (columns): the metric, or with two
    policies their paired difference; NaN where a run failed."""
    runs = results.runs
    value = runs[metric].to_numpy(dtype=float, copy=True)
    value[(runs["status"] != "ok").to_numpy()] = np.nan
    frame = pd.DataFrame(
        {"point": runs["point"], "replication": runs["replication"], "policy": runs["policy"]}
    ).assign(v=value)
    wide = frame.pivot_table(
        index=["point", "replication"], columns="policy", values="v", observed=True, dropna=False
    )
    labels = results.manifest["policies"]
    y = wide[labels[-1]] - wide[labels[0]] if len(labels) == 2 else wide[labels[0]]
    return y.unstack("replication").sort_index().to_numpy()


def analyse(results: Results) -> Sensitivity:
    """The indices of every metric; written to the results folder when there is one."""
    experiment = Experiment.model_validate(results.manifest["experiment"])
    method = method_of(experiment)
    names = list(experiment.factors)
    unit = unit_sample(experiment)
    seed = experiment.seed if method.seed is None else method.seed
    rows, notes, steps = [], [], []
    for metric in results.manifest["metrics"]:
        y = outputs(results, metric)
        if not np.isfinite(y).all():
            notes.append(f"{metric}: some runs failed; not analysed")
            continue
        scale = float(np.nanmax(np.abs(results.runs[metric].to_numpy(dtype=float))))
        found, said = _indices(method, names, unit, y, seed, scale)
        rows += [{"metric": metric, **row} for row in found]
        notes += [f"{metric}: {note}" for note in said]
        if isinstance(method, Sobol):
            steps.append(convergence(method, names, unit, y, seed).assign(metric=metric))
    sensitivity = Sensitivity(
        method="morris" if isinstance(method, Morris) else "sobol",
        output=_output(results),
        table=pd.DataFrame(rows),
        notes=tuple(notes),
        results=results,
        convergence=pd.concat(steps, ignore_index=True) if steps else None,
    )
    if results.path is not None:
        _write(sensitivity, results.path)
    return sensitivity


def _write(sensitivity: Sensitivity, folder: Path) -> None:
    """``sensitivity.json``, and a Sobol' study's convergence beside it, each written whole."""
    document = sensitivity.document()
    steps = sensitivity.convergence
    if steps is not None:
        columns = ["metric", *(c for c in steps.columns if c != "metric")]
        atomic_write(folder / CONVERGENCE, lambda tmp: steps[columns].to_csv(tmp, index=False))
    atomic_write(folder / FILE, lambda tmp: tmp.write_text(json.dumps(document, indent=1)))


def prefixes(samples: int) -> list[int]:
    """The numbers of base samples whose Saltelli samples start a study's of ``samples``.

    SALib lays a Saltelli sample out base sample by base sample: without second-order indices
    (as :class:`~funnelsim.experiments.sampling.Sobol` samples), each base sample's D + 2 rows
    are A, A with each column in turn taken from B, then B. Its base samples are a scrambled
    Sobol' sequence, balanced at every power of two. So the first n x (D + 2) rows, for n the
    study's N halved, are themselves the Saltelli sample of n base samples.
    """
    sizes = [samples >> k for k in range(HALVINGS, -1, -1)]
    return [n for n in sizes if n >= min(FEWEST, samples)]


def convergence(
    method: Sobol, names: Sequence[str], unit: np.ndarray, y: np.ndarray, seed: int
) -> pd.DataFrame:
    """The Sobol' indices of the replications' mean output (``y``: points by replications)
    estimated again on the growing prefixes of the sample (:func:`prefixes`), with their
    bootstrap intervals: a row per input and number of base samples. The last, on the whole
    sample, is the study's own."""
    block = len(names) + 2
    if len(unit) != method.samples * block or len(y) != len(unit):
        raise ValueError(f"expected a Saltelli sample of {method.samples} x {block} points")
    problem = unit_problem(len(names))
    mean = y.mean(axis=1)
    rows = []
    for n in prefixes(method.samples):
        found, _ = _sobol(method, problem, unit[: n * block], mean[: n * block], seed)
        rows += [
            {"factor": name, "samples": n, **{k: float(found[k][i]) for k in SOBOL}}
            for i, name in enumerate(names)
        ]
    return pd.DataFrame(rows)


def _output(results: Results) -> str:
    labels = results.manifest["policies"]
    return f"{labels[-1]} − {labels[0]}" if len(labels) == 2 else labels[0]


def _indices(
    method: Morris | Sobol,
    names: Sequence[str],
    unit: np.ndarray,
    y: np.ndarray,
    seed: int,
    scale: float,
) -> tuple[list[dict], list[str]]:
    """Indices of the replications' mean output, and their noise: how much the same index
    varies from one replication's outputs to the next, over the square root of their number.
    An index within twice its noise of zero is flagged, and so is an effect that is only the
    rounding of the metric (``scale``, its largest value)."""
    problem = unit_problem(len(names))
    analyse_one = _morris if isinstance(method, Morris) else _sobol
    found, notes = analyse_one(method, problem, unit, y.mean(axis=1), seed)
    key = "mu_star" if isinstance(method, Morris) else "ST"
    if y.shape[1] >= 2:
        each = np.array(
            [analyse_one(method, problem, unit, y[:, r], seed)[0][key] for r in range(y.shape[1])]
        )
        noise = each.std(axis=0, ddof=1) / math.sqrt(y.shape[1])
    else:
        noise = np.full(len(names), math.nan)
        notes.append("one replication a point: the indices' noise cannot be measured")
    tiny = ZERO * (scale if key == "mu_star" else 1.0)  # a share of variance is beside 1
    rows = [
        {
            "factor": name,
            **{k: v[i].item() for k, v in found.items()},
            "noise": float(noise[i]),
            "below_noise": bool(found[key][i] <= max(2 * noise[i], tiny)),
        }
        for i, name in enumerate(names)
    ]
    return rows, notes


def _morris(method, problem, unit, y, seed) -> tuple[dict, list[str]]:
    """mu* (the mean absolute elementary effect) with its interval, mu and sigma."""
    from SALib.analyze import morris

    found = morris.analyze(problem, unit, y, num_levels=method.levels, conf_level=CONFIDENCE,
                           num_resamples=RESAMPLES, seed=seed)  # fmt: skip
    return {k: np.asarray(found[k], float) for k in ("mu_star", "mu_star_conf", "mu", "sigma")}, []


def _sobol(method, problem, unit, y, seed) -> tuple[dict, list[str]]:
    """First-order and total indices with their intervals; a note when the sample is too
    small for intervals of ±0.1, with the sample that would do."""
    from SALib.analyze import sobol

    # SALib seeds its bootstrap only for a true seed (``if seed:``), so seed 0 drew fresh
    # resamples on every call; a generator is always true and, for any other seed, the same.
    found = sobol.analyze(problem, y, calc_second_order=False, conf_level=CONFIDENCE,
                          num_resamples=RESAMPLES, seed=np.random.default_rng(seed))  # fmt: skip
    out = {k: np.asarray(found[k], float) for k in SOBOL}
    out["straddles_zero"] = out["S1"] - out["S1_conf"] < 0
    widest = float(np.nanmax(np.concatenate((out["S1_conf"], out["ST_conf"]))))
    notes = []
    if widest > WIDE:
        needed = 2 ** math.ceil(math.log2(method.samples * (widest / WIDE) ** 2))
        notes.append(
            f"the widest interval is ±{widest:.2f}; about {needed} samples "
            f"({needed * (problem['num_vars'] + 2):,} points) would bring each within ±{WIDE}"
        )
    return out, notes
