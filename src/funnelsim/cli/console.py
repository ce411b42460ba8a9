"""What every command prints besides its tables: errors on stderr, JSON documents on stdout.

Whatever a person typed reaches the terminal through :func:`~funnelsim.views.text.printable`
or :func:`~funnelsim.views.text.literal`, and no console reads ``:name:`` as an emoji, so a
name shows as written in every message and table.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from funnelsim.base.jsondoc import plain
from funnelsim.errors import FunnelsimError, Problem, ReplicationsFailed, ScenarioError
from funnelsim.scenario import load_scenario
from funnelsim.scenario.loading import OVERRIDE
from funnelsim.scenario.schema import Scenario
from funnelsim.views.text import printable

err = Console(stderr=True, emoji=False)


def terminal() -> Console:
    """The console tables go to: stdout, sized when asked (``COLUMNS`` is read then)."""
    return Console(emoji=False)


def say(message: str) -> None:
    """One line on stderr, ``error: message``, never wrapped and never read as markup."""
    err.print(Text.assemble(("error:", "bold red"), " ", printable(message)), soft_wrap=True)


def fail(exc: FunnelsimError) -> NoReturn:
    """Say what is wrong and exit: an input's problems one per line, anything else in one
    line; status 1 when replications failed, 2 for bad input."""
    problems = getattr(exc, "problems", None)
    if not problems:
        say(str(exc))
        raise typer.Exit(1 if isinstance(exc, ReplicationsFailed) else 2)
    noun = "problem" if len(problems) == 1 else "problems"
    err.print(f"[bold red]error:[/] {len(problems)} {noun} found", highlight=False)
    for problem in problems:
        line = printable(as_set(problem))
        err.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(2)


def as_set(problem: Problem) -> Problem:
    """A problem an override caused, in the command line's words: the option ``--set``.

    Overrides that reach a problem unattributed came from ``--set``: those of experiment,
    proposal and stress files are moved to their own lines before.
    """
    source = problem.source
    if source == OVERRIDE or source.startswith(f"{OVERRIDE} "):
        source = "--set" + source.removeprefix(OVERRIDE)
    message = problem.message.replace(f"(after {OVERRIDE} ", "(after --set ")
    return dataclasses.replace(problem, source=source, message=message)


@contextlib.contextmanager
def reported(kind: type[FunnelsimError] = FunnelsimError) -> Iterator[None]:
    """Bad input of ``kind`` raised inside: its problems printed, exit status 2."""
    try:
        yield
    except kind as exc:
        fail(exc)


def load(
    scenario: Path | None,
    policy: str | None,
    overrides: list[str] | None,
    pipeline: Path | None = None,
) -> Scenario:
    """The resolved scenario, or the problems printed and exit status 2."""
    with reported(ScenarioError):
        return load_scenario(scenario, policy=policy, overrides=overrides or [], pipeline=pipeline)


def warn(message: str | None) -> None:
    """One line on stderr beginning ``warning:``; nothing when there is no message."""
    if message is not None:
        err.print(f"[bold yellow]warning:[/] {escape(message)}", soft_wrap=True, highlight=False)


def print_json(document: Any) -> None:
    """One JSON document on stdout, NumPy values and NaN made plain."""
    sys.stdout.write(json.dumps(plain(document), indent=2) + "\n")
