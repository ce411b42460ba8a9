"""An interrupted experiment's folder: ``plot`` and ``report`` show what finished, and say so."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

import funnelsim
from funnelsim.errors import FunnelsimError
from funnelsim.results import load_results
from funnelsim.views import plots
from funnelsim.views.tables.experiments import comparison
from tests.helpers import SHORT

REPS = 40


def _stop_after(items: int):
    def stop(done: int, total: int) -> None:
        if done >= items:
            raise KeyboardInterrupt

    return stop


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A comparison of 40 replications, interrupted once a few have landed."""
    out = tmp_path_factory.mktemp("partial") / "cmp"
    with pytest.raises(KeyboardInterrupt):
        funnelsim.compare(reps=REPS, seed=1, overrides=SHORT, workers=1, out=out,
                          on_progress=_stop_after(4))  # fmt: skip
    return out


def finished(folder: Path) -> int:
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    return manifest["done"]["replications"]


def test_an_unfinished_folder_is_refused_unless_partial_results_are_asked_for(folder):
    with pytest.raises(FunnelsimError, match="has not finished"):
        load_results(folder)
    results = load_results(folder, partial=True)
    n = finished(folder)
    assert 0 < n < REPS and results.partial == (n, REPS)
    assert len(results.runs) == 2 * n and sorted(results.runs["replication"].unique()) == [
        *range(n)
    ]


def test_the_partial_statistics_are_those_of_the_replications_that_finished(folder):
    n = finished(folder)
    partial = load_results(folder, partial=True)
    whole = funnelsim.compare(reps=n, seed=1, overrides=SHORT, workers=1)
    pd.testing.assert_frame_equal(partial.summary, whole.summary, check_dtype=False)
    pd.testing.assert_frame_equal(partial.differences, whole.differences, check_dtype=False)


def test_the_report_shows_a_banner_and_the_terminal_a_note(folder, cli):
    n = finished(folder)
    note = f"partial: {n} of {REPS} replications finished"
    result = cli("report", str(folder))
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"{note}: showing those")
    html = (folder / "report.html").read_text()
    banner = re.search(r'<p class="partial" role="note"><strong>(.*?)</strong>', html)
    assert banner is not None and banner.group(1) == note
    assert "the interruption (interrupted)" in html


def test_plots_carry_the_note_under_their_titles(folder, cli):
    n = finished(folder)
    note = f"partial: {n} of {REPS} replications finished"
    result = cli("plot", str(folder), "--figure", "revenue")
    assert result.exit_code == 0, result.output
    assert note in result.stderr and (folder / "figures" / "revenue.png").stat().st_size
    results = load_results(folder, partial=True)
    titles = [plots.revenue(results)[0].figure.get_suptitle(), plots.waterfall(results).get_title()]
    assert all(title.endswith(f"\n{note}") for title in titles)
    assert comparison(results).title.endswith(f", the {n} of {REPS} replications that finished")


def test_a_folder_with_nothing_finished_is_refused_in_one_line(tmp_path, cli):
    out = tmp_path / "none"
    with pytest.raises(KeyboardInterrupt):
        funnelsim.compare(reps=3, overrides=SHORT, workers=1, out=out, on_progress=_stop_after(0))
    result = cli("report", str(out))
    assert result.exit_code == 2
    assert f"{out}: no replication has finished yet" in result.stderr
    assert not (out / "report.html").exists() and "Traceback" not in result.stderr
