"""Terminal tables of an explanation: each lever's share of the difference between two policies."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from funnelsim.results.explanation import INTERACTIONS, TOTAL, Explanation
from funnelsim.views.formats import currency, interval, metric_label, span, value
from funnelsim.views.tables.experiments import failures, replications
from funnelsim.views.tables.fit import Fitted
from funnelsim.views.text import literal


def _cell(metric: str, mean: float, low: float, high: float, code: str) -> str:
    """A difference, and below it, dimmed, its 95% interval."""
    text = value(metric, mean, code, signed=True)
    if low != low:
        return text
    return f"{text}\n[dim]{interval(metric, low, high, '', signed=True)}[/]"


MEAN, ALONE = ("mean", "ci_low", "ci_high"), ("alone", "alone_low", "alone_high")
"""The columns of a Shapley value, and of a lever's effect switched alone."""


def _table(explained: Explanation, title: str, rows: list[tuple[str, tuple[str, ...]]]) -> Table:
    """Levers down, metrics across; each row's cells read from its own three columns."""
    code = currency(explained.results)
    table = Table(title=title)
    table.add_column("lever")
    metrics = list(dict.fromkeys(explained.table["metric"]))
    for metric in metrics:
        table.add_column(metric_label(metric), justify="right")
    frame = explained.table.set_index(["lever", "metric"])
    for lever, columns in rows:
        cells = [_cell(m, *frame.loc[(lever, m), list(columns)], code) for m in metrics]
        table.add_row(_name(explained, lever), *cells)
    return table


def _name(explained: Explanation, lever: str) -> str:
    """A lever as the table names it: its name, and below it the keys it switches."""
    if lever not in explained.keys:
        return lever
    keys = ", ".join(explained.keys[lever])
    return literal(lever) if keys == lever else f"{literal(lever)}\n[dim]{literal(keys)}[/]"


def contributions(explained: Explanation) -> Table:
    """Each lever's Shapley value per metric, and the whole difference they sum to."""
    first, second = literal(explained.first), literal(explained.second)
    how = "exact" if explained.method == "exact" else f"estimated from {explained.orders} orders"
    title = (
        f"{second} − {first}, lever by lever (Shapley values, {how}): "
        f"mean and 95% interval, {replications(explained.results)}"
    )
    rows = [(lever, MEAN) for lever in (*explained.levers, TOTAL)]
    table = _table(explained, title, rows)
    table.caption = (
        "A lever's Shapley value is what switching it adds, averaged over every order in which "
        "the levers could be switched; the values sum to the total."
    )
    table.caption_justify = "left"
    return table


def alone(explained: Explanation) -> Table:
    """Each lever switched alone, and what the levers' interactions add to the total."""
    title = f"Each lever switched alone from {literal(explained.first)}, and their interactions"
    rows = [*((lever, ALONE) for lever in explained.levers), (INTERACTIONS, MEAN)]
    table = _table(explained, title, rows)
    table.caption = "Interactions: the total less the sum of the levers switched alone."
    table.caption_justify = "left"
    return table


def explanation_report(explained: Explanation) -> Group:
    """Everything the terminal shows at the end of ``funnelsim explain``."""
    parts: list = [Text(span(explained.results).capitalize())]
    parts += [Fitted(contributions(explained)), Fitted(alone(explained))]
    broken = failures(explained.results)
    if broken is not None:
        parts.append(broken)
    return Group(*parts)
