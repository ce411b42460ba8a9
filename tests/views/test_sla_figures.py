"""An SLA stress test's figures and report section: the numbers drawn and written are the
verdict's own, and the figures are offered only where they apply."""

from __future__ import annotations

import copy
import dataclasses
import re
import shutil

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.container import ErrorbarContainer

import funnelsim
from funnelsim.base.files import write_json
from funnelsim.results import load_sla
from funnelsim.sla import parse_proposal, prepare_study, stress_test
from funnelsim.views import plots
from funnelsim.views.formats import percent
from funnelsim.views.report.html import write_report
from funnelsim.views.report.sla import sla_verdict
from tests.views.test_report import _Structure

PROPOSAL = {
    "name": "Test SLA",
    "description": "A thousand MQLs a month against first touch within 15 minutes.",
    "scenario": "mmc",
    "period": "month",
    "marketing": {"mqls": {"at_least": 1000}},
    "sales": {"first_touch": {"within": "15m", "for_at_least": 0.85}},
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("sla") / "sla"
    study = prepare_study(
        parse_proposal(PROPOSAL, "<test>"),
        stresses=["lost_sdrs"],
        reps=2,
        overrides={"horizon.length": "22w"},
    )
    stress_test(study, out, workers=1, ae_wait="5d")
    return out


@pytest.fixture(scope="module")
def sla(folder):
    return load_sla(folder)


@pytest.fixture(scope="module")
def html(folder):
    return write_report(funnelsim.load_results(folder), folder / "report.html").read_text()


def _section(html: str, name: str) -> str:
    return re.search(rf'<section id="{name}">(.*?)</section>', html, re.S).group(1)


def _held(sla, policy: str) -> list[float]:
    """The verdict's chances, clause by clause and condition by condition."""
    doc = sla.document
    cells = {(r["clause"], r["condition"], r["policy"]): r for r in doc["compliance"]}
    return [
        cells[c["name"], k["name"], policy]["held_share"]
        for c in doc["clauses"]
        for k in doc["conditions"]
    ]


def _vertical(ax, x: float) -> bool:
    return any(list(line.get_xdata()) == [x, x] for line in ax.get_lines())


def test_clause_compliance_draws_each_chance_with_the_target_line(sla):
    ax = plots.clause_compliance(sla)
    doc = sla.document
    bars = {c.get_label(): c for c in ax.containers if isinstance(c, ErrorbarContainer)}
    assert list(bars) == doc["policies"]  # the baseline first
    for policy, bar in bars.items():
        assert np.allclose(bar.lines[0].get_xdata(), _held(sla, policy))
    assert _vertical(ax, doc["probability"])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    for clause in doc["clauses"]:
        assert f"{clause['side'].capitalize()}: {clause['label']}" in labels
    assert labels.count("lost sdrs") == len(doc["clauses"])
    written = [t.get_text() for t in ax.texts]
    assert written == [percent(s, 2) for s in _held(sla, "proposal")]


def test_compliance_by_headcount_marks_the_probes_target_and_headcounts(sla):
    ax = plots.compliance_by_headcount(sla)
    sdr = sla.capacity["sdr"]
    probes = sdr["probes"]
    points = {
        c.get_label(): c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)
    }
    for label, holds in (("reaches the target", True), ("short of the target", False)):
        drawn = sorted(map(tuple, points[label]))
        assert drawn == [(p["headcount"], p["held_share"]) for p in probes if p["holds"] == holds]
    assert any(list(line.get_ydata()) == [sla.document["probability"]] * 2 for line in ax.lines)
    assert _vertical(ax, sdr["current"]) and _vertical(ax, sdr["needed"])
    (top,) = ax.child_axes
    marks = {t.get_text(): t.get_position()[0] for t in top.get_xticklabels()}
    assert marks[f"needed: {sdr['needed']} SDRs"] == sdr["needed"]
    assert str(sdr["needed"]) in ax.get_title()


def test_the_headcount_figure_needs_a_capacity_search(sla, folder, tmp_path):
    document = copy.deepcopy(sla.document)
    document["capacity"]["sdr"] = None
    with pytest.raises(ValueError, match="first-touch"):
        plots.compliance_by_headcount(dataclasses.replace(sla, document=document))
    document["capacity"] = None
    with pytest.raises(ValueError, match="capacity search"):
        plots.compliance_by_headcount(dataclasses.replace(sla, document=document))
    for path in folder.iterdir():
        if path.is_file():
            shutil.copy(path, tmp_path / path.name)
    write_json(tmp_path / "sla.json", document)
    offered = plots.available(funnelsim.load_results(tmp_path))
    assert "clause_compliance" in offered and "compliance_by_headcount" not in offered


def test_only_a_stress_test_folder_offers_the_sla_figures(folder):
    offered = plots.available(funnelsim.load_results(folder))
    assert offered[:2] == ["clause_compliance", "compliance_by_headcount"]
    probe = next((folder / "capacity").iterdir())
    assert not set(plots.STRESS) & set(plots.available(funnelsim.load_results(probe)))
    with pytest.raises(ValueError, match=r"sla\.json"):
        plots.FIGURES["clause_compliance"](funnelsim.load_results(probe))


def test_funnelsim_plot_writes_the_sla_figures(cli, folder):
    out = cli("plot", str(folder), "-f", "clause_compliance", "-f", "compliance_by_headcount")
    assert out.exit_code == 0, out.output
    for name in plots.STRESS:
        assert (folder / "figures" / f"{name}.png").stat().st_size > 10_000


def test_the_report_opens_with_the_sla_section(sla, html):
    assert html.index('<section id="sla">') < html.index('<section id="answer">')
    section = _section(html, "sla")
    assert "The SLA proposal: Test SLA" in section
    assert PROPOSAL["description"] in section
    assert section.count("<svg") == len(plots.STRESS)
    for name in plots.STRESS:
        assert f'id="figure-{name}"' in section
        assert f'id="figure-{name}"' not in _section(html, "figures")
    parser = _Structure()
    parser.feed(html)
    parser.close()
    assert parser.errors == [] and parser.stack == [] and parser.references == []


def test_the_clause_table_shows_the_proposal_beside_the_baseline(sla, html):
    table = re.search(r'<table class="clauses">(.*?)</table>', _section(html, "sla"), re.S)
    cells = re.findall(r"<td[^>]*>([^<]*)", table.group(1))
    proposal, baseline = cells[::2], cells[1::2]
    assert proposal == [f"{100 * s:.0f}%" for s in _held(sla, "proposal")]
    assert baseline == [f"{100 * s:.0f}%" for s in _held(sla, sla.document["baseline"])]
    impact = re.search(r'<table class="impact">(.*?)</table>', _section(html, "sla"), re.S)
    assert "Revenue" in impact.group(1) and "lost sdrs" in impact.group(1)


def test_the_sentences_say_what_the_numbers_say(sla, html):
    doc = sla.document
    sentences = sla_verdict(sla, "USD")
    for sentence in sentences:
        assert sentence.replace("'", "&#39;") in html
    holding = sentences[0]
    kept, _, short = holding.partition(";")
    normal = _held(sla, "proposal")[:: len(doc["conditions"])]
    for clause, share in zip(doc["clauses"], normal, strict=True):
        part = kept if share >= doc["probability"] else short
        assert f"“{clause['label']}” ({100 * share:.0f}%)" in part
    sdr = doc["capacity"]["sdr"]
    capacity = next(s for s in sentences if s.startswith("For first touch"))
    assert f"needs {sdr['needed']} SDRs" in capacity
    assert f"the proposal's {sdr['current']}" in capacity
    revenue = sentences[-1]
    assert revenue.startswith("Under normal conditions the proposal")
    bookings = next(r for r in doc["impact"] if r["metric"] == "bookings_per_year")
    clear = bookings["ci_low"] > 0 or bookings["ci_high"] < 0
    assert ("cannot be told apart" in revenue) != clear


def _edited(sla, **changes):
    """The verdict with some numbers changed, to reach the sentences the fixture does not."""
    document = copy.deepcopy(sla.document)
    for (clause, condition), share in changes.get("held", {}).items():
        for r in document["compliance"]:
            if (r["clause"], r["condition"], r["policy"]) == (clause, condition, "proposal"):
                r |= {"held_share": share, "ci_low": share - 0.02, "ci_high": share + 0.02}
    if "capacity" in changes:
        document["capacity"] = changes["capacity"]
    if "revenue" in changes:
        for r in document["impact"]:
            if r["metric"] == "bookings_per_year":
                r |= dict(zip(("difference", "ci_low", "ci_high"), changes["revenue"], strict=True))
    return dataclasses.replace(sla, document=document)


def test_sentences_for_a_clause_a_stress_breaks_and_a_clear_revenue_gain(sla):
    held = {(c["name"], "normal"): 0.95 for c in sla.document["clauses"]}
    held["first_touch", "lost_sdrs"] = 0.4
    held["mql_volume", "lost_sdrs"] = 1.0
    edited = _edited(sla, held=held, revenue=(2e6, 1e6, 3e6))
    holding, breaking, *_, revenue = sla_verdict(edited, "USD")
    assert holding.startswith("Under normal conditions every clause holds in a month")
    assert "“1,000 MQLs a month” holds under every stress" in breaking
    assert "“85% touched within 15m (business)” falls below 90% under lost sdrs (40%)" in breaking
    expected = "books USD 2.00M a year more than base (95% interval +USD 1.00M to +USD 3.00M)"
    assert expected in revenue
    assert "under stress it books more under lost sdrs" in revenue


def test_sentences_for_capacity_not_sought_or_out_of_reach(sla):
    assert "was not sought" in " ".join(sla_verdict(_edited(sla, capacity=None), "USD"))
    capacity = copy.deepcopy(sla.document["capacity"])
    capacity["sdr"]["needed"] = None
    text = " ".join(sla_verdict(_edited(sla, capacity=capacity), "USD"))
    top = max(p["headcount"] for p in capacity["sdr"]["probes"])
    assert f"no SDR headcount up to {top} is enough" in text
