"""What a worker sends back, checked against the chunk it answers before anything uses it.

A chunk's tables come from another process, perhaps another machine: a worker running another
version of funnelsim, or not funnelsim at all, could send anything. A result is refused whole,
before it reaches the results, unless it is a :class:`ChunkResult` of that very chunk whose
tables have the expected columns, one run row per replication and policy with the chunk's
seeds and factor values, and weekly and group rows for exactly the runs that finished.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import pandas as pd
from pandas.api import types

from funnelsim.errors import FunnelsimError
from funnelsim.experiments.execution import ID_COLUMNS, RUN_COLUMNS, Chunk, ChunkResult

Key = tuple[int, int, str]
"""A run's identifiers: (point, replication, policy)."""
Kind = tuple[Callable[[Any], bool], str]
"""A test of a column's dtype, and what it says is expected."""

WHOLE: Kind = (types.is_integer_dtype, "whole numbers")
NUMBER: Kind = (lambda d: types.is_numeric_dtype(d) and not types.is_bool_dtype(d), "numbers")
MEASURE: Kind = (
    lambda d: types.is_numeric_dtype(d) or types.is_datetime64_any_dtype(d),
    "numbers, flags or dates",
)


class Rows(NamedTuple):
    """The shape of a table of rows per run."""

    keys: tuple[str, ...]  # its leading columns
    within: tuple[str, ...]  # the other columns that tell a run's rows apart
    every: bool  # every run that finished has rows (a run may have no periods)
    measures: bool  # every other column holds numbers, flags or dates


ROWS = {
    "weekly": Rows(ID_COLUMNS, ("week",), every=True, measures=True),
    "groups": Rows((*ID_COLUMNS, "group", "name"), (), every=True, measures=True),
    "periods": Rows(ID_COLUMNS, ("period",), every=False, measures=False),
}
"""The tables of rows per run. A run's periods may be an empty frame, of no type."""


class MalformedChunk(FunnelsimError):
    """A worker's answer to a chunk that is not what the chunk asked for; none of it is kept."""

    def __init__(self, chunk: Chunk, problem: str):
        super().__init__(f"chunk {chunk.name} from a worker: {problem}; nothing of it was kept")


def checked(chunk: Chunk, result: object) -> ChunkResult:
    """``result`` if it is a well-formed answer to ``chunk``, else :class:`MalformedChunk`."""
    if not isinstance(result, ChunkResult):
        raise MalformedChunk(chunk, f"sent a {type(result).__name__}, expected a ChunkResult")
    if result.chunk != chunk.name:
        raise MalformedChunk(chunk, f"answers chunk {result.chunk!r}")
    for name, frame in result.tables().items():
        if not isinstance(frame, pd.DataFrame):
            raise MalformedChunk(chunk, f"{name} is a {type(frame).__name__}, expected a frame")
    seconds = result.seconds
    if not (isinstance(seconds, float) and math.isfinite(seconds) and seconds >= 0):
        raise MalformedChunk(chunk, f"its time {seconds!r} is not a number of seconds")
    finished = _check_runs(chunk, result.runs)
    for name, rows in ROWS.items():
        runs = finished if name != "periods" or chunk.periods is not None else set()
        _check_rows(chunk, name, result.tables()[name], rows, runs)
    return result


def _check_runs(chunk: Chunk, runs: pd.DataFrame) -> set[Key]:
    """The run rows: columns, identifiers, seeds, factor values, types; the runs finished."""
    factors = dict(chunk.factors)
    _check_columns(chunk, "runs", runs, [*ID_COLUMNS, "seed", *factors, *RUN_COLUMNS], exact=True)
    _check_policies(chunk, "runs", runs)
    metrics = dict.fromkeys(RUN_COLUMNS[2:], NUMBER)
    _check_kinds(chunk, "runs", runs, {"point": WHOLE, "replication": WHOLE, "seed": WHOLE})
    _check_kinds(chunk, "runs", runs, metrics)
    expected = [(chunk.point, r, p) for r in chunk.replications for p in chunk.labels]
    if _keys(runs) != expected:
        what = f"replications {chunk.replications[0]} to {chunk.replications[-1]}"
        raise MalformedChunk(chunk, f"runs does not hold one row per policy of {what}, in order")
    if runs["seed"].tolist() != [s for per_policy in chunk.seeds for s in per_policy]:
        raise MalformedChunk(chunk, "runs holds seeds other than the chunk's")
    for name, value in factors.items():
        if not (runs[name] == value).all():
            raise MalformedChunk(chunk, f"runs: {name} is not {value!r} in every row")
    if not runs["status"].isin(["ok", "failed"]).all():
        raise MalformedChunk(chunk, "runs: a status other than 'ok' or 'failed'")
    return set(_keys(runs[runs["status"] == "ok"]))


def _check_rows(chunk: Chunk, name: str, frame: pd.DataFrame, rows: Rows, runs: set[Key]) -> None:
    """A table of rows per run: its keys first, rows of ``runs`` only (of every one, if the
    table has rows for every run), none twice, and the types of its other columns."""
    _check_columns(chunk, name, frame, list(rows.keys), exact=False)
    _check_policies(chunk, name, frame)
    if len(frame):
        _check_kinds(chunk, name, frame, {"point": WHOLE, "replication": WHOLE})
    found = set(_keys(frame))
    if not found <= runs:
        raise MalformedChunk(chunk, f"{name} holds rows of runs that did not finish")
    if rows.every and found != runs:
        raise MalformedChunk(chunk, f"{name} lacks the rows of a run that finished")
    if not len(frame):
        return
    unique = [*rows.keys, *rows.within]
    if not set(unique) <= set(frame.columns) or frame.duplicated(unique).any():
        raise MalformedChunk(chunk, f"{name} does not hold one row per {', '.join(unique)}")
    if rows.measures:
        others = frame.columns[len(rows.keys) :]
        _check_kinds(chunk, name, frame, dict.fromkeys(others, MEASURE))


def _check_columns(
    chunk: Chunk, name: str, frame: pd.DataFrame, expected: list[str], exact: bool
) -> None:
    """The columns are ``expected`` (with ``exact``) or start with them."""
    columns = [str(c) for c in frame.columns]
    if (columns if exact else columns[: len(expected)]) == expected:
        return
    missing = [c for c in expected if c not in columns]
    extra = [c for c in columns if c not in expected] if exact else []
    if missing:
        raise MalformedChunk(chunk, f"{name} lacks the columns {missing}")
    if extra:
        raise MalformedChunk(chunk, f"{name} has columns it should not: {extra}")
    raise MalformedChunk(chunk, f"{name} does not start with the columns {expected} in order")


def _check_policies(chunk: Chunk, name: str, frame: pd.DataFrame) -> None:
    """Policies by name, as a categorical of the experiment's policies in their order."""
    policy = frame["policy"]
    if not (isinstance(policy.dtype, pd.CategoricalDtype) and policy.cat.ordered):
        raise MalformedChunk(chunk, f"{name}: policy is not a categorical of the policies")
    if list(policy.cat.categories) != list(chunk.labels):
        raise MalformedChunk(chunk, f"{name}: the policies are not {list(chunk.labels)}")


def _check_kinds(chunk: Chunk, name: str, frame: pd.DataFrame, kinds: dict[str, Kind]) -> None:
    """Each column's dtype passes its test."""
    for column, (test, wanted) in kinds.items():
        if not test(frame[column].dtype):
            found = frame[column].dtype
            raise MalformedChunk(chunk, f"{name}: {column} holds {found}, expected {wanted}")


def _keys(frame: pd.DataFrame) -> list[Key]:
    """Each row's (point, replication, policy)."""
    ids = zip(frame["point"], frame["replication"], frame["policy"], strict=True)
    return [(int(p), int(r), str(k)) for p, r, k in ids]
