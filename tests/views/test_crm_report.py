"""The HTML report of a fit and of a backtest, on the shipped HubSpot example: every number it
shows is the one in the folder's files (read here on their own, with pandas and json), the
page holds itself (no outside reference, the bands inline, the deal sizes as a data URI), and
a folder that is neither is refused in one line through the command line."""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from funnelsim.analysis.fit import fit_export
from funnelsim.analysis.fit.backtest import backtest
from funnelsim.errors import FunnelsimError
from funnelsim.results.crm import load_backtest, load_crm, load_fit, report_kind
from funnelsim.views.plots.fit import deal_sizes
from funnelsim.views.report.crm import write_crm_report

MAPPING = Path(__file__).parents[2] / "examples" / "crm" / "hubspot" / "crm.yaml"
VOID = {"meta", "link", "br", "hr", "img", "input", "col", "area", "base", "wbr", "source"}
LABELS = {
    "leads": "leads created",
    "mqls": "MQLs (first)",
    "sqls": "SQLs (first)",
    "opportunities": "opportunities created",
    "won": "deals won",
    "bookings": "bookings",
}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A fit's folder (with its deal sizes drawn, as ``fit --out`` does) and a backtest's."""
    root = tmp_path_factory.mktemp("crm")
    fitted = fit_export(MAPPING, tune=False)
    fitted.write(root / "fit")
    axes = deal_sizes(fitted.amounts, fitted.estimates, "Deal sizes")
    (root / "fit" / "figures").mkdir()
    axes[0].figure.savefig(root / "fit" / "figures" / "deal_sizes.png", format="png", dpi=60)
    backtest(MAPPING, reps=3, seed=2, workers=1, tune=False).write(root / "bt")
    return root / "fit", root / "bt"


@pytest.fixture(scope="module")
def pages(folders):
    fit, bt = folders
    return {
        "fit": write_crm_report(load_crm(fit), fit / "report.html").read_text(encoding="utf-8"),
        "bt": write_crm_report(load_crm(bt), bt / "report.html").read_text(encoding="utf-8"),
    }


class _Page(HTMLParser):
    """Every table's rows (by the table's first class) as cell texts; ids, tags, references."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.ids: list[str] = []
        self.tags: dict[str, int] = {}
        self.references: list[str] = []
        self.stack: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self._element(tag, dict(attrs))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self._element(tag, dict(attrs))

    def _element(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if "id" in attrs:
            self.ids.append(attrs["id"])
        for name in ("src", "href", "xlink:href"):
            if attrs.get(name) and not attrs[name].startswith(("#", "data:")):
                self.references.append(attrs[name])
        if tag == "table":
            self._table = (attrs.get("class") or "").split()[-1]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-3:])
        self.stack.pop()
        if tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None


def _body(rows: list[list[str]]) -> dict[str, list[str]]:
    """A table's body rows by their first cell."""
    return {row[0]: row for row in rows[1:]}


def _text(page: str) -> str:
    """The page's words as a reader sees them: tags, styles and figures left out."""
    page = re.sub(r"<(style|svg)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _count(x: float) -> str:
    return f"{x:,.0f}"


def test_the_scores_table_shows_each_series_real_total_and_bias(folders, pages):
    scores = pd.read_csv(folders[1] / "scores.csv")
    table = _body(_Page(pages["bt"]).tables["scores"])
    assert list(table) == [LABELS[s] for s in scores["series"]]
    for row in scores.itertuples():
        cells = table[LABELS[row.series]]
        if row.series == "bookings":
            assert 1e5 <= row.real < 1e6  # the example's half-year: some hundred thousands
            assert cells[1] == f"USD {row.real / 1e3:.0f}k"
        else:
            assert cells[1] == _count(row.real)
        assert cells[5] == f"{row.bias:+.0%}"
        assert cells[4] == f"{row.wape:.0%}"
        assert cells[6:] == [f"{row.inside_80:.0%}", f"{row.inside_95:.0%}"]


def test_the_sentences_say_what_the_scores_say(folders, pages):
    scores = pd.read_csv(folders[1] / "scores.csv").set_index("series")
    text = _text(pages["bt"])
    spoken = {"won": "wins", "mqls": "MQLs", "sqls": "SQLs"}
    far = scores[scores["bias"].abs() > 0.10]
    for series, row in far.iterrows():
        way = "short" if row["bias"] < 0 else "over"
        said = f"{spoken.get(series, series)} came back {abs(row['bias']):.0%} {way}"
        assert re.search(said, text, re.I), said
        if series != "bookings":
            assert f"(real {_count(row['real'])}, simulated {_count(row['simulated'])}" in text
    close = scores[scores["bias"].abs() <= 0.10]
    if len(close):
        assert f"within {max(1, round(100 * close['bias'].abs().max()))}% of the real" in text
    outside = scores[
        ~scores["real"].between(scores["simulated_low_95"], scores["simulated_high_95"])
    ]
    assert ("Every real total lies inside" in text) == outside.empty


def test_the_backtest_says_its_split_its_open_deals_and_its_days_to_close(folders, pages):
    document = json.loads((folders[1] / "backtest.json").read_text())
    text = _text(pages["bt"])
    split = document["split"][:10]
    assert f"Backtest of the fit before {split}" in text
    assert (
        f"the {document['weeks']} weeks after it simulated {document['replications']} times" in text
    )
    assert f"from the {document['open_deals']} deals open then" in text
    fit = json.loads((folders[1] / "fit" / "fit.json").read_text())
    assert fit["open_pipeline"]["deals"] == document["open_deals"]
    pipeline = _body(_Page(pages["bt"]).tables["pipeline"])
    assert list(pipeline) == [str(document["open_deals"])]
    distances = pd.read_csv(folders[1] / "distances.csv")
    table = _body(_Page(pages["bt"]).tables["distances"])
    for row in distances.itertuples():
        assert table[row.deals][1] == f"{row.real_n:,}"
        said = f"The {row.real_n:,} deals {row.deals} after the split took a median"
        assert f"{said} {row.real_median_days:.0f} days" in text


def test_the_backtest_shows_its_fit_at_the_split_and_what_it_left_out(folders, pages):
    excluded = pd.read_csv(folders[1] / "fit" / "excluded.csv")
    assert len(excluded)  # everything after the split
    table = _Page(pages["bt"]).tables["excluded"][1:]
    assert table == [[r.table, r.reason, f"{r.rows:,}"] for r in excluded.itertuples()]
    assert "The fit at the split" in _text(pages["bt"])


def test_the_pages_hold_themselves_with_one_svg_for_the_bands(pages):
    for name, page in pages.items():
        parsed = _Page(page)
        assert parsed.references == [], name
        assert parsed.stack == [] and len(parsed.ids) == len(set(parsed.ids))
        assert not re.findall(r"(?:src|href)\s*=\s*[\"']?(?:https?:|//)", page), name
        assert "<script" not in page and "<link" not in page
    assert _Page(pages["bt"]).tags.get("svg") == 1
    assert "svg" not in _Page(pages["fit"]).tags
    assert {"answer", "figures", "cycles", "fit", "provenance"} <= set(_Page(pages["bt"]).ids)


def test_the_fit_shows_every_estimate_with_its_records(folders, pages):
    estimates = pd.read_csv(folders[0] / "estimates.csv")
    page = _Page(pages["fit"])
    shown = _body(page.tables["settings"]) | _body(page.tables["shown"])
    expected = estimates[~estimates["key"].str.endswith(".stages")]
    assert set(shown) == set(expected["key"])
    for row in expected.itertuples():
        assert shown[row.key][2] == f"{row.n:,}", row.key
    rate = estimates.set_index("key").loc["sources.inbound.rate_per_week"]
    assert shown["sources.inbound.rate_per_week"][1] == f"{float(rate['value']):.3g}"
    stages = estimates[estimates["key"].str.endswith(".stages")]
    count = sum(len(json.loads(v)) for v in stages["value"])
    assert len(page.tables["stages"]) == 1 + count


def test_the_fit_shows_its_open_pipeline_and_its_deal_sizes(folders, pages):
    document = json.loads((folders[0] / "fit.json").read_text())
    pipeline = document["open_pipeline"]
    row = _Page(pages["fit"]).tables["pipeline"][1]
    assert row == [str(pipeline["deals"]), f"USD {pipeline['value']:,.0f}", "none"]
    text = _text(pages["fit"])
    assert f"{pipeline['deals']} deals were open at the export" in text
    assert document["excluded"] == [] and "No row was left out." in text
    png = (folders[0] / "figures" / "deal_sizes.png").read_bytes()
    uri = re.search(r'<img src="data:image/png;base64,([^"]+)"', pages["fit"]).group(1)
    assert base64.b64decode(uri) == png


def test_a_backtest_from_a_warm_up_says_so(folders, tmp_path):
    copy = tmp_path / "bt"
    shutil.copytree(folders[1], copy)
    document = json.loads((copy / "backtest.json").read_text())
    document |= {"open_deals": None, "start": "warm-up"}
    (copy / "backtest.json").write_text(json.dumps(document))
    text = _text(write_crm_report(load_backtest(copy), copy / "r.html").read_text())
    assert "after the fitted scenario's warm-up." in text and "deals open then" not in text


def test_the_report_command_writes_the_fit_and_the_backtest(folders, cli, tmp_path):
    for folder in folders:
        target = tmp_path / f"{folder.name}.html"
        made = cli("report", str(folder), "--out", str(target))
        assert made.exit_code == 0, made.output
        assert made.stdout.strip() == f"report: {target}"
        assert target.read_text().startswith("<!DOCTYPE html>")


def test_a_folder_that_is_no_results_is_refused_in_one_line(folders, cli, tmp_path):
    (tmp_path / "empty").mkdir()
    refused = cli("report", str(tmp_path / "empty"))
    assert refused.exit_code == 2 and refused.stderr.count("\n") == 1
    assert "not a results folder (no manifest.json, fit.json or backtest.json)" in refused.output
    partial = tmp_path / "fit"
    shutil.copytree(folders[0], partial)
    (partial / "estimates.csv").unlink()
    refused = cli("report", str(partial))
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert f"{partial}: estimates.csv is missing" in " ".join(refused.output.split())
    with pytest.raises(FunnelsimError, match=r"estimates\.csv is missing"):
        load_fit(partial)


def test_a_damaged_file_is_named_not_a_traceback(folders, cli, tmp_path):
    copy = tmp_path / "bt"
    shutil.copytree(folders[1], copy)
    (copy / "fit" / "fit.json").write_text("{")
    refused = cli("report", str(copy))
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert "fit.json: not JSON" in " ".join(refused.output.split())
    assert report_kind(copy) == "backtest" and report_kind(folders[0]) == "fit"
