"""``funnelsim sensitivity``: which inputs drive the answer (Morris, Sobol')."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from funnelsim.cli.experiments import View, file_command

if TYPE_CHECKING:
    from funnelsim.experiments import Plan


def _planned() -> Callable[..., Plan]:
    from funnelsim.analysis.sensitivity import sensitivity_plan

    return sensitivity_plan


def _view() -> View:
    from funnelsim.analysis.sensitivity import analyse
    from funnelsim.views.tables.sensitivity import sensitivity_report

    return View.of(analyse, sensitivity_report, "sensitivity")


sensitivity = file_command(
    "sensitivity",
    "Rank the inputs of an experiment file by their effect: Morris screening or Sobol'.",
    _planned,
    _view,
)
