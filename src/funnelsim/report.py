"""One self-contained HTML report of an experiment, for the people who decide.

The question and the answer come first, in numbers and in two or three sentences written from
those numbers; the figures follow, each with a line on how to read it; then the assumptions
each policy makes, and where the results came from. Figures are inline SVG and the styles are
inline, so the file opens offline, travels by e-mail and prints cleanly.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from funnelsim.experiments import KEY_METRICS, Results
from funnelsim.experiments.stats import direction
from funnelsim.experiments.storage import atomic_write
from funnelsim.render_experiments import LABELS, currency, replications, value
from funnelsim.scenario import dotted

KEY_PARAMETERS = (
    "horizon.length",
    "horizon.warmup",
    "scoring.mql_threshold",
    "scoring.closed_loop.enabled",
    "sla.response_time",
    "sla.enforced",
    "sdr.headcount",
    "sdr.attempts",
    "sdr.attempt_spacing",
    "sdr.queue",
    "sales.ae_count",
    "sales.max_open_per_ae",
    "recycle.rejected.enabled",
    "recycle.unreachable.enabled",
    "recycle.stalled.enabled",
)
"""Parameters always shown among the assumptions, whether or not the policies differ."""


@dataclass(frozen=True)
class Figure:
    """One embedded figure: its name, its inline SVG and the line that says how to read it."""

    name: str
    title: str
    svg: str
    reading: str


def svg_of(figure: Any) -> str:
    """A matplotlib figure as inline SVG markup, without the XML prologue."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _ids(text: str, prefix: str) -> str:
    """Make an SVG's element ids unique in the page: several inline SVGs share one namespace."""
    text = re.sub(r'id="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', text)
    return re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", text).replace(
        'xlink:href="#', f'xlink:href="#{prefix}-'
    )


def _cell(metric: str, row: pd.Series, money: str, signed: bool = False) -> dict[str, str]:
    mean = value(metric, row["mean"], money, signed)
    if row["ci_low"] != row["ci_low"]:
        return {"value": mean, "interval": ""}
    low, high = (value(metric, row[k], money, signed) for k in ("ci_low", "ci_high"))
    return {"value": mean, "interval": f"{low} to {high}"}


def headline(results: Results, point: int = 0) -> list[dict[str, Any]]:
    """The headline table: per key metric, each policy's mean and interval, the paired
    differences from the baseline, and the share of replications each policy wins."""
    policies, money = results.manifest["policies"], currency(results)
    summary = results.summary[results.summary["point"] == point]
    diffs = results.differences[results.differences["point"] == point]
    rows = []
    for metric in [m for m in KEY_METRICS if m in set(summary["metric"])]:
        by_policy = summary[summary["metric"] == metric].set_index("policy")
        row: dict[str, Any] = {
            "metric": LABELS.get(metric, metric),
            "means": [_cell(metric, by_policy.loc[p], money) for p in policies],
            "wins": [_share(by_policy.loc[p, "win_share"]) for p in policies],
            "differences": [],
        }
        for label in policies[1:]:
            d = diffs[(diffs["metric"] == metric) & (diffs["policy"] == label)]
            cell = _cell(metric, d.iloc[0], money, signed=True) if len(d) else {"value": "–"}
            cell["tone"] = _tone(metric, d.iloc[0]) if len(d) else ""
            row["differences"].append(cell)
        rows.append(row)
    return rows


def _share(x: float) -> str:
    return "–" if x != x else f"{100 * x:.0f}%"


def _tone(metric: str, diff: pd.Series) -> str:
    """'better' or 'worse' when the interval excludes zero, else '' (cannot tell)."""
    low, high = diff["ci_low"], diff["ci_high"]
    if not (low > 0 or high < 0):
        return ""
    return "better" if (low > 0) == (direction(metric) > 0) else "worse"


def verdict(results: Results, point: int = 0) -> list[str]:
    """Two or three sentences from the numbers, saying how sure they are."""
    policies, money = results.manifest["policies"], currency(results)
    if len(policies) < 2:
        return _sweep_verdict(results)
    diffs = results.differences[results.differences["point"] == point].set_index(
        ["policy", "metric"]
    )
    means = results.summary[results.summary["point"] == point].set_index(["policy", "metric"])
    base, sentences = policies[0], []
    for other in policies[1:]:
        if (other, "bookings") in diffs.index:
            revenue = {p: means.loc[(p, "bookings"), "mean"] for p in (base, other)}
            sentences.append(_revenue(other, base, diffs.loc[(other, "bookings")], revenue, money))
            sentences += _tradeoffs(diffs, other, base)
    return sentences


def _revenue(other: str, base: str, d: pd.Series, revenue: dict, money: str) -> str:
    """The revenue sentence: the difference with its interval, or that none can be told."""
    low, high = (value("bookings", d[k], money, signed=True) for k in ("ci_low", "ci_high"))
    n = int(d["n"])
    if not _tone("bookings", d):
        return (
            f"On revenue, {other} and {base} cannot be told apart after {n} replications: "
            f"the difference is {value('bookings', d['mean'], money, signed=True)}, with a "
            f"95% interval from {low} to {high} that includes zero. More replications "
            "(--precision) would narrow it."
        )
    more = "more" if d["mean"] > 0 else "less"
    share = d["policy_better"] if more == "more" else d["baseline_better"]
    books = {p: value("bookings", revenue[p], money) for p in (base, other)}
    return (
        f"{other.capitalize()} books {books[other]} against {books[base]} for {base}: "
        f"{value('bookings', abs(d['mean']), money)} {more} (95% interval {low} to {high}), "
        f"and {more} in {share:.0%} of {n} paired replications."
    )


def _tradeoffs(diffs: pd.DataFrame, other: str, base: str) -> list[str]:
    """What else clearly moves, for better and for worse, beyond revenue."""
    gains, costs = [], []
    for metric in KEY_METRICS[1:]:
        if (other, metric) not in diffs.index:
            continue
        d = diffs.loc[(other, metric)]
        tone = _tone(metric, d)
        change = _change(metric, d["mean"])
        if tone == "better":
            gains.append(change)
        elif tone == "worse":
            costs.append(change)
    out = []
    if gains:
        out.append(f"Against {base}, {other} also has {_join(gains[:3])}.")
    if costs:
        out.append(f"It is not free: {_join(costs)}.")
    return out


PHRASES = {
    "pipeline_created_value": ("more pipeline created", "less pipeline created"),
    "win_rate": ("a higher win rate", "a lower win rate"),
    "lead_to_close_days_p50": ("a longer median cycle", "a shorter median cycle"),
    "leakage_rate": ("more leakage", "less leakage"),
    "speed_to_lead_hours_p50": ("slower first touches", "faster first touches"),
    "sla_compliance": ("higher SLA compliance", "lower SLA compliance"),
    "cost_per_won_deal": ("a higher cost per won deal", "a lower cost per won deal"),
}
"""How a rise and a fall of each key metric reads in a sentence."""


def _change(metric: str, mean: float) -> str:
    rise, fall = PHRASES.get(metric, (f"more {metric}", f"less {metric}"))
    return f"{rise if mean > 0 else fall} ({value(metric, mean, '', True)})"


def _join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _sweep_verdict(results: Results) -> list[str]:
    """For one policy over sweep points: where the revenue is highest and lowest."""
    money = currency(results)
    revenue = results.summary[results.summary["metric"] == "bookings"]
    if revenue.empty:
        return []
    best, worst = revenue.loc[revenue["mean"].idxmax()], revenue.loc[revenue["mean"].idxmin()]
    points = results.manifest["points"]

    def where(row: pd.Series) -> str:
        values = points[int(row["point"])]
        return ", ".join(f"{k} = {v}" for k, v in values.items()) or "the base scenario"

    def amount(row: pd.Series) -> str:
        half = (row["ci_high"] - row["ci_low"]) / 2
        return f"{value('bookings', row['mean'], money)} ± {value('bookings', half, '')}"

    return [
        f"Revenue is highest at {where(best)}: {amount(best)} (mean ± 95% half-width), and "
        f"lowest at {where(worst)}: {amount(worst)}.",
        "Points whose intervals overlap cannot be told apart at this number of replications.",
    ]


def assumptions(results: Results) -> list[dict[str, Any]]:
    """Key parameters of each policy side by side; every parameter the policies differ on."""
    policies = results.manifest["policies"]
    scenarios = results.manifest["scenario"]
    flat = {p: dotted(scenarios[p]["resolved"]) for p in policies}
    keys = [k for k in flat[policies[0]] if not k.startswith(("policies", "policy"))]
    rows = []
    for key in keys:
        values = [_plain(flat[p].get(key)) for p in policies]
        differs = len(set(values)) > 1
        if differs or key in KEY_PARAMETERS:
            rows.append({"key": key, "values": values, "differs": differs})
    return rows


def _plain(item: Any) -> str:
    if isinstance(item, Mapping):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in item.items())
    if isinstance(item, list):
        return ", ".join(map(_plain, item))
    return str(item)


def provenance(results: Results) -> list[tuple[str, str]]:
    """Where the numbers came from: enough to run the experiment again."""
    m = results.manifest
    hashes = ", ".join(f"{p}: {s['hash'][:19]}…" for p, s in m["scenario"].items())
    return [
        ("funnelsim version", m["funnelsim_version"]),
        ("scenario", str(m["experiment"]["scenario"])),
        ("scenario content hash", hashes),
        ("root seed", str(m["root_seed"])),
        ("common random numbers", m["common_random_numbers"].replace("_", " ")),
        ("replications", replications(results)),
        ("failed replications", str(m.get("failed", 0))),
        ("command", m["command"]),
        ("run", f"{m['started']} to {m['finished']}"),
        ("report written", dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
    ]


def question(results: Results) -> str:
    """The question the experiment asks, in one line under the title."""
    m = results.manifest
    policies = m["policies"]
    if len(policies) > 1 and len(m["points"]) == 1:
        return f"Does {', '.join(policies[1:])} pay, compared with {policies[0]}?"
    return f"How do the results respond to {', '.join(m['factors']) or 'the policies'}?"


def render_html(results: Results, figures: Iterable[Figure]) -> str:
    """The report as one HTML document."""
    template = jinja2.Environment(
        loader=jinja2.PackageLoader("funnelsim", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    ).get_template("report.html.j2")
    m = results.manifest
    one_point = len(m["points"]) == 1
    return template.render(
        title=m["experiment"].get("name") or "funnelsim experiment",
        question=question(results),
        verdict=verdict(results),
        policies=m["policies"],
        baseline=m["policies"][0],
        headline=headline(results) if one_point else [],
        replications=replications(results),
        money=currency(results),
        figures=[
            Figure(f.name, f.title, _ids(f.svg, f"fig{k}"), f.reading)
            for k, f in enumerate(figures)
        ],
        assumptions=assumptions(results),
        points=m["points"] if not one_point else [],
        factors=m["factors"],
        provenance=provenance(results),
        css=importlib.resources.files("funnelsim").joinpath("templates/report.css").read_text(),
    )


def plotted(results: Results) -> list[Figure]:
    """Every figure that applies to these results, as inline SVG with its reading guide."""
    from funnelsim import plots

    out = []
    for name in plots.available(results):
        drawn = plots.FIGURES[name](results)
        figure = (drawn[0] if isinstance(drawn, list | tuple) else drawn).figure
        title = name.replace("_", " ").capitalize()
        out.append(Figure(name, title, svg_of(figure), plots.READING.get(name, "")))
    return out


def write_report(
    results: Results, path: Path, figures: Callable[[Results], Iterable[Figure]] = plotted
) -> Path:
    """Write the report atomically; ``figures`` makes the figures to embed."""
    html = render_html(results, figures(results))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    return path
