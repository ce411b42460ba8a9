"""Marketing nurture, advanced in vectorised steps instead of one event per touch.

A lead in nurture is touched every ``touch_every``. At a touch its interest has decayed since
the last one (half-life), it may engage (likelier when its buyer is in market), which closes
part of the gap to full interest, it may unsubscribe, and it is scored: a score at or above
the threshold makes it an MQL at that touch. Nothing else can change a nurtured lead between
touches, so the engine advances every lead in nurture to the end of the current period at
once, and the model only spends SimPy events on the MQLs it finds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from funnelsim.base.streams import Streams
from funnelsim.model.scoring import noisy_score, score_noise
from funnelsim.model.sources import Leads
from funnelsim.scenario.schema import Nurture, Scoring


@dataclass
class Outcomes:
    """What one advance found: leads that became MQLs and leads that unsubscribed."""

    mql: np.ndarray
    mql_at: np.ndarray
    mql_score: np.ndarray
    unsubscribed: np.ndarray
    unsubscribed_at: np.ndarray


@dataclass(frozen=True)
class NurtureState:
    """Leads' nurture as it stands: interest as of the last touch, and the touch counters."""

    interest: np.ndarray
    updated_at: np.ndarray
    touches: np.ndarray
    next_touch: np.ndarray


class NurtureEngine:
    """The nurture state of every lead, and the vectorised step that moves it forward."""

    def __init__(self, leads: Leads, nurture: Nurture, scoring: Scoring, streams: Streams):
        self.leads, self.nurture, self.scoring, self.streams = leads, nurture, scoring, streams
        n = len(leads)
        self.interest = leads.interest.copy()
        self.updated_at = leads.created.copy()
        self.touches = np.zeros(n, dtype=np.uint64)  # touches so far: the per-lead draw counter
        self.next_touch = np.full(n, np.inf)  # inf: not in nurture
        self._decay = np.log(2.0) / nurture.interest_half_life
        # The scoring model's error for each lead: it misjudges the same lead the same way
        # at every touch, so noise alone never walks a cold lead over the threshold.
        self.noise = score_noise(scoring, streams.lead_uniforms("score/noise", leads.key))
        # What a touch reads of each lead and never changes, side by side: one gather a touch.
        # Each lead's own part of its touch draws (engage, unsubscribe) is mixed once, here.
        self._fixed = np.column_stack((leads.created, leads.buy_start, leads.buy_end, leads.fit))
        self._mixed = np.column_stack(
            [
                streams.mixed_leads(name, leads.key)
                for name in ("nurture/engage", "nurture/unsubscribe")
            ]
        )

    def enrol(self, leads: np.ndarray | int, at: np.ndarray | float) -> None:
        """Put leads in nurture; their first scoring is at ``at`` (capture, or a recycle)."""
        self.next_touch[leads] = at

    def state(self, leads: np.ndarray) -> NurtureState:
        """Where these leads stand in nurture: to carry them into another engine."""
        return NurtureState(
            self.interest[leads],
            self.updated_at[leads],
            self.touches[leads],
            self.next_touch[leads],
        )

    def resume(self, leads: np.ndarray, state: NurtureState) -> None:
        """Carry leads in nurture over from another engine, as they stood there."""
        self.interest[leads], self.updated_at[leads] = state.interest, state.updated_at
        self.touches[leads], self.next_touch[leads] = state.touches, state.next_touch

    def advance(self, until: float, threshold: float, only: np.ndarray | None = None) -> Outcomes:
        """Touch every enrolled lead due before ``until``; return the MQLs and opt-outs."""
        found: list[tuple[np.ndarray, ...]] = []
        gone: list[tuple[np.ndarray, np.ndarray]] = []
        due = self.next_touch
        pool = np.flatnonzero(due < until) if only is None else only[due[only] < until]
        while pool.size:
            at, mql, score, unsub = self._touch(pool, threshold)
            found.append((pool[mql], at[mql], score[mql]))
            gone.append((pool[unsub], at[unsub]))
            after, left = at + self.nurture.touch_every, mql | unsub
            due[pool] = after
            due[pool[left]] = np.inf
            # Only the leads just touched can be due again: those that stay, due before until.
            pool = pool[~left & (after < until)]
        if not found:
            empty = np.empty(0, dtype=np.int64)
            return Outcomes(empty, np.empty(0), np.empty(0), empty, np.empty(0))
        lead, at, score = (np.concatenate(c) for c in zip(*found, strict=True))
        order = np.lexsort((lead, at))
        out, out_at = (np.concatenate(c) for c in zip(*gone, strict=True))
        return Outcomes(lead[order], at[order], score[order], out, out_at)

    def _touch(self, pool: np.ndarray, threshold: float) -> tuple[np.ndarray, ...]:
        """Touch the leads of ``pool`` once; return the touch times, MQLs, scores, opt-outs.

        Each lead's columns are gathered with ``take``: the same values as ``column[pool]``,
        copied by a cheaper loop (a period touches every lead in nurture); the fixed ones
        together, a row per lead.
        """
        nurture = self.nurture
        created, buy_start, buy_end, fit = self._fixed.take(pool, axis=0).T
        engage, unsubscribe = self._mixed.take(pool, axis=0).T
        now = self.next_touch.take(pool)
        k = self.touches.take(pool)
        interest = self.interest.take(pool) * np.exp(
            -self._decay * (now - self.updated_at.take(pool))
        )
        # The touch at capture only scores the lead: no email has been sent yet.
        sent = now > created
        in_market = (buy_start <= now) & (now < buy_end)
        p_engage = np.where(in_market, nurture.engage.in_market, nurture.engage.not_in_market)
        draw = self.streams.uniforms_of_mixed
        engaged = sent & (draw(engage, k) < p_engage)
        interest = interest + engaged * nurture.interest_gain * (1.0 - interest)
        unsub = sent & (draw(unsubscribe, k) < nurture.unsubscribe)
        noise = self.noise if np.ndim(self.noise) == 0 else self.noise.take(pool)
        score = noisy_score(self.scoring, fit, interest, noise)
        self.interest[pool] = interest
        self.updated_at[pool] = now
        self.touches[pool] = k + 1
        mql = ~unsub & (score >= threshold)
        return now, mql, score, unsub
