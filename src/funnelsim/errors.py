"""Errors that say where in an input a problem sits, so the CLI can print them plainly."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: which file and line, which key, what was expected."""

    source: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.path or '<top level>'}: {self.message}"


class FunnelsimError(Exception):
    """Base class of every error funnelsim raises on purpose."""


class ScenarioError(FunnelsimError):
    """A scenario, policy or override that cannot be used, with every problem found in it."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self):
        return (type(self), (self.problems,))  # survives a trip to a worker process


class UsageError(FunnelsimError):
    """An option or argument that cannot be used as given, said in one line."""


class ReplicationsFailed(FunnelsimError):
    """Every replication raised, so there is nothing to judge or draw; each one's error is
    recorded with its seed in the results."""
