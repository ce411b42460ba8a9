"""Long work says how long it should take, from the pace of its first chunks."""

from __future__ import annotations

import pytest

import funnelsim
from funnelsim.experiments import filling
from funnelsim.experiments.filling import Estimate, Pace
from funnelsim.views.formats import duration_words
from tests.helpers import SHORT, SHORT_ARGS


@pytest.fixture
def one_replication_a_chunk(monkeypatch):
    monkeypatch.setattr(filling, "CHUNK_SECONDS", 1e-9)


def test_the_estimate_comes_once_with_the_runs_left_at_the_measured_pace(
    one_replication_a_chunk, tmp_path
):
    heard: list[Estimate] = []
    landed: list[int] = []
    options = {"overrides": SHORT, "workers": 1, "out": tmp_path / "out"}
    funnelsim.compare(reps=4, on_estimate=heard.append, on_progress=lambda d, t: landed.append(d),
                      **options)  # fmt: skip
    assert landed == [0, 2, 4, 6, 8]  # one replication of two policies a chunk
    [estimate] = heard  # after the second chunk: the first one times the start-up alone
    assert estimate.runs == 4 and estimate.rate > 0
    assert estimate.seconds == pytest.approx(estimate.runs / estimate.rate)
    heard.clear()
    funnelsim.compare(reps=4, resume=True, on_estimate=heard.append, **options)
    assert heard == []  # nothing left to run, nothing to estimate


def test_the_pace_is_timed_from_the_first_landing_until_each_worker_landed_again(monkeypatch):
    clock = iter([10.0, 12.0, 13.0, 14.0])
    monkeypatch.setattr(filling.time, "perf_counter", lambda: next(clock))
    pace = Pace(parallel=2)
    assert pace.landed(2) is None  # the first landing includes the workers' start
    assert pace.landed(10) is None
    assert pace.landed(18) == pytest.approx(16 / 3)  # 16 runs in the 3 s after the first
    assert pace.landed(26) is None


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (4, "a few seconds"),
        (44, "about 40 seconds"),
        (150, "about 2 minutes"),
        (61, "about 1 minute"),
        (3 * 3600, "about 3.0 hours"),
    ],
)
def test_an_estimate_is_rounded_as_it_deserves(seconds, words):
    assert duration_words(seconds) == words


def test_the_command_line_says_the_estimate_unless_quiet(one_replication_a_chunk, tmp_path, cli):
    args = ["compare", "--reps", "3", "--workers", "1", *SHORT_ARGS]
    said = cli(*args, "--out", str(tmp_path / "a"))
    assert said.exit_code == 0, said.output
    assert "estimate: " in said.stderr and " on this machine for the 2 runs left, at " in (
        said.stderr.replace("\n", " ")
    )
    for quiet in ("--quiet", "--json"):
        result = cli(*args, quiet, "--out", str(tmp_path / quiet))
        assert result.exit_code == 0 and "estimate" not in result.stderr
