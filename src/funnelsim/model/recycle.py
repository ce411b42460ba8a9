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
