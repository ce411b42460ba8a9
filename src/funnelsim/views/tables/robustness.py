"""Terminal table of a robustness study: the difference at each setting, worst first."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from funnelsim.results.robustness import Robustness
from funnelsim.views.formats import currency, interval, metric_label, span, value
from funnelsim.views.robustness import farthest, lead_metrics, sentence
from funnelsim.views.tables.experiments import failures, replications
from funnelsim.views.tables.fit import Fitted
from funnelsim.views.text import literal

SHOWN = 8
"""Settings listed, worst first: the rest are in the results folder."""


def settings(robust: Robustness, metric: str, money: str) -> Table:
    """The settings with the smallest differences, and where each sits in the ranges."""
    count = len(robust.of(metric))
    which = f"the {SHOWN} smallest of {count}" if count > SHOWN else f"all {count}"
    title = (
        f"{literal(robust.second)} − {literal(robust.first)}, {metric_label(metric).lower()}: "
        f"{which} settings, smallest first, {replications(robust.results)} each"
    )
    table = Table(title=title)
    for column in ("setting", "difference", "95% interval", "parameters nearest an end"):
        table.add_column(
            column, justify="right" if column != "parameters nearest an end" else "left"
        )
    for _, row in robust.of(metric).head(SHOWN).iterrows():
        table.add_row(
            str(int(row["point"])),
            value(metric, row["mean"], money, signed=True),
            interval(metric, row["ci_low"], row["ci_high"], money, signed=True, once=False),
            literal(farthest(robust, row)),
        )
    return table


def robustness_report(robust: Robustness) -> Group:
    """Everything the terminal shows at the end of ``funnelsim robustness``."""
    money = currency(robust.results)
    parts: list = [Text(span(robust.results).capitalize())]
    for metric in lead_metrics(robust):
        parts += [Text(sentence(robust, metric, money)), Fitted(settings(robust, metric, money))]
    if robust.left_to_the_policies:
        kept = ", ".join(robust.left_to_the_policies)
        parts.append(Text(f"Left as the policies set them (levers, not judgment): {kept}."))
    if robust.fixed_by_set:
        parts.append(
            Text(f"Kept at the values given with --set: {', '.join(robust.fixed_by_set)}.")
        )
    broken = failures(robust.results)
    if broken is not None:
        parts.append(broken)
    return Group(*parts)
