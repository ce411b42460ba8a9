"""Marketing nurture, advanced from one telling touch to the next instead of touch by touch.

A lead in nurture is touched every ``touch_every``. At a touch its interest has decayed since
the last one (half-life), it may engage (likelier when its buyer is in market), which closes
part of the gap to full interest, it may unsubscribe, and it is scored: a score at or above
the threshold makes it an MQL at that touch.

Most touches change nothing but the decay, and a score only falls while nothing happens. So
the engine draws, for each lead, which of its touches will tell (the next engagement and the
opt-out, each a geometric number of touches away; the touch its buyer enters or leaves the
market, when engagement's odds change; a touch a lowered threshold reaches) and visits those
alone, every lead due in a period at once, in vectorised steps. The touches between are
applied in one decay. The model only spends SimPy events on the MQLs it finds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from funnelsim.base.streams import Streams
from funnelsim.model.scoring import noisy_score, score_noise
from funnelsim.model.sources import Leads
from funnelsim.scenario.schema import Nurture, Scoring

NEVER = np.inf
ENGAGE, UNSUBSCRIBE = "nurture/engage", "nurture/unsubscribe"
"""The streams of nurture's per-lead draws."""


@dataclass
class Outcomes:
    """What one advance found: leads that became MQLs and leads that unsubscribed."""

    mql: np.ndarray
    mql_at: np.ndarray
    mql_score: np.ndarray
    unsubscribed: np.ndarray
    unsubscribed_at: np.ndarray


COLUMNS = (
    "interest",
    "updated_at",
    "enrolled",
    "index",
    "engage_at",
    "leave_at",
    "turn_at",
    "draws",
    "enrolments",
)
"""A lead's nurture state, a row of :attr:`NurtureState.rows`. Touches are counted from the
lead's enrolment (capture, or its return from a recycle): touch ``k`` is at
``enrolled + k * touch_every``, and ``engage_at``, ``leave_at`` and ``turn_at`` name the
touches of its next engagement, its opt-out, and its buyer entering or leaving the market
(``inf``: never). ``index`` is its next touch that tells; interest is as of ``updated_at``, its
last told touch. ``draws`` and ``enrolments`` count its draws, for its per-lead streams."""
INTEREST, UPDATED_AT, ENROLLED, INDEX = range(4)
DRAWS = COLUMNS.index("draws")


@dataclass
class NurtureState:
    """Where each lead stands in nurture: a row of :data:`COLUMNS` per lead, side by side so
    that a step gathers and writes back each lead's state at once; and when its next telling
    touch is (``inf``: not in nurture)."""

    rows: np.ndarray
    next_touch: np.ndarray

    def column(self, name: str) -> np.ndarray:
        """One column of the rows (a view)."""
        return self.rows[:, COLUMNS.index(name)]

    def take(self, leads: np.ndarray) -> NurtureState:
        """These leads' state, in the order of ``leads``."""
        return NurtureState(self.rows[leads], self.next_touch[leads])

    def put(self, leads: np.ndarray, state: NurtureState) -> None:
        """Write ``state`` as these leads' state."""
        self.rows[leads], self.next_touch[leads] = state.rows, state.next_touch


@dataclass(frozen=True)
class Carried:
    """Leads in nurture carried to another engine: their state, and what it was checked at."""

    state: NurtureState
    since: float  # every touch before it has been told
    bar: float  # the threshold the leads' schedules were checked against


class NurtureEngine:
    """The nurture state of every lead, and the vectorised step that moves it forward."""

    def __init__(self, leads: Leads, nurture: Nurture, scoring: Scoring, streams: Streams):
        self.leads, self.nurture, self.scoring, self.streams = leads, nurture, scoring, streams
        n = len(leads)
        rows = np.full((n, len(COLUMNS)), NEVER)  # no engagement, opt-out or turn drawn yet
        rows[:, INTEREST], rows[:, UPDATED_AT] = leads.interest, leads.created
        rows[:, ENROLLED], rows[:, INDEX], rows[:, DRAWS:] = 0.0, 0.0, 0.0
        self.state = NurtureState(rows, np.full(n, NEVER))
        self._decay = np.log(2.0) / nurture.interest_half_life
        # Of engaging out of and in market, and of opting out: the geometric gaps' parameters.
        engage = nurture.engage
        self._log_miss = log_miss(np.array([engage.not_in_market, engage.in_market]))
        self._log_stay = float(log_miss(nurture.unsubscribe))
        self._since, self._bar = -NEVER, -NEVER  # see Carried
        # The scoring model's error for each lead: it misjudges the same lead the same way
        # at every touch, so noise alone never walks a cold lead over the threshold.
        self.noise = score_noise(scoring, streams.lead_uniforms("score/noise", leads.key))
        # What a touch reads of each lead and never changes, side by side: one gather a touch.
        # Each lead's own part of its draws (engage, unsubscribe) is mixed once, here.
        self._fixed = np.column_stack((leads.created, leads.buy_start, leads.buy_end, leads.fit))
        self._mixed = np.column_stack(
            [streams.mixed_leads(name, leads.key) for name in (ENGAGE, UNSUBSCRIBE)]
        )

    @property
    def next_touch(self) -> np.ndarray:
        """When each lead's next telling touch is; ``inf`` when it is not in nurture."""
        return self.state.next_touch

    def enrol(self, leads: np.ndarray | int, at: np.ndarray | float) -> None:
        """Put leads in nurture; their first scoring is at ``at`` (capture, or a recycle)."""
        state = self.state
        state.rows[leads, ENROLLED] = state.next_touch[leads] = at
        state.rows[leads, INDEX] = 0.0

    def returned(
        self, leads: np.ndarray, since: np.ndarray, at: np.ndarray, noise: np.ndarray
    ) -> None:
        """Put leads back from a recycle in another run into nurture: their interest (the
        leads' own) is as of ``since``, their scoring error ``noise`` carried over, and their
        first touch here at ``at``, its draws afresh."""
        self.state.rows[leads, UPDATED_AT] = since
        if np.ndim(self.noise):
            self.noise[leads] = noise
        self.enrol(leads, at)

    def carry(self, leads: np.ndarray) -> Carried:
        """Where these leads stand in nurture: to carry them into another engine."""
        return Carried(self.state.take(leads), self._since, self._bar)

    def resume(self, leads: np.ndarray, carried: Carried) -> None:
        """Carry leads in nurture over from another engine, as they stood there."""
        self.state.put(leads, carried.state)
        self._since, self._bar = max(self._since, carried.since), max(self._bar, carried.bar)

    def advance(self, until: float, threshold: float, only: np.ndarray | None = None) -> Outcomes:
        """Tell every touch before ``until`` of the leads in nurture (or of ``only``, which
        catches up leads just returned); return the MQLs and opt-outs."""
        if only is None and threshold < self._bar:
            self._lowered(threshold)
        self._bar = threshold if only is None else max(self._bar, threshold)
        found: list[tuple[np.ndarray, ...]] = []
        gone: list[tuple[np.ndarray, np.ndarray]] = []
        due = self.state.next_touch
        pool = np.flatnonzero(due < until) if only is None else only[due[only] < until]
        while pool.size:
            at, mql, score, unsub = self._tell(pool, threshold)
            found.append((pool[mql], at[mql], score[mql]))
            gone.append((pool[unsub], at[unsub]))
            due[pool[mql | unsub]] = NEVER
            pool = pool[due.take(pool) < until]
        if only is None:
            self._since = until
        if not found:
            empty = np.empty(0, dtype=np.int64)
            return Outcomes(empty, np.empty(0), np.empty(0), empty, np.empty(0))
        lead, at, score = (np.concatenate(c) for c in zip(*found, strict=True))
        order = np.lexsort((lead, at))
        out, out_at = (np.concatenate(c) for c in zip(*gone, strict=True))
        return Outcomes(lead[order], at[order], score[order], out, out_at)

    def _tell(self, pool: np.ndarray, threshold: float) -> tuple[np.ndarray, ...]:
        """Visit the next telling touch of each lead of ``pool``; return the touch times,
        MQLs, scores and opt-outs, and schedule each lead's next telling touch.

        Each lead's columns are gathered with ``take``: the same values as ``column[pool]``,
        copied by a cheaper loop; the fixed ones together, a row per lead.
        """
        state, every = self.state, self.nurture.touch_every
        created, buy_start, buy_end, fit = self._fixed.take(pool, axis=0).T
        rows, now = state.rows.take(pool, axis=0), state.next_touch.take(pool)
        _, updated_at, enrolled, k, engage_at, leave_at, turn_at, draws, enrolments = rows.T
        interest = self._decayed(rows[:, INTEREST], updated_at, now)
        in_market = (buy_start <= now) & (now < buy_end)
        # A lead's enrolment touch draws its opt-out; it and the touch its buyer enters or
        # leaves the market draw its next engagement, at the odds in force until the next turn.
        fresh = np.flatnonzero(k == 0)
        if fresh.size:
            u = self._uniforms(pool[fresh], 1, enrolments[fresh])
            leave_at[fresh] = opt_out_touch(u, self._log_stay, now[fresh] > created[fresh])
            enrolments[fresh] += 1.0
        turned = np.flatnonzero((k == 0) | (k == turn_at))
        if turned.size:
            # The capture touch only scores the lead: no email has been sent yet.
            first = k[turned] + (now[turned] <= created[turned])
            engage_at[turned] = first + self._gap(pool[turned], draws[turned], in_market[turned])
            draws[turned] += 1.0
            edge = _market_edge(now[turned], buy_start[turned], buy_end[turned], in_market[turned])
            turn_at[turned] = first_touch(enrolled[turned], edge, every)
        engaged = np.flatnonzero(engage_at == k)
        if engaged.size:
            interest[engaged] += self.nurture.interest_gain * (1.0 - interest[engaged])
            gap = self._gap(pool[engaged], draws[engaged], in_market[engaged])
            engage_at[engaged] = k[engaged] + 1.0 + gap
            draws[engaged] += 1.0
        unsub = leave_at == k
        score = self._score(pool, fit, interest)
        nxt = np.minimum(np.minimum(engage_at, leave_at), turn_at)
        rows[:, INTEREST], rows[:, UPDATED_AT], rows[:, INDEX] = interest, now, nxt
        state.rows[pool] = rows
        state.next_touch[pool] = enrolled + nxt * every
        return now, ~unsub & (score >= threshold), score, unsub

    def _uniforms(self, leads: np.ndarray, stream: int, counters: np.ndarray) -> np.ndarray:
        """These leads' uniforms of nurture's stream ``stream`` (engage 0, unsubscribe 1)."""
        return self.streams.uniforms_of_mixed(
            self._mixed[leads, stream], counters.astype(np.uint64)
        )

    def _gap(self, leads: np.ndarray, draws: np.ndarray, in_market: np.ndarray) -> np.ndarray:
        """Touches before the next engagement, at the odds of in or out of market: geometric."""
        u = self._uniforms(leads, 0, draws)
        with np.errstate(divide="ignore"):  # odds of zero: never
            return np.floor(np.log(u) / self._log_miss[in_market.astype(np.intp)])

    def _decayed(self, interest: np.ndarray, since: np.ndarray, now: np.ndarray) -> np.ndarray:
        """Interest at ``now`` of leads last touched at ``since``: one decay for the gap, the
        same arithmetic wherever a touch is told or checked."""
        return interest * np.exp(-self._decay * (now - since))

    def _score(self, pool: np.ndarray, fit: np.ndarray, interest: np.ndarray) -> np.ndarray:
        """The scores of the leads of ``pool``, with their own scoring error."""
        noise = self.noise if np.ndim(self.noise) == 0 else self.noise.take(pool)
        return noisy_score(self.scoring, fit, interest, noise)

    def _lowered(self, threshold: float) -> None:
        """The threshold fell: a lead whose score at its first untold touch clears it becomes an
        MQL there. (While nothing happens a score only falls, so no later touch could.)"""
        state, every = self.state, self.nurture.touch_every
        pool = np.flatnonzero(np.isfinite(state.next_touch))
        interest, updated_at, enrolled, index = state.rows.take(pool, axis=0)[:, : INDEX + 1].T
        k = np.minimum(first_touch(enrolled, self._since, every), index)
        now = enrolled + k * every
        fit = self._fixed[pool, 3]  # created, buy_start, buy_end, fit
        score = self._score(pool, fit, self._decayed(interest, updated_at, now))
        hit = (score >= threshold) & (k < index)
        state.rows[pool[hit], INDEX], state.next_touch[pool[hit]] = k[hit], now[hit]


def first_touch(enrolled: np.ndarray, t: np.ndarray | float, every: float) -> np.ndarray:
    """The first touch of each enrolment at or after ``t``, in the engine's own arithmetic
    (touch ``k`` is at ``enrolled + k * every``), so that no rounding skips one."""
    k = np.maximum(np.ceil((t - enrolled) / every), 0.0)
    k[enrolled + k * every < t] += 1.0
    earlier = (k > 0) & (enrolled + (k - 1.0) * every >= t)
    k[earlier] -= 1.0
    return k


def opt_out_touch(u: np.ndarray, log_stay: float, sent: np.ndarray | bool) -> np.ndarray:
    """The touch of an enrolment at which a lead opts out, from its uniform: geometric, with
    ``log_stay = log(1 - unsubscribe)``; a capture touch (``sent`` false) cannot."""
    with np.errstate(divide="ignore"):  # no opting out: never
        return np.floor(np.log(u) / log_stay) + np.logical_not(sent)


def subscribed(
    nurture: Nurture, streams: Streams, key: np.ndarray, created: np.ndarray, at: float
) -> np.ndarray:
    """Whether leads nurtured from capture have not opted out before ``at``: the opt-out of
    their first enrolment, drawn as the engine draws it, comes at ``at`` or later."""
    u = streams.lead_uniforms(UNSUBSCRIBE, key)
    log_stay = float(log_miss(nurture.unsubscribe))
    return created + opt_out_touch(u, log_stay, False) * nurture.touch_every >= at


def log_miss(p: np.ndarray | float) -> np.ndarray:
    """``log(1 - p)``, the parameter of a geometric gap between chances ``p``: ``-inf`` for a
    certainty (the very next touch)."""
    with np.errstate(divide="ignore"):
        return np.log1p(-np.asarray(p, dtype=float))


def _market_edge(
    now: np.ndarray, buy_start: np.ndarray, buy_end: np.ndarray, in_market: np.ndarray
) -> np.ndarray:
    """When each buyer next enters or leaves the market after ``now`` (``inf``: never)."""
    return np.where(in_market, buy_end, np.where(now < buy_start, buy_start, NEVER))
