"""Recycle rules: which outcomes return a lead to nurture, after what delay, how many times."""

from __future__ import annotations

from dataclasses import dataclass

from funnelsim.scenario.schema import Recycle

NOT_RECYCLED = {
    "rejected": ("leaked", "rejected_dropped"),
    "unreachable": ("leaked", "cadence_exhausted"),
    "lost": ("lost", None),
}
"""Where a lead goes when its outcome is not recycled: (state, leak reason)."""
RECYCLABLE = ("rejected", "unreachable", "stalled", "lost")
"""The outcomes a rule may send back to nurture; ``stalled`` only while its rule is on."""


@dataclass(frozen=True, slots=True)
class Decision:
    recycle: bool
    delay: float = 0.0
    state: str = "nurture"
    reason: str | None = None


def decide(rules: Recycle, outcome: str, recycled_before: int) -> Decision:
    """Recycle ``outcome`` (rejected, unreachable, stalled, lost) or end the lead's journey."""
    rule = getattr(rules, outcome)
    if not rule.enabled:
        state, reason = NOT_RECYCLED[outcome]
        return Decision(False, state=state, reason=reason)
    if recycled_before >= rules.max_recycles:
        if outcome == "lost":  # a decided deal stays lost; only undecided leads leak
            return Decision(False, state="lost")
        return Decision(False, state="leaked", reason="recycle_cap")
    return Decision(True, delay=rule.delay)


def decisions(rules: Recycle) -> dict[tuple[str, bool], Decision]:
    """Every decision :func:`decide` makes, by outcome and whether the cap is reached.

    The recycles so far matter only through the cap, so a run looks its decisions up here
    rather than deciding afresh (a rule that is off decides the same at and below the cap).
    """
    return {
        (outcome, capped): decide(rules, outcome, rules.max_recycles if capped else 0)
        for outcome in RECYCLABLE
        if getattr(rules, outcome).enabled or outcome in NOT_RECYCLED
        for capped in (False, True)
    }
