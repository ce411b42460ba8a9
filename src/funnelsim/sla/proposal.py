"""SLA proposal files: the clauses leaders are asked to sign, as a policy and as promises.

A proposal states, in business terms, what marketing promises sales (so many MQLs or SQLs a
period, so many of them accepted) and what sales promises back (first touch within so many
business hours for so many MQLs, so many attempts over so many business days, unengaged leads
and stalled deals handed back to marketing). It is read two ways:

* :meth:`Proposal.overlay` is the **policy overlay** the clauses imply, a partial scenario
  applied on the scenario's base like any policy in its ``policies:`` section (keys it leaves
  alone keep the base values, not the baseline's), so a proposal and its baseline compare
  like ``aligned`` and ``misaligned`` do;
* :meth:`Proposal.clauses` are the **promises** a run is judged against, period by period.

Clause to scenario key (the overlay):

====================================  =====================================================
proposal key                          scenario keys it sets
====================================  =====================================================
``sales.first_touch.within: T``       ``sla.response_time: T``, ``sla.enforced: true``
``sales.attempts.at_least: K``        ``sdr.attempts: K``
``sales.attempts.over: D`` (K > 1)    ``sdr.attempt_spacing: D / (K - 1)``, in D's unit: the
                                      first attempt is the first touch, the last falls D after
                                      it (6 attempts over ``10d`` are ``2d`` apart)
``sales.unengaged_to_nurture_after``  ``recycle.unreachable: {enabled: true, delay: D}``: a
                                      lead the cadence never reached goes back to nurture,
                                      which picks it up again D later (the model has no other
                                      engagement clock: the cadence's end is when a lead is
                                      judged unengaged)
``sales.stalled_to_marketing_after``  ``sales.stall_after: D``, ``recycle.stalled.enabled:
                                      true`` (the stalled rule's delay stays the scenario's)
``marketing.*``, ``for_at_least``     nothing: outcomes to judge, not levers
``levers``                            deep-merged as written
====================================  =====================================================

``set`` holds dotted keys applied to the baseline and the proposal alike, like an experiment
file's ``set`` (a longer warm-up, say, so that both are judged in their steady state).

``within`` and ``over`` are on the business clock (``1d`` is a working day); the two
hand-back delays are calendar time, like every recycle delay and ``stall_after``.

A lever that sets a key a clause also sets, to another value, is an error reported at the
lever's line: the proposal would promise one thing and simulate another. Setting the same
value twice is allowed, and so is planning the attempts closer together than the window
implies, in the same unit (``sdr.attempt_spacing: 1.6d`` for 6 attempts over ``10d``): the
promise stands, and follow-ups get room to wait for a free SDR.

Every problem is reported at once with the file, line and dotted key, as scenario and
experiment files are; the overlay is checked by resolving the scenario with it, and problems
it causes are moved back to the proposal key that set the value.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from funnelsim.base.mapping import deep_merge
from funnelsim.base.units import parse_duration
from funnelsim.base.yamldoc import Document, Key, problem_at, validated
from funnelsim.errors import Problem, ScenarioError
from funnelsim.experiments.design import scenario_path
from funnelsim.experiments.spec import bundled_experiment
from funnelsim.scenario import resolve
from funnelsim.scenario.schema import Scenario

Period = Literal["month", "quarter"]
MONTHS = {"month": 1, "quarter": 3}
UNIT_WORDS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}


def _percent(value: Any) -> Any:
    """``"90%"`` is 0.9; anything else goes on to the number check."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return float(value.strip()[:-1]) / 100
        except ValueError:
            return value
    return value


def _share(value: float) -> float:
    if not 0 <= value <= 1:
        raise ValueError(f"expected a share between 0 and 1 (0.9 or '90%'), got {value:g}")
    return value


def _positive_duration(text: str) -> str:
    if parse_duration(text) <= 0:
        raise ValueError(f"expected a duration above zero, got {text!r}")
    return text.strip()


def _duration(text: str) -> str:
    parse_duration(text)
    return text.strip()


Share = Annotated[float, BeforeValidator(_percent), AfterValidator(_share)]
"""A share of MQLs, 0 to 1; ``"90%"`` is accepted for 0.9."""
PositiveDuration = Annotated[str, BeforeValidator(_positive_duration)]
"""A duration above zero, kept as written (``"4h"``)."""
Delay = Annotated[str, BeforeValidator(_duration)]
"""A duration of zero or more, kept as written."""


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


class Volume(_Strict):
    """At least so many leads a period; ``per`` defaults to the proposal's period."""

    at_least: int = Field(ge=1)
    per: Period | None = None


class Acceptance(_Strict):
    """At least this share of marketing's MQLs accepted by SDRs (SAL / MQL)."""

    at_least: Share


class Marketing(_Strict):
    """What marketing promises: volume (MQLs or SQLs, or both) and quality (acceptance)."""

    mqls: Volume | None = None
    sqls: Volume | None = None
    accepted: Acceptance | None = None


class FirstTouch(_Strict):
    """First touch within ``within`` business time for at least ``for_at_least`` of MQLs."""

    within: PositiveDuration
    for_at_least: Share


class Attempts(_Strict):
    """At least ``at_least`` attempts, spread over ``over``, on ``for_at_least`` of the MQLs
    the desk gives up on without reaching the buyer (all of them unless said otherwise)."""

    at_least: int = Field(ge=1, le=100)
    over: PositiveDuration | None = None
    for_at_least: Share = 1.0

    @model_validator(mode="after")
    def _cadence(self) -> Attempts:
        if self.at_least > 1 and self.over is None:
            raise ValueError(
                "expected 'over' (a business duration such as '10d') with more than one "
                "attempt: it sets the spacing of the attempts"
            )
        return self


class SalesSide(_Strict):
    """What sales promises: response, cadence, and leads and deals handed back."""

    first_touch: FirstTouch | None = None
    attempts: Attempts | None = None
    unengaged_to_nurture_after: Delay | None = None
    stalled_to_marketing_after: PositiveDuration | None = None


@dataclass(frozen=True)
class Clause:
    """One promise to judge per period.

    ``threshold`` is what must hold in each ``period``: a count of leads (volumes, already
    converted to the period) or a share of MQLs (acceptance, first touch, and the unreached
    MQLs that had the cadence of ``attempts`` over ``over``). ``key`` is the proposal key that
    states it.
    """

    side: Literal["marketing", "sales"]
    name: str
    period: Period
    threshold: float
    description: str
    key: str
    within: str | None = None
    attempts: int | None = None
    over: str | None = None

    @property
    def label(self) -> str:
        """The clause in a few words, for table rows and figure axes."""
        share = _pct(self.threshold)
        if self.name.endswith("_volume"):
            what = self.name.removesuffix("_volume").upper() + "s"
            return f"{_number(self.threshold)} {what} a {self.period}"
        if self.name == "acceptance":
            return f"{share} of MQLs accepted"
        if self.name == "first_touch":
            return f"{share} touched within {self.within} (business)"
        over = f" over {self.over}" if self.over else ""
        return f"{self.attempts} attempts{over} for {share} of unreached"


class Proposal(_Strict):
    """An SLA proposal: its scenario, the baseline to beat, the clauses and extra levers."""

    name: str | None = None
    description: str | None = None
    scenario: str = "reference"
    baseline: str | None = None
    period: Period = "month"
    marketing: Marketing = Marketing()
    sales: SalesSide = SalesSide()
    levers: dict[str, Any] = Field(default_factory=dict)
    set: dict[str, Any] = Field(default_factory=dict)
    _base: Path | None = pydantic.PrivateAttr(default=None)

    # -- the policy -------------------------------------------------------------------------
    def implied(self) -> dict[Key, tuple[Any, Key]]:
        """Every scenario key a clause sets: its value and the proposal key that sets it."""
        out: dict[Key, tuple[Any, Key]] = {}
        sales = self.sales
        if sales.first_touch is not None:
            where = ("sales", "first_touch", "within")
            out[("sla", "response_time")] = (sales.first_touch.within, where)
            out[("sla", "enforced")] = (True, where)
        if sales.attempts is not None:
            out[("sdr", "attempts")] = (sales.attempts.at_least, ("sales", "attempts", "at_least"))
            spacing = attempt_spacing(sales.attempts.at_least, sales.attempts.over)
            if spacing is not None:
                out[("sdr", "attempt_spacing")] = (spacing, ("sales", "attempts", "over"))
        if sales.unengaged_to_nurture_after is not None:
            where = ("sales", "unengaged_to_nurture_after")
            out[("recycle", "unreachable", "enabled")] = (True, where)
            out[("recycle", "unreachable", "delay")] = (sales.unengaged_to_nurture_after, where)
        if sales.stalled_to_marketing_after is not None:
            where = ("sales", "stalled_to_marketing_after")
            out[("sales", "stall_after")] = (sales.stalled_to_marketing_after, where)
            out[("recycle", "stalled", "enabled")] = (True, where)
        return out

    def overlay(self) -> dict[str, Any]:
        """The policy overlay: the clauses' scenario keys, deep-merged with ``levers``."""
        out: dict[str, Any] = {}
        for key, (value, _) in self.implied().items():
            node = out
            for part in key[:-1]:
                node = node.setdefault(part, {})
            node[key[-1]] = value
        deep_merge(out, self.levers)
        return out

    # -- the promises -----------------------------------------------------------------------
    def clauses(self) -> list[Clause]:
        """The promises the file states, marketing's first; hand-back rules are policy only."""
        out: list[Clause] = []
        period, m, s = self.period, self.marketing, self.sales
        for name, label, volume in (("mql_volume", "MQLs", m.mqls), ("sql_volume", "SQLs", m.sqls)):
            if volume is None:
                continue
            per = volume.per or period
            threshold = volume.at_least * MONTHS[period] / MONTHS[per]
            text = f"Marketing delivers at least {volume.at_least:,} {label} a {per}"
            if per != period:
                text += f" (at least {_number(threshold)} a {period})"
            key = f"marketing.{label.lower()}.at_least"
            out.append(Clause("marketing", name, period, threshold, text, key))
        if m.accepted is not None:
            share = m.accepted.at_least
            text = f"SDRs accept at least {_pct(share)} of marketing's MQLs each {period}"
            clause = Clause("marketing", "acceptance", period, share, text, "marketing.accepted")
            out.append(clause)
        if s.first_touch is not None:
            share, within = s.first_touch.for_at_least, s.first_touch.within
            text = (
                f"Sales makes first touch within {business_words(within)} for at least "
                f"{_pct(share)} of MQLs each {period}"
            )
            out.append(
                Clause("sales", "first_touch", period, share, text, "sales.first_touch", within)
            )
        if s.attempts is not None:
            k, over, share = s.attempts.at_least, s.attempts.over, s.attempts.for_at_least
            text = f"Sales makes at least {k} attempt{'s' if k > 1 else ''}"
            text += f" over {business_words(over)}" if over else ""
            text += " on " + ("every MQL" if share == 1 else f"{_pct(share)} of the MQLs")
            text += f" it has not reached each {period}"
            clause = Clause("sales", "attempts", period, share, text, "sales.attempts")
            out.append(dataclasses.replace(clause, attempts=k, over=over))
        return out

    # -- where things are -------------------------------------------------------------------
    def scenario_file(self) -> Path:
        """The scenario: a file beside the proposal, any other path, or a bundled name."""
        return scenario_path(self.scenario, self._base)

    def baseline_policy(self) -> str | None:
        """The baseline as ``resolve`` takes it: a policy name, or a file beside the proposal."""
        policy = self.baseline
        if policy is None or not policy.endswith((".yaml", ".yml")) or self._base is None:
            return policy
        return policy if Path(policy).is_absolute() else str(self._base / policy)

    def resolve(self) -> tuple[dict[str, Any], Scenario]:
        """The scenario under the proposal's overlay (on the scenario's base), then ``set``."""
        return resolve(self.scenario_file(), None, {**self.overlay(), **self.set})


def attempt_spacing(attempts: int, over: str | None) -> str | None:
    """The spacing that fits ``attempts`` into ``over``, first to last, in ``over``'s unit.

    ``None`` when there is nothing to space (one attempt, or no window).
    """
    if over is None or attempts < 2:
        return None
    text = over.strip()
    value, unit = float(text[:-1]), text[-1]
    return f"{value / (attempts - 1):.6g}{unit}"


def business_words(text: str) -> str:
    """``"4h"`` as "4 business hours", ``"1d"`` as "1 business day"."""
    value, unit = float(text.strip()[:-1]), text.strip()[-1]
    word = UNIT_WORDS[unit] + ("" if value == 1 else "s")
    return f"{_number(value)} business {word}"


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.4g}"


def _pct(share: float) -> str:
    return f"{share * 100:.4g}%"


def _leaves(data: Any, key: Key = ()) -> Iterator[tuple[Key, Any]]:
    """Every (key, value) below ``data`` that is not itself a non-empty mapping."""
    if isinstance(data, Mapping) and data:
        for k, v in data.items():
            yield from _leaves(v, (*key, k))
    else:
        yield key, data


def _lookup(data: Any, key: Key) -> tuple[bool, Any]:
    for part in key:
        if not isinstance(data, Mapping) or part not in data:
            return False, None
        data = data[part]
    return True, data


# -- reading and checking -------------------------------------------------------------------------
def parse_proposal(
    data: Mapping[str, Any],
    source: str,
    lines: Mapping[Key, int] | None = None,
    base: Path | None = None,
) -> Proposal:
    """Validate proposal data; raise :class:`ScenarioError` listing every problem.

    ``base`` is the folder relative scenario and baseline files are found in.
    """
    lines = lines or {}

    def problem(loc: Key, message: str) -> Problem:
        return problem_at(source, lines, loc, message)

    proposal = validated(Proposal, data, source, lines)
    proposal._base = base
    problems = [problem(loc, message) for loc, message in _cross_checks(proposal)]
    problems += _resolution_problems(proposal, problem)  # levers win the merge: it resolves
    if problems:
        unique = dict.fromkeys(problems)
        raise ScenarioError(sorted(unique, key=lambda p: (p.source != source, p.line or 0)))
    return proposal


def proposal_file(name: str | Path) -> Path:
    """A proposal file, or one bundled with funnelsim by name (``sla-proposal``)."""
    path = Path(name)
    if path.exists() or path.suffix:
        return path  # a missing file is reported when it is read
    return bundled_experiment(str(name))


def read_proposal(path: str | Path) -> Proposal:
    """Load and validate a proposal file; relative scenario and baseline files sit beside it."""
    doc = Document(Path(path))
    return parse_proposal(doc.data, doc.source, doc.lines, Path(path).parent)


def _cross_checks(proposal: Proposal) -> list[tuple[Key, str]]:
    """No clause at all; levers that contradict a clause."""
    out: list[tuple[Key, str]] = []
    if not proposal.clauses() and not proposal.implied():
        out.append(((), "expected at least one clause under 'marketing' or 'sales'"))
    for key, (value, where) in proposal.implied().items():
        for n in range(1, len(key) + 1):
            found, lever = _lookup(proposal.levers, key[:n])
            if not found:
                break
            if n < len(key) and isinstance(lever, Mapping):
                continue
            if n == len(key) and (lever == value or _tighter(key, lever, value)):
                break
            clause = ".".join(where)
            scenario_key = ".".join(key)
            message = (
                f"conflicts with {clause}, which sets {scenario_key} to {value!r}; "
                "remove the lever or change the clause"
            )
            out.append((("levers", *key[:n]), message))
            break
    return out


def _tighter(key: Key, lever: Any, implied: Any) -> bool:
    """A cadence planned tighter than the clause's window implies, in the same unit: it keeps
    the promise and leaves follow-ups room to wait."""
    if key != ("sdr", "attempt_spacing") or not isinstance(lever, str):
        return False
    try:
        parse_duration(lever)
    except ValueError:
        return False  # the scenario check reports it
    same_unit = lever.strip()[-1] == implied[-1]
    return same_unit and float(lever.strip()[:-1]) <= float(implied[:-1])


def _resolution_problems(proposal: Proposal, problem) -> list[Problem]:
    """Resolve the scenario, the baseline and the overlay; move their problems to our keys."""
    try:
        path = proposal.scenario_file()
    except ScenarioError:
        name = proposal.scenario
        message = f"no scenario file {name!r} and no bundled scenario of that name"
        return [problem(("scenario",), message)]
    out: list[Problem] = []
    try:
        _, base = resolve(path)
    except ScenarioError as exc:
        return list(exc.problems)  # the scenario itself is broken: its own file and lines

    def at_set(p: Problem) -> Problem | None:
        """A problem a ``set`` key caused, at that key's line; None for any other."""
        key = p.source.removeprefix("--set ")
        if not p.source.startswith("--set ") or key not in proposal.set:
            return None
        return problem(("set", key), p.message if p.path == key else f"{p.path}: {p.message}")

    if proposal.baseline is not None or proposal.set:
        try:
            resolve(path, proposal.baseline_policy(), proposal.set)
        except ScenarioError as exc:
            for p in exc.problems:
                if (moved := at_set(p)) is not None:
                    out.append(moved)
                elif p.path == "policies" and p.source == str(path):
                    known = sorted(base.policies)
                    close = difflib.get_close_matches(proposal.baseline, known, n=1)
                    hint = f"did you mean '{close[0]}'? " if close else ""
                    listed = ", ".join(known) or "none defined"
                    message = (
                        f"unknown policy {proposal.baseline!r}; {hint}expected a policy file "
                        f"or one of the scenario's policies: {listed}"
                    )
                    out.append(problem(("baseline",), message))
                else:
                    out.append(p)  # a broken baseline file speaks for itself
    try:
        proposal.resolve()
    except ScenarioError as exc:
        owners = _owners(proposal)
        for p in exc.problems:
            if (moved := at_set(p)) is not None:
                out.append(moved)
                continue
            loc = tuple(int(x) if x.isdigit() else x for x in p.path.split(".")) if p.path else ()
            owner = _owner(owners, loc) if loc else None
            if owner is None:
                out.append(p)  # not the overlay's doing: the scenario file's own problem
                continue
            key, where, is_lever = owner
            if is_lever:  # at the lever's own key, or the deeper key at fault inside it
                where = ("levers", *(loc if loc[: len(key)] == key else key))
                out.append(problem(where, p.message))
            else:
                out.append(problem(where, f"{p.message} (sets {p.path})"))
    return list(dict.fromkeys(out))


def _owners(proposal: Proposal) -> list[tuple[Key, Key, bool]]:
    """(scenario key, proposal key, is a lever) for every leaf the overlay writes."""
    out = [(key, ("levers", *key), True) for key, _ in _leaves(proposal.levers)]
    out += [(key, where, False) for key, (_, where) in proposal.implied().items()]
    return out


def _owner(owners: list[tuple[Key, Key, bool]], loc: Key) -> tuple[Key, Key, bool] | None:
    """The overlay leaf behind a problem at scenario key ``loc`` (at, above or below it)."""
    for key, where, is_lever in owners:
        if key[: len(loc)] == loc or loc[: len(key)] == key:
            return key, where, is_lever
    return None
