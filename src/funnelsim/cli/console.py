"""What every command prints besides its tables: errors on stderr, JSON documents on stdout."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from funnelsim.base.jsondoc import plain
from funnelsim.errors import FunnelsimError, ScenarioError
from funnelsim.scenario import load_scenario
from funnelsim.scenario.schema import Scenario

err = Console(stderr=True)


def fail(exc: FunnelsimError) -> NoReturn:
    """Print the problems of a bad input, one per line, and exit with status 2."""
    problems = getattr(exc, "problems", None) or [exc]
    noun = "problem" if len(problems) == 1 else "problems"
    err.print(f"[bold red]error:[/] {len(problems)} {noun} found", highlight=False)
    for problem in problems:
        err.print(f"  {problem}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(2)


@contextlib.contextmanager
def reported(kind: type[FunnelsimError] = FunnelsimError) -> Iterator[None]:
    """Bad input of ``kind`` raised inside: its problems printed, exit status 2."""
    try:
        yield
    except kind as exc:
        fail(exc)


def load(scenario: Path | None, policy: str | None, overrides: list[str] | None) -> Scenario:
    """The resolved scenario, or the problems printed and exit status 2."""
    with reported(ScenarioError):
        return load_scenario(scenario, policy=policy, overrides=overrides or [])


def warn(message: str | None) -> None:
    """One line on stderr beginning ``warning:``; nothing when there is no message."""
    if message is not None:
        err.print(f"[bold yellow]warning:[/] {escape(message)}", soft_wrap=True, highlight=False)


def print_json(document: Any) -> None:
    """One JSON document on stdout, NumPy values and NaN made plain."""
    sys.stdout.write(json.dumps(plain(document), indent=2) + "\n")
