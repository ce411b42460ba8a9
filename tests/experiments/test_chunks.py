"""How a plan's replications are cut into chunks: sized by their cost, a cheap point whole."""

from __future__ import annotations

from funnelsim.experiments import prepare
from funnelsim.experiments.filling import CHUNK_SECONDS, WHOLE_POINT, Sizer, chunks
from tests.helpers import SHORT

SPEC = {"policies": ["misaligned", "aligned"], "set": SHORT, "replications": 6}


def _cut(per_item: float | None, missing: dict[int, list[int]]) -> list[tuple[int, ...]]:
    p = prepare(SPEC | {"factors": {"sdr.headcount": [4, 5]}})
    sizer = Sizer(len(p.labels))
    sizer.per_item = per_item
    return [chunk.replications for chunk in chunks(p, missing, sizer)]


def test_one_replication_a_chunk_until_the_cost_is_known():
    assert _cut(None, {0: [0, 1, 2]}) == [(0,), (1,), (2,)]


def test_a_point_whose_work_fits_in_a_few_chunks_goes_whole():
    # 2 policies at a quarter chunk each: 6 replications are 3 chunks' work, within 4.
    per_item = CHUNK_SECONDS / 4
    assert 6 * 2 * per_item <= WHOLE_POINT * CHUNK_SECONDS
    assert _cut(per_item, {0: list(range(6)), 1: [3, 4, 5]}) == [tuple(range(6)), (3, 4, 5)]


def test_a_point_with_more_work_is_cut_into_chunks_of_about_chunk_seconds():
    # 2 policies at a tenth of a chunk each: 5 replications a chunk; 30 replications are 6
    # chunks' work, more than 4, to the last (a point's tail is shared out too).
    per_item = CHUNK_SECONDS / 10
    missing = {0: list(range(30))}
    expected = [tuple(range(start, start + 5)) for start in range(0, 30, 5)]
    assert _cut(per_item, missing) == expected


def test_a_gap_left_by_a_resume_splits_a_chunk():
    assert _cut(CHUNK_SECONDS / 4, {0: [0, 1, 3, 4]}) == [(0, 1), (3, 4)]
