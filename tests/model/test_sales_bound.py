"""Where alignment does not pay: the bundled ``sales_bound`` scenario, whose AEs are full.

The aligned policy must lose there through the model's mechanics, not through anything that
encodes the answer: the same policies on the same company with AEs to spare must turn the
sign round. Both comparisons run the full scenario (two measured years from a settled start)
over twenty paired replications, as the docs do: the deals each policy's settled funnel holds
at time zero are its own, and with three AEs they weigh on a year's bookings, so ten leave
the interval too wide to tell.
"""

from __future__ import annotations

import pytest

import funnelsim

REPS, SEED = 20, 1
METRICS = ("contribution_per_year", "bookings_per_year", "ae_utilisation")


def difference(results, metric: str) -> tuple[float, float]:
    """The 95% interval of aligned minus misaligned in ``metric``."""
    row = results.differences.set_index("metric").loc[metric]
    return float(row["ci_low"]), float(row["ci_high"])


def means(results, metric: str) -> dict[str, float]:
    rows = results.summary[results.summary["metric"] == metric]
    return dict(zip(rows["policy"], rows["mean"], strict=True))


@pytest.fixture(scope="module")
def bound():
    return funnelsim.compare("sales_bound", reps=REPS, seed=SEED, metrics=METRICS, workers=2)


@pytest.fixture(scope="module")
def roomy():
    """The same company with twenty AEs: sales capacity no longer binds."""
    more = {"sales.ae_count": 20}
    return funnelsim.compare(
        "sales_bound", reps=REPS, seed=SEED, metrics=METRICS, overrides=more, workers=2
    )


def test_the_aes_are_the_bottleneck_under_both_policies(bound):
    used = means(bound, "ae_utilisation")
    assert used["misaligned"] > 0.9 and used["aligned"] > 0.99


def test_aligned_contributes_less_when_the_aes_are_full(bound):
    low, high = difference(bound, "contribution_per_year")
    assert high < 0, (low, high)


def test_with_aes_to_spare_the_same_policies_make_aligned_pay(roomy):
    low, high = difference(roomy, "contribution_per_year")
    assert low > 0, (low, high)
    assert means(roomy, "ae_utilisation")["misaligned"] < 0.5
