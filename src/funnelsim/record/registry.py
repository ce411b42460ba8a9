"""Every figure's vocabulary, once: its kind, which way is better, its label, unit and sentence.

Tables, figures, the report and the statistics all ask here, so a figure is called and
written the same everywhere; a name that is not here is an error, never a guess.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from funnelsim.base.suggest import did_you_mean
from funnelsim.errors import FunnelsimError
from funnelsim.record import cohorts
from funnelsim.record.cohorts import WINDOW
from funnelsim.record.ledger import LEAK_REASONS, STAGE_OF_LEAK
from funnelsim.record.response import YARDSTICKS
from funnelsim.record.warmup import SERIES

KINDS = {
    "money": ("", ""),
    "share": ("%", "%"),
    "days": ("days", " d"),
    "hours": ("business hours", " h"),
    "score": ("score points", ""),
    "count": ("count", ""),
    "ratio": ("ratio", "x"),
    "weeks": ("weeks", " w"),
}
"""Per kind of figure: the unit on an axis, and the suffix after a written value.

Money has neither: the scenario's currency stands before its amounts."""


@dataclass(frozen=True)
class Metric:
    """One figure: what it measures and how the views name and write it.

    ``better`` is +1 when more is better, -1 when less is, 0 when neither; ``rise`` and
    ``fall`` are how a sentence says it went up or down. Money states its ``period``: per
    year, a total over the measured window, a level at its end, or per unit (per deal).
    ``about``, for a rate, says what it counts over what: its numerator, its denominator, and
    their cohort or period.
    """

    name: str
    kind: str
    better: int
    label: str
    rise: str
    fall: str
    period: str = ""
    about: str = ""

    @property
    def unit(self) -> str:
        """The unit on an axis (money's is the currency, which the results name)."""
        return KINDS[self.kind][0]

    @property
    def suffix(self) -> str:
        """What follows a written value: ``%``, `` d``, `` h`` or nothing."""
        return KINDS[self.kind][1]


def _entry(
    name: str, kind: str, better: int, label: str, rise: str = "", fall: str = "", period: str = ""
) -> Metric:
    if kind not in KINDS:
        raise ValueError(f"{name}: unknown kind {kind!r}; expected one of {list(KINDS)}")
    if (kind == "money") != bool(period):
        raise ValueError(f"{name}: money, and only money, states its period")
    words = label.lower() if label[:3] != label[:3].upper() else label
    rise, fall = rise or f"higher {words}", fall or f"lower {words}"
    return Metric(name, kind, better, label, rise, fall, period)


YEAR, TOTAL = "per year", "total over the measured window"
"""The periods of money: flows per year by default; totals where a user adds them up."""


def _yearly(name: str, better: int, label: str, rise: str = "", fall: str = "") -> Metric:
    """A flow of money stated per year, named and labelled so."""
    return _entry(f"{name}_per_year", "money", better, f"{label} per year", rise, fall, YEAR)


def _total(name: str, label: str, words: str) -> Metric:
    """Money summed over the measured window (more is better), labelled so."""
    label = f"{label}, total over the window"
    return _entry(name, "money", +1, label, f"more {words}", f"less {words}", TOTAL)


def _described(name: str, kind: str, better: int, label: str, about: str, leads: str) -> Metric:
    """A figure with what it counts over what; ``leads`` says whose share it is, as in "more
    leads {leads}" and "fewer leads {leads}" of a sentence."""
    rise, fall = (f"more leads {leads}", f"fewer leads {leads}") if leads else ("", "")
    return replace(_entry(name, kind, better, label, rise, fall), about=about)


JUDGED = "the MQLs of the window whose SLA deadline fell inside the run"


DURATIONS = {
    "lead_to_close_days": "Lead to close",
    "mql_to_close_days": "MQL to close",
    "opportunity_age_days": "Opportunity age at close",
    "ae_wait_days": "SQL wait for an AE",
    "speed_to_lead_hours": "Speed to lead",
}
"""The durations whose 10th, 50th and 90th percentiles are figures (``<name>_p50``), by label;
the name ends in the duration's kind."""


def _percentiles(name: str, rise: str, fall: str) -> list[Metric]:
    """A duration's 10th, 50th and 90th percentiles (shorter is better); ``rise`` and ``fall``
    name the percentile where they say ``{}``."""
    words = {10: "10th percentile", 50: "median", 90: "90th percentile"}
    kind, label = name.rsplit("_", 1)[1], DURATIONS[name]
    return [
        _entry(f"{name}_p{p}", kind, -1, f"{label}, {w}", rise.format(w), fall.format(w))
        for p, w in words.items()
    ]


_ROWS = [
    # The waterfall: leads of the window's cohort that ever reached each stage.
    _entry("leads", "count", +1, "Leads"),
    _entry("mqls", "count", +1, "MQLs"),
    _entry("sals", "count", +1, "SALs"),
    _entry("sqls", "count", +1, "SQLs"),
    _entry("opportunities", "count", +1, "Opportunities"),
    _entry(
        "wins",
        "count",
        +1,
        "Won, of the window's leads",
        "more of the window's leads won",
        "fewer of the window's leads won",
    ),
    _entry("conversion_lead_to_mql", "share", +1, "Lead to MQL"),
    _entry("conversion_mql_to_sal", "share", +1, "MQL to SAL"),
    _entry("conversion_sal_to_sql", "share", +1, "SAL to SQL"),
    _entry("conversion_sql_to_opportunity", "share", +1, "SQL to opportunity"),
    _entry("conversion_opportunity_to_won", "share", +1, "Opportunity to won"),
    _entry("conversion_lead_to_won", "share", +1, "Lead to won"),
    # Where the cohort ended.
    _entry("final_nurture", "count", +1, "In nurture at the end"),
    _entry("final_sdr", "count", +1, "At the SDR desk at the end"),
    _entry("final_ae_queue", "count", +1, "Waiting for an AE at the end"),
    _entry("final_opportunity", "count", +1, "Open opportunity at the end"),
    _entry("final_won", "count", +1, "Won by the end"),
    _entry("final_lost", "count", -1, "Lost by the end"),
    _entry("final_no_decision", "count", -1, "No decision by the end"),
    _entry("final_disqualified", "count", -1, "Disqualified by the end"),
    _entry("final_leaked", "count", -1, "Leaked by the end"),
    # Leakage, by reason and by stage.
    _entry("leaked", "count", -1, "Leads leaked"),
    _entry("leakage_rate", "share", -1, "Leakage", "more leakage", "less leakage"),
    _entry("leaked_never_worked", "count", -1, "Never worked"),
    _entry("leaked_cadence_exhausted", "count", -1, "Cadence exhausted"),
    _entry("leaked_rejected_dropped", "count", -1, "Rejected, dropped"),
    _entry("leaked_stalled_abandoned", "count", -1, "Stalled, abandoned"),
    _entry("leaked_unsubscribed", "count", -1, "Unsubscribed"),
    _entry("leaked_recycle_cap", "count", -1, "Recycle cap reached"),
    _entry("leaked_no_sales_capacity", "count", -1, "No AE in time"),
    _entry("leaked_in_nurture", "count", -1, "In nurture"),
    _entry("leaked_in_sdr", "count", -1, "At the SDR desk"),
    _entry("leaked_in_sales", "count", -1, "In sales"),
    # The window's leads followed to their outcomes: still open beside leakage.
    *(_described(*words) for words in cohorts.vocabulary()),
    # Pipeline and revenue over the window: whatever closed in it, from leads of any time
    # (so deals won here are not the waterfall's wins, which follow the window's own leads).
    _entry("pipeline_created_count", "count", +1, "Pipeline created, count"),
    _total("pipeline_created_value", "Pipeline created", "pipeline created"),
    _entry("open_pipeline_count", "count", +1, "Open opportunities"),
    _entry("open_pipeline_value", "money", +1, "Open pipeline at the end", period="at the end"),
    _total("bookings", "Revenue", "revenue"),
    _entry("deals_won", "count", +1, "Deals won in the window"),
    _entry("average_deal", "money", +1, "Average deal", period="per deal"),
    _entry("ae_queue_at_end", "count", -1, "SQLs waiting for an AE at the end"),
    _entry("sqls_declined", "count", 0, "SQLs declined by AEs"),
    _entry("sqls_no_sales_capacity", "count", -1, "SQLs whose buyer gave up waiting for an AE"),
    _entry(
        "bookings_per_ae_year", "money", +1, "Revenue per AE, per year", period="per AE per year"
    ),
    _entry("quota_attainment", "share", +1, "Quota attainment"),
    _entry("deals_lost", "count", -1, "Deals lost"),
    _entry("deals_no_decision", "count", -1, "Deals without a decision"),
    _entry("deals_stalled", "count", -1, "Deals stalled"),
    _entry("deals_abandoned", "count", -1, "Deals abandoned"),
    _entry("win_rate", "share", +1, "Win rate", "a higher win rate", "a lower win rate"),
    # How long things take, and how fast the desk responds.
    *_percentiles("lead_to_close_days", "a longer {} lead to close", "a shorter {} lead to close"),
    *_percentiles("mql_to_close_days", "a longer {} MQL to close", "a shorter {} MQL to close"),
    *_percentiles("opportunity_age_days", "an older {} opportunity", "a younger {} opportunity"),
    *_percentiles("ae_wait_days", "a longer {} wait for an AE", "a shorter {} wait for an AE"),
    *_percentiles("speed_to_lead_hours", "slower first touches ({})", "faster first touches ({})"),
    _entry("sla_compliance", "share", +1, "SLA compliance, own SLA"),
    *(
        _entry(
            f"sla_compliance_within_{w}", "share", +1, f"SLA compliance within {w} (same for all)"
        )
        for w in YARDSTICKS
    ),
    _entry("mqls_judged_for_sla", "count", +1, "MQLs judged for the SLA"),
    _entry("never_worked_share", "share", -1, "Never worked, share of MQLs"),
    # What going to market cost (record/costs.py), per year, and per unit.
    _yearly("lead_spend", -1, "Lead spend"),
    _yearly("program_spend", -1, "Program spend"),
    _yearly("marketing_spend", -1, "Marketing spend"),
    _yearly("sdr_cost", -1, "SDR cost"),
    _yearly("ae_cost", -1, "AE cost"),
    _yearly("gtm_cost", -1, "Go-to-market cost", "a higher go-to-market cost", "a lower one"),
    _yearly("bookings", +1, "Revenue", "more revenue", "less revenue"),
    _yearly("pipeline_created_value", +1, "Pipeline created", "more pipeline", "less pipeline"),
    _yearly("contribution", +1, "Contribution", "more contribution", "less contribution"),
    _entry("cost_per_lead", "money", -1, "Cost per lead", period="per lead"),
    _entry("cost_per_sql", "money", -1, "Cost per SQL", period="per SQL"),
    _entry("cost_per_opportunity", "money", -1, "Cost per opportunity", period="per opportunity"),
    _entry(
        "cost_per_won_deal",
        "money",
        -1,
        "Cost per won deal (CAC)",
        "a higher cost per won deal",
        "a lower cost per won deal",
        "per won deal",
    ),
    _entry("sqls_in_window", "count", +1, "SQLs qualified in the window"),
    _entry("sdr_utilisation", "share", +1, "SDR utilisation"),
    _entry("ae_utilisation", "share", +1, "AE utilisation"),
    # The run itself.
    _entry("leads_simulated", "count", +1, "Leads simulated"),
    _entry("events_scheduled", "count", +1, "Events scheduled"),
    _entry("events_per_lead", "count", +1, "Events per lead"),
    _entry("final_mql_threshold", "score", +1, "MQL threshold at the end"),
    # Whether the measured window is stationary (record/warmup.py).
    _entry("year_ratio_mqls", "ratio", 0, "Weekly MQLs, year 2 over year 1"),
    _entry("year_ratio_sqls", "ratio", 0, "Weekly SQLs, year 2 over year 1"),
    _entry("year_ratio_bookings", "ratio", 0, "Weekly bookings, year 2 over year 1"),
    _entry("mser5_weeks_mqls", "weeks", 0, "Warm-up MSER-5 suggests for MQLs"),
    _entry("mser5_weeks_sqls", "weeks", 0, "Warm-up MSER-5 suggests for SQLs"),
    _entry("mser5_weeks_bookings", "weeks", 0, "Warm-up MSER-5 suggests for bookings"),
    _entry("filling_mqls", "share", -1, "MQLs still filling up"),
    _entry("filling_sqls", "share", -1, "SQLs still filling up"),
    _entry("filling_bookings", "share", -1, "Bookings still filling up"),
    _entry(
        "window_stationary",
        "share",
        +1,
        "Stationary measured window",
        "more often a stationary window",
        "less often a stationary window",
    ),
    # Weekly series only (the others share their name with a figure above).
    _entry("new_leads", "count", 0, "New leads"),
    _entry("prospected", "count", 0, "Prospected by SDRs"),
    _entry("opportunities_created", "count", 0, "Opportunities created"),
    _entry("sdr_queue", "count", -1, "SDR queue"),
    _entry("ae_queue", "count", -1, "SQLs waiting for an AE"),
    _entry("sla_judged", "count", 0, "MQLs due for a first touch"),
    _entry("sla_on_time", "count", +1, "MQLs touched in time"),
    _entry("mql_threshold", "score", 0, "MQL threshold"),
]

_REACHED = {
    "mql": "MQL",
    "sal": "SAL",
    "sql": "SQL",
    "opportunity": "an opportunity",
    "won": "a win",
}
_STEPS = [*zip(["lead", *_REACHED], _REACHED, strict=False), ("lead", "won")]
"""The waterfall's conversions: each stage to the next, and lead to won."""


def _conversion(a: str, b: str) -> str:
    over = "all of them" if a == "lead" else f"those that ever reached {_REACHED[a]}"
    return (
        f"Of the {WINDOW}, those that ever reached {_REACHED[b]}, over {over}; leads still on "
        "their way count as not converted."
    )


_ABOUT = {
    "leakage_rate": f"{WINDOW.capitalize()} that leaked by the run's end, over all {WINDOW}. "
    "Leads still open at the end are not counted as leaked, and the later a lead was captured "
    "the less time it had: read it beside the share still open at the end.",
    **{f"conversion_{a}_to_{b}": _conversion(a, b) for a, b in _STEPS},
    "win_rate": "Deals closed won in the window, over all deals closed in it (won, lost, no "
    "decision, stalled, abandoned), from leads of any time.",
    "quota_attainment": "Revenue per AE per year in the window, over one AE's yearly quota.",
    "sla_compliance": f"MQLs first touched within the response time, over {JUDGED}.",
    **{
        f"sla_compliance_within_{time}": f"MQLs first touched within {time} of business time, "
        f"over the MQLs of the window whose deadline at {time} fell inside the run."
        for time in YARDSTICKS
    },
    "never_worked_share": f"MQLs that aged out of the SDR queue untouched, over {JUDGED}.",
    "sdr_utilisation": "SDR time spent on attempts in the window, over the desk's open time.",
    "ae_utilisation": "Open opportunities held over the window, over the AEs' slots.",
    **{
        f"filling_{name}": f"1 when the weekly {words} were still filling up over the window, "
        "else 0: over replications, the share of runs."
        for name, words in SERIES.items()
    },
    "window_stationary": "1 when the measured window is stationary, else 0: over "
    "replications, the share of runs.",
}
"""What each rate counts over what, beside the cohort outcomes' own."""

METRICS: dict[str, Metric] = {m.name: replace(m, about=_ABOUT.get(m.name, m.about)) for m in _ROWS}
"""Every figure by name: the runner's, and the weekly series' own."""

FUNNEL_STAGES = ("leads", "mqls", "sals", "sqls", "opportunities", "wins")
"""The waterfall's figures, stage by stage: leads of the cohort that ever reached each."""
LEAKAGE_REASONS = tuple(f"leaked_{reason}" for reason in LEAK_REASONS)
"""The leaked leads by reason, in the ledger's order of reasons."""
LEAKAGE_STAGES = tuple(f"leaked_in_{stage}" for stage in STAGE_OF_LEAK)
"""The leaked leads by the stage they leaked from."""

KEY_METRICS = (
    "bookings_per_year",
    "pipeline_created_value_per_year",
    "gtm_cost_per_year",
    "contribution_per_year",
    "win_rate",
    "lead_to_close_days_p50",
    "leakage_rate",
    "still_open_share",
    "leaked_within_365d",
    "speed_to_lead_hours_p50",
    "sla_compliance",
    "cost_per_won_deal",
)
"""The figures a comparison shows by default: revenue, pipeline, go-to-market cost and
contribution per year, win rate, lead to close, leakage with the leads still open beside it
and leakage within a year of capture, speed to lead, SLA compliance and cost per won deal;
revenue beside what it cost."""


def money_periods(names: Collection[str]) -> dict[str, str]:
    """The period of each money figure among ``names``: what a JSON document states beside
    its amounts."""
    return {name: METRICS[name].period for name in names if METRICS[name].kind == "money"}


def metric(name: str) -> Metric:
    """The entry of ``name``; an unknown name is an error, so a new figure must be added here."""
    try:
        return METRICS[name]
    except KeyError:
        raise FunnelsimError(
            f"unknown metric {name!r}: add it to funnelsim.record.registry"
        ) from None


def label(name: str) -> str:
    return metric(name).label


def unknown_metric(name: str, known: Collection[str]) -> str:
    """What a metric name that is not among ``known`` is told: the closest name, and the
    figures a comparison shows, since the whole list is long."""
    return (
        f"unknown metric {name!r}; {did_you_mean(name, known)}expected one of the "
        f"{len(known)} run metrics, such as {', '.join(KEY_METRICS)}"
    )
