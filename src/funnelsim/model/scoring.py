"""Lead scoring and the closed-loop threshold review: pure functions, no SimPy inside."""

from __future__ import annotations

import numpy as np
from scipy import special

from funnelsim.scenario.schema import ClosedLoop, Scoring


def lead_score(
    scoring: Scoring, fit: np.ndarray, interest: np.ndarray, u: np.ndarray
) -> np.ndarray:
    """Score on the scale of the weights: fit and interest seen through noise.

    ``u`` are uniforms turned into Gaussian noise, so a score is imperfect in a way that is the
    same for a lead under every policy.
    """
    noise = scoring.noise_sd * special.ndtri(u) if scoring.noise_sd > 0 else 0.0
    return scoring.fit_weight * fit + scoring.interest_weight * interest + noise


def reviewed_threshold(rule: ClosedLoop, threshold: float, sqls: int, decided: int) -> float:
    """The threshold after a joint review of the last period's closed-loop outcomes.

    A proportional step toward the target share of worked MQLs that become SQLs: too few
    qualify, so raise the bar; more than targeted qualify, so lower it and let more through.
    With nothing decided in the period there is no evidence, and the threshold stays.
    """
    if decided == 0:
        return threshold
    step = rule.gain * (rule.target_sql_rate - sqls / decided)
    return float(np.clip(threshold + step, rule.min_threshold, rule.max_threshold))
