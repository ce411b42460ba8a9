"""Judgment parameters: each a key of the scenario, with a range of its kind and a reason."""

from __future__ import annotations

import pytest

import funnelsim
from funnelsim.base.intervals import number
from funnelsim.base.mapping import dotted
from tests.helpers import problems


@pytest.fixture(scope="module")
def reference():
    return funnelsim.load_scenario()


def values(scenario):
    return dotted(scenario.model_dump(mode="json", by_alias=True))


BUNDLED = ("reference", "enterprise_outbound", "smb_velocity", "sales_bound")


@pytest.mark.parametrize("name", BUNDLED)
def test_the_bundled_scenarios_state_their_judgment_calls_inside_their_ranges(name):
    scenario = funnelsim.load_scenario(name)
    assert len(scenario.judgment) >= 15
    own = values(scenario)
    for key, judged in scenario.judgment.items():
        low, high = number(judged.min)[0], number(judged.max)[0]
        found = number(own[key])[0]
        if number(judged.min)[1]:  # a duration: compare in days
            found = funnelsim.base.units.parse_duration(own[key])
            low, high = (funnelsim.base.units.parse_duration(b) for b in (judged.min, judged.max))
        assert low <= found <= high, key
        assert judged.why.strip(), key


@pytest.mark.parametrize("name", BUNDLED)
def test_no_judgment_call_is_a_lever_of_the_bundled_policies(name):
    scenario = funnelsim.load_scenario(name)
    own = values(scenario)
    for policy in ("misaligned", "aligned"):
        theirs = values(funnelsim.load_scenario(name, policy=policy))
        assert not {k for k in scenario.judgment if theirs[k] != own[k]}, policy


def test_a_judgment_key_the_scenario_lacks_is_refused():
    found = problems(overrides={"judgment": {"sdr.nope": {"min": 1, "max": 2, "why": "x"}}})
    assert "judgment.sdr.nope: the scenario has no key sdr.nope" in found[0].message


def test_a_range_of_durations_for_a_number_is_refused():
    found = problems(
        overrides={"judgment": {"sdr.headcount": {"min": "1d", "max": "2d", "why": "x"}}}
    )
    assert "expected a range of the same kind, number or duration" in found[0].message


def test_a_value_beyond_its_range_may_be_asked_for():
    scenario = funnelsim.load_scenario(overrides={"sdr.trust.min_effort": 1.0})
    assert scenario.sdr.trust.min_effort == 1.0


def test_the_calibration_page_lists_every_judgment_call(reference):
    from pathlib import Path

    page = (Path(__file__).parents[2] / "docs" / "calibration.md").read_text()
    for key, judged in reference.judgment.items():
        assert f"| `{key}` | {judged.range_text()}" in page, key
        assert judged.why in page, key


def test_a_whole_number_parameter_needs_a_whole_number_range():
    found = problems(overrides={"judgment": {"sdr.headcount": {"min": 2, "max": 8, "why": "x"}}})
    assert "sdr.headcount takes whole numbers; expected integer: true" in found[0].message
