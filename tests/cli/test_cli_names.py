"""Hostile names in every command: a scenario, policy, source, segment, condition, proposal and
folder whose names hold markup, escape sequences and control characters print as written.

The names are generated from hostile pieces in a shuffled order; each command must finish as
it would with plain names, print only printable characters, and show every name it shows as
:func:`~funnelsim.views.text.printable` writes it.
"""

from __future__ import annotations

import random
import string

import pytest
import yaml

import funnelsim
from funnelsim.results.sla import condition_title
from funnelsim.views.text import printable

PIECES = (
    "[red]", "[/blue]", "[bold]", "[/]", "\\", ":smile:", "\x1b[2J", "\x1b]0;owned\x07",
    "\x9b31m", "\r", "\b", "\t", "\u202e", "\u200b",
)  # fmt: skip
"""Markup tags, a backslash, an emoji code, terminal sequences, control and invisible
characters; no dot (a dotted key would split) and no NUL."""


def hostile(seed: int, kind: str) -> str:
    """A name of every hostile piece, shuffled by ``seed``, with letters between them."""
    rng = random.Random(f"{seed}-{kind}")
    pieces = rng.sample(PIECES, len(PIECES))
    return kind + "".join(p + rng.choice(string.ascii_lowercase) for p in pieces)


def file_name(seed: int, kind: str) -> str:
    """A hostile name a file can have: the slashes of the markup tags left out."""
    return hostile(seed, kind).replace("/", "")


def harmless(result) -> str:
    """The output of a command that finished, checked to hold nothing but printable text."""
    assert result.exit_code == 0, result.output
    assert all(ch.isprintable() or ch == "\n" for ch in result.output), repr(result.output)
    return result.output


def shows(output: str, *names: str) -> None:
    for name in names:
        assert printable(name) in output, (printable(name), output)


@pytest.fixture(autouse=True)
def wide(monkeypatch):
    """A terminal wide enough that no name is wrapped across lines."""
    monkeypatch.setenv("COLUMNS", "2000")


@pytest.fixture(scope="module", params=[1])
def world(request, tmp_path_factory):
    """A scenario (the M/M/c desk, short) whose every name is hostile, and what refers to it."""
    seed, folder = request.param, tmp_path_factory.mktemp("names")
    names = {k: hostile(seed, k) for k in ("scenario", "policy", "source", "segment", "sla")}
    data = yaml.safe_load(funnelsim.bundled_scenario("mmc").read_text())
    data["name"] = names["scenario"]
    data["segments"] = {names["segment"]: data["segments"]["all"]}
    source = data["sources"].pop("poisson") | {"segment_mix": {names["segment"]: 1.0}}
    data["sources"] = {names["source"]: source}
    data["policies"] = {names["policy"]: {"sdr": {"headcount": 11}}, "calm": {}}
    (folder / "hostile.yaml").write_text(yaml.safe_dump(data))
    return folder, names


def test_run_shows_the_scenario_policy_source_and_segment_as_written(cli, world):
    folder, names = world
    output = harmless(cli("run", str(folder / "hostile.yaml"), "--policy", names["policy"]))
    shows(output, names["scenario"], names["policy"], names["source"], names["segment"])


def test_compare_plot_and_report_show_policies_and_folders_as_written(cli, world):
    folder, names = world
    out = folder / file_name(3, "out")
    args = ["compare", str(folder / "hostile.yaml"), "-p", "calm", "-p", names["policy"]]
    output = harmless(cli(*args, "--reps", "2", "--workers", "1", "--out", str(out)))
    shows(output, names["policy"], f"results: {out}")
    shows(harmless(cli("plot", str(out), "--figure", "revenue")), str(out / "figures"))
    shows(harmless(cli("report", str(out))), f"report: {out / 'report.html'}")


def test_sweep_shows_factor_keys_and_policies_as_written(cli, world):
    folder, names = world
    factor = f"sources.{names['source']}.rate_per_week"
    experiment = {
        "scenario": "hostile.yaml",
        "policies": ["calm", names["policy"]],
        "factors": {factor: [1000, 1500]},
        "replications": 2,
    }
    (folder / "sweep.yaml").write_text(yaml.safe_dump(experiment))
    out = folder / "sweep-out"
    output = harmless(cli("sweep", str(folder / "sweep.yaml"), "--workers", "1", "--out", str(out)))
    shows(output, factor, names["policy"])


def test_sla_shows_the_proposal_baseline_and_condition_as_written(cli, world):
    folder, names = world
    stress = folder / f"{file_name(4, 'stress')}.yaml"
    stress.write_text("sdr:\n  headcount: 9\n")
    proposal = {
        "name": names["sla"],
        "scenario": "hostile.yaml",
        "baseline": names["policy"],
        "period": "month",
        "marketing": {"mqls": {"at_least": 1000}},
        "sales": {"first_touch": {"within": "15m", "for_at_least": 0.8}},
        "set": {"horizon.length": "22w"},
    }
    (folder / "proposal.yaml").write_text(yaml.safe_dump(proposal))
    args = ["sla", str(folder / "proposal.yaml"), "--stress", str(stress), "--no-capacity"]
    out = folder / file_name(5, "sla-out")
    output = harmless(cli(*args, "--reps", "2", "--workers", "1", "--out", str(out)))
    shows(output, names["sla"], names["policy"], condition_title(stress.stem), f"results: {out}")


@pytest.mark.parametrize("command", [["run"], ["validate"], ["sweep"], ["sla"], ["plot"]])
def test_a_missing_file_of_a_hostile_name_is_named_harmlessly(cli, tmp_path, command):
    name = str(tmp_path / f"{file_name(6, 'missing')}.yaml")
    result = cli(*command, name)
    assert result.exit_code == 2
    assert all(ch.isprintable() or ch == "\n" for ch in result.output), repr(result.output)
    assert printable(name) in result.output


def test_a_hostile_option_value_is_named_harmlessly(cli):
    bad = hostile(7, "value")
    result = cli("run", "--seed", bad)
    assert result.exit_code == 2
    expected = "expected a valid integer, unable to parse string as an integer"
    assert result.output == f"error: --seed: {expected}, got {printable(bad)}\n"
