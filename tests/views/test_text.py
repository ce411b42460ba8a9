"""Names people type reach the terminal as written: never as markup, never as control codes."""

from __future__ import annotations

import dataclasses
import io

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rich.console import Console

from funnelsim import runner
from funnelsim.experiments import compare
from funnelsim.scenario import load_scenario
from funnelsim.views.tables.experiments import experiment_report
from funnelsim.views.tables.run import run_report
from funnelsim.views.text import REPLACEMENT, literal, printable
from tests.helpers import SHORT

HOSTILE = (
    "[red]", "[/blue]", "[bold]", "[/]", "[link=file:///etc]", "\\", "\\[x]", ":smile:",
    "\x1b[2J", "\x1b]0;owned\x07", "\x9b31m", "\r", "\b", "\t", "\n", "\x00", "\u202e", "\u200b",
)  # fmt: skip
"""Pieces of hostile names: markup tags, escapes, emoji codes, terminal sequences, control
and invisible characters."""
pieces = st.sampled_from(HOSTILE) | st.sampled_from(HOSTILE) | st.text(max_size=4)
names = st.lists(pieces, min_size=1, max_size=6).map("".join)
"""Names built from hostile pieces and arbitrary text."""


def shown(renderable) -> str:
    """What a terminal shows of ``renderable``: wide enough that nothing wraps."""
    console = Console(file=io.StringIO(), width=2000, color_system=None, emoji=False)
    console.print(renderable)
    return console.file.getvalue()


def assert_harmless(output: str) -> None:
    """Nothing but printable characters and line ends: no escape, no carriage return."""
    assert all(ch.isprintable() or ch == "\n" for ch in output), repr(output)


CONTEXTS = [("", ""), ("a ", " b"), ("[bold]", "[/bold]"), ("", "[italic]c[/italic]"), ("x", "\\")]
"""Markup around a name: nothing, words, the tags of a title, a tag right after it."""


@given(text=st.text() | names, context=st.sampled_from(CONTEXTS))
@example(text="a\\", context=("", ""))  # rich's own escape doubles this backslash
@example(text="S\\\\", context=("[bold]", "[/bold]"))  # and halves these before a tag
@example(text="\\[", context=("", ""))  # and drops one before a bracket that opens no tag
@example(text="a\\\\[b]x[C]", context=("x", "\\"))
def test_literal_markup_prints_the_printable_text_exactly_wherever_it_stands(text, context):
    before, after = context
    plain = {"[bold]": "", "[/bold]": "", "[italic]c[/italic]": "c"}
    expected = plain.get(before, before) + printable(text) + plain.get(after, after)
    assert shown(before + literal(text) + after) == expected + "\n"


@given(st.text())
def test_printable_keeps_every_printable_character_and_marks_the_rest(text):
    safe = printable(text)
    assert len(safe) == len(text)
    for original, kept in zip(text, safe, strict=True):
        assert kept == (original if original.isprintable() else REPLACEMENT)


@pytest.fixture(scope="module")
def run_result():
    return runner.simulate(load_scenario(policy="aligned", overrides=SHORT), seed=1)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=names)
def test_a_runs_tables_show_every_name_as_written(run_result, name):
    summary = run_result.summary | {"scenario": f"S{name}", "policy": f"P{name}"}
    by_source = run_result.by_source.rename(index={"inbound": f"I{name}"})
    by_segment = run_result.by_segment.rename(index={"smb": f"G{name}"})
    hostile = dataclasses.replace(
        run_result, summary=summary, by_source=by_source, by_segment=by_segment
    )
    output = shown(run_report(hostile))
    assert_harmless(output)
    for named in (f"S{name}", f"P{name}", f"I{name}", f"G{name}"):
        assert printable(named).strip() in output


@pytest.fixture(scope="module")
def comparison():
    return compare(None, ["misaligned", "aligned"], reps=2, seed=1, overrides=SHORT, workers=1)


def _named(frame, labels: dict[str, str], *columns: str):
    """``frame`` with the policy names in ``columns`` renamed (categorical or plain)."""
    renamed = {c: frame[c].astype(str).map(labels).fillna(frame[c].astype(str)) for c in columns}
    return frame.assign(**renamed)


def _renamed(results, labels: dict[str, str]):
    """The same results with the policies called by ``labels``, and a replication failed."""
    frames = {
        "summary": _named(results.summary, labels, "policy"),
        "differences": _named(results.differences, labels, "policy", "baseline"),
    }
    runs = _named(results.runs, labels, "policy").copy()
    runs.loc[0, ["status", "error"]] = ["failed", f"RuntimeError: {labels['aligned']}"]
    manifest = results.manifest | {"policies": [labels[p] for p in results.manifest["policies"]]}
    return dataclasses.replace(results, **frames, manifest=manifest, tables={"runs": runs})


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=names)
def test_an_experiments_tables_show_every_policy_name_as_written(comparison, name):
    labels = {"misaligned": f"M{name}", "aligned": f"A{name}"}
    output = shown(experiment_report(_renamed(comparison, labels)))
    assert_harmless(output)
    for label in labels.values():
        assert printable(label).strip() in output
    assert f"RuntimeError: {printable(labels['aligned'])}".strip() in output


def test_the_hostile_pieces_would_act_on_a_terminal_unescaped():
    """The check above can fail: printed raw, the same names restyle or break the output."""
    raw = io.StringIO()
    Console(file=raw, width=200, color_system=None).print(":smile: [bold]x[/bold]\x1b[2J")
    assert "\x1b[2J" in raw.getvalue() and "[bold]" not in raw.getvalue()
