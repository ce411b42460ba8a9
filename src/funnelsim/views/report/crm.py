"""The HTML report of a fit from a CRM export (``fit --out``) and of a backtest (``backtest
--out``): for a backtest, the scores in sentences and a table, the real weeks against the
simulated bands and the days to close, then the fit at the split; for a fit, what the export
sets, the stages, what it shows, the rows left out, the open pipeline and the deal sizes. The
words are the terminal tables' (:mod:`funnelsim.views.tables.crm`), the page the experiment
report's: self-contained, with inline styles and figures.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from funnelsim.base.files import atomic_write
from funnelsim.results.crm import BacktestFolder, FitFolder
from funnelsim.views.formats import DASH, money
from funnelsim.views.plots.backtest import bands
from funnelsim.views.report.html import TEMPLATES, Figure, svg_of, unique_ids
from funnelsim.views.report.sentences import join
from funnelsim.views.tables.crm import SERIES_WORDS, SHARES, estimate_text, figure_text

SPOKEN = {"leads": "leads", "mqls": "MQLs", "sqls": "SQLs", "opportunities": "opportunities"}
SPOKEN |= {"won": "wins", "bookings": "bookings"}
"""Each weekly series as a sentence names it."""
MONEY = "bookings"
"""The series counted in money."""
CLOSE = 0.10
"""A total within this share of the real one is said together with the others that are; one
further off is said on its own, with its numbers."""
TUNED = {
    "scoring.mql_threshold": "The MQL threshold",
    "sdr.put_off": "The share of MQLs the SDR desk puts off",
}
"""The values a fit tunes by simulation, as a sentence names them."""
BANDS_READING = (
    "A panel per weekly series: the simulated 80% and 95% bands shaded, the simulated mean as "
    "a line, the real weeks as dots. A dot outside the shading is a week the fit did not expect."
)
PAGES = jinja2.Environment(
    loader=jinja2.PackageLoader("funnelsim.views.report", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),  # every value HTML-escaped
    trim_blocks=True,
    lstrip_blocks=True,
)
try:
    VERSION = version("funnelsim")
except PackageNotFoundError:  # run from a source tree that was never installed
    VERSION = "0+unknown"
SIZES_READING = (
    "Each segment's deal amounts (steps) against the fitted log-normal (line), on a log scale "
    "of amounts: where the line leaves the steps, the fitted sizes miss the company's deals."
)


def write_crm_report(found: FitFolder | BacktestFolder, path: Path) -> Path:
    """Write a fit's or a backtest's report atomically."""
    html = render(found)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    return path


def render(found: FitFolder | BacktestFolder) -> str:
    """A fit's or a backtest's report as one HTML document."""
    if isinstance(found, BacktestFolder):
        split, fit = f"{found.split:%Y-%m-%d}", found.fit
        title = f"Backtest of the fit before {split}"
        question = (
            f"How well does a scenario fitted on the history before {split} reproduce the "
            f"{found.weeks} weeks after it?"
        )
    else:
        fit, title = found, found.name or "Fitted scenario"
        question = "What does the CRM export say about the funnel, and where does the company "
        question += "stand at the export?"
    return PAGES.get_template("crm.html.j2").render(
        title=title,
        question=question,
        backtest=backtest_section(found) if isinstance(found, BacktestFolder) else None,
        fit=fit_section(fit, at_split=fit is not found),
        provenance=provenance(found),
        css=TEMPLATES.joinpath("report.css").read_text(),
    )


# -- the backtest ---------------------------------------------------------------------------------
def backtest_section(found: BacktestFolder) -> dict[str, Any]:
    """What the report says of a backtest: sentences, the scores, the bands, the distances."""
    svg = unique_ids(svg_of(bands(found.weekly, heading(found))[0].figure), "bands")
    return {
        "verdict": backtest_sentences(found),
        "scores": score_rows(found),
        "distances": distance_rows(found),
        "replications": found.replications,
        "weeks": found.weeks,
        "money": found.fit.currency,
        "figure": Figure("backtest", "Real weeks against simulated", svg, BANDS_READING),
    }


def heading(found: BacktestFolder) -> str:
    """The backtest in one line, as the terminal heads its tables."""
    start = "after the fitted scenario's warm-up"
    if found.open_deals is not None:
        start = f"from the {found.open_deals} deals open then"
    return (
        f"Fitted on the history before {found.split:%Y-%m-%d}; the {found.weeks} weeks after "
        f"it simulated {found.replications} times (seed {found.seed}) {start}"
    )


def backtest_sentences(found: BacktestFolder) -> list[str]:
    """The verdict: the totals, the weeks inside the bands, and the time to close."""
    scores = found.scores.set_index("series")
    out = [f"{heading(found)}.", _totals(scores, found.fit.currency)]
    inside = scores["real"].between(scores["simulated_low_95"], scores["simulated_high_95"])
    outside = [SPOKEN.get(s, s) for s in scores.index[~inside]]
    if not outside:
        out.append("Every real total lies inside the simulated 95% range of totals.")
    else:
        one = len(outside) == 1
        out.append(
            f"The real total{'' if one else 's'} of {join(outside)} {'lies' if one else 'lie'} "
            "outside the simulated 95% range."
        )
    out.append(_weeks_inside(scores, found.weeks))
    if found.replications < 20:
        out.append(f"With only {found.replications} replications, the ranges and bands are rough.")
    return out + _cycles(found.distances)


def _totals(scores: pd.DataFrame, code: str) -> str:
    """The series that came back close to their real totals together; each other one with
    its real and simulated totals and the 95% range of the simulated ones."""
    close = scores[scores["bias"].abs() <= CLOSE]
    parts = []
    if len(close):
        within = max(1, round(100 * close["bias"].abs().max()))
        names = join([SPOKEN.get(s, s) for s in close.index])
        parts.append(
            f"{names} came back within {within}% of the real total{'s' * (len(close) > 1)}"
        )
    parts += [_off(series, row, code) for series, row in scores.drop(close.index).iterrows()]
    return _sentence(parts) or ""


def _off(series: str, row: pd.Series, code: str) -> str:
    """One series that came back further off than :data:`CLOSE`, with its numbers."""
    name, amount = SPOKEN.get(series, series), _amount(series, code)
    low, high = amount(row["simulated_low_95"]), amount(row["simulated_high_95"])
    numbers = f"simulated {amount(row['simulated'])}, 95% range {low} to {high}"
    if math.isnan(row["bias"]):
        return f"{name} came back where there were none ({numbers})"
    way = "short" if row["bias"] < 0 else "over"
    return f"{name} came back {abs(row['bias']):.0%} {way} (real {amount(row['real'])}, {numbers})"


def _amount(series: str, code: str) -> Callable[[float], str]:
    """How a series' totals are written: money for bookings, counts for the rest."""
    if series == MONEY:
        return lambda x: money(x, code, 3)
    return lambda x: f"{x:,.0f}" if abs(x) >= 10 else figure_text(x)


def _weeks_inside(scores: pd.DataFrame, weeks: int) -> str:
    """How often the real week fell inside the simulated 95% band, fewest to most."""
    inside = scores["inside_95"].dropna()
    low, high = inside.idxmin(), inside.idxmax()
    span = f"{inside[low]:.0%} of the {weeks} weeks, for every series"
    if inside[low] != inside[high]:
        span = (
            f"{inside[low]:.0%} ({SPOKEN.get(low, low)}) to {inside[high]:.0%} "
            f"({SPOKEN.get(high, high)}) of the {weeks} weeks"
        )
    return f"Week by week, the real count fell inside the simulated 95% band in {span}."


def _cycles(distances: pd.DataFrame) -> list[str]:
    """The days from opportunity to close of the deals won, and lost, after the split."""
    out = []
    for row in distances[distances["real_n"] > 0].itertuples():
        simulated = f"{row.simulated_median_days:.0f} simulated"
        if math.isnan(row.simulated_median_days):
            simulated = "none closed in the simulations"
        out.append(
            f"The {row.real_n:,} deals {row.deals} after the split took a median "
            f"{row.real_median_days:.0f} days from opportunity to close, against {simulated}."
        )
    return out


def score_rows(found: BacktestFolder) -> list[dict[str, Any]]:
    """The scores table: per series, the totals, errors, bias and weeks inside the bands."""
    rows = []
    for row in found.scores.itertuples():
        amount = _amount(row.series, found.fit.currency)
        rows.append(
            {
                "series": SERIES_WORDS.get(row.series, row.series),
                "real": amount(row.real),
                "simulated": amount(row.simulated),
                "range": f"{amount(row.simulated_low_95)} to {amount(row.simulated_high_95)}",
                "mae": (amount if row.series == MONEY else figure_text)(row.mae_per_week),
                "wape": _share(row.wape),
                "bias": DASH if math.isnan(row.bias) else f"{row.bias:+.0%}",
                "inside_80": _share(row.inside_80),
                "inside_95": _share(row.inside_95),
            }
        )
    return rows


def _share(x: float) -> str:
    return DASH if math.isnan(x) else f"{x:.0%}"


def distance_rows(found: BacktestFolder) -> list[dict[str, str]]:
    """Days from opportunity to close, real against simulated, as the terminal shows them."""
    return [
        {
            "deals": row.deals,
            "real_n": f"{row.real_n:,}",
            "real": figure_text(row.real_median_days) or DASH,
            "simulated": figure_text(row.simulated_median_days) or DASH,
            "distance": figure_text(row.earth_movers_days) or DASH,
        }
        for row in found.distances.itertuples()
    ]


# -- the fit --------------------------------------------------------------------------------------
def fit_section(fit: FitFolder, at_split: bool = False) -> dict[str, Any]:
    """What the report says of a fit: sentences and its tables, and the deal sizes' figure."""
    picture = None
    if fit.deal_sizes is not None:
        picture = "data:image/png;base64," + base64.b64encode(fit.deal_sizes).decode("ascii")
    estimates = estimate_rows(fit.estimates)
    return {
        "at_split": at_split,
        "exported": f"{fit.exported_at:%Y-%m-%d}",
        "verdict": fit_sentences(fit, "the split" if at_split else "the export"),
        "settings": [row for row in estimates if row["sets"]],
        "shown": [row for row in estimates if not row["sets"]],
        "stages": stage_rows(fit.stages()),
        "excluded": [
            {"table": r.table, "why": r.reason, "rows": f"{r.rows:,}"}
            for r in fit.excluded.itertuples()
        ],
        "pipeline": {
            "deals": f"{fit.open_deals:,}",
            "value": f"{fit.currency} {fit.open_value:,.0f}".strip(),
            "left_out": _left_out(fit.left_out),
        },
        "picture": picture,
        "reading": SIZES_READING,
    }


def fit_sentences(fit: FitFolder, when: str = "the export") -> list[str]:
    """The fit in a few sentences: the export, the leads, the team, the deals, the pipeline."""
    values, code = fit.values(), fit.currency
    taken = f"Export taken {fit.exported_at:%Y-%m-%d %H:%M}"
    if when == "the split":
        taken = f"Fitted on the export as it stood at the split, {fit.exported_at:%Y-%m-%d %H:%M}"
    out = [
        f"{taken}; it sets {int(fit.estimates['sets'].sum())} of the scenario's keys, and the "
        f"base scenario {fit.base} stands where it says nothing."
    ]
    out += [s for s in (_leads(values), _team(values, fit.estimates)) if s]
    sizes = _named(values, "segments", ".deal_size")
    sizes = {k: money(v["lognormal"]["median"], code, 3) for k, v in sizes.items()}
    wins = {k: f"{v:.0%}" for k, v in _named(values, "win_share").items()}
    if sizes:
        out.append(f"Median deal size: {_each(sizes)}.")
    if wins:
        out.append(f"Share of deals won, open deals counted as unfinished: {_each(wins)}.")
    out += _tuning(fit.estimates)
    out.append(
        f"{fit.open_deals:,} deals were open at {when}, worth {code} {fit.open_value:,.0f}; "
        f"{_left_out(fit.left_out)} left out."
    )
    rows = int(fit.excluded["rows"].sum()) if len(fit.excluded) else 0
    return [*out, f"{rows:,} rows were left out (below)." if rows else "No row was left out."]


def _named(values: dict[str, Any], prefix: str, suffix: str = "") -> dict[str, Any]:
    """The values of the keys ``prefix.NAME[suffix]``, by NAME."""
    wanted = (k for k in values if k.startswith(prefix + ".") and k.endswith(suffix))
    return {k.split(".")[1]: values[k] for k in wanted}


def _each(named: dict[str, str]) -> str:
    return join([f"{name} {text}" for name, text in named.items()])


def _leads(values: dict[str, Any]) -> str | None:
    rates = _named(values, "sources", ".rate_per_week")
    if not rates:
        return None
    ordered = {k: figure_text(v) for k, v in sorted(rates.items(), key=lambda item: -item[1])}
    total, sources = figure_text(sum(rates.values())), "source" if len(rates) == 1 else "sources"
    return f"Leads arrive at {total} a week from {len(rates)} {sources}: {_each(ordered)}."


def _team(values: dict[str, Any], estimates: pd.DataFrame) -> str | None:
    heads = (("sales.ae_count", "AEs"), ("sdr.headcount", "SDRs"))
    people = [
        f"{values[k]} {who[: -1 if values[k] == 1 else None]}" for k, who in heads if k in values
    ]
    parts = [f"{join(people)} work the funnel"] if people else []
    if "sales.acceptance" in values:
        row = estimates.set_index("key").loc["sales.acceptance"]
        interval = "" if math.isnan(row["low"]) else f" (95% {row['low']:.0%} to {row['high']:.0%})"
        parts.append(f"the AEs accept {values['sales.acceptance']:.0%} of SQLs{interval}")
    if "sdr.attempts" in values:
        parts.append(f"an SDR's cadence runs to {values['sdr.attempts']} calls a lead")
    return _sentence(parts)


def _sentence(parts: list[str]) -> str | None:
    """Clauses as one sentence, or None when there are none."""
    if not parts:
        return None
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _tuning(estimates: pd.DataFrame) -> list[str]:
    """What was tuned by simulation, and how; or that the MQL threshold is the base's."""
    by_key = estimates.set_index("key")
    out = []
    if "scoring.mql_threshold" not in by_key.index:
        out.append("The MQL threshold was not tuned: it is the base scenario's.")
    for key, what in TUNED.items():
        if key in by_key.index:
            value = estimate_text(key, by_key.loc[key, "value"])
            out.append(f"{what} is {value}, {by_key.loc[key, 'method']}.")
    return out


def _left_out(left_out: dict[str, int]) -> str:
    return join([f"{n:,} {why}" for why, n in left_out.items()]) if left_out else "none"


def estimate_rows(estimates: pd.DataFrame) -> list[dict[str, Any]]:
    """Every estimate but the stages, as the terminal writes it: what the export sets, and
    what it shows that the model makes for itself (shares as percentages)."""
    rows = []
    for r in estimates[~estimates["key"].str.endswith(".stages")].itertuples():
        share = not r.sets and r.key.split(".")[0] in SHARES
        interval = (
            f"{r.low:.1%} to {r.high:.1%}"
            if share
            else f"{figure_text(r.low)} to {figure_text(r.high)}"
        )
        interval = interval if r.low == r.low and (r.sets or share) else ""  # as the terminal
        fitted = f"{float(r.value):.1%}" if share else estimate_text(r.key, r.value)
        rows.append(
            {"key": r.key, "fitted": fitted, "n": f"{r.n:,}", "interval": interval}
            | {"method": r.method, "sets": bool(r.sets)}
        )
    return rows


def stage_rows(stages: pd.DataFrame) -> list[dict[str, Any]]:
    """Each segment's stages: days (median, p90), and how deals leave (the rest go dark)."""
    return [
        {
            "segment": row.segment,
            "stage": row.stage,
            "median": figure_text(row.median),
            "p90": figure_text(row.p90),
            "shares": [f"{s:.0%}" for s in (row.advance, row.lost, row.no_decision, row.dark)],
        }
        for row in stages.itertuples()
    ]


# -- the page -------------------------------------------------------------------------------------
def provenance(found: FitFolder | BacktestFolder) -> list[tuple[str, str]]:
    """Where the numbers came from: the folder, the export, the backtest's settings."""
    fit = found.fit if isinstance(found, BacktestFolder) else found
    out = [("funnelsim version", VERSION), ("folder", str(found.path))]
    if isinstance(found, BacktestFolder):
        out += [("split", found.split.isoformat()), ("weeks simulated", str(found.weeks))]
        out += [("replications", str(found.replications)), ("root seed", str(found.seed))]
        out += [("start", found.start), ("fit at the split", str(fit.path))]
    out += [("export taken", fit.exported_at.isoformat()), ("base scenario", fit.base)]
    written = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return [*out, ("fitted scenario", str(fit.path / "scenario.yaml")), ("report written", written)]
