"""Shapley values over levers, against games whose values are worked out by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from funnelsim.results.explanation import shapley


def game(v, levers):
    """Every coalition's value, from a function of its members, for two replications."""
    return {
        frozenset(c): np.array([v(set(c)), 2.0 * v(set(c))])
        for size in range(levers + 1)
        for c in itertools.combinations(range(levers), size)
    }


def test_two_levers_by_hand():
    # v(none)=0, v(a)=3, v(b)=5, v(ab)=10: a adds 3 first or 5 last, b adds 5 first or 7 last.
    table = {(): 0.0, (0,): 3.0, (1,): 5.0, (0, 1): 10.0}
    values = {frozenset(k): np.array([v]) for k, v in table.items()}
    assert shapley(values, 2)[:, 0].tolist() == [4.0, 6.0]


def test_an_interaction_is_shared_equally_between_the_levers_in_it():
    # Lever 0 adds 1, lever 1 adds 2, lever 2 adds 4, and 0 and 1 together add 6 more.
    def v(s):
        return sum((1.0, 2.0, 4.0)[k] for k in s) + 6.0 * ({0, 1} <= s)

    phi = shapley(game(v, 3), 3)
    assert phi[:, 0] == pytest.approx([4.0, 5.0, 4.0])
    assert phi[:, 1] == pytest.approx([8.0, 10.0, 8.0])  # the second replication doubles


def test_every_order_sampled_gives_the_exact_values():
    rng = np.random.default_rng(5)
    draws = rng.normal(size=8)
    values = {c: v + draws[len(c)] * len(c) ** 2 for c, v in game(lambda s: 0.0, 3).items()}
    values = {c: v + sum(draws[k] * (k + 1) for k in c) for c, v in values.items()}
    orders = list(itertools.permutations(range(3)))
    assert shapley(values, 3, orders) == pytest.approx(shapley(values, 3))


@pytest.mark.parametrize("orders", [None, [(0, 1, 2, 3, 4), (4, 3, 2, 1, 0), (2, 0, 4, 1, 3)]])
def test_the_values_sum_to_the_whole_difference(orders):
    rng = np.random.default_rng(11)
    values = {c: rng.normal(size=2) for c in game(lambda s: 0.0, 5)}
    whole = values[frozenset(range(5))] - values[frozenset()]
    assert shapley(values, 5, orders).sum(axis=0) == pytest.approx(whole)


def test_a_replication_missing_from_any_coalition_is_left_out_of_every_row():
    from funnelsim.results.explanation import TOTAL, _metric_rows

    values = game(lambda s: float(len(s)) + 3.0 * (0 in s), 3)
    values = {c: np.append(v, 10.0 * v) for c, v in values.items()}  # four replications
    values[frozenset({1})][2] = np.nan  # a run of one coalition failed
    rows = {row[1]: row for row in _metric_rows("m", values, ["a", "b", "c"], None)}
    assert {row[2] for row in rows.values()} == {3}  # one n for every row
    levers = sum(rows[name][3] for name in ("a", "b", "c"))
    assert levers == pytest.approx(rows[TOTAL][3])
