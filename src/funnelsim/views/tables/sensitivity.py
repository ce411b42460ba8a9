"""Terminal tables of a sensitivity study: the inputs that drive each metric, ranked."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from funnelsim.results.sensitivity import Sensitivity
from funnelsim.views.formats import currency, metric_label, span, value
from funnelsim.views.tables.experiments import failures, replications
from funnelsim.views.tables.fit import Fitted
from funnelsim.views.text import literal


def _morris_row(row, metric: str, code: str) -> list[str]:
    return [
        value(metric, row["mu_star"], code),
        f"± {value(metric, row['mu_star_conf'], code)}",
        value(metric, row["sigma"], code),
    ]


def _sobol_row(row, metric: str, code: str) -> list[str]:
    return [
        f"{row['S1']:.2f} ± {row['S1_conf']:.2f}",
        f"{row['ST']:.2f} ± {row['ST_conf']:.2f}",
    ]


def ranking(study: Sensitivity, metric: str) -> Table:
    """One metric's inputs, the most influential first, each index with its 95% interval."""
    code = currency(study.results)
    morris = study.method == "morris"
    what = "Morris elementary effects" if morris else "Sobol' indices"
    title = (
        f"{metric_label(metric)}, {literal(study.output)}: {what}, "
        f"{replications(study.results)} a point"
    )
    table = Table(title=title)
    table.add_column("input")
    heads = ("mu*", "95% interval", "sigma") if morris else ("first order", "total")
    for head in heads:
        table.add_column(head, justify="right")
    table.add_column("")
    for _, row in study.ranked(metric).iterrows():
        cells = _morris_row(row, metric, code) if morris else _sobol_row(row, metric, code)
        flag = "below the noise" if row["below_noise"] else ""
        table.add_row(literal(row["factor"]), *cells, flag)
    table.caption = (
        "Flagged: an index within twice its noise of zero (its noise: how much the index "
        "varies from one replication's outputs to the next, over the square root of their "
        "number), which the replications' luck alone could make."
    )
    table.caption_justify = "left"
    return table


def sensitivity_report(study: Sensitivity) -> Group:
    """Everything the terminal shows at the end of ``funnelsim sensitivity``."""
    parts: list = [Text(span(study.results).capitalize())]
    for metric in dict.fromkeys(study.table["metric"]):
        parts.append(Fitted(ranking(study, metric)))
    parts += [Text(f"Note: {note}") for note in study.notes]
    broken = failures(study.results)
    if broken is not None:
        parts.append(broken)
    return Group(*parts)
