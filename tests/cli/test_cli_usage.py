"""Mistakes on the command line the option parser finds: each said in one line, exit 2.

The options, arguments and their bounds are read from the app itself, so a new option is
checked without a new test.
"""

from __future__ import annotations

import string

import pytest
import typer.main
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from funnelsim.cli.app import app
from funnelsim.views.text import printable

RUNNER = CliRunner()
COMMANDS = typer.main.get_command(app).commands
BOUNDED = [
    (name, p)
    for name, command in COMMANDS.items()
    for p in command.params
    if getattr(p, "min", None) is not None or getattr(p, "max", None) is not None
]
"""Every option with a lower or upper bound, with its command."""
VALUED = [
    (name, p)
    for name, command in COMMANDS.items()
    for p in command.params
    if p.param_type_name == "option" and not p.is_flag
]
"""Every option that takes a value."""
REQUIRED = [(name, p) for name, c in COMMANDS.items() for p in c.params if p.required]
"""Every argument a command cannot run without."""


def one_line_error(*args: str) -> str:
    """The message of a refused command line, checked to be one plain line and exit 2."""
    result = RUNNER.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert all(ch.isprintable() for ch in lines[0]), repr(lines[0])
    for noise in ("Usage:", "Try ", "╭", "Traceback"):
        assert noise not in result.output
    return lines[0].removeprefix("error: ")


def test_every_bounded_option_is_known():
    """The generated cases below reach the options the issue names, and more."""
    named = {(name, max(p.opts, key=len)) for name, p in BOUNDED}
    assert {("run", "--seed"), ("compare", "--reps"), ("compare", "--workers")} <= named
    assert len(named) >= 10


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_value_out_of_bounds_names_the_option_the_bound_and_the_value(data):
    name, param = data.draw(st.sampled_from(BOUNDED))
    option = max(param.opts, key=len)
    whole = isinstance(param.min if param.min is not None else param.max, int)
    below = param.min is not None and (param.max is None or data.draw(st.booleans()))
    if whole:
        bad = data.draw(
            st.integers(max_value=param.min - 1) if below else st.integers(param.max + 1)
        )
    else:
        edge = param.min if below else param.max
        side = {"max_value": edge} if below else {"min_value": edge}
        bad = data.draw(st.floats(**side, allow_nan=False, allow_infinity=False).filter(
            lambda x: x != edge
        ))  # fmt: skip
    message = one_line_error(name, f"{option}={bad}")
    word = "greater than or equal to" if below else "less than or equal to"
    bound = param.min if below else param.max
    assert message == f"{option}: expected {word} {bound}, got {bad}"


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_value_that_is_no_number_names_the_option_and_the_value(data):
    name, param = data.draw(st.sampled_from(BOUNDED))
    option = max(param.opts, key=len)
    letters = st.text(string.ascii_letters + "[]/\x1b:", min_size=1, max_size=8)
    bad = data.draw(letters.filter(lambda t: t.lower() not in ("nan", "inf", "infinity")))
    message = one_line_error(name, f"{option}={bad}")
    assert message.startswith(f"{option}: expected a valid ")
    assert message.endswith(f", got {printable(bad)}")


@pytest.mark.parametrize(("name", "param"), REQUIRED, ids=lambda x: getattr(x, "name", x))
def test_a_missing_argument_is_named_with_what_it_takes(name, param):
    others = [p for p in COMMANDS[name].params if p.required and p is not param]
    given = [word for p in others if p.opts[0].startswith("-") for word in (p.opts[0], "x")]
    message = one_line_error(name, *given)
    named = max(param.opts, key=len) if param.opts[0].startswith("-") else param.name.upper()
    head = f"{named}: missing; expected "
    assert message.startswith(head)
    assert message.removeprefix(head).lower() == param.help.rstrip(".").lower()


@pytest.mark.parametrize(("name", "param"), VALUED, ids=lambda x: getattr(x, "name", x))
def test_an_option_without_its_value_says_what_it_takes(name, param):
    option = max(param.opts, key=len)
    message = one_line_error(name, option)
    head = f"{option}: missing its value; expected "
    assert message.startswith(head)
    assert message.removeprefix(head).lower() == param.help.rstrip(".").lower()


@settings(max_examples=60, deadline=None)
@given(command=st.sampled_from(sorted(COMMANDS)), tail=st.text(min_size=1, max_size=12))
def test_an_unknown_option_is_named_with_the_options_there_are(command, tail):
    option = "--" + tail.replace("\x00", "").replace("=", "")
    spelled = {o for p in COMMANDS[command].params for o in (*p.opts, *p.secondary_opts)}
    if option in spelled | {"--", "--help"} or tail.startswith("-"):
        return
    message = one_line_error(command, option)
    assert message.startswith(f"{printable(option)}: no such option of funnelsim {command}; ")
    listed = message.rsplit("its options: ", 1)[1].split(", ")
    long = {o for p in COMMANDS[command].params for o in p.opts if o.startswith("--")}
    assert set(listed) == long | {"--help"}


@pytest.mark.parametrize(
    ("name", "option"),
    [(n, o) for n, c in COMMANDS.items() for p in c.params for o in p.opts if o[:2] == "--"],
)
def test_an_option_missing_its_last_letter_is_suggested(name, option):
    message = one_line_error(name, option[:-1])
    assert f"did you mean {option!r}? " in message


def test_a_short_option_of_another_command_suggests_nothing_odd():
    """``sweep --stress`` (an option of ``sla``) suggests no look-alike of sweep's own."""
    message = one_line_error("sweep", "--stress", "surge", "x")
    assert message.startswith("--stress: no such option of funnelsim sweep; its options: ")
    assert "did you mean" not in message


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["runn"], "funnelsim: no such command 'runn'; did you mean 'run'? its commands: run, "),
        (["run", "a.yaml", "b.yaml"], "funnelsim run: got unexpected extra argument(s) (b.yaml)"),
        (["compare", "--quiet=yes"], "--quiet: does not take a value"),
        (["--nope"], "--nope: no such option of funnelsim; its options: --version, --help"),
    ],
)
def test_other_parser_errors_are_one_line_too(args, expected):
    assert one_line_error(*args).startswith(expected)


def test_no_arguments_shows_the_help():
    result = RUNNER.invoke(app, [])
    assert "Usage:" in result.output and "error:" not in result.output


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)])
def test_no_help_text_has_a_doubled_percent_sign(command):
    result = RUNNER.invoke(app, [*command, "--help"], env={"COLUMNS": "1000"})
    assert result.exit_code == 0 and "Usage:" in result.output
    assert "%%" not in result.output
    if command == ["compare"]:
        assert "95% interval" in result.output
