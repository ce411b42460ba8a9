"""Mistakes the option parser finds (a number out of range, a missing argument, an unknown
option), said in one line like every other error of the tool: the option, what was expected
and what was given; exit status 2, no box, no traceback.

Typer checks these before a command runs and would print a usage banner and a boxed message;
:class:`OneLineGroup` catches them where the app parses its command line instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import typer
from pydantic import ValidationError
from typer._click import exceptions as parser  # the parser's errors, as typer raises them
from typer._click.core import Command, Context, Parameter
from typer.core import TyperGroup

from funnelsim.base.suggest import did_you_mean
from funnelsim.base.yamldoc import expectation
from funnelsim.cli.console import say


class OneLineGroup(TyperGroup):
    """The app's group of commands: every usage error said by :func:`explain`."""

    def make_context(self, *args: Any, **kwargs: Any) -> Context:
        with _said(self, None):
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Context) -> Any:
        with _said(self, ctx):
            return super().invoke(ctx)

    def resolve_command(self, ctx: Context, args: list[str]) -> Any:
        """A command that does not exist named with the close one and the ones there are."""
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            hint = did_you_mean(args[0], self.commands)
            commands = ", ".join(self.commands)
            raise parser.UsageError(f"no such command {args[0]!r}; {hint}its commands: {commands}")
        return super().resolve_command(ctx, args)


@dataclass(frozen=True)
class Where:
    """The command whose line held the mistake, and how it was called."""

    command: Command
    path: str


@contextlib.contextmanager
def _said(group: TyperGroup, ctx: Context | None) -> Iterator[None]:
    """A usage error raised inside said in one line, exit status 2; help asked for by giving
    no arguments is help, not an error."""
    try:
        yield
    except parser.NoArgsIsHelpError:
        raise
    except parser.UsageError as exc:
        say(explain(exc, _where(exc, group, ctx)))
        raise typer.Exit(2) from None


def _where(exc: parser.UsageError, group: TyperGroup, ctx: Context | None) -> Where:
    """The command being parsed: the error's own context, else the command the group was
    about to run (the parser raises some errors without a context). It is called by the
    console script's name, whatever name the process was started under."""
    if exc.ctx is not None and exc.ctx.parent is not None:
        return Where(exc.ctx.command, f"funnelsim {exc.ctx.info_name}")
    name = None if ctx is None else ctx.invoked_subcommand
    if name in group.commands:
        return Where(group.commands[name], f"funnelsim {name}")
    return Where(group, "funnelsim")


def explain(exc: parser.UsageError, where: Where) -> str:
    """One line: the option or argument, what was wrong or expected, and the value given."""
    if isinstance(exc, parser.NoSuchOption):
        return _unknown_option(exc.option_name, where)
    if isinstance(exc, parser.MissingParameter) and exc.param is not None:
        return f"{_name(exc.param)}: missing; expected {_wanted(exc.param)}"
    if isinstance(exc, parser.BadParameter) and exc.param is not None:
        return f"{_name(exc.param)}: {_bad_value(exc)}"
    if isinstance(exc, parser.BadOptionUsage):
        return _misused(exc, where)
    text = " ".join(exc.format_message().split()).rstrip(".")
    return f"{where.path}: {text[:1].lower()}{text[1:]}"


def _bad_value(exc: parser.BadParameter) -> str:
    """What was expected of a value and the value given, in the words of scenario errors."""
    cause = exc.__cause__
    if isinstance(cause, ValidationError) and cause.errors():
        error = cause.errors()[0]
        return f"{expectation(error)}, got {error['input']}"
    return exc.message


def _misused(exc: parser.BadOptionUsage, where: Where) -> str:
    """An option without its value (``--reps`` at the end), or a flag given one."""
    option = exc.option_name
    param = next((p for p in where.command.params if option in _spellings(p)), None)
    if param is not None and "requires" in exc.message:
        return f"{option}: missing its value; expected {_wanted(param)}"
    return f"{option}: {exc.message.removeprefix(f'Option {option!r} ').rstrip('.')}"


def _unknown_option(option: str, where: Where) -> str:
    """An option the command does not have: the close one if any, and the ones it has."""
    params = where.command.params
    options = [o for p in params for o in p.opts if o.startswith("--")] + ["--help"]
    hint = did_you_mean(option, [o for p in params for o in _spellings(p)], cutoff=0.8)
    return f"{option}: no such option of {where.path}; {hint}its options: {', '.join(options)}"


def _spellings(param: Parameter) -> tuple[str, ...]:
    """Every way to write an option: ``--capacity``, ``--no-capacity``, ``-p``."""
    return (*param.opts, *param.secondary_opts)


def _name(param: Parameter) -> str:
    """An option by its longest spelling (``--seed``), an argument in capitals (``FOLDER``)."""
    if param.param_type_name == "argument":
        return param.name.upper()
    return max(param.opts, key=len)


def _wanted(param: Parameter) -> str:
    """What a parameter takes, from its help: ``a results folder written by compare ...``."""
    text = (getattr(param, "help", None) or "a value").strip().rstrip(".")
    first = text.split()[0]
    return text if len(first) > 1 and first.isupper() else text[:1].lower() + text[1:]
