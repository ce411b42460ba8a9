"""How a command of many replications runs: workers, results folder, progress, interrupts.

``compare``, ``sweep`` and ``sla`` take the same options for this; :func:`execution_options`
gives a command all of them at once, gathered in one :class:`Execution`.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import re
import shlex
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from funnelsim.cli.console import err, fail, reported
from funnelsim.cli.options import (
    JsonOpt,
    OutOpt,
    OverwriteOpt,
    QuietOpt,
    ResumeOpt,
    SchedulerOpt,
    WorkersOpt,
)
from funnelsim.errors import FunnelsimError, UsageError
from funnelsim.views.text import literal

if TYPE_CHECKING:
    from funnelsim.experiments.filling import Estimate


@dataclass(frozen=True)
class Execution:
    """Where and how the replications run, and how the command reports them."""

    workers: int | None = None
    scheduler: str | None = None
    out: Path | None = None
    resume: bool = False
    overwrite: bool = False
    quiet: bool = False
    as_json: bool = False

    def __post_init__(self) -> None:
        """Refuse options that ask for opposite things, before anything is read or run."""
        if self.resume and self.overwrite:
            raise UsageError(
                "--resume, --overwrite: expected one of them; --resume finishes the "
                "experiment in --out, --overwrite replaces it"
            )

    def options(self) -> dict[str, Any]:
        """The keywords the library's runs take from these options."""
        return {
            name: getattr(self, name) for name in ("workers", "scheduler", "resume", "overwrite")
        }

    def folder(self, name: str) -> Path:
        """The results folder: ``--out``, or a new one under ``results/`` named after the
        command, the policies and the time; a name is reduced to letters, digits, ``_``
        and ``-``, so no policy name can lead the folder elsewhere."""
        safe = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:80] or "run"
        return self.out or Path("results") / f"{safe}-{datetime.now():%Y%m%d-%H%M%S}"

    @contextlib.contextmanager
    def progress(self, out: Path) -> Iterator[dict[str, Any]]:
        """The library's ``on_progress`` and ``on_estimate``: a progress bar, and a line saying
        how long the work should take, unless quiet or JSON; inside :func:`kept_on_stop`."""
        from funnelsim.views.tables.experiments import progress_bar

        enabled = not (self.quiet or self.as_json)
        with kept_on_stop(out), progress_bar(err, enabled=enabled) as on_progress:
            yield {"on_progress": on_progress, "on_estimate": say_estimate if enabled else None}


def say_estimate(estimate: Estimate) -> None:
    """How long the work left should take, measured on its first chunks, in one line."""
    from funnelsim.views.formats import duration_words

    err.print(
        f"estimate: {duration_words(estimate.seconds)} on this machine for the "
        f"{estimate.runs:,} runs left, at {estimate.rate:.2g} runs/s so far",
        highlight=False,
    )


_ANNOTATIONS = {
    "workers": WorkersOpt,
    "scheduler": SchedulerOpt,
    "out": OutOpt,
    "resume": ResumeOpt,
    "overwrite": OverwriteOpt,
    "quiet": QuietOpt,
    "as_json": JsonOpt,
}
_SHARED = [
    inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=a)
    for f in fields(Execution)
    for a in [_ANNOTATIONS[f.name]]
]


def execution_options(command: Callable[..., None]) -> Callable[..., None]:
    """``command`` with the options of :class:`Execution` in place of its ``execution``.

    They follow the command's own options, as in every command's help; a ``set_`` option
    stands after ``--out``.
    """
    own = inspect.signature(command, eval_str=True).parameters
    first = [p for name, p in own.items() if name not in ("execution", "set_")]
    shared = [*_SHARED[:3], *([own["set_"]] if "set_" in own else []), *_SHARED[3:]]

    @functools.wraps(command)
    def with_execution(**kwargs: Any) -> None:
        gathered = {f.name: kwargs.pop(f.name) for f in fields(Execution)}
        with reported():
            execution = Execution(**gathered)
        command(**kwargs, execution=execution)

    with_execution.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in [*first, *shared]]
    )
    return with_execution


def resume_command(out: Path) -> str:
    """This command again, with the folder named and --resume added."""
    words = sys.argv[1:]
    if "--out" not in words and "-o" not in words:
        words += ["--out", str(out)]
    if "--resume" not in words:
        words.append("--resume")
    return shlex.join(["funnelsim", *words])


@contextlib.contextmanager
def kept_on_stop(out: Path) -> Iterator[None]:
    """An interrupt or a lost worker exits 130 or 3 with the command that resumes the work
    kept in ``out``; a folder or a cluster that cannot be used exits 2."""
    from funnelsim.experiments.execution import interrupt_on_terminate
    from funnelsim.experiments.orchestrate import WorkerLost

    stop = interrupt_on_terminate()  # a kill ends the run as Ctrl-C does: work is kept
    try:
        yield
    except (KeyboardInterrupt, WorkerLost) as exc:
        _kept(out, exc)
    except Exception as exc:
        if stop.asked:  # the interrupt, as an error of a library it reached
            _kept(out, KeyboardInterrupt())
        if isinstance(exc, FunnelsimError):
            fail(exc)
        raise
    finally:
        stop.restore()


def _kept(out: Path, exc: BaseException) -> NoReturn:
    """Say where the finished work is and how to finish it; exit 130 (interrupted) or 3."""
    what = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"stopped: {exc}"
    err.print(
        f"[bold yellow]{literal(what)}[/]: finished replications are kept in "
        f"{literal(out)}; to finish them, run: {literal(resume_command(out))}",
        soft_wrap=True,
        highlight=False,
    )
    raise typer.Exit(130 if isinstance(exc, KeyboardInterrupt) else 3) from None
