"""A pipeline file (``--pipeline``): the deals open on a date, and the start and horizon of
the run that warms up to that date and takes them over there.

The file is a layer of its own between the scenario and its policy: it may set ``start_date``,
``horizon`` and ``pipeline`` (its ``date`` and ``deals``) and nothing else, ``--set`` wins over
it, and every problem in it names the file, the line and the key path, as the scenario's own
problems do.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import funnelsim
from funnelsim.errors import Problem
from funnelsim.runner import scenario_hash
from funnelsim.scenario.pipeline import OpenDeal, Pipeline
from tests.helpers import problems

GOOD = """\
start_date: 2026-03-02
horizon:
  warmup: 2w
pipeline:
  date: 2026-03-16
  deals:
    - id: D-1
      source: inbound
      segment: mid_market
      stage: proposal
      age: 34.5d
      in_stage: 6d
      value: 42000
      ae: 1
    - source: events
      segment: smb
      stage: demo
      age: 12d
"""
"""Two deals open at the end of a two-week warm-up: one with every field, one with only what
a deal needs."""
DATE = "2026-03-16"
"""The pipeline's date of ``GOOD`` and, unless told otherwise, of :func:`deals`: inside the
bundled scenario's run (156 weeks from 2026-01-05) and inside GOOD's (from 2026-03-02)."""

STAGES = {
    "smb": "discovery, demo, commit",
    "mid_market": "discovery, solution, proposal, commit",
    "enterprise": "discovery, solution, proposal, commit",
}
"""The stages of each segment of the bundled reference scenario, in order."""
SOURCES = "inbound, paid, events, outbound_sdr, tele, partners"
SEGMENTS = "smb, mid_market, enterprise"


def write(folder: Path, text: str, name: str = "pipeline.yaml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based number of the ``nth`` line of ``text`` holding ``needle``."""
    numbers = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(numbers) >= nth, f"{needle!r} is not in the text {nth} time(s)"
    return numbers[nth - 1]


def deals(*blocks: dict[str, str], date: str = DATE) -> str:
    """A pipeline file of these deals open on ``date``, one key a line, so that every key has
    a line."""
    lines = ["pipeline:", f"  date: {date}", "  deals:"]
    for block in blocks:
        for k, (key, value) in enumerate(block.items()):
            lines.append(f"    {'- ' if k == 0 else '  '}{key}: {value}")
    return "\n".join(lines) + "\n"


def deal(**fields: str) -> dict[str, str]:
    """A good smb deal with ``fields`` changed or added."""
    return {"source": "inbound", "segment": "smb", "stage": "demo", "age": "10d"} | fields


def test_a_good_file_sets_the_date_the_warmup_and_the_deals(tmp_path, reference):
    scenario = funnelsim.load_scenario(pipeline=write(tmp_path, GOOD))
    assert scenario.start_date == dt.date(2026, 3, 2)
    assert scenario.horizon.warmup == 14.0
    # The horizon merges key by key: the length is still the scenario's own.
    assert scenario.horizon.length == reference.horizon.length == 117 * 7.0
    assert isinstance(scenario.pipeline, Pipeline)
    assert scenario.pipeline.date == dt.date(2026, 3, 16)
    full, bare = scenario.pipeline.deals
    assert isinstance(full, OpenDeal) and isinstance(bare, OpenDeal)
    assert (full.id, full.source, full.segment, full.stage) == (
        "D-1",
        "inbound",
        "mid_market",
        "proposal",
    )
    assert (full.age, full.in_stage, full.stage_age) == (34.5, 6.0, 6.0)
    assert (full.value, full.ae) == (42000.0, 1)
    assert (bare.id, bare.source, bare.segment, bare.stage) == (None, "events", "smb", "demo")
    # Time in the stage defaults to the deal's age; the value is drawn later, not made 0.
    assert (bare.age, bare.in_stage, bare.stage_age) == (12.0, None, 12.0)
    assert (bare.value, bare.ae) == (None, None)
    # Nothing else of the scenario moves.
    rest = {"start_date", "horizon", "pipeline"}
    assert scenario.model_dump(exclude=rest) == reference.model_dump(exclude=rest)
    assert reference.pipeline is None


def test_in_stage_equal_to_age_and_a_zero_value_and_ae_are_taken(tmp_path):
    text = deals(deal(age="7d", in_stage="7d", value="0", ae="0"))
    (only,) = funnelsim.load_scenario(pipeline=write(tmp_path, text)).pipeline.deals
    assert (only.age, only.in_stage, only.stage_age, only.value, only.ae) == (7.0, 7.0, 7.0, 0, 0)


@pytest.mark.parametrize("key", ["sdr", "name", "policies"])
def test_a_key_other_than_the_date_horizon_and_pipeline_is_refused_at_its_line(tmp_path, key):
    text = f"start_date: 2026-03-02\n{key}:\n  headcount: 4\n" + deals(deal())
    path = write(tmp_path, text)
    message = (
        "a pipeline file sets only start_date, horizon, pipeline; set the rest in the scenario"
    )
    assert problems(pipeline=path) == [Problem(str(path), key, message, 2)]


def test_every_key_a_pipeline_file_may_not_set_is_named(tmp_path):
    text = "sdr:\n  headcount: 4\n" + deals(deal()) + "sla:\n  enforced: true\n"
    path = write(tmp_path, text)
    found = problems(pipeline=path)
    assert [(p.source, p.path, p.line) for p in found] == [
        (str(path), "sdr", 1),
        (str(path), "sla", line_of(text, "sla:")),
    ]


@pytest.mark.parametrize(
    ("segment", "stage"),
    [("smb", "proposal"), ("smb", "solution"), ("enterprise", "demo"), ("mid_market", "close")],
)
def test_a_stage_the_deals_segment_lacks_names_the_key_the_line_and_the_stages(
    tmp_path, segment, stage
):
    text = deals(deal(), deal(segment=segment, stage=stage))
    path = write(tmp_path, text)
    (problem,) = problems(pipeline=path)
    assert problem.source == str(path)
    assert problem.path == "pipeline.deals.1.stage"
    assert problem.line == line_of(text, "stage:", nth=2)
    assert problem.message == (
        f"unknown stage {stage!r}; expected one of the stages of segment {segment}: "
        f"{STAGES[segment]}"
    )


def test_the_stages_listed_are_the_scenarios_own(reference):
    for segment, names in STAGES.items():
        assert ", ".join(s.name for s in reference.segments[segment].stages) == names


def test_an_unknown_source_and_segment_are_each_named_at_their_key(tmp_path):
    text = deals(deal(source="webinar"), deal(segment="midmarket", stage="proposal"))
    path = write(tmp_path, text)
    found = problems(pipeline=path)
    # An unknown segment has no stages to judge the deal's stage by: two problems, not three.
    assert found == [
        Problem(
            str(path),
            "pipeline.deals.0.source",
            f"unknown source 'webinar'; expected one of the sources: {SOURCES}",
            line_of(text, "source: webinar"),
        ),
        Problem(
            str(path),
            "pipeline.deals.1.segment",
            f"unknown segment 'midmarket'; expected one of the segments: {SEGMENTS}",
            line_of(text, "segment: midmarket"),
        ),
    ]


def test_time_in_the_stage_longer_than_the_deals_age_is_refused(tmp_path):
    text = deals(deal(), deal(age="3d", in_stage="5d"))
    path = write(tmp_path, text)
    (problem,) = problems(pipeline=path)
    assert problem.source == str(path)
    assert problem.path == "pipeline.deals.1"  # a check across two keys: named at the deal
    assert problem.line == line_of(text, "- source:", nth=2)
    assert problem.message == "expected in_stage at most the deal's age (3d), got 5d"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("value", "-5", "expected greater than or equal to 0, got -5"),
        ("ae", "-1", "expected greater than or equal to 0, got -1"),
        ("ae", "1.5", "expected a valid integer, got 1.5"),
        ("ae", "'2'", "expected a valid integer, got '2'"),
        ("age", "-3d", "expected a duration with a unit"),
        ("in_stage", "-1d", "expected a duration with a unit"),
    ],
)
def test_a_negative_value_ae_or_age_is_refused(tmp_path, field, value, message):
    text = deals(deal(), deal(**{field: value}))
    path = write(tmp_path, text)
    (problem,) = problems(pipeline=path)
    assert (problem.source, problem.path) == (str(path), f"pipeline.deals.1.{field}")
    assert problem.line == line_of(text, f"{field}: {value}")
    assert problem.message.startswith(message)


def test_a_negative_value_and_ae_are_both_reported_at_once(tmp_path):
    text = deals(deal(value="-5", ae="-1"))
    path = write(tmp_path, text)
    assert [(p.path, p.line) for p in problems(pipeline=path)] == [
        ("pipeline.deals.0.value", line_of(text, "value: -5")),
        ("pipeline.deals.0.ae", line_of(text, "ae: -1")),
    ]


@pytest.mark.parametrize(
    "text", ["start_date: 2026-03-02\nhorizon:\n  warmup: 0d\n", "horizon:\n  length: 8w\n"]
)
def test_a_file_without_a_pipeline_is_refused(tmp_path, text):
    path = write(tmp_path, text)
    assert problems(pipeline=path) == [
        Problem(str(path), "pipeline", "expected a mapping with a pipeline")
    ]


OLD_FORMAT = """\
start_date: 2026-03-02
pipeline:
  - source: inbound
    segment: smb
    stage: demo
    age: 10d
"""
"""The earlier format: the deals as a list right under ``pipeline``, with no date."""


@pytest.mark.parametrize(
    ("text", "key", "message", "line"),
    [
        (
            "pipeline:\n  deals:\n    - source: inbound\n      segment: smb\n"
            "      stage: demo\n      age: 10d\n",
            "pipeline.date",
            "missing required key",
            1,
        ),
        (f"pipeline:\n  date: {DATE}\n", "pipeline.deals", "missing required key", 1),
        (OLD_FORMAT, "pipeline", "expected a valid dictionary or instance of Pipeline", 2),
    ],
    ids=["no date", "no deals", "earlier format"],
)
def test_a_pipeline_without_its_date_or_its_deals_is_refused_at_its_key(
    tmp_path, text, key, message, line
):
    path = write(tmp_path, text)
    assert problems(pipeline=path) == [Problem(str(path), key, message, line)]


RUN = "start_date: 2026-03-02\nhorizon:\n  warmup: 2w\n  length: 8w\n"
"""A run of eight weeks from 2026-03-02: it ends on 2026-04-27."""


@pytest.mark.parametrize("date", ["2026-03-02", "2026-03-16", "2026-04-26"])
def test_a_pipeline_date_from_the_start_to_the_last_day_of_the_run_is_taken(tmp_path, date):
    path = write(tmp_path, RUN + deals(deal(), date=date))
    scenario = funnelsim.load_scenario(pipeline=path)
    assert scenario.pipeline.date == dt.date.fromisoformat(date)


@pytest.mark.parametrize(
    "date",
    ["2026-03-01", "2026-04-27", "2027-01-04"],
    ids=["a day before the start", "the end of the run", "months past the end"],
)
def test_a_pipeline_date_outside_the_run_is_refused(tmp_path, date):
    text = RUN + deals(deal(), date=date)
    path = write(tmp_path, text)
    # The check needs start_date and the horizon too: it is the pipeline's, at its line.
    assert line_of(text, "pipeline:") == 5
    assert problems(pipeline=path) == [
        Problem(
            str(path),
            "pipeline",
            "expected its date on or after start_date (2026-03-02) and before the run ends "
            f"(2026-04-27), got {date}",
            5,
        )
    ]


def test_a_start_date_override_that_leaves_the_pipelines_date_behind_is_refused(tmp_path):
    path = write(tmp_path, RUN + deals(deal(), date="2026-03-16"))
    assert problems(pipeline=path, overrides={"start_date": "2026-03-17"}) == [
        Problem(
            str(path),
            "pipeline",
            "expected its date on or after start_date (2026-03-17) and before the run ends "
            "(2026-05-12), got 2026-03-16",
            5,
        )
    ]


def test_set_overrides_win_over_the_pipeline_files_date_and_horizon(tmp_path):
    # 2026-04-13 is inside both runs: 26 weeks from 2026-03-02, and 8 weeks from 2026-04-06.
    text = "start_date: 2026-03-02\nhorizon:\n  warmup: 1w\n  length: 26w\n"
    text += deals(deal(), date="2026-04-13")
    path = write(tmp_path, text)
    from_file = funnelsim.load_scenario(pipeline=path)
    assert (from_file.horizon.length, from_file.horizon.warmup) == (26 * 7.0, 7.0)
    overrides = {"horizon.length": "8w", "start_date": "2026-04-06"}
    scenario = funnelsim.load_scenario(pipeline=path, overrides=overrides)
    assert scenario.horizon.length == 56.0
    assert scenario.horizon.warmup == 7.0  # the file's, where no override says otherwise
    assert scenario.start_date == dt.date(2026, 4, 6)
    assert scenario.pipeline == from_file.pipeline
    # The pipeline's own date gives way to an override as well, its deals untouched.
    moved = funnelsim.load_scenario(pipeline=path, overrides={"pipeline.date": "2026-05-04"})
    assert moved.pipeline.date == dt.date(2026, 5, 4)
    assert from_file.pipeline.date == dt.date(2026, 4, 13)
    assert moved.pipeline.deals == from_file.pipeline.deals
    # A check across the horizon's keys that the override then breaks is named at the file's
    # horizon, saying which override broke it.
    (problem,) = problems(pipeline=path, overrides={"horizon.length": "5d"})
    assert (problem.source, problem.path, problem.line) == (str(path), "horizon", 2)
    assert problem.message == "expected warmup shorter than length (after override horizon.length)"


def test_a_set_override_reaches_into_the_files_deals(tmp_path):
    path = write(tmp_path, GOOD)
    overrides = {"pipeline.deals.1.stage": "commit"}
    scenario = funnelsim.load_scenario(pipeline=path, overrides=overrides)
    assert [d.stage for d in scenario.pipeline.deals] == ["proposal", "commit"]
    assert scenario.pipeline.date == dt.date(2026, 3, 16)
    (problem,) = problems(pipeline=path, overrides={"pipeline.deals.1.stage": "proposal"})
    assert problem.path == "pipeline.deals.1.stage"
    assert problem.source == "override pipeline.deals.1.stage"
    assert problem.message.endswith(f"stages of segment smb: {STAGES['smb']}")


@pytest.mark.parametrize("policy", ["misaligned", "aligned"])
def test_the_pipeline_applies_under_every_policy(tmp_path, policy):
    path = write(tmp_path, GOOD)
    plain = funnelsim.load_scenario(pipeline=path)
    scenario = funnelsim.load_scenario(policy=policy, pipeline=path)
    assert scenario.policy == policy
    assert scenario.pipeline == plain.pipeline and len(scenario.pipeline.deals) == 2
    assert scenario.pipeline.date == dt.date(2026, 3, 16)
    assert scenario.start_date == dt.date(2026, 3, 2) and scenario.horizon.warmup == 14.0
    # The policy itself still applies on top of the pipeline file.
    alone = funnelsim.load_scenario(policy=policy)
    assert scenario.scoring == alone.scoring and scenario.sla == alone.sla
    assert scenario.scoring.mql_threshold == {"misaligned": 45, "aligned": 60}[policy]


def test_a_bad_deal_is_refused_under_a_policy_too(tmp_path):
    text = deals(deal(stage="proposal"))
    path = write(tmp_path, text)
    (problem,) = problems(policy="aligned", pipeline=path)
    assert (problem.source, problem.path, problem.line) == (
        str(path),
        "pipeline.deals.0.stage",
        line_of(text, "stage: proposal"),
    )


def test_the_scenario_dump_and_hash_carry_the_deals(tmp_path):
    scenario = funnelsim.load_scenario(pipeline=write(tmp_path, GOOD))
    dumped = scenario.model_dump(mode="json", by_alias=True)["pipeline"]
    assert dumped == {
        "date": "2026-03-16",
        "deals": [
            {
                "id": "D-1",
                "source": "inbound",
                "segment": "mid_market",
                "stage": "proposal",
                "age": "34.5d",
                "in_stage": "6d",
                "value": 42000.0,
                "ae": 1,
            },
            {
                "id": None,
                "source": "events",
                "segment": "smb",
                "stage": "demo",
                "age": "12d",
                "in_stage": None,
                "value": None,
                "ae": None,
            },
        ],
    }
    # One day more in one deal's stage is another scenario.
    other = write(tmp_path, GOOD.replace("in_stage: 6d", "in_stage: 7d"), "other.yaml")
    assert scenario_hash(funnelsim.load_scenario(pipeline=other)) != scenario_hash(scenario)
    # So are the same deals open a day later.
    later = write(tmp_path, GOOD.replace(f"date: {DATE}", "date: 2026-03-17"), "later.yaml")
    assert scenario_hash(funnelsim.load_scenario(pipeline=later)) != scenario_hash(scenario)
    # Without the deals, the same start and horizon is another scenario too.
    bare = funnelsim.load_scenario(overrides={"start_date": "2026-03-02", "horizon.warmup": "2w"})
    assert bare.pipeline is None and scenario_hash(bare) != scenario_hash(scenario)


def test_the_hash_follows_the_deals_not_the_file_they_came_from(tmp_path):
    first = funnelsim.load_scenario(pipeline=write(tmp_path, GOOD, "a.yaml"))
    again = funnelsim.load_scenario(pipeline=write(tmp_path, GOOD, "b.yaml"))
    assert scenario_hash(first) == scenario_hash(again)
    given = first.model_dump(mode="json", by_alias=True)["pipeline"]
    overrides = {"start_date": "2026-03-02", "horizon.warmup": "2w", "pipeline": given}
    by_set = funnelsim.load_scenario(overrides=overrides)
    assert by_set.pipeline == first.pipeline
    assert scenario_hash(by_set) == scenario_hash(first)
