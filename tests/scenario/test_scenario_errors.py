"""Bad scenario input, section by section: every problem names its file, line, key and need.

Each test writes a small, valid scenario (``MINIMAL``) with one edit into ``tmp_path``, so the
line of the bad key is known, and checks the :class:`funnelsim.ScenarioError` problems: the
file, the line where the bad key sits, the dotted key path and an "expected ..." message.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import funnelsim
from funnelsim.cli.app import app
from funnelsim.errors import Problem
from funnelsim.scenario import validate_policies
from tests.helpers import problems

# Block style throughout, one key a line, so every key has a line of its own.
MINIMAL = """\
name: Minimal
currency: USD
start_date: 2026-01-05
horizon:
  length: 10w
  warmup: 2w
calendar:
  workdays: [mon, tue, wed, thu, fri]
  open_hour: 9
  close_hour: 17
  timezone: UTC
segments:
  smb:
    deal_size:
      lognormal: {median: 10000, p90: 25000}
    buying_window:
      lognormal: {median: 60d, p90: 120d}
    fit_effect: 1.0
    stages:
      - name: demo
        duration:
          lognormal: {median: 5d, p90: 12d}
        advance: 0.6
        lost: 0.2
        no_decision: 0.1
      - name: close
        duration:
          lognormal: {median: 7d, p90: 15d}
        advance: 0.5
        lost: 0.3
sources:
  inbound:
    demand_type: marketing
    rate_per_week: 50
    segment_mix:
      smb: 1.0
    cost_per_lead: 100
    fit:
      beta: {mean: 0.5, spread: 0.2}
    interest:
      beta: {mean: 0.4, spread: 0.15}
    in_market: 0.3
nurture:
  touch_every: 11d
  engage:
    in_market: 0.4
    not_in_market: 0.05
  interest_gain: 0.3
  interest_half_life: 45d
  unsubscribe: 0.01
  buying_window:
    start:
      lognormal: {median: 200d, p90: 500d}
    length:
      lognormal: {median: 90d, p90: 200d}
scoring:
  mql_threshold: 55
  closed_loop:
    enabled: false
    review_every: 4w
sdr:
  headcount: 2
  work_time:
    lognormal: {median: 6m, p90: 15m}
  talk_time:
    lognormal: {median: 20m, p90: 45m}
  reach:
    5m: 0.5
    1h: 0.25
    1d: 0.05
  attempts: 3
  attempt_spacing: 1d
  qualify:
    in_market: 0.7
    not_in_market: 0.08
  trust:
    full_at: 0.6
    zero_at: 0.2
    max_delay: 1d
sales:
  ae_count: 2
  max_open_per_ae: 10
  stall_after: 30d
  abandon_after: 90d
recycle:
  rejected:
    enabled: true
    delay: 60d
  max_recycles: 3
sla:
  response_time: 1h
  enforced: false
policies:
  aligned:
    scoring:
      mql_threshold: 60
    sla:
      enforced: true
"""

REACH_BLOCK = "  reach:\n    5m: 0.5\n    1h: 0.25\n    1d: 0.05\n"


# -- helpers ------------------------------------------------------------------------------
def edit(text: str, old: str, new: str) -> str:
    """``text`` with the one occurrence of ``old`` replaced by ``new``."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def line_of(text: str, start: str) -> int:
    """The 1-based number of the one line of ``text`` that starts with ``start``."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start)]
    assert len(found) == 1, f"{start!r} starts lines {found}"
    return found[0]


def write(directory: Path, text: str, name: str = "scenario.yaml") -> Path:
    """Write ``text`` as a YAML file in ``directory`` and return its path."""
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def only(found: list[Problem]) -> Problem:
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def check(problem: Problem, source: Path | str, line: int | None, key: str, *needs: str):
    """A problem names ``source``, ``line`` and ``key`` and says what it expected."""
    assert problem.source == str(source), problem
    assert problem.line == line, problem
    assert problem.path == key, problem
    for need in needs:
        assert need in problem.message, problem
    assert problem.message == "missing required key" or "expected" in problem.message, problem


def test_the_minimal_scenario_is_valid(tmp_path):
    path = write(tmp_path, MINIMAL)
    assert funnelsim.load_scenario(path).name == "Minimal"
    assert set(validate_policies(path)) == {"aligned"}


# -- one bad value per section --------------------------------------------------------------
# (old text, new text, dotted key, start of the line the problem must name, message needs)
CASES = [
    # start_date
    pytest.param(
        "start_date: 2026-01-05", "start_date: next monday", "start_date", "start_date:",
        ["expected a valid date", "'next monday'"], id="start_date-not-a-date",
    ),
    # horizon
    pytest.param(
        "  length: 10w", "  length: 10", "horizon.length", "  length: 10",
        ["expected a duration with a unit", "got 10"], id="horizon-bare-number",
    ),
    pytest.param(
        "  length: 10w", "  length: 0w", "horizon.length", "  length: 0w",
        ["expected greater than 0"], id="horizon-zero-length",
    ),
    pytest.param(
        "  warmup: 2w", "  warmup: 12w", "horizon", "horizon:",
        ["expected warmup shorter than length"], id="horizon-warmup-too-long",
    ),
    # calendar
    pytest.param(
        "  timezone: UTC", "  timezone: Mars/Olympus", "calendar.timezone", "  timezone:",
        ["expected an IANA time zone", "'Mars/Olympus'"], id="calendar-timezone",
    ),
    pytest.param(
        "  workdays: [mon, tue, wed, thu, fri]", "  workdays: [mon, funday]",
        "calendar.workdays.1", "  workdays:", ["'mon'", "'sun'", "got 'funday'"],
        id="calendar-workday",
    ),
    pytest.param(
        "  open_hour: 9", "  open_hour: 25", "calendar.open_hour", "  open_hour:",
        ["expected less than or equal to 24", "got 25"], id="calendar-hour-out-of-range",
    ),
    pytest.param(
        "  open_hour: 9", "  open_hour: 18", "calendar", "calendar:",
        ["expected open_hour < close_hour", "18", "17"], id="calendar-opens-after-closing",
    ),
    # segments and stages
    pytest.param(
        "      lognormal: {median: 10000, p90: 25000}",
        "      lognormal: {median: 30000, p90: 25000}",
        "segments.smb.deal_size.lognormal", "      lognormal: {median: 30000",
        ["expected 0 < median < p90", "median=30000"], id="segment-lognormal-order",
    ),
    pytest.param(
        "      lognormal: {median: 10000, p90: 25000}",
        "      lognormal: {median: 10000, p90: 25000}\n      constant: {value: 3}",
        "segments.smb.deal_size", "    deal_size:",
        ["expected exactly one distribution family", "constant", "lognormal"],
        id="segment-two-families",
    ),
    pytest.param(
        "      lognormal: {median: 10000, p90: 25000}", "      uniform: {min: -5, max: 10}",
        "segments.smb.deal_size", "    deal_size:",
        ["expected a distribution of non-negative values"], id="segment-negative-deal",
    ),
    pytest.param(
        "        lost: 0.2\n", "        lost: 0.5\n", "segments.smb.stages.0", "      - name: demo",
        ["expected advance + lost + no_decision <= 1", "1.2"], id="stage-shares-above-one",
    ),
    pytest.param(
        "        advance: 0.6", "        advance: 1.6", "segments.smb.stages.0.advance",
        "        advance: 1.6", ["expected less than or equal to 1", "got 1.6"],
        id="stage-probability",
    ),
    pytest.param(
        "          lognormal: {median: 5d, p90: 12d}", "          lognormal: {median: 5, p90: 12d}",
        "segments.smb.stages.0.duration.lognormal.median", "          lognormal: {median: 5,",
        ["expected a duration with a unit", "got 5"], id="stage-duration-without-unit",
    ),
    pytest.param(
        "      - name: demo\n        duration:", "      - duration:",
        "segments.smb.stages.0.name", "      - duration:", ["missing required key"],
        id="stage-without-name",
    ),
    # sources
    pytest.param(
        "      smb: 1.0", "      smb: 0.7", "sources.inbound.segment_mix", "    segment_mix:",
        ["expected shares that sum to 1", "got 0.7"], id="source-mix-not-summing-to-one",
    ),
    pytest.param(
        "      smb: 1.0", "      smb: 0.5\n      enterprise: 0.5",
        "sources.inbound.segment_mix.enterprise", "      enterprise:",
        ["unknown segment 'enterprise'", "smb"], id="source-unknown-segment",
    ),
    pytest.param(
        "    demand_type: marketing", "    demand_type: email", "sources.inbound.demand_type",
        "    demand_type:", ["'marketing'", "'channel'", "got 'email'"], id="source-demand-type",
    ),
    pytest.param(
        "    rate_per_week: 50", "    rate_per_week: -5", "sources.inbound.rate_per_week",
        "    rate_per_week:", ["expected greater than or equal to 0", "got -5"],
        id="source-negative-rate",
    ),
    pytest.param(
        "      beta: {mean: 0.5, spread: 0.2}", "      uniform: {min: 0.5, max: 2}",
        "sources.inbound.fit", "    fit:", ["expected a distribution on [0, 1]"],
        id="source-fit-outside-unit-interval",
    ),
    pytest.param(
        "      beta: {mean: 0.5, spread: 0.2}", "      beta: {mean: 0.5, spread: 0.9}",
        "sources.inbound.fit.beta", "      beta: {mean: 0.5, spread: 0.9}",
        ["expected spread < sqrt(mean*(1-mean))", "got 0.9"], id="source-beta-too-wide",
    ),
    pytest.param(
        "    in_market: 0.3", "    in_market: 0.3\n    route: email", "sources.inbound.route",
        "    route:", ["'nurture'", "'sdr'", "got 'email'"], id="source-route",
    ),
    # nurture
    pytest.param(
        "  touch_every: 11d", "  touch_every: 0d", "nurture.touch_every", "  touch_every:",
        ["expected at least 1h between touches", "got 0s"], id="nurture-touch-every-zero",
    ),
    pytest.param(
        "  unsubscribe: 0.01", "  unsubscribe: 2", "nurture.unsubscribe", "  unsubscribe:",
        ["expected less than or equal to 1", "got 2"], id="nurture-unsubscribe",
    ),
    pytest.param(
        "  engage:\n    in_market: 0.4\n    not_in_market: 0.05\n", "", "nurture.engage",
        "nurture:", ["missing required key"], id="nurture-missing-engage",
    ),
    # scoring and closed_loop
    pytest.param(
        "  mql_threshold: 55", "  mql_threshold: high", "scoring.mql_threshold",
        "  mql_threshold:", ["expected a valid number", "got 'high'"], id="scoring-threshold",
    ),
    pytest.param(
        "  mql_threshold: 55\n", "", "scoring.mql_threshold", "scoring:",
        ["missing required key"], id="scoring-missing-threshold",
    ),
    pytest.param(
        "    review_every: 4w", "    review_every: monthly", "scoring.closed_loop.review_every",
        "    review_every:", ["expected a duration with a unit", "got 'monthly'"],
        id="closed-loop-review-every",
    ),
    pytest.param(
        "    enabled: false\n    review_every", "    enabled: sometimes\n    review_every",
        "scoring.closed_loop.enabled", "    enabled: sometimes",
        ["expected a valid boolean", "got 'sometimes'"], id="closed-loop-enabled",
    ),
    pytest.param(
        "    review_every: 4w", "    review_every: 4w\n    target_sql_rate: 1.5",
        "scoring.closed_loop.target_sql_rate", "    target_sql_rate:",
        ["expected less than or equal to 1", "got 1.5"], id="closed-loop-target",
    ),
    # sdr
    pytest.param(
        "  headcount: 2", "  headcount: 2.5", "sdr.headcount", "  headcount:",
        ["expected a valid integer"], id="sdr-headcount",
    ),
    pytest.param(
        "  headcount: 2", "  headcount: 2\n  queue: lifo", "sdr.queue", "  queue:",
        ["'fifo'", "'score'", "got 'lifo'"], id="sdr-queue",
    ),
    pytest.param(
        "    1h: 0.25", "    1h: 1.25", "sdr.reach.1h", "    1h:",
        ["expected less than or equal to 1", "got 1.25"], id="sdr-reach-chance",
    ),
    pytest.param(
        "  attempts: 3", "  attempts: 0", "sdr.attempts", "  attempts:",
        ["expected greater than or equal to 1", "got 0"], id="sdr-attempts",
    ),
    pytest.param(
        "  attempt_spacing: 1d", "  attempt_spacing: daily", "sdr.attempt_spacing",
        "  attempt_spacing:", ["expected a duration with a unit", "got 'daily'"],
        id="sdr-attempt-spacing",
    ),
    pytest.param(
        "    zero_at: 0.2", "    zero_at: 0.8", "sdr.trust", "  trust:",
        ["expected zero_at < full_at", "0.8", "0.6"], id="sdr-trust-order",
    ),
    pytest.param(
        "    max_delay: 1d", "    max_delay: 1", "sdr.trust.max_delay", "    max_delay:",
        ["expected a duration with a unit", "got 1"], id="sdr-trust-delay",
    ),
    # sales
    pytest.param(
        "  ae_count: 2", "  ae_count: -1", "sales.ae_count", "  ae_count:",
        ["expected greater than or equal to 0", "got -1"], id="sales-ae-count",
    ),
    pytest.param(
        "  max_open_per_ae: 10", "  max_open_per_ae: 0", "sales.max_open_per_ae",
        "  max_open_per_ae:", ["expected greater than or equal to 1", "got 0"],
        id="sales-cap",
    ),
    pytest.param(
        "  stall_after: 30d", "  stall_after: 30", "sales.stall_after", "  stall_after:",
        ["expected a duration with a unit", "got 30"], id="sales-stall-without-unit",
    ),
    # recycle
    pytest.param(
        "    enabled: true\n    delay: 60d", "    enabled: maybe\n    delay: 60d",
        "recycle.rejected.enabled", "    enabled: maybe",
        ["expected a valid boolean", "got 'maybe'"], id="recycle-enabled",
    ),
    pytest.param(
        "    delay: 60d", "    delay: 60", "recycle.rejected.delay", "    delay:",
        ["expected a duration with a unit", "got 60"], id="recycle-delay",
    ),
    pytest.param(
        "  max_recycles: 3", "  max_recycles: -1", "recycle.max_recycles", "  max_recycles:",
        ["expected greater than or equal to 0", "got -1"], id="recycle-max",
    ),
    # sla
    pytest.param(
        "  response_time: 1h", "  response_time: asap", "sla.response_time",
        "  response_time:", ["expected a duration with a unit", "got 'asap'"],
        id="sla-response-time",
    ),
    pytest.param(
        "  enforced: false", "  enforced: yes please", "sla.enforced", "  enforced: yes",
        ["expected a valid boolean", "got 'yes please'"], id="sla-enforced",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "key", "at", "needs"), CASES)
def test_a_bad_value_is_reported_with_file_line_key_and_expectation(
    tmp_path, old, new, key, at, needs
):
    text = edit(MINIMAL, old, new)
    path = write(tmp_path, text)
    check(only(problems(path)), path, line_of(text, at), key, *needs)


@pytest.mark.parametrize("date", ["2026-02-30", "2026-13-45"])
def test_start_date_that_is_not_a_calendar_day(tmp_path, date):
    text = edit(MINIMAL, "start_date: 2026-01-05", f"start_date: {date}")
    path = write(tmp_path, text)
    check(only(problems(path)), path, 3, "start_date", "expected a valid date")


# -- the reach curve: its keys are durations --------------------------------------------------
def test_reach_key_that_is_not_a_duration_is_named_in_the_message(tmp_path):
    text = edit(MINIMAL, REACH_BLOCK, "  reach: {5m: 0.5, soon: 0.25, 1d: 0.05}\n")
    path = write(tmp_path, text)
    problem = only(problems(path))
    assert problem.source == str(path)
    assert problem.line == line_of(text, "  reach:")  # the key sits on the reach line
    assert problem.path.startswith("sdr.reach")
    assert problem.message.startswith("expected a duration with a unit")
    assert "'soon'" in problem.message


def test_reach_key_that_is_not_a_duration_points_at_the_key(tmp_path):
    text = edit(MINIMAL, "    1h: 0.25", "    soon: 0.25")
    path = write(tmp_path, text)
    check(
        only(problems(path)), path, line_of(text, "    soon:"), "sdr.reach.soon",
        "expected a duration with a unit", "'soon'",
    )  # fmt: skip


def test_reach_key_that_is_a_bare_number(tmp_path):
    text = edit(MINIMAL, "    1h: 0.25", "    60: 0.25")
    path = write(tmp_path, text)
    check(
        only(problems(path)), path, line_of(text, "    60:"), "sdr.reach.60",
        "expected a duration with a unit", "60",
    )  # fmt: skip


# -- pydantic's wording must not leak into the messages -------------------------------------
@pytest.mark.parametrize(
    ("old", "new", "key", "at"),
    [
        pytest.param(
            "    stages:\n      - name: demo",
            "    stages: []\n    old_stages:\n      - name: demo",
            "segments.smb.stages", "    stages: []", id="no-stages",
        ),
        pytest.param(
            "    rate_per_week: 50", "    rate_per_week: 50\n    seasonality: [1, 1, 1]",
            "sources.inbound.seasonality", "    seasonality:", id="seasonality-of-three-months",
        ),
    ],
)  # fmt: skip
def test_too_few_items_reads_as_an_expectation(tmp_path, old, new, key, at):
    text = edit(MINIMAL, old, new)
    path = write(tmp_path, text)
    found = [p for p in problems(path) if p.path == key]
    problem = only(found)
    check(problem, path, line_of(text, at), key, "expected at least")
    assert "should have" not in problem.message


# -- several problems at once -----------------------------------------------------------------
def test_every_problem_in_a_file_is_reported_at_once(tmp_path):
    text = MINIMAL
    for old, new in [
        ("  length: 10w", "  length: 10"),
        ("  timezone: UTC", "  timezone: Mars/Olympus"),
        ("      smb: 1.0", "      smb: 0.5\n      enterprise: 0.5"),
        ("  attempts: 3", "  atempts: 3"),
        ("  max_open_per_ae: 10", "  max_open_per_ae: 0"),
        ("  response_time: 1h", "  response_time: asap"),
    ]:
        text = edit(text, old, new)
    path = write(tmp_path, text)
    found = {(p.path, p.line) for p in problems(path)}
    assert found == {
        ("horizon.length", line_of(text, "  length: 10")),
        ("calendar.timezone", line_of(text, "  timezone:")),
        ("sources.inbound.segment_mix.enterprise", line_of(text, "      enterprise:")),
        ("sdr.attempts", line_of(text, "sdr:")),  # missing, so named at its section
        ("sdr.atempts", line_of(text, "  atempts:")),
        ("sales.max_open_per_ae", line_of(text, "  max_open_per_ae:")),
        ("sla.response_time", line_of(text, "  response_time:")),
    }
    lines = [p.line for p in problems(path)]
    assert lines == sorted(lines)  # in the order of the file


def test_every_broken_policy_is_reported_at_once(tmp_path):
    text = edit(MINIMAL, "      mql_threshold: 60", "      mql_threshold: high")
    text += "  misaligned:\n    sdr:\n      attempts: 0\n"
    path = write(tmp_path, text)
    with pytest.raises(funnelsim.ScenarioError) as info:
        validate_policies(path)
    found = {(p.source, p.line, p.path) for p in info.value.problems}
    assert found == {
        (str(path), line_of(text, "      mql_threshold:"), "scoring.mql_threshold"),
        (str(path), line_of(text, "      attempts: 0"), "sdr.attempts"),
    }


# -- unknown keys ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("old", "new", "key", "meant"),
    [
        pytest.param(
            "currency: USD", "currency: USD\ncurency: EUR", "curency", "currency", id="top-level",
        ),
        pytest.param(
            "  attempts: 3", "  attempts: 3\n  atempts: 4", "sdr.atempts", "attempts", id="sdr",
        ),
        pytest.param(
            "        advance: 0.6", "        advance: 0.6\n        advnce: 0.7",
            "segments.smb.stages.0.advnce", "advance", id="stage",
        ),
        pytest.param(
            "      lognormal: {median: 10000, p90: 25000}",
            "      lognormall: {median: 10000, p90: 25000}",
            "segments.smb.deal_size.lognormall", "lognormal", id="distribution-family",
        ),
        pytest.param(
            "    cost_per_lead: 100", "    cost_per_leed: 100", "sources.inbound.cost_per_leed",
            "cost_per_lead", id="source",
        ),
        pytest.param(
            "  max_recycles: 3", "  max_recycles: 3\n  stalld: {enabled: true}",
            "recycle.stalld", "stalled", id="recycle",
        ),
        pytest.param(
            "    review_every: 4w", "    review_evry: 4w", "scoring.closed_loop.review_evry",
            "review_every", id="closed-loop",
        ),
    ],
)  # fmt: skip
def test_unknown_key_suggests_the_key_meant(tmp_path, old, new, key, meant):
    text = edit(MINIMAL, old, new)
    path = write(tmp_path, text)
    problem = only(problems(path))
    check(problem, path, line_of(text, new.splitlines()[-1]), key)
    assert problem.message.startswith(f"unknown key; did you mean '{meant}'?")
    assert meant in problem.message.partition("expected one of: ")[2].split(", ")


def test_unknown_distribution_parameter_names_the_missing_one_too(tmp_path):
    text = edit(
        MINIMAL,
        "      lognormal: {median: 10000, p90: 25000}",
        "      lognormal: {median: 10000, p91: 25000}",
    )
    path = write(tmp_path, text)
    line = line_of(text, "      lognormal: {median: 10000, p91")
    found = {p.path: p for p in problems(path)}
    missing, unknown = (f"segments.smb.deal_size.lognormal.{k}" for k in ("p90", "p91"))
    assert set(found) == {missing, unknown}
    check(found[missing], path, line, missing, "missing required key")
    check(found[unknown], path, line, unknown, "did you mean 'p90'?")


def test_a_key_given_twice_is_a_problem(tmp_path):
    text = edit(MINIMAL, "  open_hour: 9", "  open_hour: 9\n  open_hour: 10")
    path = write(tmp_path, text)
    problem = only(problems(path))
    assert problem.source == str(path)
    assert problem.line == line_of(text, "  open_hour: 10")
    assert "open_hour" in f"{problem.path} {problem.message}"


def test_policy_key_in_a_file_is_refused(tmp_path):
    text = edit(MINIMAL, "currency: USD", "currency: USD\npolicy: aligned")
    path = write(tmp_path, text)
    problem = only(problems(path))
    assert problem.source == str(path)
    assert problem.line == line_of(text, "policy:")
    assert problem.path == "policy"


# -- policies ----------------------------------------------------------------------------------
def test_unknown_policy_name_lists_the_policies_defined(tmp_path):
    path = write(tmp_path, MINIMAL)
    problem = only(problems(path, policy="algned"))
    assert problem.source == str(path)
    assert problem.path == "policies"
    assert problem.message == (
        "unknown policy 'algned'; did you mean 'aligned'? "
        "expected a policy file or one of the scenario's policies: aligned"
    )


def test_policy_with_a_bad_value_points_into_the_policies_section(tmp_path):
    text = edit(MINIMAL, "      mql_threshold: 60", "      mql_threshold: high")
    path = write(tmp_path, text)
    line = line_of(text, "      mql_threshold: high")
    assert funnelsim.load_scenario(path).scoring.mql_threshold == 55  # the base is fine
    check(
        only(problems(path, policy="aligned")), path, line, "scoring.mql_threshold",
        "expected a valid number", "got 'high'",
    )  # fmt: skip


def test_policy_with_an_unknown_key_suggests_the_key_meant(tmp_path):
    text = edit(MINIMAL, "    sla:\n      enforced: true", "    sla:\n      enforcd: true")
    path = write(tmp_path, text)
    problem = only(problems(path, policy="aligned"))
    check(problem, path, line_of(text, "      enforcd:"), "sla.enforcd")
    assert "did you mean 'enforced'?" in problem.message


def test_policy_that_is_not_a_mapping(tmp_path):
    old = "  aligned:\n    scoring:\n      mql_threshold: 60\n    sla:\n      enforced: true\n"
    text = edit(MINIMAL, old, "  aligned: strict\n")
    path = write(tmp_path, text)
    line = line_of(text, "  aligned:")
    check(only(problems(path, policy="aligned")), path, line, "policies.aligned", "mapping")
    with pytest.raises(funnelsim.ScenarioError) as info:
        validate_policies(path)
    check(only(info.value.problems), path, line, "policies.aligned", "dictionary", "'strict'")


def test_policy_file_with_errors_names_the_policy_file_and_its_lines(tmp_path):
    scenario = write(tmp_path, MINIMAL)
    text = (
        "# a stricter policy\n"
        "sdr:\n"
        "  attempts: 0\n"
        "scoring:\n"
        "  mql_threshold: 62\n"
        "  closed_loop:\n"
        "    enabled: yes please\n"
    )
    policy = write(tmp_path, text, "strict.yaml")
    found = {p.path: p for p in problems(scenario, policy=str(policy))}
    assert set(found) == {"sdr.attempts", "scoring.closed_loop.enabled"}
    check(found["sdr.attempts"], policy, 3, "sdr.attempts", "greater than or equal to 1")
    check(
        found["scoring.closed_loop.enabled"], policy, 7, "scoring.closed_loop.enabled",
        "expected a valid boolean", "'yes please'",
    )  # fmt: skip


def test_policy_file_with_a_syntax_error(tmp_path):
    scenario = write(tmp_path, MINIMAL)
    policy = write(tmp_path, "sdr:\n  attempts: 6\n  attempt_spacing:\t2d\n", "cadence.yaml")
    problem = only(problems(scenario, policy=str(policy)))
    assert (problem.source, problem.line, problem.path) == (str(policy), 3, "")
    assert problem.message.startswith("not valid YAML")


def test_policy_file_that_does_not_exist(tmp_path):
    scenario = write(tmp_path, MINIMAL)
    missing = tmp_path / "missing.yaml"
    problem = only(problems(scenario, policy=str(missing)))
    assert problem.source == str(missing)
    assert problem.message.startswith("cannot read file")


# -- overrides --------------------------------------------------------------------------------
def test_set_with_a_bad_value_names_the_override(tmp_path):
    path = write(tmp_path, MINIMAL)
    check(
        only(problems(path, overrides=["sdr.headcount=many"])), "override sdr.headcount", None,
        "sdr.headcount", "expected a valid integer", "got 'many'",
    )  # fmt: skip


def test_set_given_as_a_mapping_with_a_bad_value(tmp_path):
    path = write(tmp_path, MINIMAL)
    check(
        only(problems(path, overrides={"sales.stall_after": "30"})), "override sales.stall_after",
        None, "sales.stall_after", "expected a duration with a unit",
    )  # fmt: skip


def test_set_without_an_equals_sign(tmp_path):
    path = write(tmp_path, MINIMAL)
    problem = only(problems(path, overrides=["sdr.headcount"]))
    assert (problem.source, problem.line, problem.path) == ("override", None, "sdr.headcount")
    assert problem.message.startswith("expected dotted.path=value")


def test_set_of_an_unknown_key_suggests_the_key_meant(tmp_path):
    path = write(tmp_path, MINIMAL)
    problem = only(problems(path, overrides=["sdr.headcont=3"]))
    check(problem, "override sdr.headcont", None, "sdr.headcont")
    assert "did you mean 'headcount'?" in problem.message


def test_set_wins_over_policy_and_is_blamed_for_its_value(tmp_path):
    path = write(tmp_path, MINIMAL)
    found = problems(path, policy="aligned", overrides=["scoring.mql_threshold=high"])
    check(only(found), "override scoring.mql_threshold", None, "scoring.mql_threshold", "'high'")


def test_set_with_an_impossible_date(tmp_path):
    path = write(tmp_path, MINIMAL)
    problem = only(problems(path, overrides=["start_date=2026-02-30"]))
    check(problem, "override start_date", None, "start_date", "expected a valid date")


def test_set_through_a_scalar_is_blamed_on_the_override(tmp_path):
    path = write(tmp_path, MINIMAL)
    problem = only(problems(path, overrides=["sdr.headcount.x=3"]))
    assert problem.source.startswith("override sdr.headcount")
    assert problem.line is None


def test_set_with_a_list_index_out_of_range(tmp_path):
    path = write(tmp_path, MINIMAL)
    problem = only(problems(path, overrides=["segments.smb.stages.5.advance=0.5"]))
    assert problem.source.startswith("override segments.smb.stages.5")
    assert problem.line is None
    assert "index" in problem.message or "2 items" in problem.message


# -- files that are not scenarios --------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("", "an empty file", id="empty"),
        pytest.param("# only a comment\n", "an empty file", id="comment-only"),
        pytest.param("- name: Minimal\n- currency: USD\n", "list", id="list"),
        pytest.param("just a sentence\n", "str", id="scalar"),
    ],
)
def test_a_file_that_is_not_a_mapping(tmp_path, text, found):
    path = write(tmp_path, text)
    problem = only(problems(path))
    assert (problem.source, problem.path) == (str(path), "")
    assert problem.message.startswith("expected a mapping")
    assert found in problem.message


@pytest.mark.parametrize(
    ("old", "new", "at", "needs"),
    [
        pytest.param("  open_hour: 9", "\topen_hour: 9", "\topen_hour", "'\\t'", id="tab"),
        pytest.param(
            "  open_hour: 9", "   open_hour: 9", "   open_hour", "expected <block end>",
            id="indentation",
        ),
        pytest.param(
            "    in_market: 0.3", "    in_market: 0.3: 0.4", "    in_market: 0.3:",
            "mapping values are not allowed", id="colon-in-value",
        ),
    ],
)  # fmt: skip
def test_yaml_syntax_error_names_its_line(tmp_path, old, new, at, needs):
    text = edit(MINIMAL, old, new)
    path = write(tmp_path, text)
    problem = only(problems(path))
    assert (problem.source, problem.line, problem.path) == (str(path), line_of(text, at), "")
    assert problem.message.startswith("not valid YAML")
    assert needs in problem.message


def test_unclosed_bracket_names_the_line_it_opens_on(tmp_path):
    text = edit(MINIMAL, "  workdays: [mon, tue, wed, thu, fri]", "  workdays: [mon, tue")
    path = write(tmp_path, text)
    problem = only(problems(path))
    line = line_of(text, "  workdays:")
    assert problem.line == line or f"line {line}" in problem.message


# -- the command line --------------------------------------------------------------------------
# The CLI tests run in tmp_path with relative file names, and match the output with its
# whitespace collapsed: the terminal's width decides where a long problem line wraps.
def _flat(text: str) -> str:
    return " ".join(text.split())


def _invoke(args: list[str], env: dict[str, str] | None = None):
    result = CliRunner().invoke(app, args, env=env)
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, repr(result.exception)
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def broken(tmp_path, monkeypatch):
    """A scenario with two problems in the working directory, and what the CLI must print."""
    monkeypatch.chdir(tmp_path)
    text = edit(MINIMAL, "  length: 10w", "  length: 10")
    text = edit(text, "  timezone: UTC", "  timezone: Mars/Olympus")
    path = write(Path("."), text, "broken.yaml")
    lines = [
        f"broken.yaml:{line_of(text, '  length:')}: horizon.length: expected a duration",
        f"broken.yaml:{line_of(text, '  timezone:')}: calendar.timezone: expected an IANA",
    ]
    return Path("broken.yaml"), lines, problems(path)


@pytest.mark.parametrize("command", ["validate", "run"])
def test_cli_reports_every_problem_and_exits_2(broken, command):
    path, lines, found = broken
    result = _invoke([command, str(path)])
    assert result.exit_code == 2
    printed = _flat(result.stderr)
    assert "2 problems found" in printed
    for line in lines:
        assert line in printed
    for problem in found:
        assert _flat(str(problem)) in printed
    assert result.stdout == ""


def test_cli_run_with_events_writes_nothing_for_a_broken_file(broken, tmp_path):
    path, _, _ = broken
    before = set(tmp_path.rglob("*"))
    out = tmp_path / "out" / "events.parquet"
    result = _invoke(["run", str(path), "--events", str(out)])
    assert result.exit_code == 2
    assert not out.exists()
    assert set(tmp_path.rglob("*")) == before


def test_cli_validate_reports_a_broken_policy(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = edit(MINIMAL, "      mql_threshold: 60", "      mql_threshold: high")
    write(tmp_path, text, "policy.yaml")
    result = _invoke(["validate", "policy.yaml"])
    assert result.exit_code == 2
    line = line_of(text, "      mql_threshold: high")
    expected = f"policy.yaml:{line}: scoring.mql_threshold: expected a valid number"
    assert expected in _flat(result.stderr)


@pytest.mark.parametrize(
    ("args", "printed"),
    [
        pytest.param(
            ["--set", "sdr.headcount"], "--set: sdr.headcount: expected dotted.path=value",
            id="set-without-equals",
        ),
        pytest.param(
            ["--set", "sdr.headcount=many"],
            "--set sdr.headcount: sdr.headcount: expected a valid integer", id="set-bad-value",
        ),
        pytest.param(
            ["--policy", "algned"], "policies: unknown policy 'algned'", id="unknown-policy",
        ),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", ["validate", "run"])
def test_cli_reports_bad_options_and_exits_2(tmp_path, monkeypatch, command, args, printed):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, MINIMAL)
    result = _invoke([command, "scenario.yaml", *args])
    assert result.exit_code == 2
    assert printed in _flat(result.stderr)


def test_cli_reports_a_syntax_error_with_its_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = edit(MINIMAL, "  open_hour: 9", "\topen_hour: 9")
    write(tmp_path, text)
    result = _invoke(["validate", "scenario.yaml"])
    assert result.exit_code == 2
    line = line_of(text, "\t")
    assert f"scenario.yaml:{line}: <top level>: not valid YAML" in _flat(result.stderr)


def test_cli_validate_accepts_the_minimal_scenario(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, MINIMAL)
    result = _invoke(["validate", "scenario.yaml"])
    assert result.exit_code == 0, result.output
    assert "policies checked: aligned" in _flat(result.stderr)


def test_cli_prints_each_problem_on_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    zone = "Mars/" + "Olympus_Mons_" * 30  # longer than any terminal is wide
    write(tmp_path, edit(MINIMAL, "  timezone: UTC", f"  timezone: {zone}"))
    problem = only(problems(Path("scenario.yaml")))
    result = _invoke(["validate", "scenario.yaml"], env={"COLUMNS": "80"})
    assert result.exit_code == 2
    assert f"  {problem}" in result.stderr.splitlines()
