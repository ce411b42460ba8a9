"""Every input refuses numbers that are not finite, values past their bounds, alias bombs and
deep nesting: with the usual one-line problem, at once, before anything runs."""

from __future__ import annotations

import copy
import time

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import funnelsim
from funnelsim.base.yamldoc import MAX_DEPTH, MAX_VALUES, Document
from funnelsim.errors import ScenarioError
from funnelsim.experiments.spec import read_experiment
from funnelsim.scenario import fields
from funnelsim.scenario.loading import parse_overrides
from funnelsim.sla import read_proposal
from funnelsim.sla.stress import stress_file

REFERENCE = yaml.safe_load(funnelsim.bundled_scenario().read_text())


def _numbers(data, key=()):
    """The key path of every number in ``data`` (booleans are not numbers)."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _numbers(v, (*key, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _numbers(v, (*key, i))
    elif isinstance(data, int | float) and not isinstance(data, bool):
        yield key


NUMBERS = list(_numbers(REFERENCE))
SETTABLE = [key for key in NUMBERS if key[0] != "judgment"]
"""The numbers ``--set`` can reach: a judgment range sits under a dotted key of its own, so it
is edited in the file (docs/scenarios.md)."""
NOT_FINITE = [float("nan"), float("inf"), float("-inf")]


def _with(data, key, value):
    out = copy.deepcopy(data)
    node = out
    for part in key[:-1]:
        node = node[part]
    node[key[-1]] = value
    return out


def test_the_reference_scenario_has_numbers_everywhere():
    sections = {key[0] for key in NUMBERS}
    assert {"scoring", "sdr", "sales", "segments", "sources", "nurture"} <= sections
    assert len(NUMBERS) > 50


@pytest.mark.parametrize("key", NUMBERS, ids=lambda k: ".".join(map(str, k)))
def test_a_number_that_is_not_finite_is_refused_at_its_key_and_line(tmp_path, key):
    value = NOT_FINITE[hash(key) % 3]
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(_with(REFERENCE, key, value), sort_keys=False))
    with pytest.raises(ScenarioError) as info:
        funnelsim.load_scenario(path)
    dotted = ".".join(map(str, key))
    [problem] = [p for p in info.value.problems if p.path == dotted]
    assert problem.message.startswith("expected a finite number, got ")
    assert problem.line is not None
    text = path.read_text().splitlines()[problem.line - 1]
    assert ".nan" in text.lower() or ".inf" in text.lower()


@settings(max_examples=60, deadline=None)
@given(
    key=st.sampled_from(SETTABLE),
    text=st.sampled_from(["nan", "NaN", "inf", "-inf", "1e999", "-1e400", ".nan", ".inf"]),
)
def test_a_set_value_that_is_not_finite_is_refused(key, text):
    dotted = ".".join(map(str, key))
    overrides = parse_overrides([f"{dotted}={text}"])
    # A policy's values are typed when it is applied: until then "nan" there is only text.
    assume(key[0] != "policies" or isinstance(overrides[dotted], float))
    with pytest.raises(ScenarioError) as info:
        funnelsim.load_scenario(overrides=overrides)
    where = "policies" if key[0] == "policies" else dotted
    assert any(p.path.startswith(where) for p in info.value.problems), info.value


@pytest.mark.parametrize(
    ("key", "bound"),
    [
        ("sdr.headcount", fields.MAX_STAFF),
        ("sales.ae_count", fields.MAX_STAFF),
        ("sales.max_open_per_ae", fields.MAX_OPEN_PER_AE),
        ("recycle.max_recycles", fields.MAX_RECYCLES),
        ("sdr.trust.window", fields.MAX_TRUST_WINDOW),
        ("sources.inbound.rate_per_week", fields.MAX_RATE_PER_WEEK),
    ],
)
@given(excess=st.one_of(st.integers(1, 10**6), st.integers(10**6, 10**30)))
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.differing_executors])
def test_counts_and_rates_past_their_bound_are_refused(key, bound, excess):
    funnelsim.load_scenario(overrides={key: int(bound)})  # the bound itself is allowed
    with pytest.raises(ScenarioError) as info:
        funnelsim.load_scenario(overrides={key: int(bound) + excess})
    [problem] = info.value.problems
    assert problem.path == key
    assert problem.message.startswith(f"expected less than or equal to {bound:g}")


def test_a_horizon_past_twenty_years_is_refused_in_its_units():
    funnelsim.load_scenario(overrides={"horizon.length": "1040w"})
    with pytest.raises(ScenarioError, match=r"horizon.length: expected at most 1040w, got 1041w"):
        funnelsim.load_scenario(overrides={"horizon.length": "1041w"})


# -- alias bombs and deep nesting ------------------------------------------------------------


def _laughs(levels: int, fanout: int) -> str:
    lines = ["a0: &a0 [lol, lol]"]
    for k in range(1, levels + 1):
        refs = ", ".join([f"*a{k - 1}"] * fanout)
        lines.append(f"a{k}: &a{k} [{refs}]")
    return "\n".join(lines) + "\n"


def _nested(depth: int, flow: bool) -> str:
    if flow:
        return "x: " + "[" * depth + "]" * depth + "\n"
    return "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v: 1\n"


READERS = {
    "scenario": lambda p: funnelsim.load_scenario(p),
    "policy": lambda p: funnelsim.load_scenario(policy=str(p)),
    "experiment": read_experiment,
    "proposal": read_proposal,
    "stress": stress_file,
    "document": Document,
}


RUNAWAY = 10.0
"""Seconds that tell a refusal (milliseconds on a quiet machine) from an expansion (minutes,
or memory gone), even on a machine busy with other work."""


def _refused_quickly(reader, path) -> str:
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        reader(path)
    assert time.perf_counter() - started < RUNAWAY
    [problem] = info.value.problems
    assert problem.source == str(path) and problem.line is not None
    return problem.message


@pytest.mark.parametrize("kind", READERS)
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(levels=st.integers(5, 30), fanout=st.integers(10, 40))
def test_an_alias_bomb_is_refused_in_every_input_type(tmp_path, kind, levels, fanout):
    assert 2 * fanout**levels > MAX_VALUES and levels + 2 < MAX_DEPTH  # a bomb, not too deep
    path = tmp_path / "bomb.yaml"
    path.write_text(_laughs(levels, fanout))
    assert "refused: aliases expand it past" in _refused_quickly(READERS[kind], path)


@pytest.mark.parametrize("kind", READERS)
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(depth=st.integers(MAX_DEPTH + 1, 200_000), flow=st.booleans())
def test_deep_nesting_is_refused_in_every_input_type(tmp_path, kind, depth, flow):
    path = tmp_path / "deep.yaml"
    path.write_text(_nested(depth if flow else min(depth, 3_000), flow))
    assert "refused: nested deeper than" in _refused_quickly(READERS[kind], path)


@pytest.mark.parametrize(
    "text",
    [
        "a: &a [*a]\n",  # an alias inside its own anchor
        "".join(f"a{k + 1}: &a{k + 1} [*a{k}]\n" for k in range(MAX_DEPTH)).replace("*a0", "1"),
    ],
)
def test_aliases_that_loop_or_chain_too_deep_are_refused(tmp_path, text):
    path = tmp_path / "x.yaml"
    path.write_text(text)
    assert _refused_quickly(Document, path).startswith("refused: ")


def test_a_set_value_that_is_an_alias_bomb_stays_text_and_is_refused():
    bomb = _laughs(9, 10).replace("\n", ", ").rstrip(", ")
    started = time.perf_counter()
    with pytest.raises(ScenarioError):
        funnelsim.load_scenario(overrides=parse_overrides([f"scoring.mql_threshold={{{bomb}}}"]))
    assert time.perf_counter() - started < 1.0
