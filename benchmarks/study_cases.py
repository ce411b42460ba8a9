"""The bundled sensitivity study's side of the benchmarks: a slice of each stage, timed.

The whole study (the Morris screening's 110 points, the Sobol' stage's 896) takes tens of
minutes; ``make bench`` times the first trajectories of the one and the first base samples of
the other, whole (pilots, pool start-up, chunks landed, the analysis and its files), on one
worker in process and on two, and scales the two-worker time to the stage's points. Every
point costs about the same (one pilot per policy, the same horizon), so the stage's time is
its slice's per point times its points; ``docs/analysis.md`` gives the stages' own times.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from experiment_cases import TimedSimulate
from funnelsim.analysis.sensitivity import analyse, sensitivity_plan
from funnelsim.experiments import conduct, execution, prepare
from funnelsim.model import settled
from tables import SPEED_UP, Row, Target, progress

EXPERIMENTS = Path(__file__).parent.parent / "experiments"
STAGES = {
    "Morris screening": ("what-drives-alignment.yaml", "morris", "trajectories"),
    "Sobol' stage": ("what-drives-alignment-sobol.yaml", "sobol", "samples"),
}


@dataclass(frozen=True)
class StageSlice:
    """A slice of one stage of the study, timed on one worker and on two."""

    stage: str
    points: int  # in the slice
    all_points: int  # in the whole stage
    runs: int  # in the slice
    one: float  # wall seconds, one worker in process
    inside: float  # ... of which inside ``simulate`` (its pilots included)
    two: float  # wall seconds, two workers

    @property
    def share(self) -> float:
        return self.inside / self.one

    @property
    def speed_up(self) -> float:
        return self.one / self.two

    @property
    def projected(self) -> float:
        """The whole stage on two workers, at the slice's cost per point."""
        return self.two * self.all_points / self.points


def stage_slice(stage: str, size: int, workers: int) -> StageSlice:
    """Time the first ``size`` trajectories (Morris) or base samples (Sobol') of a stage."""
    file, method, count = STAGES[stage]
    whole = prepare(EXPERIMENTS / file).experiment
    data = whole.model_dump(by_alias=True, exclude_none=True)
    data["design"] = {method: {count: size}}
    plan, full = sensitivity_plan(data), sensitivity_plan(EXPERIMENTS / file)
    timed = TimedSimulate()
    settled._SETTLED.clear()  # the pilots are part of the work: none kept from before
    with mock.patch.object(execution, "simulate", timed):
        one = _timed(plan, 1)
    two = _timed(plan, workers)
    runs = len(plan.points) * plan.experiment.replications * len(plan.labels)
    return StageSlice(stage, len(plan.points), len(full.points), runs, one, sum(timed.seconds), two)


def _timed(plan, workers: int) -> float:
    """Wall seconds of the study into a fresh folder, its analysis and files included."""
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        analyse(conduct(plan, out=Path(folder) / "out", workers=workers))
        return time.perf_counter() - started


def study_rows(slices: tuple[int, int], workers: int) -> list[Row]:
    """Each stage's slice on one worker and on ``workers``, the share inside ``simulate``, the
    speed-up, and the whole stage's time at the slice's cost per point."""
    rows = []
    for stage, size in zip(STAGES, slices, strict=True):
        progress(f"bundled study, {stage}: a slice of {size}, on 1 worker then {workers}")
        cut = stage_slice(stage, size, workers)
        label = f"{stage}, {cut.points} of its {cut.all_points} points ({cut.runs} runs)"
        budget = Target("<=", 30 * 60, "<= 30 min") if stage.startswith("Sobol") else None
        rows += [
            Row(f"{label}, 1 worker", cut.one, f"{cut.one:.1f} s"),
            Row(f"{label}, {workers} workers", cut.two, f"{cut.two:.1f} s"),
            Row(
                "... share of the 1-worker time inside `simulate` (pilots included)",
                cut.share,
                f"{cut.share:.1%}",
                Target(">=", 0.95, ">= 95%"),
            ),
            Row(
                f"... speed-up, {workers} workers over 1",
                cut.speed_up,
                f"{cut.speed_up:.2f}x",
                SPEED_UP,
            ),
            Row(
                f"... the whole stage on {workers} workers, at the slice's time per point",
                cut.projected,
                f"{cut.projected / 60:.1f} min",
                budget,
            ),
        ]
    return rows
