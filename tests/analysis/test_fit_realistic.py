"""A Salesforce export as real orgs write it, by hand: times in UTC with a Z, close dates
without a time, an open deal whose expected close date has passed, a history row per edit,
``Call`` in capitals and a naive time in the autumn's repeated hour. And the shrinkage of
conversion rates against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from funnelsim.analysis.fit import estimates
from funnelsim.analysis.fit.mapping import CrmMapping
from funnelsim.analysis.fit.reading import read_export
from funnelsim.analysis.fit.stages import stage_episodes

LEADS = """Id,CreatedDate,LeadSource,Segment__c,MQL_Date__c,SQL_Date__c
L1,2026-01-05T14:00:00Z,inbound,smb,2026-01-06T15:00:00Z,2026-01-07T15:00:00Z
L2,2026-01-05T15:00:00Z,inbound,smb,2026-01-06T16:00:00Z,2026-01-08T15:00:00Z
L3,2026-01-06T15:00:00Z,inbound,smb,,
"""
# O1: won the day it was created (a close date without a time); O2: lost; O3: open, its
# expected close date already past.
OPPORTUNITIES = """Id,Lead__c,CreatedDate,OwnerId,Segment__c,Amount,StageName,CloseDate,\
Loss_Reason__c
O1,L1,2026-01-09T15:00:00Z,ae-1,smb,10000,Closed Won,2026-01-09,
O2,L2,2026-01-10T15:00:00Z,ae-1,smb,20000,Closed Lost,2026-02-01,lost
O3,L1,2026-02-01T15:00:00Z,ae-2,smb,30000,Qualification,2026-02-15,
"""
# O2's second row is an amount edit: the same stage again. O3's last row is naive and in the
# repeated hour of 1 November 2026 in New York.
HISTORY = """OpportunityId,StageName,CreatedDate
O1,Qualification,2026-01-09T15:00:00Z
O1,Closed Won,2026-01-09T20:00:00Z
O2,Qualification,2026-01-10T15:00:00Z
O2,Qualification,2026-01-15T15:00:00Z
O2,Closed Lost,2026-02-01T15:00:00Z
O3,Qualification,2026-11-01 01:30:00
"""
TASKS = """WhoId,ActivityDate,TaskSubtype,OwnerId
L1,2026-01-06T15:10:00Z,Call,sdr-1
L1,2026-01-07T15:10:00Z,CALL,sdr-1
L2,2026-01-06T16:10:00Z,Email,sdr-2
"""


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("salesforce")
    for name, text in (
        ("Lead", LEADS),
        ("Opportunity", OPPORTUNITIES),
        ("OpportunityHistory", HISTORY),
        ("Task", TASKS),
    ):
        (folder / f"{name}.csv").write_text(text)
    mapping = CrmMapping(
        shape="salesforce",
        timezone="America/New_York",
        export_date="2026-12-01T00:00:00",
        stages={"Qualification": "discovery"},
    )
    return read_export(mapping, folder, ["smb", "mid_market", "enterprise"])


def test_closed_by_stage_and_open_whatever_its_expected_date(data):
    outcome = data.opportunities.set_index("opp_id")["outcome"].to_dict()
    assert outcome == {"O1": "won", "O2": "lost", "O3": "open"}
    assert data.excluded.empty  # closed on the day it was created is not before it


def test_times_in_utc_and_the_repeated_hour_are_read(data):
    created = data.leads.set_index("lead_id")["created"]
    assert created["L1"] == pd.Timestamp("2026-01-05 09:00", tz="America/New_York")
    last = data.stage_history[data.stage_history["opp_id"] == "O3"]["entered"].iloc[0]
    assert last == pd.Timestamp("2026-11-01 01:30-05:00")  # the second 1:30, standard time


def test_an_edit_row_does_not_split_the_stage(data):
    episodes = stage_episodes(data).set_index("opp_id")
    assert episodes.loc["O2", "days"] == pytest.approx(22.0)  # 10 January to 1 February
    assert episodes.loc["O2", "exit"] == "lost"
    assert episodes.loc["O3", "exit"] == "open"


def test_calls_are_matched_whatever_their_case(data):
    found = {e.key: e for e in estimates.desk(data, ["call"])}
    assert "sdr.headcount" not in found  # no call in the export's last quarter
    gap = found["sdr.attempt_gap_days"]
    assert gap.value == pytest.approx(1.0) and gap.n == 1  # L1's two calls, a day apart


@pytest.mark.parametrize(
    ("k", "n", "expected"),
    [
        # Two large sources far apart and one tiny one: the large keep their own rates.
        ([1000, 3000, 1], [10_000, 10_000, 5], None),
        # Three sources no further apart than binomial noise: all get the pooled rate.
        ([100, 104, 98], [1000, 1000, 1000], [302 / 3000] * 3),
    ],
)
def test_rates_are_shrunk_only_as_far_as_the_spread_allows(k, n, expected):
    shrunk = estimates._shrunk(np.array(k, float), np.array(n, float))
    if expected is None:
        assert shrunk[0] == pytest.approx(0.10, abs=0.002)
        assert shrunk[1] == pytest.approx(0.30, abs=0.002)
        assert 0.1 < shrunk[2] < 0.3  # the five leads pulled toward the pool
    else:
        assert shrunk == pytest.approx(expected)
