"""Terminal tables for experiments: the comparison a strategist reads, the sweep, the failures."""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd
import yaml
from rich.console import Console, Group
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from funnelsim.record.registry import metric as metric_entry
from funnelsim.results import Results
from funnelsim.views.formats import (
    currency,
    interval,
    metric_label,
    span,
    value,
    whole_percent,
    yardstick_note,
)
from funnelsim.views.tables.fit import Fitted
from funnelsim.views.text import literal, printable


def _with_interval(metric: str, row: pd.Series, currency: str, signed: bool = False) -> str:
    """The mean, and below it, dimmed, its 95% interval (without the currency, for width)."""
    mean = value(metric, row["mean"], currency, signed)
    if row["ci_low"] != row["ci_low"]:
        return mean
    return f"{mean}\n[dim]{interval(metric, row['ci_low'], row['ci_high'], '', signed)}[/]"


def replications(results: Results) -> str:
    """How many replications were kept, and whether a precision target was met; of an
    unfinished experiment, how many finished."""
    if results.partial is not None:
        finished, planned = results.partial
        return f"the {finished:,} of {planned:,} replications that finished"
    reps = results.manifest["replications"]
    text = f"{reps['used']} replications"
    target = reps.get("precision")
    if target is not None:
        met = "met" if reps.get("precision_reached") else "not met by the limit"
        of = "difference" if len(results.manifest["policies"]) > 1 else "mean"
        goal = f"95% interval of the {target['metric']} {of} within ±{target['target']:.0%}"
        text += f" ({goal}: {met})"
    return text


def comparison(results: Results, point: int = 0) -> Table:
    """Per metric: each policy's mean and interval, paired differences, and who wins how often."""
    policies = results.manifest["policies"]
    money = currency(results)
    summary = results.summary[results.summary["point"] == point]
    diffs = results.differences[results.differences["point"] == point]
    names = [literal(p) for p in policies]
    table = Table(title=f"{' vs '.join(names)}: mean and 95% interval, {replications(results)}")
    table.add_column("metric")
    for name in names:
        table.add_column(name, justify="right")
    for name in names[1:]:
        table.add_column(f"{name} − {names[0]}", justify="right")
    table.add_column("wins " + " / ".join(names), justify="right")
    for metric in summary["metric"].drop_duplicates():
        rows = summary[summary["metric"] == metric].set_index("policy")
        cells = [metric_label(metric)]
        cells += [_with_interval(metric, rows.loc[p], money) for p in policies]
        for label in policies[1:]:
            d = diffs[(diffs["metric"] == metric) & (diffs["policy"] == label)]
            cells.append(_with_interval(metric, d.iloc[0], money, signed=True) if len(d) else "–")
        cells.append(wins(metric, [rows.loc[p, "win_share"] for p in policies]))
        table.add_row(*cells)
    notes = [yardstick_note(results, literal), denominators(summary["metric"].drop_duplicates())]
    table.caption = " ".join(note for note in notes if note) or None
    table.caption_justify = "left"
    return table


def wins(metric: str, shares: list[float]) -> str:
    """How often each policy was best, or a dash where more is neither better nor worse."""
    if metric_entry(metric).better == 0:
        return "–"
    return " / ".join(whole_percent(s) for s in shares)


def denominators(metrics: Iterable[str]) -> str | None:
    """What each rate among ``metrics`` counts over what, one sentence each."""
    said = [f"{metric_label(m)}: {metric_entry(m).about}" for m in metrics if metric_entry(m).about]
    return " ".join(said) or None


def sweep_table(results: Results) -> Table:
    """One row per point (and policy): the factor values, then each metric's mean ± half-width.

    Money is shown without its currency, which the title names, to keep the columns narrow.
    """
    factors = results.manifest["factors"]
    policies = results.manifest["policies"]
    summary = results.summary
    metrics = list(summary["metric"].drop_duplicates())
    per_point = "" if results.partial else " per point"  # a partial count spans the points
    title = f"Mean ± 95% half-width over {replications(results)}{per_point}"
    table = Table(title=f"{title}; money in {currency(results)}")
    for name in _keys(results):
        table.add_column(literal(name))
    for metric in metrics:
        table.add_column(metric_label(metric), justify="right")
    keyed = summary.set_index(["point", "policy", "metric"])
    for (point, policy), _ in summary.groupby(["point", "policy"], sort=False):
        values = results.manifest["points"][point]
        cells = [literal(values[f]) for f in factors]
        cells += [literal(policy)] if len(policies) > 1 else []
        for metric in metrics:
            row = keyed.loc[(point, policy, metric)]
            half = (row["ci_high"] - row["ci_low"]) / 2
            spread = "" if half != half else f" ± {value(metric, half, '')}"
            cells.append(value(metric, row["mean"], "") + spread)
        table.add_row(*cells)
    table.caption = denominators(metrics)
    table.caption_justify = "left"
    return table


def _keys(results: Results) -> list[str]:
    """What names a row of the sweep table: the factors, and the policy when there are several."""
    several = len(results.manifest["policies"]) > 1
    return [*results.manifest["factors"], *(["policy"] if several else [])]


def failures(results: Results) -> Table | None:
    """Replications that raised, each with the command that replays it."""
    failed = results.failed
    if failed.empty:
        return None
    table = Table(title=f"{len(failed)} replication(s) failed; replay one with its command")
    for col in ("point", "replication", "policy", "error", "replay"):
        table.add_column(col)
    for _, row in failed.iterrows():
        table.add_row(
            str(row["point"]),
            str(row["replication"]),
            literal(row["policy"]),
            literal(row["error"]),
            literal(replay_command(results, row)),
        )
    return table


def replay_command(results: Results, row: pd.Series) -> str:
    """``funnelsim run`` with the scenario, policy, pipeline, overrides and seed of one
    replication."""
    manifest = results.manifest
    replay = manifest["replay"]
    point, policy = int(row["point"]), manifest["policies"].index(row["policy"])
    policies = replay["policies"]
    words = ["funnelsim", "run", replay["scenario"]]
    if policies and policies[policy] is not None:
        words += ["--policy", policies[policy]]
    if replay.get("pipeline") is not None:
        words += ["--pipeline", replay["pipeline"]]
    if "sets" in replay:  # a study that built its scenarios: the overrides of each
        overrides = replay["sets"][point][policy]
    else:
        overrides = {**manifest["experiment"]["set"], **manifest["points"][point]}
    for key, setting in overrides.items():
        text = yaml.safe_dump(setting, default_flow_style=True, width=10**6).strip()
        words += ["--set", f"{key}={text.removesuffix('...').strip()}"]
    words += ["--seed", str(int(row["seed"]))]
    return shlex.join(words)


def experiment_report(results: Results) -> Group:
    """Everything the terminal shows at the end of a compare or a sweep."""
    parts: list[Any] = [Text(span(results).capitalize())]
    if len(results.manifest["points"]) == 1 and len(results.manifest["policies"]) > 1:
        parts.append(Fitted(comparison(results)))
    else:
        parts.append(Fitted(sweep_table(results), keys=len(_keys(results))))
    broken = failures(results)
    if broken is not None:
        parts.append(Fitted(broken, keys=3))
    if results.path is not None:
        parts.append(Text(f"results: {printable(results.path)}", style="bold"))
    return Group(*parts)


class _Rate(ProgressColumn):
    """Replications finished per second, once there is a rate to show."""

    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:.1f} runs/s", style="progress.data.speed")


@contextlib.contextmanager
def progress_bar(console: Console, enabled: bool = True) -> Iterator[Any]:
    """A progress callback ``(done, total)`` drawing a bar on ``console`` (stderr).

    The bar appears with the first count, once the work is under way: a mistake found before
    (a folder already in use, a cluster out of reach) is said without an empty bar above it.
    """
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeRemainingColumn(elapsed_when_finished=True),
    )
    bar = Progress(*columns, console=console, transient=False)
    tasks: list[Any] = []

    def update(done: int, total: int) -> None:
        if not tasks:
            bar.start()
            tasks.append(bar.add_task("replications", total=None))
        bar.update(tasks[0], completed=done, total=total)

    try:
        yield update
    finally:
        if tasks:
            bar.stop()
