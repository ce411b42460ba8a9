"""One self-contained HTML report of an experiment, for the people who decide.

The question and the answer come first, in numbers and in two or three sentences written from
those numbers; the figures follow, each with a line on how to read it; then the assumptions
each policy makes, and where the results came from. A measured window still filling up is
said at the top, under the question. An SLA stress test's folder (``sla.json``) puts the
proposal's verdict before the answer: which clauses hold, under which stress they break, who
breaches first, the headcount needed and the revenue at stake. A folder ``funnelsim discover``
has read (``discovery.json``) says where in the study's inputs its condition holds. Figures
are inline SVG and the styles are inline, so the file opens offline, travels by e-mail and
prints cleanly.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from funnelsim.base.files import atomic_write
from funnelsim.base.mapping import dotted
from funnelsim.errors import FunnelsimError
from funnelsim.results import Results
from funnelsim.results.discovery import discovered
from funnelsim.results.explanation import explain
from funnelsim.results.robustness import FOLDER as ROBUSTNESS
from funnelsim.results.robustness import load_robustness
from funnelsim.results.sensitivity import Sensitivity
from funnelsim.results.stationarity import window_check
from funnelsim.views.formats import currency, partial_note, span, yardstick_note
from funnelsim.views.report.discovery import discovery_section
from funnelsim.views.report.explain import question as explained_question
from funnelsim.views.report.explain import sentences as explained_sentences
from funnelsim.views.report.explain import table as explained_table
from funnelsim.views.report.robustness import robustness_section
from funnelsim.views.report.sensitivity import question as studied_question
from funnelsim.views.report.sensitivity import sentences as studied_sentences
from funnelsim.views.report.sensitivity import table as studied_table
from funnelsim.views.report.sentences import headline, verdict
from funnelsim.views.report.sla import sla_question, sla_section
from funnelsim.views.tables.experiments import replications

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


def unique_ids(text: str, prefix: str) -> str:
    """Make an SVG's element ids unique in the page: several inline SVGs share one namespace."""
    text = re.sub(r'id="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', text)
    return re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", text).replace(
        'xlink:href="#', f'xlink:href="#{prefix}-'
    )


def assumptions(results: Results, policies: list[str] | None = None) -> list[dict[str, Any]]:
    """Key parameters of each policy (or of ``policies``) side by side; every parameter the
    policies differ on."""
    policies = policies or results.manifest["policies"]
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
        ("run", f"{m['started']} to {m['finished'] or 'the interruption (' + m['status'] + ')'}"),
        ("report written", dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
    ]


def question(results: Results) -> str:
    """The question the experiment asks, in one line under the title."""
    m = results.manifest
    policies = m["policies"]
    if len(policies) > 1 and len(m["points"]) == 1:
        return f"Does {', '.join(policies[1:])} pay, compared with {policies[0]}?"
    return f"How do the results respond to {', '.join(m['factors']) or 'the policies'}?"


TEMPLATES = importlib.resources.files("funnelsim.views.report") / "templates"
"""The report's page template and style sheet, shipped with the package."""


def render_html(results: Results, figures: Iterable[Figure]) -> str:
    """The report as one HTML document; an SLA stress test's verdict and figures first."""
    from funnelsim.views.plots import DISCOVERY, STRESS, explained, sla_results, studied

    m = results.manifest
    one_point = len(m["points"]) == 1
    sla = sla_results(results)
    embedded = [
        Figure(f.name, f.title, unique_ids(f.svg, f"fig{k}"), f.reading)
        for k, f in enumerate(figures)
    ]
    check = window_check(results)
    found = discovered(results.path)
    if explained(results):
        answer = _explained(results)
    elif (study := studied(results)) is not None:
        answer = _studied(results, study)
    else:
        answer = _compared(results, sla, one_point)
    return _template().render(
        title=m["experiment"].get("name") or "funnelsim experiment",
        warning=check.warning if check else None,
        partial=partial_note(results),
        sla=None if sla is None else sla_section(sla, currency(results)),
        sla_figures=[f for f in embedded if f.name in STRESS],
        replications=replications(results),
        money=currency(results),
        span=span(results),
        yardstick=yardstick_note(results),
        discovery=None if found is None else discovery_section(found),
        discovery_figures=[f for f in embedded if f.name in DISCOVERY],
        figures=[f for f in embedded if f.name not in (*STRESS, *DISCOVERY)],
        points=m["points"] if not one_point else [],
        factors=m["factors"],
        provenance=provenance(results),
        css=TEMPLATES.joinpath("report.css").read_text(),
        **answer,
    )


def _compared(results: Results, sla: Any, one_point: bool) -> dict[str, Any]:
    """The answer of a comparison, a sweep or a stress test: the verdict and headline table."""
    policies = results.manifest["policies"]
    robustness, note = _robustness(results)
    return {
        "robustness": robustness,
        "robustness_note": note,
        "question": question(results) if sla is None else sla_question(sla),
        "verdict": verdict(results),
        "policies": policies,
        "baseline": policies[0],
        "headline": headline(results) if one_point else [],
        "assumptions": assumptions(results),
        "explanation": None,
    }


def _explained(results: Results) -> dict[str, Any]:
    """The answer of an explanation: which lever carries the difference, and its table."""
    explanation = explain(results)
    two = [explanation.first, explanation.second]
    money = currency(results)
    return {
        "question": explained_question(explanation),
        "verdict": explained_sentences(explanation, money),
        "policies": two,
        "baseline": two[0],
        "headline": [],
        "assumptions": assumptions(results, two),  # the coalitions that are the two policies
        "explanation": explained_table(explanation, money),
        "robustness": None,
        "robustness_note": None,
    }


def _studied(results: Results, study: Sensitivity) -> dict[str, Any]:
    """The answer of a sensitivity study: the inputs that drive each metric, and their table."""
    policies = results.manifest["policies"]
    return {
        "question": studied_question(study),
        "verdict": studied_sentences(study, currency(results)),
        "policies": policies,
        "baseline": policies[0],
        "headline": [],
        "assumptions": assumptions(results),
        "explanation": None,
        "sensitivity": studied_table(study, currency(results)),
        "robustness": None,
        "robustness_note": None,
    }


def _robustness(results: Results) -> tuple[dict[str, Any] | None, str | None]:
    """The robustness study kept in the comparison's folder, as the report shows it; or, when
    one is there but cannot be shown, why."""
    if results.path is None or not (results.path / ROBUSTNESS / "manifest.json").exists():
        return None, None
    left_out = f"The robustness study in {ROBUSTNESS}/ is left out:"
    try:
        robust = load_robustness(results.path)
    except FunnelsimError as exc:
        return None, f"{left_out} {exc}"
    theirs, ours = robust.results.manifest, results.manifest
    same = (
        [robust.first, robust.second] == ours["policies"][:2]
        and theirs["replay"]["scenario"] == ours["replay"]["scenario"]
        and theirs["experiment"]["set"] == ours["experiment"]["set"]
    )
    if not same:
        return None, f"{left_out} it compares other policies, or another scenario or settings."
    return robustness_section(robust, currency(results)), None


def _template() -> jinja2.Template:
    """The report's page, HTML-escaped wherever it writes a value."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("funnelsim.views.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    ).get_template("report.html.j2")


def plotted(results: Results) -> list[Figure]:
    """Every figure that applies to these results, as inline SVG with its reading guide."""
    from funnelsim.views import plots

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
