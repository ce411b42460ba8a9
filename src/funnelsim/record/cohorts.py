"""The window's leads followed to their outcome, with the leads still open counted as open.

When a run ends, many of the window's leads have no outcome yet: they are in nurture, at the
SDR desk, waiting for an AE or in an open opportunity. A share of the cohort by final state
(``leakage_rate``) says what has happened so far, not how the journeys end: the later a lead
was captured, the less time it had. Two figures that do not mistake "not yet" for "never":

* **cumulative incidence by outcome** within 180 and 365 days of capture, by the
  Aalen-Johansen estimator, each open lead censored at the run's end: the chance a lead of
  the window is won, closed lost, disqualified or leaked that soon, and still open then. It
  uses every lead, however late it came;
* **the first measured quarter's leads**, followed to the run's end (at least the window less a
  quarter): the share that ended in each outcome, and the share still open.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from funnelsim.record.ledger import STATES, Ledger

OUTCOMES = ("won", "closed_lost", "disqualified", "leaked")
"""How a lead's journey ends: won; closed lost (a deal lost, or ended with no decision);
disqualified by an SDR; or leaked (left without a decision, for any reason)."""
_OUTCOME_OF_STATE = {
    "won": "won",
    "lost": "closed_lost",
    "no_decision": "closed_lost",
    "disqualified": "disqualified",
    "leaked": "leaked",
}
CODE = np.array(
    [OUTCOMES.index(_OUTCOME_OF_STATE[s]) + 1 if s in _OUTCOME_OF_STATE else 0 for s in STATES]
)
"""Per ledger state, its outcome's position in :data:`OUTCOMES` plus one; 0 while open
(nurture, SDR desk, waiting for an AE, open opportunity)."""
HORIZONS = (180, 365)
"""Days since capture at which the cumulative incidences are read."""
SHORT_BY = 1.0
"""How many days a window may fall short of a horizon and still have it read: a measured year
of 52 weeks is 364 days, and one day's shortfall moves an incidence by next to nothing."""
QUARTER = 365.25 / 4
"""The first measured quarter: leads captured this many days after the window opened."""

NAMES = (
    "still_open_at_end",
    "still_open_share",
    *(f"{o}_within_{h}d" for o in OUTCOMES for h in HORIZONS),
    *(f"still_open_after_{h}d" for h in HORIZONS),
    "leads_first_quarter",
    *(f"{o}_share_first_quarter" for o in OUTCOMES if o != "leaked"),
    "leakage_rate_first_quarter",
    "still_open_share_first_quarter",
)
"""The figures :func:`figures` returns, in order."""


def follow_up(ledger: Ledger, start: float, end: float) -> tuple[np.ndarray, ...]:
    """Of the leads captured in ``[start, end)``: days from capture to their outcome, or to
    ``end`` while still open; the outcome's code (:data:`CODE`, 0 for open); and the days
    from capture to ``end``, each lead's follow-up."""
    cohort = (ledger.created >= start) & (ledger.created < end)
    outcome = CODE[ledger.state[cohort]]
    followed = end - ledger.created[cohort]
    days = np.where(outcome > 0, ledger.state_at[cohort] - ledger.created[cohort], followed)
    return days, outcome, followed


def cumulative_incidence(
    days: np.ndarray,
    outcome: np.ndarray,
    horizons: tuple[float, ...] = HORIZONS,
    names: tuple[str, ...] = OUTCOMES,
) -> dict[str, np.ndarray]:
    """Per outcome, the Aalen-Johansen cumulative incidence within each horizon (the share of
    leads whose outcome came at most that many days after capture); and ``still_open``, the
    Kaplan-Meier chance of no outcome by then. Open leads (code 0) are censored at ``days``.
    ``names`` are the outcomes of codes 1, 2, ... (any competing outcomes: a deal's stage
    exits, for instance).

    The Kaplan-Meier curve of any outcome is scipy's; the Aalen-Johansen estimate shares each
    of its drops among the outcomes of that moment in proportion to their leads. Tied times
    are handled as the estimator defines them: every outcome of a moment from the same leads
    at risk, and leads censored at that moment still among them.
    """
    ended = outcome > 0
    data = stats.CensoredData(uncensored=days[ended], right=days[~ended])
    survival = stats.ecdf(data).sf
    times, moment = np.unique(days[ended], return_inverse=True)
    drop = -np.diff(survival.evaluate(times), prepend=1.0)  # chance of ending at each moment
    per_moment = np.bincount(moment, minlength=len(times))
    reached = np.searchsorted(times, horizons, side="right")  # moments up to each horizon
    out = {}
    for code, name in enumerate(names, start=1):
        mine = np.bincount(moment[outcome[ended] == code], minlength=len(times))
        curve = np.concatenate(([0.0], np.cumsum(drop * mine / per_moment)))
        out[name] = curve[reached]
    out["still_open"] = survival.evaluate(np.asarray(horizons, dtype=float))
    return out


def figures(ledger: Ledger, start: float, end: float) -> dict[str, float]:
    """The cohort figures of the window ``[start, end)`` (:data:`NAMES`)."""
    days, outcome, followed = follow_up(ledger, start, end)
    leads = len(days)
    still_open = int((outcome == 0).sum())
    out = {"still_open_at_end": still_open, "still_open_share": _share(still_open, leads)}
    out |= _incidence(days, outcome, end - start)
    return out | _quarter_shares(outcome[followed > end - start - QUARTER])


def _quarter_shares(outcome: np.ndarray) -> dict[str, float]:
    """The first quarter's leads (their outcome codes), and their shares by outcome."""
    leads = len(outcome)
    shares = [_share(int(n), leads) for n in np.bincount(outcome, minlength=len(OUTCOMES) + 1)]
    out = {"leads_first_quarter": leads}
    out |= {f"{o}_share_first_quarter": s for o, s in zip(OUTCOMES[:-1], shares[1:], strict=False)}
    out["leakage_rate_first_quarter"] = shares[-1]
    out["still_open_share_first_quarter"] = shares[0]
    return out


def _incidence(days: np.ndarray, outcome: np.ndarray, window: float) -> dict[str, float]:
    """The cumulative incidences at :data:`HORIZONS`; NaN past the longest follow-up (the
    window's length, give or take :data:`SHORT_BY`) or without leads."""
    nan = np.full(len(HORIZONS), np.nan)
    found = cumulative_incidence(days, outcome) if len(days) else {}
    reach = np.array(HORIZONS) <= window + SHORT_BY
    out = {}
    for name in (*OUTCOMES, "still_open"):
        values = np.where(reach, found.get(name, nan), np.nan)
        suffix = "after" if name == "still_open" else "within"
        out |= {f"{name}_{suffix}_{h}d": float(v) for h, v in zip(HORIZONS, values, strict=True)}
    return out


def _share(a: int, b: int) -> float:
    return a / b if b else float("nan")


# -- their words, for the registry -------------------------------------------------------------
WINDOW = "leads captured in the measured window"
FIRST = f"leads captured in the window's first {QUARTER:.0f} days"
OPEN = "still open (in nurture, at the SDR desk, waiting for an AE or in an open opportunity)"
_WORDS = {
    "won": ("Won", +1, "won"),
    "closed_lost": ("Closed lost", -1, "closed lost (a deal lost or ended with no decision)"),
    "disqualified": ("Disqualified", -1, "disqualified by an SDR"),
    "leaked": ("Leakage", -1, "leaked (left without a decision)"),
    "still_open": ("Still open at the end", 0, OPEN),
}
"""Each outcome, and still open: the label of its share, which way is better, and how a
sentence says it."""
Words = tuple[str, str, int, str, str, str]
"""A figure's entry: name, kind, better direction, label, what it counts over what, and whose
share it is in a sentence ("more leads {...}")."""


def vocabulary() -> list[Words]:
    """The entries of :data:`NAMES`, in order, for the metric registry."""
    at_end = f"{WINDOW.capitalize()} {OPEN} when the run ends"
    return [
        ("still_open_at_end", "count", 0, "Still open at the end", f"{at_end}.", ""),
        (
            "still_open_share",
            "share",
            0,
            "Still open at the end, share of leads",
            f"{at_end}, over all {WINDOW}: neither leaked nor won, their story not over.",
            "still open at the end",
        ),
        *(_within(outcome, days) for outcome in OUTCOMES for days in HORIZONS),
        *(_still_open_after(days) for days in HORIZONS),
        (
            "leads_first_quarter",
            "count",
            0,
            "Leads of the first measured quarter",
            f"The {FIRST}, followed to the run's end: each for at least the window less "
            f"{QUARTER:.0f} days.",
            "",
        ),
        *(_first_quarter(outcome) for outcome in (*OUTCOMES, "still_open")),
    ]


def _within(outcome: str, days: int) -> Words:
    """The cumulative incidence of ``outcome`` within ``days`` of capture."""
    label, better, words = _WORDS[outcome]
    label = "Leaked" if outcome == "leaked" else label
    return (
        f"{outcome}_within_{days}d",
        "share",
        better,
        f"{label} within {days} days of capture",
        f"{WINDOW.capitalize()} {words} within {days} days of capture, over all {WINDOW}: "
        "the Aalen-Johansen cumulative incidence, each lead still open at the run's end "
        "censored there, so it counts for as long as it was seen.",
        f"{outcome.replace('_', ' ')} within {days} days of capture",
    )


def _still_open_after(days: int) -> Words:
    return (
        f"still_open_after_{days}d",
        "share",
        0,
        f"Still open {days} days after capture",
        f"{WINDOW.capitalize()} with no outcome {days} days after capture, over all {WINDOW} "
        "(Kaplan-Meier, open leads censored at the run's end); with the four cumulative "
        f"incidences within {days} days it makes 100%.",
        f"still open {days} days after capture",
    )


def _first_quarter(outcome: str) -> Words:
    """The share of the first quarter's leads in ``outcome`` (or still open) at the end."""
    label, better, words = _WORDS[outcome]
    share = "leakage_rate" if outcome == "leaked" else f"{outcome}_share"
    return (
        f"{share}_first_quarter",
        "share",
        better,
        f"{label}, first-quarter leads",
        f"{FIRST.capitalize()} {words} when the run ends, over all {FIRST}: each counted "
        "once, in its state at the end.",
        f"of the first quarter {outcome.replace('_', ' ')} at the end",
    )
