"""Lead scoring and the closed-loop threshold review, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from funnelsim.model.scoring import ReviewPeriod, lead_score, reviewed_threshold
from funnelsim.scenario.schema import ClosedLoop, Scoring


def test_closed_loop_moves_the_threshold_toward_its_targets():
    capacity = ClosedLoop(enabled=True, target_sla_compliance=0.8, gain=20, min_threshold=40,
                          max_threshold=70)  # fmt: skip
    late = ReviewPeriod(touched=100, on_time=50, accepted=40, qualified=4)
    assert reviewed_threshold(capacity, 50, late) == pytest.approx(56)  # 20 * (0.8 - 0.5)
    early = ReviewPeriod(touched=100, on_time=100)
    assert reviewed_threshold(capacity, 50, early) == pytest.approx(46)
    assert reviewed_threshold(capacity, 69, late) == 70  # clipped to the agreed range
    assert reviewed_threshold(capacity, 50, ReviewPeriod()) == 50  # no evidence, no change
    both = capacity.model_copy(update={"target_sql_rate": 0.3})
    assert reviewed_threshold(both, 50, late) == pytest.approx(50 + 20 * (0.3 + 0.2))
    quality = ClosedLoop(enabled=True, target_sla_compliance=None, target_sql_rate=0.3, gain=10)
    assert reviewed_threshold(quality, 50, late) == pytest.approx(52)  # 10 * (0.3 - 0.1)


def test_score_weights_fit_and_interest():
    scoring = Scoring(fit_weight=60, interest_weight=40, noise_sd=0, mql_threshold=50)
    assert lead_score(scoring, np.array([0.5]), np.array([1.0]), np.array([0.3]))[0] == 70
    noisy = Scoring(noise_sd=10, mql_threshold=50)
    assert lead_score(noisy, np.array([0.0]), np.array([0.0]), np.array([0.5]))[0] == 0
    assert lead_score(noisy, np.array([0.0]), np.array([0.0]), np.array([0.8413447]))[0] == (
        pytest.approx(10, abs=1e-4)
    )
