"""Inputs at the edges of the loader: each is one clear problem, never a crash."""

from __future__ import annotations

import pytest

import funnelsim
from tests.helpers import problems


def test_a_typo_in_a_middle_key_of_a_set_is_blamed_on_the_set():
    (problem,) = problems(overrides=["sdr.trsut.window=3"])
    assert problem.source == "override sdr.trsut.window"
    assert problem.path == "sdr.trsut" and "did you mean 'trust'" in problem.message


def test_an_override_that_breaks_a_cross_key_check_is_named():
    (problem,) = problems(overrides=["horizon.warmup=200w"])
    assert problem.path == "horizon" and problem.line is not None
    assert "(after override horizon.warmup)" in problem.message


def test_merge_keys_are_not_duplicates(tmp_path):
    text = funnelsim.bundled_scenario().read_text()
    text = text.replace("  aligned:\n", "  aligned: &aligned\n", 1)
    text += "  stricter:\n    <<: *aligned\n    sla: {response_time: 30m, enforced: true}\n"
    path = tmp_path / "merge.yaml"
    path.write_text(text)
    stricter = funnelsim.load_scenario(path, policy="stricter")
    assert stricter.sla.response_time == "30m"
    assert stricter.sdr.attempts == funnelsim.load_scenario(path, policy="aligned").sdr.attempts


def test_a_duplicate_parent_is_one_problem(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(funnelsim.bundled_scenario().read_text() + "sla: {response_time: 2h}\n")
    (problem,) = problems(path)
    assert problem.path == "sla" and "duplicate key" in problem.message


@pytest.mark.parametrize(
    ("content", "needs"),
    [
        (b"name: caf\xe9\n", "not UTF-8"),
        (b"? [a, b]\n: 1\n", "plain key"),
    ],
)
def test_unreadable_files_are_problems(tmp_path, content, needs):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    (problem,) = problems(path)
    assert needs in problem.message and problem.source == str(path)


def test_durations_must_be_finite():
    (problem,) = problems(overrides=["horizon.length=1e400w"])
    assert "finite" in problem.message
