"""Experiment files: every number finite, every design small enough to plan, said at once."""

from __future__ import annotations

import math
import time

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnelsim.errors import ScenarioError
from funnelsim.experiments.spec import MAX_ITEMS, MAX_POINTS, MAX_VALUES, read_experiment

NOT_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
NOT_FINITE_TEXT = st.sampled_from(["nanh", "infh", "-infd", "1e999w", "NaNm"])

GOOD = {
    "range": {"factors": {"sdr.headcount": {"from": 4, "to": 8, "step": 2}}},
    "interval": {
        "design": {"latin_hypercube": {"points": 4, "seed": 1}},
        "factors": {"scoring.mql_threshold": {"min": 50, "max": 70}},
    },
}
NUMERIC_KEYS = [
    ("range", ("factors", "sdr.headcount", "from")),
    ("range", ("factors", "sdr.headcount", "to")),
    ("range", ("factors", "sdr.headcount", "step")),
    ("interval", ("factors", "scoring.mql_threshold", "min")),
    ("interval", ("factors", "scoring.mql_threshold", "max")),
    ("interval", ("design", "latin_hypercube", "points")),
    ("interval", ("design", "latin_hypercube", "seed")),
    ("range", ("replications",)),
    ("range", ("seed",)),
]


def _write(tmp_path, data) -> str:
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def _set(data, key, value):
    out = yaml.safe_load(yaml.safe_dump(data))
    node = out
    for part in key[:-1]:
        node = node[part]
    node[key[-1]] = value
    return out


def _problems(path) -> list:
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        read_experiment(path)
    assert time.perf_counter() - started < 1.0
    return info.value.problems


@pytest.mark.parametrize(("design", "key"), NUMERIC_KEYS, ids=lambda v: str(v))
@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=NOT_FINITE)
def test_a_number_that_is_not_finite_is_refused_at_its_key(tmp_path, design, key, value):
    read_experiment(_write(tmp_path, GOOD[design]))  # sound without the bad value
    [problem] = _problems(_write(tmp_path, _set(GOOD[design], key, value)))
    assert problem.path == ".".join(key) and problem.line is not None
    assert "finite" in problem.message


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(bound=st.sampled_from(["min", "max"]), text=NOT_FINITE_TEXT)
def test_an_interval_of_durations_that_are_not_finite_is_refused(tmp_path, bound, text):
    factor = {"min": "1h", "max": "8h"} | {bound: text}
    data = {"design": {"latin_hypercube": {"points": 3}}, "factors": {"sdr.work_time": factor}}
    [problem] = _problems(_write(tmp_path, data))
    assert problem.path == f"factors.sdr.work_time.{bound}" or "finite" in problem.message


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(low=st.floats(-1.7e308, -1e308), high=st.floats(1e308, 1.7e308))
def test_an_interval_too_wide_to_sample_is_refused(tmp_path, low, high):
    data = {
        "design": {"latin_hypercube": {"points": 3}},
        "factors": {"x": {"min": low, "max": high}},
    }
    [problem] = _problems(_write(tmp_path, data))
    assert "finite" in problem.message


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(step=st.floats(5e-324, 5e-5), start=st.floats(0, 10))
def test_a_range_with_too_many_values_is_refused_at_once(tmp_path, step, start):
    data = {"factors": {"scoring.mql_threshold": {"from": start, "to": start + 10, "step": step}}}
    [problem] = _problems(_write(tmp_path, data))
    assert problem.path == "factors.scoring.mql_threshold"
    assert problem.message.startswith(f"expected at most {MAX_VALUES:,} values")


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sizes=st.lists(st.integers(2, 400), min_size=2, max_size=4))
def test_a_grid_is_refused_past_its_size_before_anything_resolves(tmp_path, sizes):
    factors = {f"f{k}": list(range(n)) for k, n in enumerate(sizes)}
    data = {"policies": ["aligned", "misaligned"], "factors": factors}
    points = math.prod(sizes)
    if 2 * points <= MAX_POINTS:
        return  # small enough: the factors' names are then checked by resolving
    [problem] = _problems(_write(tmp_path, data))
    assert problem.path == "factors"
    assert f"{points:,}" in problem.message and f"at most {MAX_POINTS:,}" in problem.message


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(points=st.integers(1, 1_000), replications=st.integers(1, 1_000_000))
def test_a_plan_of_too_many_runs_is_refused(tmp_path, points, replications):
    runs = points * 2 * replications
    if runs <= MAX_ITEMS:
        return
    factors = {"sdr.headcount": list(range(1, points + 1))}
    data = {"policies": ["aligned", "misaligned"], "factors": factors, "replications": replications}
    [problem] = _problems(_write(tmp_path, data))
    assert problem.path == "replications" and f"{runs:,} runs" in problem.message
