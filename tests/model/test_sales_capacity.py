"""Sales capacity that behaves: AEs decline some SQLs, and buyers do not wait for ever.

Every SQL handed to sales ends one way: opened as an opportunity, declined by the AEs, given
up by its buyer while in line, or still in line at the end. A buyer gives up exactly when
their patience runs out and never waits longer; a declined SQL is a rejected lead.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import funnelsim
from funnelsim.record.ledger import OPP, REASON, STATE
from tests.helpers import small

SCARCE = {"sales.ae_count": 1, "sales.max_open_per_ae": 4, "sdr.headcount": 6}
"""One AE for six SDRs: most SQLs wait, and many buyers give up."""
PATIENCE = {"segments.smb.sales_patience": {"constant": {"value": "3d"}}}


@pytest.fixture(scope="module")
def scarce():
    return funnelsim.simulate(small("aligned", **SCARCE, **PATIENCE), seed=4)


def test_every_sql_ends_one_way(scarce):
    opps = scarce.ledger.opp_frame()
    opened = np.isfinite(opps["opened_at"])
    never = opps["outcome"].isin([OPP["declined"], OPP["no_sales_capacity"]])
    waiting = ~opened & opps["outcome"].eq(OPP["open"])
    assert not (opened & never).any()
    assert (opened | never | waiting).all()
    assert never.sum() > 0 and waiting.sum() > 0  # the case is one where both happen


def test_a_buyer_gives_up_exactly_when_their_patience_runs_out(scarce):
    opps = scarce.ledger.opp_frame()
    segment = scarce.ledger.segment[opps["lead"]]
    gave_up = opps["outcome"].eq(OPP["no_sales_capacity"]).to_numpy()
    smb = segment == list(scarce.scenario.segments).index("smb")
    assert (gave_up & smb).sum() > 20
    waited = (opps["resolved_at"] - opps["queued_at"]).to_numpy()
    assert np.allclose(waited[gave_up & smb], 3.0, rtol=0, atol=1e-9)
    # No smb SQL was opened after waiting past its patience.
    opened = np.isfinite(opps["opened_at"]).to_numpy()
    assert ((opps["opened_at"] - opps["queued_at"]).to_numpy()[opened & smb] <= 3.0).all()
    # Their leads leaked for want of sales capacity, in sales.
    leads = opps["lead"].to_numpy()[gave_up]
    assert (scarce.ledger.state[leads] == STATE["leaked"]).all()
    assert (scarce.ledger.reason[leads] == REASON["no_sales_capacity"]).all()


def test_with_room_for_every_sql_no_buyer_gives_up():
    result = funnelsim.simulate(small("aligned", **PATIENCE, **{"sales.ae_count": 50}), seed=4)
    opps = result.ledger.opp_frame()
    assert len(opps) > 100
    assert not opps["outcome"].eq(OPP["no_sales_capacity"]).any()
    assert result.summary["metrics"]["ae_wait_days_p90"] == 0.0


def test_the_ae_declines_the_share_of_sqls_the_scenario_sets():
    result = funnelsim.simulate(small(**{"sales.acceptance": 0.6}), seed=2)
    outcome = result.ledger.opp_frame()["outcome"]
    declined, n = int(outcome.eq(OPP["declined"]).sum()), len(outcome)
    # Each SQL is declined with probability 0.4, independently: a two-sided binomial test.
    assert n > 300
    assert stats.binomtest(declined, n, 0.4).pvalue > 0.01


def test_a_declined_sql_follows_the_rejected_recycle_rule():
    dropped = {"sales.acceptance": 0.0, "recycle.rejected.enabled": False}
    result = funnelsim.simulate(small(**dropped), seed=2)
    opps = result.ledger.opp_frame()
    assert opps["outcome"].eq(OPP["declined"]).all() and len(opps) > 100
    leads = opps["lead"].to_numpy()
    assert (result.ledger.reason[leads] == REASON["rejected_dropped"]).all()
    assert np.isnan(result.ledger.opp_at).all()  # no SQL became an opportunity
    assert result.summary["metrics"]["sqls_declined"] > 0


def test_more_sdrs_feed_more_sqls_and_a_leak_reason_names_the_ae_bottleneck():
    runs = [
        funnelsim.simulate(small("aligned", **{**SCARCE, **PATIENCE, "sdr.headcount": n}), seed=4)
        for n in (2, 6)
    ]
    fewer, more = (run.summary["metrics"] for run in runs)
    assert more["sqls"] > fewer["sqls"]
    assert more["sqls_no_sales_capacity"] > fewer["sqls_no_sales_capacity"]
    assert more["leaked_no_sales_capacity"] > 0
