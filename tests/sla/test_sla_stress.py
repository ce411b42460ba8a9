"""The SLA stress test: periods counted and judged, stresses, who breaches, capacity, CLI.

Most checks run on the bundled M/M/c scenario cut to 22 weeks: always open, Poisson MQLs,
exponential work, so what a clause should do follows from queueing theory, and a run takes a
fraction of a second.
"""

from __future__ import annotations

import json
import math
import shlex

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import funnelsim
from funnelsim.errors import ScenarioError, UsageError
from funnelsim.results import load_sla
from funnelsim.scenario import resolve
from funnelsim.sla import parse_proposal, prepare_study, read_proposal, stress_test
from funnelsim.sla.capacity import Search
from funnelsim.sla.judging import PeriodCounts, judge, period_edges
from funnelsim.sla.proposal import Clause
from funnelsim.sla.run import sdr_needed
from funnelsim.sla.stress import BUILT_IN, MIX_SHIFT, PEAK, SURGE
from tests.helpers import erlang_c

SHORT = {"horizon.length": "22w"}  # mmc starts 2026-01-05, warm-up 2 weeks: Feb to May judged
BUNDLED = "experiments/sla-proposal.yaml"


def mmc_proposal(marketing: dict | None = None, sales: dict | None = None):
    data = {"scenario": "mmc", "period": "month", "marketing": marketing or {}}
    return parse_proposal(data | {"sales": sales or {}}, "<test>")


def mmc_study(proposal, stresses=(), reps=2, **options):
    return prepare_study(proposal, stresses=list(stresses), reps=reps, overrides=SHORT, **options)


# -- periods -------------------------------------------------------------------------------------
def test_period_edges_are_the_whole_calendar_months_of_the_window():
    start = pd.Timestamp("2026-01-05").date()
    # Window from 2026-01-19 (day 14) to 2026-06-08 (day 154): February to May are whole.
    assert period_edges(start, 14, 154, "month").tolist() == [27, 55, 86, 116, 147]
    assert period_edges(start, 0, 154, "month")[0] == 27  # 5 January is not a month's start
    assert period_edges(start, 14, 154, "quarter").tolist() == []  # only April to June: cut
    assert period_edges(start, 14, 400, "quarter").tolist() == [86, 177, 269, 361]


def test_period_counts_match_a_count_by_calendar_month():
    scenario = funnelsim.load_scenario("mmc", overrides=SHORT)
    result = funnelsim.simulate(scenario, seed=3)
    counts = PeriodCounts("month", within="15m", attempts=1)(result)
    spells = result.ledger.spell_frame()
    month = (pd.Timestamp("2026-01-05") + pd.to_timedelta(spells["mql_at"], unit="D")).dt.to_period(
        "M"
    )
    wait_minutes = (spells["first_touch_at"] - spells["mql_at"]) * 24 * 60
    for row in counts.itertuples():
        mine = month == pd.Period(row.period_start, "M")
        assert row.mqls == mine.sum() > 5_000  # 9 an hour, every hour of a month
        assert row.on_time == ((wait_minutes <= 15 + 1e-9) & mine).sum()
        assert row.judged == row.mqls  # the run goes on long after every deadline
        assert row.accepted == row.mqls  # every buyer is reached and fit
        assert row.unreached == row.kept == 0 and row.settled


def test_judge_holds_counts_and_shares_and_skips_unsettled_periods():
    periods = pd.DataFrame(
        {
            "point": 0,
            "replication": 0,
            "policy": "base",
            "period": [0, 1, 2],
            "settled": [True, True, False],
            "mqls": [100, 90, 0],
            "sqls": [0, 0, 0],
            "accepted": [60, 40, 0],
            "judged": [100, 90, 0],
            "on_time": [91, 80, 0],
            "unreached": [0, 0, 0],
            "kept": [0, 0, 0],
        }
    )
    clauses = [
        Clause("marketing", "mql_volume", "month", 95, "", ""),
        Clause("marketing", "acceptance", "month", 0.5, "", ""),
        Clause("sales", "first_touch", "month", 0.9, "", "", within="1h"),
    ]
    judged = judge(periods, clauses).set_index(["clause", "period"])
    assert judged["held"].to_dict() == {
        ("mql_volume", 0): True,
        ("mql_volume", 1): False,  # 90 < 95
        ("mql_volume", 2): False,
        ("acceptance", 0): True,  # 60%
        ("acceptance", 1): False,  # 44%; period 2 is not settled: not judged
        ("first_touch", 0): True,  # 91%
        ("first_touch", 1): False,  # 88.9%
        ("first_touch", 2): True,  # no MQL to judge
    }
    assert judged.loc[("acceptance", 1), "value"] == pytest.approx(40 / 90)


# -- verdicts ------------------------------------------------------------------------------------
GENEROUS = ({"mqls": {"at_least": 1000}}, {"first_touch": {"within": "8h", "for_at_least": 0.5}})
SALES_CANNOT = (
    {"mqls": {"at_least": 1000}},
    {"first_touch": {"within": "1m", "for_at_least": 0.99}},
)
MARKETING_CANNOT = ({"mqls": {"at_least": 100_000}}, GENEROUS[1])


@pytest.mark.parametrize(
    ("clauses", "held", "first"),
    [
        (GENEROUS, {"mql_volume": 1.0, "first_touch": 1.0}, "neither"),
        (SALES_CANNOT, {"mql_volume": 1.0, "first_touch": 0.0}, "sales"),
        (MARKETING_CANNOT, {"mql_volume": 0.0, "first_touch": 1.0}, "marketing"),
    ],
    ids=["generous", "sales-cannot", "marketing-cannot"],
)
def test_a_proposal_holds_or_breaks_on_the_side_that_cannot_keep_it(clauses, held, first):
    # 6,500 MQLs a month against 1,000 or 100,000; 10 SDRs at load 0.9 touch about half of
    # the MQLs within a minute and nearly all within eight hours (Erlang C).
    sla = stress_test(mmc_study(mmc_proposal(*clauses)), capacity=False, workers=1)
    proposal = sla.compliance[sla.compliance["policy"] == "proposal"]
    assert proposal.set_index("clause")["held_share"].to_dict() == held
    assert (proposal["periods"] == 4).all()
    breaches = sla.breaches.set_index("policy").loc["proposal"]
    assert breaches[f"first_{first}"] == 1.0
    assert sla.document["baseline"] == "base"


def test_the_first_touch_headcount_matches_erlang_c_staffing():
    # 80% of MQLs touched within 15 minutes, 9 MQLs an hour, one hour of work each.
    within, share, offered = 0.25, 0.8, 9.0

    def service_level(c: int) -> float:
        return 1 - erlang_c(c, offered) * math.exp(-(c - offered) * within)

    staffed = next(c for c in range(10, 30) if service_level(c) >= share)
    assert service_level(staffed - 1) < share - 0.05 < share + 0.05 < service_level(staffed)
    proposal = mmc_proposal(sales={"first_touch": {"within": "15m", "for_at_least": share}})
    found = sdr_needed(mmc_study(proposal), workers=1)
    assert found["needed"] == staffed == 12
    probes = sorted((p["headcount"], p["held_share"]) for p in found["probes"])
    shares = [s for _, s in probes]
    assert shares == sorted(shares)  # monotone in headcount
    assert {h: p["holds"] for h, p in ((p["headcount"], p) for p in found["probes"])} == {
        h: h >= staffed for h, _ in probes
    }


@given(
    threshold=st.integers(1, 90),
    start=st.integers(1, 80),
)
def test_the_headcount_search_finds_the_threshold_with_few_probes(threshold, start):
    search = Search(lambda n: n >= threshold, ceiling=80)
    found = search.smallest(start)
    assert found == (threshold if threshold <= 80 else None)
    assert max(search.probes) <= 80
    assert len(search.probes) <= 2 * math.ceil(math.log2(80)) + 2


# -- stresses ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bundled_study():
    proposal = read_proposal(BUNDLED)
    return prepare_study(proposal, source=BUNDLED, stresses=list(BUILT_IN), reps=2)


def _marketing(scenario):
    return {n: s for n, s in scenario.sources.items() if not s.skips_nurture}


def first_quarter(scenario) -> tuple[float, float]:
    """The first whole calendar quarter of the measured window, in days from the start."""
    h = scenario.horizon
    start, end = period_edges(scenario.start_date, h.warmup, h.length, "quarter")[:2]
    return float(start), float(end)


def test_built_in_stresses_change_what_they_say(bundled_study):
    names = [c.name for c in bundled_study.conditions]
    assert names == ["normal", "surge", "lost_sdrs", "seasonal_peak", "lower_fit_mix"]
    for policy in (0, 1):
        normal = bundled_study.scenario(0, policy)
        surge, lost, peak, mix = (bundled_study.scenario(k, policy) for k in range(1, 5))
        # The bundled window opens 65 weeks in, on 5 April 2027: the surge's quarter is
        # 1 July (day 542) to 1 October 2027.
        start, end = first_quarter(normal)
        for name, source in normal.sources.items():
            burst = surge.sources[name].bursts[len(source.bursts) :]
            if source.skips_nurture:
                assert not burst and surge.sources[name] == source
            else:
                assert [(b.start, b.length, b.factor) for b in burst] == [
                    (start, end - start, SURGE)
                ]
            base = np.asarray(source.seasonality or [1.0] * 12)
            factors = np.asarray(peak.sources[name].seasonality or [1.0] * 12)
            lift = np.ones(12) if source.skips_nurture else np.r_[[1] * 9, PEAK, PEAK, 1]
            np.testing.assert_allclose(factors, base * lift)
        # a quarter of each policy's own desk, rounded, at least one: one of the baseline's
        # five, two of the proposal's six
        desk = normal.sdr.headcount
        assert lost.sdr.headcount == desk - max(1, round(desk / 4)) >= 1
        before, after = _marketing(normal), _marketing(mix)
        total = sum(s.rate_per_week for s in before.values())
        assert sum(s.rate_per_week for s in after.values()) == pytest.approx(total)
        mean_fit = sum(s.rate_per_week * s.fit.mean() for s in before.values()) / total
        for name, source in before.items():
            if source.fit.mean() < mean_fit:
                assert after[name].rate_per_week == pytest.approx(
                    source.rate_per_week * (1 + MIX_SHIFT)
                )
        assert sum(s.rate_per_week * s.fit.mean() for s in after.values()) / total < mean_fit


def test_each_stress_is_judged_in_its_own_window(bundled_study):
    # The bundled proposal's window runs from 5 April 2027 (65 weeks in) to 1 April 2029: its
    # whole months are May 2027 (period 0) to March 2029 (period 22); the surge's quarter is
    # July to September 2027 (periods 2 to 4), the peaks October and November of both years
    # (periods 5, 6, 17 and 18).
    scenario = bundled_study.scenario(0, 1)
    h = scenario.horizon
    edges = period_edges(scenario.start_date, h.warmup, h.length, "month")[:-1]
    starts = pd.Timestamp(scenario.start_date) + pd.to_timedelta(edges, unit="D")
    surge_start, surge_end = first_quarter(scenario)
    surge = [k for k, day in enumerate(edges) if surge_start <= day < surge_end]
    peaks = [k for k, month in enumerate(starts.month) if month in (10, 11)]
    assert len(surge) == 3 and len(peaks) == 4  # a quarter; two months in each of two years
    months = pd.DataFrame({"period": range(len(edges))})
    periods = pd.concat([months.assign(point=k) for k in range(5)], ignore_index=True)
    periods = periods.assign(replication=0, policy=0, settled=True, mqls=1, sqls=0)
    periods = periods.assign(accepted=0, judged=0, on_time=0, unreached=0, kept=0)
    judged = bundled_study.judged(periods)
    volume = judged[judged["clause"] == "mql_volume"].groupby("point")["period"].apply(list)
    assert volume[0] == volume[2] == volume[4] == list(range(len(edges)))
    assert volume[1] == surge  # the surge's quarter
    assert volume[3] == peaks  # the peaks: October and November, both years


def test_replay_overrides_rebuild_every_scenario(bundled_study):
    plan = bundled_study.plan
    policies = [bundled_study.baseline, None]
    for point, row in enumerate(plan.replay["sets"]):
        for k, sets in enumerate(row):
            _, scenario = resolve(bundled_study.scenario_path, policies[k], sets)
            assert scenario.model_dump(mode="json", by_alias=True) == plan.scenarios[point][k]


def test_a_stress_file_applies_on_top_of_each_policy_and_its_errors_name_the_file(tmp_path):
    good = tmp_path / "two_sdrs.yaml"
    good.write_text("sdr:\n  headcount: 2\n")
    study = mmc_study(mmc_proposal(GENEROUS[0]), stresses=[str(good)])
    assert [c.name for c in study.conditions] == ["normal", "two_sdrs"]
    alone = mmc_study(mmc_proposal(GENEROUS[0]), stresses=["normal"])
    assert [c.name for c in alone.conditions] == ["normal"]
    assert study.scenario(1, 0).sdr.headcount == study.scenario(1, 1).sdr.headcount == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("sdr:\n  headcount: 2\n  work_time: fast\n")
    with pytest.raises(ScenarioError) as caught:
        mmc_study(mmc_proposal(GENEROUS[0]), stresses=[str(bad)])
    (problem,) = caught.value.problems
    assert (problem.source, problem.path, problem.line) == (str(bad), "sdr.work_time", 3)
    unknown = r"unknown stress 'surf'; did you mean 'surge'\? expected a stress file or"
    with pytest.raises(UsageError, match=unknown):
        mmc_study(mmc_proposal(GENEROUS[0]), stresses=["surf"])


def test_a_window_without_a_whole_period_is_refused_before_anything_runs():
    quarterly = parse_proposal({"scenario": "mmc", "period": "quarter"} | {"sales": {
        "first_touch": {"within": "1h", "for_at_least": 0.5}}}, "<test>")  # fmt: skip
    with pytest.raises(UsageError) as caught:
        mmc_study(quarterly)  # 19 January to 8 June 2026: no whole quarter
    assert str(caught.value) == (
        "<proposal>: the measured window, 2026-01-19 to 2026-06-08, holds no whole calendar "
        "quarter to judge; lengthen horizon.length (e.g. with set:) or judge by month"
    )


# -- runs and the command ------------------------------------------------------------------------
def test_the_normal_condition_replays_as_a_plain_run():
    study = mmc_study(mmc_proposal(*GENEROUS), reps=2)
    sla = stress_test(study, capacity=False, workers=1)
    runs = sla.results.runs
    row = runs[(runs["policy"] == "proposal") & (runs["replication"] == 1)].iloc[0]
    direct = funnelsim.simulate(study.scenario(0, 1), seed=int(row["seed"]))
    assert row["bookings"] == direct.summary["metrics"]["bookings"]
    periods = sla.results.periods
    mine = periods[(periods["policy"] == "proposal") & (periods["replication"] == 1)]
    expected = study.plan.periods(direct)
    assert mine["on_time"].tolist() == expected["on_time"].tolist()


def write_proposal(tmp_path, text: str):
    path = tmp_path / "proposal.yaml"
    path.write_text(text)
    return path


PROPOSAL = """\
name: Test SLA
scenario: mmc
marketing:
  mqls: {at_least: 1000}
sales:
  first_touch: {within: 15m, for_at_least: 0.8}
"""


def test_sla_command_writes_its_verdict_and_resumes(cli, tmp_path):
    path, out = write_proposal(tmp_path, PROPOSAL), tmp_path / "out"
    args = ["sla", str(path), "--set", "horizon.length=22w", "--stress", "lost_sdrs"]
    args += ["--reps", "2", "--workers", "1", "--out", str(out)]
    shown = cli(*args, "--no-capacity")
    assert shown.exit_code == 0, shown.output
    assert "Chance each clause holds in a month" in shown.stdout
    assert "Who breaches first" in shown.stdout and "lost sdrs" in shown.stdout
    again = cli(*args, "--no-capacity", "--json")
    assert again.exit_code == 2 and "--resume" in again.stderr
    resumed = cli(*args, "--no-capacity", "--json", "--resume")
    assert resumed.exit_code == 0, resumed.output
    document = json.loads(resumed.stdout)
    assert document == load_sla(out).document
    assert [c["name"] for c in document["conditions"]] == ["normal", "lost_sdrs"]
    assert {(r["condition"], r["policy"]) for r in document["compliance"]} == {
        (c, p) for c in ("normal", "lost_sdrs") for p in ("base", "proposal")
    }
    assert (out / "compliance.csv").exists() and (out / "periods.parquet").exists()


def test_sla_command_reports_bad_input_and_exits_2(cli, tmp_path):
    path = write_proposal(tmp_path, PROPOSAL.replace("at_least: 1000", "at_lest: 1000"))
    bad = cli("sla", str(path), "--out", str(tmp_path / "out"))
    assert bad.exit_code == 2
    assert f"{path}:4: marketing.mqls.at_lest: unknown key" in bad.stderr
    assert "Traceback" not in bad.output and not (tmp_path / "out").exists()
    typo = write_proposal(tmp_path, PROPOSAL + "set:\n  sdr.headcont: 3\n")
    bad = cli("sla", str(typo), "--out", str(tmp_path / "out"))
    assert bad.exit_code == 2
    assert f"{typo}:8: set.sdr.headcont: unknown key; did you mean 'headcount'?" in bad.stderr
    good = write_proposal(tmp_path, PROPOSAL)
    unknown = cli("sla", str(good), "--stress", "surf", "--out", str(tmp_path / "out"))
    assert unknown.exit_code == 2 and "unknown stress 'surf'" in unknown.stderr
    assert not (tmp_path / "out").exists()


def test_a_replay_command_rebuilds_a_stressed_run(cli, tmp_path):
    from funnelsim.views.tables.experiments import replay_command

    stress = tmp_path / "slow.yaml"
    stress.write_text("sdr:\n  work_time: {exponential: {mean: 70m}}\n")
    study = mmc_study(mmc_proposal(*GENEROUS), stresses=[str(stress)], reps=2)
    sla = stress_test(study, capacity=False, workers=1)
    runs = sla.results.runs
    row = runs[
        (runs["point"] == 1) & (runs["policy"] == "proposal") & (runs["replication"] == 1)
    ].iloc[0]
    words = shlex.split(replay_command(sla.results, row))
    assert words[:3] == ["funnelsim", "run", "mmc"] and "--policy" not in words
    assert "sdr.work_time={exponential: {mean: 70m}}" in words
    replayed = cli(*words[1:], "--json")
    assert replayed.exit_code == 0, replayed.output
    assert json.loads(replayed.stdout)["metrics"]["bookings"] == row["bookings"]


@pytest.mark.parametrize(
    "layout", [("a/x.yaml", "b/x.yaml"), ("normal.yaml",), ("lost_sdrs.yaml",)]
)
def test_two_conditions_of_one_name_are_refused_naming_both(tmp_path, layout):
    files = []
    for name in layout:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("sdr:\n  headcount: 2\n")
        files.append(str(path))
    stresses = [*files, "lost_sdrs"] if "lost_sdrs" in layout[0] else files
    with pytest.raises(UsageError, match=r"--stress: .* are both named '(x|normal|lost_sdrs)'"):
        mmc_study(mmc_proposal(GENEROUS[0]), stresses=stresses)
