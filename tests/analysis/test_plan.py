"""``funnelsim plan``: targets, periods and levers read; the search against hand-computed
plans, Erlang C and monotone chances; the waterfall's plan; a folder that resumes."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import funnelsim
from funnelsim.analysis.planning import plan_target
from funnelsim.analysis.planning.erlang import erlang_c, service_level, staffing
from funnelsim.analysis.planning.evaluate import Evaluator, Setting
from funnelsim.analysis.planning.levers import hire_day, parse_lever
from funnelsim.analysis.planning.months import month_edges
from funnelsim.analysis.planning.target import parse_amount, parse_period, parse_target
from funnelsim.errors import UsageError
from funnelsim.experiments.execution import InProcess
from funnelsim.model.roster import MONTH
from tests.helpers import erlang_c as erlang_c_by_factorials

# The SDR desk and the AEs as two fixed-rate stations, nothing random that matters: MQLs
# arrive 5 an hour (all in market, all qualify, buyers wait for ever), each SDR works one an
# hour, each AE closes one deal a day (one open at a time, a one-day stage always won). In
# February (28 days), with whichever station is short busy all month, deals won are
# min(24 x 28 x SDRs, 28 x AEs) as long as both are below the 120 MQLs a day: 672 per SDR
# (up to 4), 28 per AE (up to 120).
STATIONS = {
    "sources.poisson.rate_per_week": 840,
    "sources.poisson.in_market": 1.0,
    "sdr.work_time": {"constant": {"value": "1h"}},
    "sdr.qualify": {"in_market": 1.0, "not_in_market": 1.0},
    "sales.ae_count": 100,
    "sales.max_open_per_ae": 1,
    "nurture.buying_window.length": {"constant": {"value": "1000w"}},
    "cost.sdr_per_year": 100_000,
    "cost.ae_per_year": 100_000,
}
FEBRUARY = "2026-02"


def stations(target: str, levers: list[str], **options):
    return plan_target("mmc", overrides=STATIONS, target=target, period=FEBRUARY,
                       levers=levers, probability=0.5, reps=2, workers=1, **options)  # fmt: skip


# -- reading what is asked -------------------------------------------------------------------------
def test_targets_amounts_and_periods_read_as_written():
    assert parse_amount("40M") == 40e6 and parse_amount("2.5k") == 2500
    assert parse_amount("40,000,000") == 40e6 and parse_amount("0.8") == 0.8
    target = parse_target("bookings=40M")
    assert (target.metric, target.value, target.better) == ("bookings", 40e6, 1)
    assert target.hit(np.array([39.9e6, 40e6, np.nan])).tolist() == [False, True, False]
    faster = parse_target("speed_to_lead_hours_p50=2")
    assert faster.better == -1 and faster.hit(np.array([1.5, 2.5])).tolist() == [True, False]
    year, quarter, month = (parse_period(p) for p in ("2027", "2027Q4", "2027-02"))
    assert (str(year.start), str(year.end)) == ("2027-01-01", "2028-01-01")
    assert (str(quarter.start), str(quarter.end)) == ("2027-10-01", "2028-01-01")
    assert (str(month.start), str(month.end)) == ("2027-02-01", "2027-03-01")
    span = parse_period("2027-01-15..2027-01-31")
    assert (span.end - span.start).days == 17  # both days included


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("bookings", "expected METRIC=AMOUNT"),
        ("bookins=40M", "unknown metric 'bookins'; did you mean 'bookings'"),
        ("still_open_share=0.2", "is neither better higher nor lower"),
        ("bookings=lots", "expected an amount such as 40M"),
        ("sla_compliance=80", "is a share; expected a value in [0, 1]"),
    ],
)
def test_a_bad_target_is_refused_with_what_was_expected(target, expected):
    with pytest.raises(UsageError, match=None) as info:
        parse_target(target)
    assert expected in str(info.value) and str(info.value).startswith(f"--target {target!r}")


@pytest.mark.parametrize("period", ["27", "2027Q5", "2027-13", "2027-02-01..2027-01-01", "next"])
def test_a_bad_period_is_refused(period):
    with pytest.raises(UsageError) as info:
        parse_period(period)
    assert str(info.value).startswith(f"--period {period!r}: ")


@pytest.mark.parametrize(
    ("lever", "expected"),
    [
        ("sdrs", "unknown lever 'sdrs'; expected one of ['sdr', 'ae', 'leads.inbound'"),
        ("sdr=9:5", "expected LOW < HIGH, got 9 and 5"),
        ("sdr=5:9.5", "counts heads; expected whole numbers"),
        ("sdr=0:9", "expected at least one head"),
        ("ae=10:twenty", "expected ae=LOW:HIGH or ae=LOW:HIGH:STEP"),
        ("leads.paid=100:200:500", "expected a step in (0, HIGH - LOW]"),
    ],
)
def test_a_bad_lever_or_bounds_is_refused(lever, expected):
    reference = funnelsim.load_scenario("reference")
    with pytest.raises(UsageError) as info:
        parse_lever(lever, reference)
    assert expected in str(info.value)


def test_bounds_past_what_a_scenario_takes_or_a_planned_source_are_refused():
    reference = funnelsim.load_scenario("reference")
    with pytest.raises(UsageError, match="expected HIGH at most 1,000, got 2000"):
        parse_lever("sdr=1:2000", reference)
    with pytest.raises(UsageError, match="expected HIGH at most 100,000"):
        parse_lever("leads.paid=100:200000:1000", reference)
    planned = funnelsim.load_scenario(
        "reference", overrides={"sources.paid.rate_changes": [{"at": "4w", "rate_per_week": 200}]}
    )
    with pytest.raises(UsageError, match="already plans this source's volume"):
        parse_lever("leads.paid", planned)


def test_a_lever_without_bounds_runs_from_today_upward():
    reference = funnelsim.load_scenario("reference")
    sdr, paid = parse_lever("sdr", reference), parse_lever("leads.paid", reference)
    assert (sdr.low, sdr.high, sdr.step, sdr.levels) == (5, 15, 1, 11)
    assert (paid.low, paid.high, paid.step) == (140, 560, 20)  # 420 / 40 steps: 10.5 -> 20
    assert paid.index(150) == 1 and paid.at(1) == 160
    inbound = parse_lever("leads.inbound", reference)  # 170 to 680 by 20: the top on the grid
    assert (inbound.step, inbound.high, inbound.at(inbound.levels - 1)) == (20, 670, 670)


def test_a_period_before_time_zero_or_a_bad_chance_is_refused_before_anything_runs():
    with pytest.raises(UsageError, match="starts before the scenario's start_date"):
        plan_target("mmc", target="deals_won=10", period="2025", levers=["sdr"])
    with pytest.raises(UsageError, match=r"expected a chance in \(0, 1\)"):
        plan_target("mmc", target="deals_won=10", period="2026", levers=["sdr"], probability=1)
    with pytest.raises(UsageError, match=r"--objective 'cheap': expected one of \['spend'"):
        plan_target("mmc", target="deals_won=10", period="2026", levers=["sdr"], objective="cheap")
    with pytest.raises(UsageError, match="each lever once"):
        plan_target("mmc", target="deals_won=10", period="2026", levers=["sdr", "sdr=2:4"])


# -- the search against hand-computed plans --------------------------------------------------------
def test_one_lever_finds_the_sdr_count_a_fixed_rate_desk_needs():
    # 1,700 deals in February: 672 an SDR (2 SDRs: 1,344, 3: 2,016); 100 AEs close 2,800.
    plan = stations("deals_won=1700", ["sdr=1:12"], objective="period_spend")
    assert plan.document["method"]["objective"]["name"] == "period_spend"
    pick = plan.document["pick"]
    assert pick["levels"] == {"sdr": 3.0} and pick["mean"] == 2016
    assert pick["chance"] == 1.0 and pick["probability_correct_selection"] > 0.95
    runs = plan.evaluations.set_index("sdr")
    assert runs.loc[2.0, "mean"] == 1344 and runs.loc[2.0, "chance"] == 0.0
    assert plan.document["method"]["search"] == "bisection"


def test_two_levers_find_the_cheapest_plan_and_the_waterfall_scales_today():
    # 1,700 deals: 3 SDRs (2,016) and 70 AEs (1,960; 60 close 1,680), 100k a year each head.
    plan = stations("deals_won=1700", ["sdr=1:12", "ae=20:140:10"])
    doc = plan.document
    assert doc["pick"]["levels"] == {"sdr": 3.0, "ae": 70.0}
    assert doc["pick"]["mean"] == 1960
    # Today (10 SDRs, 100 AEs) the AEs bind: 2,800 deals; the waterfall scales every team by
    # 1,700 / 2,800 and rounds up (to the lever's grid): 7 SDRs, 70 AEs.
    assert doc["baseline"]["mean"] == 2800
    growth = 1700 / 2800
    assert doc["waterfall"]["levels"] == {"sdr": math.ceil(10 * growth), "ae": 70.0}
    assert doc["pick"]["spend"] < doc["waterfall"]["spend"]  # four SDRs fewer
    assert set(plan.evaluations["stage"]) >= {"coarse design", "local search", "final check"}


def test_no_plan_within_the_bounds_says_how_close_the_highest_comes():
    plan = stations("deals_won=2500", ["sdr=1:12", "ae=20:80:10"])  # 80 AEs close 2,240
    assert plan.document["pick"] is None
    assert plan.document["unreachable"]["levels"] == {"sdr": 12.0, "ae": 80.0}
    assert plan.document["unreachable"]["mean"] == 2240


def test_the_chance_grows_with_each_lever_under_common_random_numbers():
    scenario = funnelsim.load_scenario("mmc")
    levers = (
        parse_lever("sdr=9:14", scenario),
        parse_lever("leads.poisson=1000:1600:100", scenario),
    )
    setting = Setting(scenario, "mmc", None, {}, levers, parse_target(
        "sla_compliance_within_15m=0.8"), parse_period(FEBRUARY), seed=3)  # fmt: skip
    evaluator = Evaluator(setting, InProcess())
    by_sdr = [(float(c), 1512.0) for c in range(9, 15)]
    by_leads = [(11.0, float(v)) for v in range(1600, 999, -100)]  # fewer MQLs: less waiting
    evaluator.run(by_sdr + by_leads, 6)
    for plans in (by_sdr, by_leads):
        chances = [evaluator.estimate(p).chance for p in plans]
        means = [evaluator.estimate(p).mean for p in plans]
        assert chances == sorted(chances) and chances[0] < chances[-1]
        assert means == sorted(means)


def test_the_sdr_count_for_first_touch_compliance_agrees_with_erlang_c():
    # 9 MQLs an hour, one hour of work each, 80% touched within 15 minutes: 12 SDRs.
    assert staffing(9.0, 0.25, 0.8) == 12
    for c in range(10, 16):  # the recursion against the textbook's factorials
        assert erlang_c(c, 9.0) == pytest.approx(erlang_c_by_factorials(c, 9.0), rel=1e-12)
    assert service_level(11, 9.0, 0.25) < 0.8 < service_level(12, 9.0, 0.25)
    plan = plan_target("mmc", target="sla_compliance_within_15m=0.8", period=FEBRUARY,
                       levers=["sdr=8:20"], probability=0.5, reps=6, workers=1)  # fmt: skip
    check = plan.document["erlang_c"]
    assert check["applies"] and check["sdrs"] == 12 and check["agrees"]
    assert abs(plan.document["pick"]["levels"]["sdr"] - 12) <= 1
    assert check["mqls_per_hour"] == pytest.approx(9.0, rel=0.03)


# -- hires, ramps, attrition and what they cost ---------------------------------------------------
def test_hires_start_a_ramp_before_the_period_and_cost_what_the_months_say(tmp_path):
    sets = {**STATIONS, "sdr.headcount": 1, "sdr.staffing.ramp": [0.5, 0.5],
            "cost.sdr_hire": 5000, "sources.poisson.cost_per_lead": 2.0}  # fmt: skip
    plan = plan_target("mmc", overrides=sets, target="deals_won=1700", period="2026-04",
                       levers=["sdr=1:6"], probability=0.5, reps=2, workers=1,
                       out=tmp_path)  # fmt: skip
    doc = plan.document
    (change,) = doc["pick"]["changes"]
    # Two months of ramp before 1 April (day 86 from 5 January): day 86 - 2 x 30.44 = 25.
    assert hire_day(86.0, [0.5, 0.5]) == round(86 - 2 * MONTH) == 25
    assert change["start"] == "2026-01-30"
    months = plan.months[plan.months["plan"] == "pick"].set_index("period")
    # 1,700 deals in April's 30 days: 720 an SDR, so 3 SDRs, two of them hires.
    assert doc["pick"]["levels"] == {"sdr": 3.0} and change["hires"] == 2
    assert months["sdr_hires"].tolist() == [2, 0, 0, 0]
    assert np.allclose(months["sdr_heads"], [1 + 2 * 2 / 27, 3, 3, 3])  # hired on day 25 of 27
    # Each month's spend is its parts; people cost is head-days at the yearly cost plus hires.
    parts = months[["lead_spend", "program_spend", "sdr_cost", "ae_cost"]].sum(axis=1)
    assert np.allclose(months["spend"], parts)
    people = months["sdr_heads"] * months["days"] * 100_000 / 365.25 + months["sdr_hires"] * 5000
    assert np.allclose(months["sdr_cost"], people)
    assert np.allclose(months["lead_spend"], 2.0 * months["leads"])
    # The period's spend is the run's own go-to-market cost over its window.
    assert doc["pick"]["period_spend"] == pytest.approx(months.loc["2026-04", "spend"], rel=1e-9)


def test_the_months_of_a_team_that_turns_over_keep_its_headcount_flow():
    sets = {"sdr.staffing": {"attrition": {"per_year": 4.0, "backfill": "10d"}, "ramp": [0.5]},
            "horizon.length": "300d"}  # fmt: skip
    result = funnelsim.simulate(funnelsim.load_scenario("mmc", overrides=sets), seed=2)
    from funnelsim.analysis.planning.months import Months

    months = Months()(result)
    roster = result.teams.sdr
    end = result.scenario.horizon.length
    on_team_at_end = int(((roster.joins <= end) & (roster.leaves > end)).sum())
    flow = 10 + months["sdr_hires"].sum() - months["sdr_leavers"].sum()
    assert months["sdr_leavers"].sum() > 10  # about 4 x 10 x 300 / 365
    assert flow == on_team_at_end
    assert np.allclose((months["sdr_heads"] * months["days"]).sum(), roster.head_days(0, end))
    captured = result.ledger.created[(result.ledger.created >= 0) & (result.ledger.created < end)]
    assert months["leads"].sum() == months["leads_poisson"].sum() == len(captured)


def test_month_edges_follow_the_calendar():
    import datetime as dt

    edges, names = month_edges(dt.date(2026, 1, 5), 55.0)
    assert names == ["2026-01", "2026-02"] and edges.tolist() == [0.0, 27.0, 55.0]


# -- the folder ------------------------------------------------------------------------------------
def test_a_plan_folder_resumes_without_running_again_and_refuses_another_plan(tmp_path):
    first = stations("deals_won=1700", ["sdr=1:12"], out=tmp_path / "p")
    counted = []
    again = stations("deals_won=1700", ["sdr=1:12"], out=tmp_path / "p", resume=True,
                     on_progress=lambda done, total: counted.append(done))  # fmt: skip
    assert counted == [] and again.document["pick"] == first.document["pick"]
    assert json.loads((tmp_path / "p" / "plan.json").read_text())["pick"]["levels"] == {"sdr": 3.0}
    with pytest.raises(UsageError, match="already holds a plan"):
        stations("deals_won=1700", ["sdr=1:12"], out=tmp_path / "p")
    with pytest.raises(UsageError, match="holds a plan for another target"):
        stations("deals_won=1800", ["sdr=1:12"], out=tmp_path / "p", resume=True)


LUCK = {**STATIONS, "sdr.work_time": {"exponential": {"mean": "1h"}}}
"""The stations with some luck in them: SDR work times exponential."""


def lucky(levers: list[str], **options):
    return plan_target("mmc", overrides=LUCK, target="deals_won=1700", period=FEBRUARY,
                       levers=levers, probability=0.5, **options)  # fmt: skip


def test_an_interrupted_plan_resumes_to_the_same_answer_on_any_number_of_workers(tmp_path):
    # Run on one worker, a third of the chunks lost, resumed on two: only what was lost runs
    # again, and every answer is the same to the bit.
    first = lucky(["sdr=1:6", "ae=40:100:20"], reps=4, workers=1, out=tmp_path / "p")
    lost = sorted((tmp_path / "p" / "parts").glob("*-runs.parquet"))[::3]
    runs_lost = sum(len(pd.read_parquet(part)) for part in lost)
    for part in lost:  # as if these chunks had not landed when the run stopped
        part.unlink()
        part.with_name(part.name.replace("-runs", "-months")).unlink()
    done = []
    again = lucky(["sdr=1:6", "ae=40:100:20"], reps=4, workers=2, out=tmp_path / "p",
                  resume=True, on_progress=lambda n, total: done.append(n))  # fmt: skip
    assert 0 < runs_lost == done[-1]
    assert again.document["pick"] == first.document["pick"]
    assert again.evaluations.equals(first.evaluations) and again.months.equals(first.months)


def test_overwrite_removes_a_plan_s_own_files_and_nothing_else(tmp_path):
    folder = tmp_path / "p"
    stations("deals_won=1700", ["sdr=1:12"], out=folder)
    (folder / "notes.txt").write_text("mine")
    stations("deals_won=1700", ["sdr=1:12"], out=folder, overwrite=True)
    assert (folder / "notes.txt").read_text() == "mine" and (folder / "plan.json").exists()
    other = tmp_path / "other"
    other.mkdir()
    (other / "setting.json").write_text('{"key": "not a plan"}')
    for how in ({"overwrite": True}, {"resume": True}):
        with pytest.raises(UsageError, match="exists and is not a plan's folder"):
            stations("deals_won=1700", ["sdr=1:12"], out=other, **how)
    assert sorted(p.name for p in other.iterdir()) == ["setting.json"]


def test_a_hire_the_ramp_puts_before_time_zero_starts_on_day_zero_and_is_paid_for():
    # A three-month ramp for a February period: the hires would start in November; they
    # start on the first day, and their fee and days are counted there.
    sets = {**STATIONS, "sdr.headcount": 1, "sdr.staffing.ramp": [0.5, 0.5, 0.5],
            "cost.sdr_hire": 5000}  # fmt: skip
    plan = plan_target("mmc", overrides=sets, target="deals_won=1700", period=FEBRUARY,
                       levers=["sdr=1:6"], probability=0.5, reps=2, workers=1)  # fmt: skip
    (change,) = plan.document["pick"]["changes"]
    assert change["start"] == "2026-01-05" and change["hires"] >= 2
    january = plan.months_of("pick").set_index("period").loc["2026-01"]
    assert january["sdr_hires"] == change["hires"]
    heads = 1 + change["hires"]
    assert january["sdr_cost"] == pytest.approx(
        heads * 27 * 100_000 / 365.25 + change["hires"] * 5000
    )


def test_the_chance_and_the_bookings_grow_with_the_aes_and_with_the_leads():
    scenario = funnelsim.load_scenario("mmc", overrides=LUCK)
    levers = (parse_lever("ae=20:140:20", scenario), parse_lever("leads.poisson=200:800:100",
              scenario))  # fmt: skip
    setting = Setting(scenario, "mmc", None, LUCK, levers, parse_target("deals_won=1000"),
                      parse_period(FEBRUARY), seed=5)  # fmt: skip
    evaluator = Evaluator(setting, InProcess())
    by_ae = [(float(a), 840.0) for a in range(20, 141, 20)]  # 28 deals an AE, up to 120 a day
    by_leads = [(140.0, float(v)) for v in range(200, 801, 100)]  # 10 SDRs, AEs to spare
    evaluator.run(by_ae + by_leads, 4)
    for plans in (by_ae, by_leads):
        chances = [evaluator.estimate(p).chance for p in plans]
        means = [evaluator.estimate(p).mean for p in plans]
        assert chances == sorted(chances) and chances[0] == 0 and chances[-1] == 1
        assert means == sorted(means) and len(set(means)) == len(means)
