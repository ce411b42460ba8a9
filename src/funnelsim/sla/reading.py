"""Reading and checking SLA proposal files: every problem at the proposal's own line.

Problems are reported all at once with the file, line and dotted key, as scenario and
experiment files are. A lever that contradicts a clause is an error at the lever; the overlay
is checked by resolving the scenario with it, and the problems it causes are moved back to
the proposal key (clause, lever or ``set``) that wrote the value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from funnelsim.base.units import parse_duration
from funnelsim.base.yamldoc import Document, Key, problem_at, validated
from funnelsim.errors import Problem, ScenarioError
from funnelsim.experiments.spec import experiment_file
from funnelsim.scenario import resolve
from funnelsim.scenario.loading import overridden, source_of
from funnelsim.sla.proposal import Proposal

Locate = Callable[[Key, str], Problem]
"""A problem at a key of the proposal file, with its line."""
Owner = tuple[Key, Key, bool]
"""An overlay leaf: its scenario key, the proposal key that writes it, whether a lever."""


def parse_proposal(
    data: Mapping[str, Any],
    source: str,
    lines: Mapping[Key, int] | None = None,
    base: Path | None = None,
) -> Proposal:
    """Validate proposal data; raise :class:`ScenarioError` listing every problem.

    ``base`` is the folder relative scenario and baseline files are found in.
    """
    lines = lines or {}

    def problem(loc: Key, message: str) -> Problem:
        return problem_at(source, lines, loc, message)

    proposal = validated(Proposal, data, source, lines)
    proposal._base = base
    problems = [problem(loc, message) for loc, message in _cross_checks(proposal)]
    problems += _resolution_problems(proposal, problem)  # levers win the merge: it resolves
    if problems:
        unique = dict.fromkeys(problems)
        raise ScenarioError(sorted(unique, key=lambda p: (p.source != source, p.line or 0)))
    return proposal


def proposal_file(name: str | Path) -> Path:
    """A proposal file, or one bundled with funnelsim by name (``sla-proposal``)."""
    return experiment_file(name)


def read_proposal(path: str | Path) -> Proposal:
    """Load and validate a proposal file; relative scenario and baseline files sit beside it."""
    doc = Document(Path(path))
    return parse_proposal(doc.data, doc.source, doc.lines, Path(path).parent)


def _cross_checks(proposal: Proposal) -> list[tuple[Key, str]]:
    """No clause at all; levers that contradict a clause."""
    out: list[tuple[Key, str]] = []
    if not proposal.clauses() and not proposal.implied():
        out.append(((), "expected at least one clause under 'marketing' or 'sales'"))
    for key, (value, where) in proposal.implied().items():
        for n in range(1, len(key) + 1):
            found, lever = _lookup(proposal.levers, key[:n])
            if not found:
                break
            if n < len(key) and isinstance(lever, Mapping):
                continue
            if n == len(key) and (lever == value or _tighter(key, lever, value)):
                break
            clause = ".".join(where)
            scenario_key = ".".join(key)
            message = (
                f"conflicts with {clause}, which sets {scenario_key} to {value!r}; "
                "remove the lever or change the clause"
            )
            out.append((("levers", *key[:n]), message))
            break
    return out


def _tighter(key: Key, lever: Any, implied: Any) -> bool:
    """A cadence planned tighter than the clause's window implies, in the same unit: it keeps
    the promise and leaves follow-ups room to wait."""
    if key != ("sdr", "attempt_spacing") or not isinstance(lever, str):
        return False
    try:
        parse_duration(lever)
    except ValueError:
        return False  # the scenario check reports it
    same_unit = lever.strip()[-1] == implied[-1]
    return same_unit and float(lever.strip()[:-1]) <= float(implied[:-1])


def _resolution_problems(proposal: Proposal, problem: Locate) -> list[Problem]:
    """Resolve the scenario, the baseline and the overlay; move their problems to our keys."""
    try:
        path = proposal.scenario_file()
    except ScenarioError as exc:
        return [problem(("scenario",), f"{proposal.scenario!r}: {exc.problems[0].message}")]
    try:
        resolve(path)
    except ScenarioError as exc:
        return list(exc.problems)  # the scenario itself is broken: its own file and lines
    out = _baseline_problems(proposal, problem, path)
    out += _overlay_problems(proposal, problem)
    return list(dict.fromkeys(out))


def _at_set(proposal: Proposal, problem: Locate, p: Problem) -> Problem | None:
    """A problem a ``set`` key caused, at that key's line; None for any other."""
    key = overridden(p)
    if key not in proposal.set:
        return None
    return problem(("set", key), p.message if p.path == key else f"{p.path}: {p.message}")


def _baseline_problems(proposal: Proposal, problem: Locate, path: Path) -> list[Problem]:
    """The baseline policy and ``set`` on the scenario; an unknown policy at ``baseline``."""
    if proposal.baseline is None and not proposal.set:
        return []
    try:
        resolve(path, proposal.baseline_policy(), proposal.set)
    except ScenarioError as exc:
        return [_baseline_problem(proposal, problem, path, p) for p in exc.problems]
    return []


def _baseline_problem(proposal: Proposal, problem: Locate, path: Path, p: Problem) -> Problem:
    """One problem of the baseline, at the proposal key that caused it where there is one."""
    if (moved := _at_set(proposal, problem, p)) is not None:
        return moved
    if p.path != "policies" or p.source != source_of(path):
        return p  # a broken baseline file speaks for itself
    return problem(("baseline",), p.message)


def _overlay_problems(proposal: Proposal, problem: Locate) -> list[Problem]:
    """The proposal's own scenario; each problem moved to the clause or lever that set it."""
    try:
        proposal.resolve()
    except ScenarioError as exc:
        owners = _owners(proposal)
        return [_overlay_problem(proposal, problem, owners, p) for p in exc.problems]
    return []


def _overlay_problem(
    proposal: Proposal, problem: Locate, owners: list[Owner], p: Problem
) -> Problem:
    """One problem of the overlay, at the ``set`` key, lever or clause behind it."""
    if (moved := _at_set(proposal, problem, p)) is not None:
        return moved
    loc = tuple(int(x) if x.isdigit() else x for x in p.path.split(".")) if p.path else ()
    owner = _owner(owners, loc) if loc else None
    if owner is None:
        return p  # not the overlay's doing: the scenario file's own problem
    key, where, is_lever = owner
    if is_lever:  # at the lever's own key, or the deeper key at fault inside it
        return problem(("levers", *(loc if loc[: len(key)] == key else key)), p.message)
    return problem(where, f"{p.message} (sets {p.path})")


def _owners(proposal: Proposal) -> list[Owner]:
    """(scenario key, proposal key, is a lever) for every leaf the overlay writes."""
    out = [(key, ("levers", *key), True) for key, _ in _leaves(proposal.levers)]
    out += [(key, where, False) for key, (_, where) in proposal.implied().items()]
    return out


def _owner(owners: list[Owner], loc: Key) -> Owner | None:
    """The overlay leaf behind a problem at scenario key ``loc`` (at, above or below it)."""
    for key, where, is_lever in owners:
        if key[: len(loc)] == loc or loc[: len(key)] == key:
            return key, where, is_lever
    return None


def _leaves(data: Any, key: Key = ()) -> Iterator[tuple[Key, Any]]:
    """Every (key, value) below ``data`` that is not itself a non-empty mapping."""
    if isinstance(data, Mapping) and data:
        for k, v in data.items():
            yield from _leaves(v, (*key, k))
    else:
        yield key, data


def _lookup(data: Any, key: Key) -> tuple[bool, Any]:
    for part in key:
        if not isinstance(data, Mapping) or part not in data:
            return False, None
        data = data[part]
    return True, data
