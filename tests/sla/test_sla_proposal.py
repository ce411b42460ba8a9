"""SLA proposals: the file, its policy overlay, its clauses, and clear errors for bad files."""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import pytest
import yaml

import funnelsim
from funnelsim.base.units import parse_duration
from funnelsim.errors import ScenarioError
from funnelsim.experiments.spec import bundled_experiment
from funnelsim.sla import Clause, Proposal, parse_proposal, read_proposal
from funnelsim.sla.proposal import attempt_spacing, business_words

BUNDLED = bundled_experiment("sla-proposal")

GOOD = """\
name: test
scenario: reference
baseline: misaligned
period: month
marketing:
  mqls: {at_least: 1000, per: month}
  accepted: {at_least: 0.6}
sales:
  first_touch: {within: 4h, for_at_least: 0.9}
  attempts: {at_least: 6, over: 10d}
  unengaged_to_nurture_after: 30d
  stalled_to_marketing_after: 45d
levers:
  scoring: {mql_threshold: 58}
"""


def write(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        read_proposal(path)
    return [str(p) for p in caught.value.problems]


def leaves(data, key=()):
    if isinstance(data, dict) and data:
        for k, v in data.items():
            yield from leaves(v, (*key, k))
    else:
        yield key, data


def at(data, key):
    for part in key:
        data = data[part]
    return data


# -- the bundled proposal ---------------------------------------------------------------------
def raw_bundled() -> dict:
    return yaml.safe_load(BUNDLED.read_text())


def test_bundled_proposal_parses_and_its_overlay_is_what_the_clauses_imply():
    proposal, raw = read_proposal(BUNDLED), raw_bundled()
    assert proposal.scenario == "reference" and proposal.baseline == "misaligned"
    sales, levers = raw["sales"], raw["levers"]
    attempts = sales["attempts"]
    assert proposal.overlay() == {
        "sla": {"response_time": sales["first_touch"]["within"], "enforced": True},
        "sdr": {
            "attempts": attempts["at_least"],
            "attempt_spacing": attempt_spacing(attempts["at_least"], attempts["over"]),
            **levers["sdr"],
        },
        "recycle": {
            "unreachable": {"enabled": True, "delay": sales["unengaged_to_nurture_after"]},
            "stalled": {"enabled": True},
        },
        "sales": {"stall_after": sales["stalled_to_marketing_after"]},
        "scoring": levers["scoring"],
    }
    # as written today: six attempts over ten business days are two days apart
    assert proposal.overlay()["sdr"]["attempt_spacing"] == "2d"


def test_bundled_overlay_resolves_as_a_policy_file_and_every_key_it_writes_moves_the_reference(
    tmp_path,
):
    proposal, raw = read_proposal(BUNDLED), raw_bundled()
    policy = tmp_path / "proposal-policy.yaml"
    policy.write_text(yaml.safe_dump(proposal.overlay()))
    scenario = funnelsim.load_scenario(policy=str(policy))
    sales, levers = raw["sales"], raw["levers"]
    assert scenario.sla.response_time == sales["first_touch"]["within"] and scenario.sla.enforced
    assert scenario.sdr.attempts == sales["attempts"]["at_least"]
    assert scenario.sdr.attempt_spacing == proposal.overlay()["sdr"]["attempt_spacing"]
    assert scenario.sdr.headcount == levers["sdr"]["headcount"]
    assert scenario.sales.stall_after == parse_duration(sales["stalled_to_marketing_after"])
    assert scenario.recycle.stalled.enabled and scenario.recycle.unreachable.enabled
    assert scenario.recycle.unreachable.delay == parse_duration(sales["unengaged_to_nurture_after"])
    assert scenario.scoring.mql_threshold == levers["scoring"]["mql_threshold"]

    base = funnelsim.load_scenario().model_dump(mode="json", exclude={"policy"})
    after = scenario.model_dump(mode="json", exclude={"policy"})
    changed = {key for key, value in leaves(after) if at(base, key) != value}
    written = {key for key, _ in leaves(proposal.overlay())}
    # Nothing outside the overlay moves, and nothing in it restates the reference: every clause
    # and every lever changes something.
    assert changed == written
    # resolving in memory is the same scenario, after the proposal's `set` (both policies')
    with_set = funnelsim.load_scenario(policy=str(policy), overrides=proposal.set)
    assert proposal.resolve()[1].model_dump(exclude={"policy"}) == with_set.model_dump(
        exclude={"policy"}
    )


def test_bundled_levers_are_what_each_side_gives_against_today():
    proposal = read_proposal(BUNDLED)
    today = funnelsim.load_scenario(policy=proposal.baseline_policy())
    _, signed = proposal.resolve()
    # marketing raises its bar; sales gets more SDRs; the SLA is enforced, where today's is not
    assert signed.scoring.mql_threshold > today.scoring.mql_threshold
    assert signed.sdr.headcount > today.sdr.headcount
    assert signed.sla.enforced and not today.sla.enforced
    assert signed.sdr.attempts > today.sdr.attempts


def test_bundled_window_measures_as_many_event_bursts_a_year_as_the_reference():
    # The proposal lengthens the warm-up for its recycled MQLs to build up; its two measured
    # years must still see the reference's campaign bursts as the reference's own years do.
    reference = funnelsim.load_scenario()
    _, proposal = read_proposal(BUNDLED).resolve()
    assert proposal.horizon.warmup >= reference.horizon.warmup
    measured = proposal.horizon.length - proposal.horizon.warmup
    assert measured == reference.horizon.length - reference.horizon.warmup

    def bursts_per_year(scenario):
        h, year = scenario.horizon, 364.0
        starts = [b.start for s in scenario.sources.values() for b in s.bursts]
        edges = [h.warmup + year * k for k in range(int((h.length - h.warmup) // year) + 1)]
        return [sum(a <= t < b for t in starts) for a, b in itertools.pairwise(edges)]

    assert bursts_per_year(proposal) == bursts_per_year(reference)
    assert all(n > 0 for n in bursts_per_year(proposal))


def test_bundled_clauses_and_descriptions():
    proposal, raw = read_proposal(BUNDLED), raw_bundled()
    clauses = proposal.clauses()
    assert [(c.side, c.name) for c in clauses] == [
        ("marketing", "mql_volume"),
        ("marketing", "acceptance"),
        ("sales", "first_touch"),
        ("sales", "attempts"),
    ]
    assert all(isinstance(c, Clause) and c.period == "month" for c in clauses)
    marketing, sales = raw["marketing"], raw["sales"]
    touch, attempts = sales["first_touch"], sales["attempts"]
    assert [c.threshold for c in clauses] == [
        marketing["mqls"]["at_least"],
        marketing["accepted"]["at_least"],
        touch["for_at_least"],
        attempts["for_at_least"],
    ]
    assert [c.description for c in clauses] == [
        "Marketing delivers at least 550 MQLs a month",
        "SDRs accept at least 60% of marketing's MQLs each month",
        "Sales makes first touch within 2 business hours for at least 90% of MQLs each month",
        "Sales makes at least 6 attempts over 10 business days on 95% of the MQLs it has not "
        "reached each month",
    ]
    assert clauses[2].within == touch["within"]
    assert (clauses[3].attempts, clauses[3].over) == (attempts["at_least"], attempts["over"])
    with pytest.raises(AttributeError):
        clauses[0].threshold = 1  # type: ignore[misc]


# -- clauses and mapping ----------------------------------------------------------------------
def test_only_clauses_in_the_file_and_volumes_converted_to_the_period(tmp_path):
    path = write(
        tmp_path,
        """\
        period: quarter
        marketing:
          mqls: {at_least: 1000, per: month}
          sqls: {at_least: 900}
        """,
    )
    proposal = read_proposal(path)
    mqls, sqls = proposal.clauses()
    assert (mqls.name, mqls.period, mqls.threshold) == ("mql_volume", "quarter", 3000)
    assert mqls.description == (
        "Marketing delivers at least 1,000 MQLs a month (at least 3,000 a quarter)"
    )
    assert (sqls.name, sqls.threshold) == ("sql_volume", 900)
    assert sqls.description == "Marketing delivers at least 900 SQLs a quarter"
    assert proposal.overlay() == {}


@pytest.mark.parametrize(
    ("attempts", "over", "spacing"),
    [(6, "10d", "2d"), (5, "10d", "2.5d"), (4, "10d", "3.33333d"), (3, "1w", "0.5w"),
     (2, "4h", "4h"), (1, "10d", None)],
)  # fmt: skip
def test_attempt_spacing_puts_the_last_attempt_at_the_end_of_the_window(attempts, over, spacing):
    assert attempt_spacing(attempts, over) == spacing


def test_odd_spacing_and_a_single_attempt_resolve(tmp_path):
    path = write(tmp_path, "sales:\n  attempts: {at_least: 4, over: 10d}\n")
    assert read_proposal(path).resolve()[1].sdr.attempt_spacing == "3.33333d"
    single = read_proposal(write(tmp_path, "sales:\n  attempts: {at_least: 1}\n", "one.yaml"))
    assert single.overlay() == {"sdr": {"attempts": 1}}
    assert single.clauses()[0].description == (
        "Sales makes at least 1 attempt on every MQL it has not reached each month"
    )


def test_business_words():
    assert business_words("4h") == "4 business hours"
    assert business_words("1d") == "1 business day"
    assert business_words("90m") == "90 business minutes"


def test_percent_strings_are_shares(tmp_path):
    path = write(tmp_path, "sales:\n  first_touch: {within: 1h, for_at_least: '85%'}\n")
    assert read_proposal(path).clauses()[0].threshold == pytest.approx(0.85)


def test_levers_equal_to_a_clause_are_allowed(tmp_path):
    path = write(tmp_path, GOOD + "  sdr: {attempts: 6}\n  sla: {response_time: 4h}\n")
    assert read_proposal(path).overlay()["sdr"]["attempts"] == 6


def test_relative_scenario_and_baseline_files_sit_beside_the_proposal(tmp_path):
    (tmp_path / "today.yaml").write_text("sdr: {attempts: 2}\n")
    path = write(tmp_path, GOOD.replace("baseline: misaligned", "baseline: today.yaml"))
    proposal = read_proposal(path)
    assert proposal.baseline_policy() == str(tmp_path / "today.yaml")
    assert funnelsim.load_scenario(policy=proposal.baseline_policy()).sdr.attempts == 2


def test_parse_without_a_file():
    data = yaml.safe_load(GOOD)
    proposal = parse_proposal(data, "<proposal>")
    assert isinstance(proposal, Proposal) and len(proposal.clauses()) == 4


# -- bad files ----------------------------------------------------------------------------------
def test_schema_problems_are_reported_together_with_line_and_key(tmp_path):
    path = write(
        tmp_path,
        """\
        name: bad
        period: week
        marketing:
          mqls: {at_least: 600}
          acepted: {at_least: 0.6}
        sales:
          first_touch: {within: 4 hours, for_at_least: 1.5}
          attempts: {at_least: 6}
        """,
    )
    found = problems(path)
    assert found == [
        f"{path}:2: period: expected 'month' or 'quarter', got 'week'",
        f"{path}:5: marketing.acepted: unknown key; did you mean 'accepted'? expected one of: "
        "accepted, mqls, sqls",
        f"{path}:7: sales.first_touch.within: expected a duration with a unit such as '90s', "
        "'15m', '2h', '3d' or '2w', got '4 hours'",
        f"{path}:7: sales.first_touch.for_at_least: expected a share between 0 and 1 "
        "(0.9 or '90%'), got 1.5",
        f"{path}:8: sales.attempts: expected 'over' (a business duration such as '10d') with "
        "more than one attempt: it sets the spacing of the attempts",
    ]


def test_zero_durations_and_negative_shares(tmp_path):
    path = write(
        tmp_path,
        """\
        marketing:
          accepted: {at_least: -0.1}
        sales:
          stalled_to_marketing_after: 0d
        """,
    )
    found = problems(path)
    assert f"{path}:2: marketing.accepted.at_least: expected a share between 0 and 1" in found[0]
    assert found[1] == (
        f"{path}:4: sales.stalled_to_marketing_after: expected a duration above zero, got '0d'"
    )


def test_unknown_lever_key_is_reported_at_the_lever(tmp_path):
    path = write(tmp_path, GOOD + "  sdr: {atempts: 4}\n  sourcez: {}\n")
    found = problems(path)
    assert found[0] == (
        f"{path}:15: levers.sdr.atempts: unknown key; did you mean 'attempts'? expected one of: "
        "answer, attempt_spacing, attempts, followups, headcount, max_queue_age, min_fit, "
        "outbound_reach, put_off, qualify, queue, reach, staffing, talk_time, trust, work_time"
    )
    assert found[1].startswith(f"{path}:16: levers.sourcez: unknown key; did you mean 'sources'?")


def test_a_lever_that_breaks_a_scenario_check_is_reported_at_the_lever(tmp_path):
    text = GOOD.replace("{mql_threshold: 58}", "{mql_threshold: 58, closed_loop: {enabled: true}}")
    path = write(tmp_path, text.replace("58,", "80,"))
    assert problems(path) == [
        f"{path}:14: levers.scoring.mql_threshold: expected mql_threshold within the closed "
        "loop's range [45.0, 75.0], got 80.0"
    ]


def test_unknown_baseline_policy(tmp_path):
    path = write(tmp_path, GOOD.replace("baseline: misaligned", "baseline: misalgined"))
    assert problems(path) == [
        f"{path}:3: baseline: unknown policy 'misalgined'; did you mean 'misaligned'? expected a "
        "policy file or one of the scenario's policies: misaligned, aligned"
    ]


def test_unknown_scenario(tmp_path):
    path = write(tmp_path, GOOD.replace("scenario: reference", "scenario: referense"))
    assert problems(path) == [
        f"{path}:2: scenario: 'referense': no such file, nor a bundled scenario (bundled: "
        "enterprise_outbound, mmc, reference, sales_bound, smb_velocity)"
    ]


def test_levers_that_contradict_a_clause_are_reported_with_everything_else(tmp_path):
    text = GOOD + "  sdr: {attempts: 3, atempts: 4}\n  recycle: {stalled: false}\n"
    path = write(tmp_path, text.replace("baseline: misaligned", "baseline: nope"))
    assert problems(path) == [
        f"{path}:3: baseline: unknown policy 'nope'; expected a policy file or one of the "
        "scenario's policies: misaligned, aligned",
        f"{path}:15: levers.sdr.attempts: conflicts with sales.attempts.at_least, which sets "
        "sdr.attempts to 6; remove the lever or change the clause",
        f"{path}:15: levers.sdr.atempts: unknown key; did you mean 'attempts'? expected one of: "
        "answer, attempt_spacing, attempts, followups, headcount, max_queue_age, min_fit, "
        "outbound_reach, put_off, qualify, queue, reach, staffing, talk_time, trust, work_time",
        f"{path}:16: levers.recycle.stalled: conflicts with sales.stalled_to_marketing_after, "
        "which sets recycle.stalled.enabled to True; remove the lever or change the clause",
        f"{path}:16: levers.recycle.stalled: expected a valid dictionary or instance of "
        "RecycleRule, got False",
    ]


def test_a_proposal_without_clauses(tmp_path):
    path = write(tmp_path, "name: empty\nlevers: {scoring: {mql_threshold: 50}}\n")
    assert problems(path) == [
        f"{path}: <top level>: expected at least one clause under 'marketing' or 'sales'"
    ]


def test_a_lever_may_plan_the_cadence_tighter_than_the_window_but_not_looser(tmp_path):
    clause = "sales:\n  attempts: {at_least: 6, over: 10d}\nlevers:\n  sdr: {attempt_spacing: %s}\n"
    tighter = read_proposal(write(tmp_path, clause % "1.6d", "tight.yaml"))
    assert tighter.overlay()["sdr"] == {"attempts": 6, "attempt_spacing": "1.6d"}
    assert tighter.resolve()[1].sdr.attempt_spacing == "1.6d"
    for looser in ("2.5d", "12h"):  # looser, or in another unit than the window's
        path = write(tmp_path, clause % looser, f"loose-{looser}.yaml")
        with pytest.raises(ScenarioError) as caught:
            read_proposal(path)
        (problem,) = caught.value.problems
        assert problem.path == "levers.sdr.attempt_spacing" and "conflicts with" in problem.message


@pytest.mark.parametrize("word", ["nan", "inf", "-inf", "NaN", "Infinity"])
def test_a_share_written_as_a_word_for_no_number_is_refused(tmp_path, word):
    path = write(tmp_path, f'marketing:\n  accepted: {{at_least: "{word}"}}\n')
    (found,) = problems(path)
    assert "marketing.accepted.at_least" in found and "finite" in found
