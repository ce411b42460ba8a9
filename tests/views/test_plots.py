"""Figures: each one renders from a small experiment and shows what its title says it shows."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from types import SimpleNamespace

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

import funnelsim
from funnelsim.views import plots
from funnelsim.views.plots.sweep import _Levels
from tests.helpers import SHORT

HEADCOUNT = {"sdr.headcount": [3, 5]}
SLA = {"sla.response_time": ["4h", "1h"]}
POLICIES = ["misaligned", "aligned"]


@pytest.fixture(scope="module")
def cmp(tmp_path_factory):
    """A comparison written to a folder and read back, as `funnelsim plot DIR` will see it."""
    out = tmp_path_factory.mktemp("results") / "cmp"
    return funnelsim.compare(None, POLICIES, reps=3, seed=5, overrides=SHORT, workers=1, out=out)


@pytest.fixture(scope="module")
def one():
    """Two policies over one factor, its values listed out of order on purpose."""
    spec = {"policies": ["misaligned", "aligned"], "set": SHORT, "factors": SLA}
    return funnelsim.sweep(spec | {"replications": 2}, workers=1)


@pytest.fixture(scope="module")
def two():
    factors = HEADCOUNT | {"sla.response_time": ["1h", "4h"]}
    spec = {"policies": ["aligned"], "set": SHORT, "factors": factors, "replications": 2}
    return funnelsim.sweep(spec, workers=1)


def ok_runs(results, point=0):
    runs = results.runs
    return runs[(runs["point"] == point) & (runs["status"] == "ok")]


def means(results, column, point=0):
    """A run column's mean per policy, in policy order."""
    runs = ok_runs(results, point)
    return runs.groupby("policy")[column].mean().sort_index().to_numpy()


def legend_labels(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def scatter_colours(ax):
    """The colour of each set of dots, in drawing order."""
    return [to_hex(c.get_facecolor()[0]) for c in ax.collections if isinstance(c, PathCollection)]


def bars(ax):
    return [c for c in ax.containers if isinstance(c, BarContainer)]


def bar_heights(container):
    return np.array([patch.get_height() for patch in container])


def texts(ax):
    return [t.get_text() for t in ax.texts]


# --- Shared style -----------------------------------------------------------------------------


def test_each_policy_keeps_its_colour_in_every_figure_and_the_baseline_the_first(cmp):
    colours = plots.colours(cmp)
    assert list(colours) == ["misaligned", "aligned"]
    assert list(colours.values()) == list(plots.PALETTE[:2])
    expected = list(colours.values())
    waterfall = plots.waterfall(cmp)
    assert [to_hex(c.patches[0].get_facecolor()) for c in bars(waterfall)] == expected
    assert scatter_colours(plots.revenue(cmp)[0]) == expected
    assert [to_hex(line.get_color()) for line in plots.pipeline_fan(cmp).get_lines()] == expected
    ecdf = [line for line in plots.speed_to_lead(cmp)[0].get_lines() if line.get_linestyle() == "-"]
    assert [to_hex(line.get_color()) for line in ecdf] == expected


def test_money_has_its_currency_and_thousands_separators():
    assert plots.money(12_500_000, "USD") == "USD 12.5M"
    assert plots.money(-250_000, "EUR") == "-EUR 250k"
    assert plots.money(473_270, "USD", 3) == "USD 473k"
    assert plots.money(1_250_000_000_000, "USD") == "USD 1,250B"
    assert plots.money(950, "USD") == "USD 950"
    assert plots.money(float("nan"), "USD") == "–"


def test_reading_guide_for_every_figure_is_the_one_in_the_docs():
    assert list(plots.READING) == list(plots.FIGURES)
    docs = (Path(__file__).parents[2] / "docs" / "plots.md").read_text()
    for name, line in plots.READING.items():
        assert f"- **{name}**: {line}" in docs


# --- Comparison figures -----------------------------------------------------------------------


def test_waterfall_bars_are_the_mean_stage_counts_with_conversions(cmp):
    ax = plots.waterfall(cmp)
    containers = bars(ax)
    assert [c.get_label() for c in containers] == ["misaligned", "aligned"]
    runs = ok_runs(cmp)
    for k, container in enumerate(containers):
        stages = runs.loc[runs["policy"] == POLICIES[k], list(plots.STAGES)].mean().to_numpy()
        np.testing.assert_allclose(bar_heights(container), stages)
        conversion = f"{100 * stages[1] / stages[0]:.0f}%"
        assert conversion in texts(ax)
    assert len(texts(ax)) == 2 * (len(plots.STAGES) - 1)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert [t.replace("\n", " ") for t in ticks] == list(plots.STAGES.values())
    assert max(len(line) for t in ticks for line in t.splitlines()) <= 16  # wrapped, apart
    assert legend_labels(ax) == ["misaligned", "aligned"]
    assert "count" in ax.get_ylabel()
    assert ax.get_yscale() == "log"


def test_waterfall_draws_on_the_axes_it_is_given(cmp):
    ax = Figure().add_subplot()
    assert plots.waterfall(cmp, ax=ax) is ax
    assert len(bars(ax)) == 2


def test_revenue_shows_every_replication_and_the_paired_difference(cmp):
    axes = plots.revenue(cmp)
    assert len(axes) == 4
    (revenue, diff, pipeline, _) = axes
    runs = ok_runs(cmp)
    dots = [c for c in revenue.collections if isinstance(c, PathCollection)]
    assert [len(c.get_offsets()) for c in dots] == [3, 3]
    for k, c in enumerate(dots):
        booked = runs.loc[runs["policy"] == POLICIES[k], "bookings_per_year"].to_numpy()
        np.testing.assert_allclose(np.sort(c.get_offsets()[:, 1]), np.sort(booked))
    for ax in (revenue, diff, pipeline):
        assert "USD" in ax.get_ylabel()
    revenue.figure.canvas.draw()
    assert all(t.get_text().lstrip("-").startswith("USD") for t in revenue.get_yticklabels())
    table = cmp.differences.set_index("metric")
    mean = diff.lines[0].get_ydata()[0]  # the black mean of the paired differences
    assert mean == pytest.approx(table.at["bookings_per_year", "mean"])
    assert "aligned" in axes[0].figure.get_suptitle()


def test_revenue_of_one_policy_has_no_difference_panel(two):
    assert len(plots.revenue(two)) == 2


def test_fans_have_a_median_and_two_bands_per_policy(cmp):
    for figure in (plots.pipeline_fan, plots.bookings_fan):
        ax = figure(cmp)
        assert len(ax.get_lines()) == 2
        assert len(ax.collections) == 2 * 2
        assert [to_hex(c.get_facecolor()[0]) for c in ax.collections[::2]] == list(
            plots.PALETTE[:2]
        )
        assert legend_labels(ax) == ["misaligned", "aligned"]
        assert "USD" in ax.get_ylabel()
    weekly = cmp.weekly
    first = weekly.loc[~weekly["warmup"], "week_start"].min() + pd.Timedelta(days=7)
    x = ax.get_lines()[0].get_xdata()
    assert mdates.num2date(mdates.date2num(x[0])).date() == first.date()
    runs = ok_runs(cmp)
    for k, line in enumerate(ax.get_lines()):
        booked = runs.loc[runs["policy"] == POLICIES[k], "bookings"].median()
        assert line.get_ydata()[-1] == pytest.approx(booked)


def test_lead_to_close_and_opportunity_age_per_policy_and_segment(cmp):
    axes = plots.lead_to_close(cmp)
    assert len(axes) == 2
    title = axes[0].figure.get_suptitle()
    assert title.startswith("Lead to close") and "; opportunity age at close: " in title
    assert "cycle" not in title.lower()
    segments = list(dict.fromkeys(cmp.groups.query("group == 'segment'")["name"]))
    for ax, metric in zip(axes, plots.TO_CLOSE, strict=True):
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert ticks[0] == "All" and len(ticks) == 1 + len(segments)
        assert ax.get_ylabel().endswith("(days)")
        assert legend_labels(ax) == ["misaligned", "aligned"]
        overall = [c for c in ax.collections if isinstance(c, PathCollection)][:2]
        for k, dots in enumerate(overall):
            runs = ok_runs(cmp)
            values = runs.loc[runs["policy"] == POLICIES[k], metric].dropna().to_numpy()
            np.testing.assert_allclose(np.sort(dots.get_offsets()[:, 1]), np.sort(values))
    assert "SMB" in [t.get_text() for t in axes[0].get_xticklabels()]


def test_leakage_stacks_are_mean_shares_of_leads_by_stage_and_reason(cmp):
    by_stage, by_reason = plots.leakage(cmp)
    runs = ok_runs(cmp)
    for ax, parts in ((by_stage, plots.LEAK_STAGES), (by_reason, plots.LEAK_REASONS)):
        containers = bars(ax)
        assert [c.get_label() for c in containers] == list(parts.values())
        for column, container in zip(parts, containers, strict=True):
            shares = (runs[column] / runs["leads"]).groupby(runs["policy"]).mean()
            np.testing.assert_allclose(bar_heights(container), shares.to_numpy())
        totals = sum(bar_heights(c) for c in containers)
        np.testing.assert_allclose(totals, means(cmp, "leakage_rate"))
        assert "%" in ax.get_ylabel()
        assert [t.get_text() for t in ax.get_xticklabels()] == ["misaligned", "aligned"]


def test_speed_to_lead_marks_each_policys_sla_in_business_hours(cmp):
    ecdf, compliance = plots.speed_to_lead(cmp)
    assert plots.sla_hours(cmp) == {"misaligned": 4.0, "aligned": 1.0}
    sla = [line for line in ecdf.get_lines() if line.get_linestyle() == ":"]
    positions = {to_hex(line.get_color()): line.get_xdata()[0] for line in sla}
    colours = plots.colours(cmp)
    assert positions == {colours["misaligned"]: 4.0, colours["aligned"]: 1.0}
    assert any("SLA 1h" in t for t in texts(ecdf))
    curves = [line for line in ecdf.get_lines() if line.get_linestyle() in ("-", "--")]
    assert len(curves) == 2 * 2
    assert legend_labels(ecdf) == ["misaligned", "aligned"]
    assert "business hours" in ecdf.get_xlabel()
    assert "%" in compliance.get_ylabel()
    dots = [c for c in compliance.collections if isinstance(c, PathCollection)]
    runs = ok_runs(cmp)
    for k, c in enumerate(dots):
        values = runs.loc[runs["policy"] == POLICIES[k], "sla_compliance"].to_numpy()
        np.testing.assert_allclose(np.sort(c.get_offsets()[:, 1]), np.sort(values))


def test_a_one_day_sla_is_one_working_day(cmp):
    manifest = copy.deepcopy(cmp.manifest)
    manifest["scenario"]["aligned"]["resolved"]["sla"]["response_time"] = "1d"
    results = dataclasses.replace(cmp, manifest=manifest)
    assert plots.sla_hours(results)["aligned"] == 8.0
    sla = [
        line for line in plots.speed_to_lead(results)[0].get_lines() if line.get_linestyle() == ":"
    ]
    assert 8.0 in [line.get_xdata()[0] for line in sla]


def test_sla_follows_the_sweep_point(one, two):
    assert plots.sla_hours(one, point=1) == {"misaligned": 1.0, "aligned": 1.0}
    assert plots.sla_hours(two, point=1) == {"aligned": 4.0}
    ecdf = plots.speed_to_lead(one, point=1)[0]
    sla = [line for line in ecdf.get_lines() if line.get_linestyle() == ":"]
    assert [line.get_xdata()[0] for line in sla] == [1.0]  # one line, shared by both
    assert to_hex(sla[0].get_color()) not in plots.PALETTE


def test_utilisation_per_desk_and_the_queue_over_time(cmp):
    desks, queue = plots.utilisation(cmp)
    assert [t.get_text() for t in desks.get_xticklabels()] == ["SDRs", "AEs"]
    dots = [c for c in desks.collections if isinstance(c, PathCollection)]
    assert len(dots) == 2 * 2
    runs = ok_runs(cmp)
    sdr = runs.loc[runs["policy"] == "aligned", "sdr_utilisation"].to_numpy()
    np.testing.assert_allclose(np.sort(dots[1].get_offsets()[:, 1]), np.sort(sdr))
    assert "%" in desks.get_ylabel()
    assert len(queue.get_lines()) == 2
    assert "count" in queue.get_ylabel()
    assert legend_labels(queue) == ["misaligned", "aligned"]


def test_comparison_figures_show_the_point_asked_for(two):
    ax = plots.waterfall(two, point=3)
    heights = bar_heights(bars(ax)[0])
    np.testing.assert_allclose(heights, ok_runs(two, 3)[list(plots.STAGES)].mean())
    assert "sdr.headcount=5, sla.response_time=4h" in ax.get_title()
    with pytest.raises(ValueError, match="point from 0 to 3"):
        plots.waterfall(two, point=4)


# --- Sweep figures ----------------------------------------------------------------------------


def summary_means(results, metric, policy):
    summary = results.summary
    rows = summary[(summary["metric"] == metric) & (summary["policy"] == policy)]
    return rows.sort_values("point")


def test_factor_effect_of_one_factor_follows_the_summary_per_policy(one):
    ax = plots.factor_effect(one)
    assert ax.get_xlabel() == "sla.response_time"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["4h", "1h"]  # in the listed order
    assert legend_labels(ax) == ["misaligned", "aligned"]
    assert [to_hex(line.get_color()) for line in ax.get_lines()] == list(plots.PALETTE[:2])
    assert "USD" in ax.get_ylabel()
    for line, band, policy in zip(
        ax.get_lines(), ax.collections, ["misaligned", "aligned"], strict=True
    ):
        expected = summary_means(one, "bookings_per_year", policy)
        assert list(line.get_xdata()) == [0.0, 1.0]
        np.testing.assert_allclose(line.get_ydata(), expected["mean"])
        edges = band.get_paths()[0].vertices[:, 1]
        assert edges.min() == pytest.approx(expected["ci_low"].min())
        assert edges.max() == pytest.approx(expected["ci_high"].max())


def test_factor_effect_of_two_factors_draws_a_line_per_value_of_the_other(two):
    ax = plots.factor_effect(two, metric="sla_compliance", factor="sdr.headcount")
    assert ax.get_xlabel() == "sdr.headcount"
    assert len(ax.get_lines()) == 2
    expected = summary_means(two, "sla_compliance", "aligned")
    for line, sla in zip(ax.get_lines(), ["1h", "4h"], strict=True):
        rows = expected[expected["sla.response_time"] == sla]
        np.testing.assert_allclose(line.get_xdata(), rows["sdr.headcount"])
        np.testing.assert_allclose(line.get_ydata(), rows["mean"])
    assert "%" in ax.get_ylabel()
    assert legend_labels(ax) == ["aligned"]
    (styles,) = [a for a in ax.artists if a is not ax.get_legend()]
    assert [t.get_text() for t in styles.get_texts()] == [
        "sla.response_time=1h",
        "sla.response_time=4h",
    ]
    assert {line.get_linestyle() for line in ax.get_lines()} == {"-", "--"}


def test_heatmap_cells_are_the_summary_means(two):
    ax = plots.heatmap(two, metric="bookings_per_year", policy="aligned")
    (image,) = [i for i in ax.get_images() if isinstance(i, AxesImage)]
    rows = summary_means(two, "bookings_per_year", "aligned")
    grid = rows.pivot(index="sla.response_time", columns="sdr.headcount", values="mean")
    np.testing.assert_allclose(image.get_array(), grid.loc[["1h", "4h"], [3, 5]].to_numpy())
    written = [plots.money(v, "USD", 3) for v in grid.loc[["1h", "4h"], [3, 5]].to_numpy().ravel()]
    assert texts(ax) == written
    assert ax.get_xlabel() == "sdr.headcount" and ax.get_ylabel() == "sla.response_time"
    colorbar = ax.figure.axes[-1]
    assert "USD" in colorbar.get_ylabel()
    assert "(aligned)" in ax.get_title()


def test_heatmap_swaps_its_axes_and_refuses_a_one_factor_sweep(one, two):
    ax = plots.heatmap(two, x="sla.response_time")
    assert ax.get_xlabel() == "sla.response_time" and ax.get_ylabel() == "sdr.headcount"
    assert "(aligned)" in ax.get_title()
    with pytest.raises(ValueError, match="sweep of 2 factors"):
        plots.heatmap(one)
    with pytest.raises(ValueError, match="unknown policy"):
        plots.heatmap(two, policy="nope")


def test_factor_effect_needs_a_sweep(cmp, one):
    with pytest.raises(ValueError, match="sweep of 1 or 2 factors"):
        plots.factor_effect(cmp)
    with pytest.raises(ValueError, match="unknown factor"):
        plots.factor_effect(one, factor="sdr.headcount")


def test_many_durations_sit_on_a_numeric_axis_few_are_categories():
    sampled = SimpleNamespace(manifest={"points": [{"f": f"{h}h"} for h in range(1, 9)]})
    levels = _Levels.of(sampled, "f")
    assert levels.numeric and levels.unit == "h" and levels.position("8h") == pytest.approx(8.0)
    listed = SimpleNamespace(manifest={"points": [{"f": v} for v in ("4h", "15m", "1d")]})
    levels = _Levels.of(listed, "f")
    assert not levels.numeric and levels.values == ("4h", "15m", "1d")


# --- Which figures, and writing them ----------------------------------------------------------


def test_available_figures_depend_on_the_experiment(cmp, one, two):
    comparison = list(plots.COMPARISON)
    assert plots.available(cmp) == comparison
    assert plots.available(one) == [*comparison, "factor_effect"]
    assert plots.available(two) == [*comparison, "factor_effect", "heatmap"]


def test_save_all_writes_every_available_figure(two, tmp_path):
    paths = plots.save_all(two, tmp_path / "figures", dpi=40)
    assert [p.name for p in paths] == [f"{name}.png" for name in plots.available(two)]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths)


def test_save_all_writes_svg_and_passes_options(two, tmp_path):
    options = {"factor_effect": {"metric": "sla_compliance"}}
    paths = plots.save_all(two, tmp_path, ["waterfall", "factor_effect"], "svg", options=options)
    assert [p.name for p in paths] == ["waterfall.svg", "factor_effect.svg"]
    for path in paths:
        text = path.read_text()
        assert "<svg" in text
    assert "SLA compliance" in paths[1].read_text()


def test_save_all_refuses_unknown_figures_and_formats(cmp, tmp_path):
    with pytest.raises(ValueError, match="unknown figure"):
        plots.save_all(cmp, tmp_path, ["pie"])
    with pytest.raises(ValueError, match="format"):
        plots.save_all(cmp, tmp_path, fmt="jpg")
    assert not list(tmp_path.iterdir())


def test_a_name_with_dollar_signs_is_drawn_as_written_not_as_mathematics(tmp_path):
    """``p$^$`` read as mathtext is a syntax error at save time; it is a policy's name."""
    policy = tmp_path / "p$^$.yaml"
    policy.write_text("sdr: {headcount: 5}\n")
    results = funnelsim.compare(
        None, ["misaligned", str(policy)], reps=2, overrides=SHORT, workers=1
    )
    paths = plots.save_all(results, tmp_path / "figures")
    assert len(paths) == len(plots.available(results))
    axes = plots.revenue(results)
    assert "p$^$" in [label.get_text() for label in axes[0].get_xticklabels()]
