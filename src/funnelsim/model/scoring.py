"""Lead scoring and the closed-loop threshold review: pure functions, no SimPy inside."""

from __future__ import annotations

from dataclasses import dataclass

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
    return noisy_score(scoring, fit, interest, score_noise(scoring, u))


def score_noise(scoring: Scoring, u: np.ndarray) -> np.ndarray | float:
    """The scoring error from uniforms: Gaussian with sd ``noise_sd``, or none."""
    return scoring.noise_sd * special.ndtri(u) if scoring.noise_sd > 0 else 0.0


def noisy_score(
    scoring: Scoring, fit: np.ndarray, interest: np.ndarray, noise: np.ndarray | float
) -> np.ndarray:
    """:func:`lead_score` with the error already drawn: nurture scores a lead many times."""
    return scoring.fit_weight * fit + scoring.interest_weight * interest + noise


@dataclass
class ReviewPeriod:
    """What a threshold review looks at: the period's MQLs, as counted by the SDR desk."""

    touched: int = 0  # MQLs whose response clock closed: first touched, or aged out unworked
    on_time: int = 0  # ... of which first touched within the SLA response time
    accepted: int = 0  # MQLs accepted (SAL) by the SDRs
    qualified: int = 0  # ... of which qualified (SQL)


def reviewed_threshold(rule: ClosedLoop, threshold: float, period: ReviewPeriod) -> float:
    """The threshold after a joint review of the last period.

    A proportional step: for each signal with a target, ``gain`` points per unit of shortfall.
    Too few MQLs touched in time means more MQLs than the desk can work, and too few accepted
    MQLs qualifying means weak MQLs: both raise the bar; surpluses lower it. A signal with no
    evidence in the period (nothing touched, nothing accepted) leaves its part at zero.
    """
    gap, evidence = 0.0, False
    if rule.target_sla_compliance is not None and period.touched:
        gap += rule.target_sla_compliance - period.on_time / period.touched
        evidence = True
    if rule.target_sql_rate is not None and period.accepted:
        gap += rule.target_sql_rate - period.qualified / period.accepted
        evidence = True
    if not evidence:
        return threshold
    return float(np.clip(threshold + rule.gain * gap, rule.min_threshold, rule.max_threshold))
