"""The HTML report: well-formed, every section, figures embedded, nothing external; and in a
real browser (headless Chromium), figures that render with visible content."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import image

import funnelsim
from funnelsim.record.registry import KEY_METRICS, metric
from funnelsim.results.experiment import FORMAT
from funnelsim.views import plots
from funnelsim.views.report.html import write_report
from funnelsim.views.report.sentences import headline, tone_of, verdict
from funnelsim.views.tables.experiments import comparison
from tests.helpers import SHORT

VOID = {"meta", "link", "br", "hr", "img", "input", "col", "area", "base", "wbr", "source"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "cmp"
    funnelsim.compare(None, ["misaligned", "aligned"], reps=3, seed=5, overrides=SHORT,
                      workers=1, out=out)  # fmt: skip
    return out


@pytest.fixture(scope="module")
def report(folder):
    return write_report(funnelsim.load_results(folder), folder / "report.html")


class _Structure(HTMLParser):
    """Checks that every element is closed in order, and collects ids, tags and references."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: set[str] = set()
        self.tags: dict[str, int] = {}
        self.references: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._element(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self._element(tag, attrs)

    def _element(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for name, value in attrs:
            if name == "id":
                if value in self.ids:
                    self.errors.append(f"duplicate id {value}")
                self.ids.add(value)
            if name in ("src", "href", "xlink:href") and value and not value.startswith("#"):
                self.references.append(value)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()


def test_the_report_is_well_formed_html_with_every_section(report):
    text = report.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    parser = _Structure()
    parser.feed(text)
    parser.close()
    assert parser.errors == [] and parser.stack == []
    assert {"answer", "figures", "assumptions", "provenance"} <= parser.ids
    assert parser.tags.get("svg", 0) == len(plots.available(funnelsim.load_results(report.parent)))
    assert parser.tags["svg"] >= 8


def test_the_report_references_nothing_outside_itself(report):
    text = report.read_text(encoding="utf-8")
    parser = _Structure()
    parser.feed(text)
    assert parser.references == []
    assert "<script" not in text and "<link" not in text and "@import" not in text
    outside = re.findall(r"(?:src|href|url\()\s*=?\s*[\"']?(https?:|//)", text)
    assert outside == []


def test_the_answer_comes_from_the_numbers(folder, report):
    results = funnelsim.load_results(folder)
    text = report.read_text(encoding="utf-8")
    for sentence in verdict(results):
        assert sentence.replace("&", "&amp;") in text
    revenue = results.differences.set_index("metric").loc["bookings_per_year"]
    spans_zero = revenue["ci_low"] < 0 < revenue["ci_high"]
    assert ("cannot be told apart" in text) == spans_zero
    assert "go-to-market cost differs by" in text  # revenue always beside what it cost
    assert "sdr.attempts" in text  # the policies differ on it: shown among the assumptions
    assert results.manifest["scenario"]["aligned"]["hash"][:19] in text


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


MEASURE = """
<script>
window.addEventListener("load", () => {
  const boxes = [...document.querySelectorAll("figure svg")].map((svg) => {
    const r = svg.getBoundingClientRect();
    return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height,
            shapes: svg.querySelectorAll("path, rect, line, polygon, use").length};
  });
  const out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify({height: document.body.scrollHeight, boxes});
  document.body.appendChild(out);
});
</script>
"""


def _browse(chromium: str, page: Path, *args: str) -> str:
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    done = subprocess.run(
        [*command, *args, page.as_uri()], capture_output=True, text=True, timeout=120
    )
    return done.stdout


def test_figures_render_with_content_in_a_browser(report, tmp_path):
    chromium = _chromium()
    if chromium is None:
        if os.environ.get("FUNNELSIM_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required here (FUNNELSIM_REQUIRE_BROWSER) but not installed")
        pytest.skip("no Chromium installed: install Debian's 'chromium' to run the browser test")
    page = tmp_path / "measured.html"
    page.write_text(report.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"))
    dom = _browse(chromium, page, "--window-size=1200,900", "--dump-dom")
    measured = json.loads(re.search(r'<pre id="measured">(.*?)</pre>', dom, re.S).group(1))
    boxes = measured["boxes"]
    assert len(boxes) == report.read_text().count("<svg")
    assert all(b["width"] > 200 and b["height"] > 100 and b["shapes"] > 10 for b in boxes)
    shot = tmp_path / "page.png"
    height = int(measured["height"]) + 10
    _browse(chromium, page, f"--window-size=1200,{height}", f"--screenshot={shot}")
    pixels = image.imread(shot)[..., :3]
    assert pixels.shape[0] >= height - 20
    for box in boxes:
        top, left = int(box["y"]), int(box["x"])
        region = pixels[top : top + int(box["height"]), left : left + int(box["width"])]
        ink = (region < 0.9).any(axis=2).mean()
        colours = len(np.unique((region * 15).round().reshape(-1, 3), axis=0))
        assert 0.01 < ink < 0.9, box
        assert colours >= 4, box


def test_the_plot_and_report_commands_write_their_files(folder, cli, tmp_path):
    drawn = cli("plot", str(folder), "--figure", "revenue", "--figure", "waterfall")
    assert drawn.exit_code == 0, drawn.stderr
    written = [Path(line) for line in drawn.stdout.split()]
    assert [p.name for p in written] == ["revenue.png", "waterfall.png"]
    assert all(p.parent == folder / "figures" and p.stat().st_size > 10_000 for p in written)
    svg = cli("plot", str(folder), "--figure", "leakage", "--format", "svg")
    assert (folder / "figures" / "leakage.svg").read_text().count("<svg") == 1, svg.stderr
    made = cli("report", str(folder), "--out", str(tmp_path / "r.html"))
    assert made.exit_code == 0 and (tmp_path / "r.html").read_text().startswith("<!DOCTYPE")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--figure", "pie"), "error: --figure pie: unknown figure; expected one of the figures"),
        (("--format", "gif"), "error: --format: unknown format 'gif'; expected one of: png, svg"),
        (("--figure", "revenu"), "did you mean 'revenue'? "),
        (("--figure", "cycle"), "did you mean 'lead_to_close'? "),
    ],
)
def test_bad_plot_options_exit_2(folder, cli, args, message):
    result = cli("plot", str(folder), *args)
    assert result.exit_code == 2 and message in result.stderr


def test_an_unfinished_folder_with_nothing_finished_is_refused_by_plot_and_report(tmp_path, cli):
    (tmp_path / "manifest.json").write_text(json.dumps({"status": "running", "format": FORMAT}))
    for command in ("plot", "report"):
        result = cli(command, str(tmp_path))
        assert result.exit_code == 2 and "no replication has finished yet" in result.stderr


def test_a_folder_of_an_earlier_funnelsim_is_refused_in_one_line(folder, tmp_path, cli):
    old = tmp_path / "old"
    shutil.copytree(folder, old)
    manifest = json.loads((old / "manifest.json").read_text())
    (old / "manifest.json").write_text(json.dumps(manifest | {"format": "results folder 2"}))
    for command in ("plot", "report"):
        result = cli(command, str(old))
        assert result.exit_code == 2 and result.stderr.count("\n") == 1
        assert "written by an earlier funnelsim" in result.stderr
        assert "run the experiment again" in result.stderr


def test_a_sweep_gets_a_report_with_its_points_and_surface(tmp_path):
    out = tmp_path / "sweep"
    spec = {"policies": ["aligned"], "set": SHORT, "replications": 2,
            "factors": {"sdr.headcount": [3, 5], "sla.response_time": ["1h", "4h"]}}  # fmt: skip
    funnelsim.sweep(spec, out=out, workers=1)
    text = write_report(funnelsim.load_results(out), out / "report.html").read_text()
    assert 'id="figure-heatmap"' in text and 'id="figure-factor_effect"' in text
    assert "Revenue is highest at" in text and "<h3>Sweep points</h3>" in text
    parser = _Structure()
    parser.feed(text)
    assert parser.errors == [] and parser.stack == []


def test_results_from_before_the_weekly_sla_counts_still_draw(folder, tmp_path):
    results = funnelsim.load_results(folder)
    results.tables["weekly"] = results.weekly.drop(columns=["sla_judged", "sla_on_time"])
    _, right = plots.speed_to_lead(results)
    assert "per replication" in right.get_title() and len(right.collections) > 0


def test_an_output_of_the_wrong_kind_or_place_is_one_line_and_writes_nothing(folder, cli, tmp_path):
    a_folder = tmp_path / "d"
    a_folder.mkdir()
    made = cli("report", str(folder), "--out", str(a_folder))
    assert made.exit_code == 2 and "a folder is there" in made.output
    assert "Traceback" not in made.output and not any(a_folder.iterdir())
    nowhere = cli("report", str(folder), "--out", "/proc/funnelsim/r.html")
    assert nowhere.exit_code == 2 and "cannot write" in nowhere.output
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    shutil.rmtree(copy / "figures", ignore_errors=True)
    (copy / "figures").write_text("not a folder")
    drawn = cli("plot", str(copy), "--figure", "revenue")
    assert drawn.exit_code == 2 and "a file is there; expected a folder" in drawn.output


def test_every_rate_says_what_it_counts_over_what_and_still_open_stands_by_leakage(folder, report):
    results = funnelsim.load_results(folder)
    text = report.read_text()
    rates = [m for m in KEY_METRICS if metric(m).kind == "share"]
    assert KEY_METRICS.index("still_open_share") == KEY_METRICS.index("leakage_rate") + 1
    caption = comparison(results).caption
    for name in rates:
        assert metric(name).about in html.unescape(text) and metric(name).about in caption
    row = next(r for r in headline(results) if r["metric"] == metric("still_open_share").label)
    assert row["wins"] == "–" and all(cell["tone"] == "" for cell in row["differences"])


def test_a_figure_neither_better_nor_worse_has_no_tone():
    clear = pd.Series({"ci_low": 0.3, "ci_high": 0.4})
    assert tone_of("still_open_share", clear) == ""
    assert tone_of("leakage_rate", clear) == "worse"
