"""Qualification: what an SDR decides once the buyer is reached.

An account outside the ideal customer profile (fit below ``min_fit``) is disqualified; any
other is accepted (SAL), then qualified (SQL), likelier while the buyer's latent buying window
is open, or rejected back to marketing.
"""

from __future__ import annotations

from funnelsim.scenario.schema import Sdr


def qualification(
    sdr: Sdr, fit: float, buy_start: float, buy_end: float, now: float, u: float
) -> str:
    """``disqualified``, ``sql`` or ``rejected``: from the lead's fit, whether its buying
    window is open at ``now``, and its pre-drawn uniform ``u``."""
    if fit < sdr.min_fit:
        return "disqualified"
    q = sdr.qualify
    return (
        "sql"
        if u < (q.in_market if buy_start <= now < buy_end else q.not_in_market)
        else "rejected"
    )
