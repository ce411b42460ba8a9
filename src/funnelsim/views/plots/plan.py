"""The figures of a plan: the chance of reaching the target against what each plan costs, and
the plan over time (heads on each team, hires) beside the reverse waterfall's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from funnelsim.base.files import atomic_write
from funnelsim.results.plan import TargetPlan
from funnelsim.views.formats import value, whole_percent
from funnelsim.views.plots.style import PALETTE, panels, set_titles, tick_formatter
from funnelsim.views.text import literal

PICK, WATERFALL, TODAY, PROBED = PALETTE[0], PALETTE[5], PALETTE[6], "0.65"
FIGURES = ("plan_chance", "plan_over_time")


def chance_and_cost(plan: TargetPlan, fig: Figure | None = None) -> list[Axes]:
    """Every plan the search ran: its chance of reaching the target (95% Wilson interval)
    against its spend to the period's end; the pick, the waterfall's plan and today marked."""
    (ax,) = panels(fig, 1, 1, (8.0, 5.0))
    doc, code = plan.document, plan.currency
    rows = plan.evaluations
    ax.errorbar(
        rows["spend"],
        rows["chance"],
        yerr=[rows["chance"] - rows["low"], rows["high"] - rows["chance"]],
        fmt="o",
        color=PROBED,
        ecolor="0.85",
        markersize=4,
        label="plans tried",
    )
    for key, colour, name in (
        ("baseline", TODAY, "today"),
        ("waterfall", WATERFALL, "reverse waterfall"),
        ("pick", PICK, "plan"),
    ):
        found = doc.get(key)
        if found is None:
            continue
        err = [[found["chance"] - found["low"]], [found["high"] - found["chance"]]]
        ax.errorbar(
            [found["spend"]],
            [found["chance"]],
            yerr=err,
            fmt="o",
            color=colour,
            markersize=8,
            capsize=3,
            label=f"{name}: {whole_percent(found['chance'])}",
        )
    ax.axhline(doc["probability"], color=PICK, linestyle=":", linewidth=1)
    ax.set_ylim(-0.03, 1.03)
    ax.yaxis.set_major_formatter(tick_formatter("share", code))
    ax.xaxis.set_major_formatter(tick_formatter("money", code))
    ax.set_ylabel("chance of reaching the target")
    ax.set_xlabel(f"go-to-market spend to the period's end ({code})")
    ax.legend(frameon=False, loc="lower right", fontsize=8)
    target = doc["target"]
    goal = value(target["metric"], target["value"], code)
    set_titles(
        ax,
        f"{literal(target['metric'])} of {goal} in {doc['period']['label']}: chance against cost",
        f"dotted: the chance asked ({whole_percent(doc['probability'])}); whiskers: 95% "
        "Wilson intervals over each plan's replications",
    )
    return [ax]


def over_time(plan: TargetPlan, fig: Figure | None = None) -> list[Axes]:
    """Heads on each team by month (hires ramp in the plan; the waterfall hires on the
    period's first day), and bookings by month, the plan's beside the waterfall's."""
    doc, code = plan.document, plan.currency
    axes = panels(fig, 1, 3, (15.0, 4.6))
    styles = {"pick": (PICK, "-", "plan"), "waterfall": (WATERFALL, "--", "reverse waterfall")}
    for name, (colour, line, label) in styles.items():
        rows = plan.months_of(name)
        if rows.empty:
            continue
        x = np.arange(len(rows))
        for ax, column in zip(axes, ("sdr_heads", "ae_heads", "bookings"), strict=True):
            ax.plot(x, rows[column], color=colour, linestyle=line, label=label)
            ax.set_xticks(x[::3], list(rows["period"])[::3], rotation=45, fontsize=7)
    period = doc["period"]["start"][:7]
    months = list(plan.months["period"].drop_duplicates()) if len(plan.months) else []
    for ax, title in zip(
        axes, ("SDRs on the desk", "AEs", f"bookings a month ({code})"), strict=True
    ):
        if period in months:
            ax.axvline(months.index(period), color="0.6", linestyle=":", linewidth=1)
        ax.set_title(title, fontsize=9)
    axes[2].yaxis.set_major_formatter(tick_formatter("money", code))
    axes[0].legend(frameon=False, fontsize=8)
    set_titles(
        axes[0].figure,
        f"The plan over time, to {doc['period']['label']}",
        "means over replications; dotted: the period's first month; a hire counts from its "
        "start, ramping to full productivity",
    )
    return axes


def plan_figures(plan: TargetPlan, fmt: str = "png", dpi: int = 150) -> list[Path]:
    """Both figures in the plan's folder, under ``figures/``; nothing without a folder."""
    if plan.path is None:
        return []
    folder = plan.path / "figures"
    folder.mkdir(exist_ok=True)
    paths = []
    drawn = zip(FIGURES, (chance_and_cost, over_time), strict=True)
    for name, draw in drawn if len(plan.months) else list(drawn)[:1]:  # no plan: no months
        figure = draw(plan)[0].figure
        path = folder / f"{name}.{fmt}"
        atomic_write(path, lambda tmp, f=figure: f.savefig(tmp, format=fmt, dpi=dpi))
        figure.clear()
        paths.append(path)
    return paths
