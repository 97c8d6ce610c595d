"""Case points: shares in hundredths that add up to each function's points exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reference.packs import get_pack, list_packs
from worker.grading.plan import plan_cases
from worker.grading.points import split_points


def cents(values) -> list[int]:
    return [int(Decimal(str(v)) * 100) for v in values]


@pytest.mark.parametrize(
    ("points", "weights", "shares"),
    [
        (10, [1, 1, 1], [3.34, 3.33, 3.33]),  # the leftover hundredth goes to the first
        (25, [1] * 7, [3.58, 3.57, 3.57, 3.57, 3.57, 3.57, 3.57]),
        (35, [15, 10, 10], [15.0, 10.0, 10.0]),
        (10, [1, 2], [3.33, 6.67]),  # the larger remainder gets it: 6.666... -> 6.67
        (5, [0, 0], [0.0, 0.0]),
    ],
)
def test_shares_are_hundredths_by_largest_remainder(points, weights, shares) -> None:
    assert split_points(points, weights) == shares


@pytest.mark.parametrize("count", range(1, 40))
def test_shares_of_any_count_of_cases_add_up_to_the_points_exactly(count: int) -> None:
    for points in (5, 10, 20, 25, 35, 33.33):
        shares = split_points(points, [1.0 + (i % 3) for i in range(count)])
        assert sum(cents(shares)) == round(points * 100)
        assert all(round(s, 2) == s for s in shares)


@pytest.mark.parametrize("pack", list_packs(), ids=lambda p: p.id)
def test_every_pack_function_totals_its_points_and_the_pack_its_max_score(pack) -> None:
    planned = plan_cases(pack, pack.devices[0])
    totals: dict[str, int] = {}
    for p in planned:
        totals[p.case.function] = totals.get(p.case.function, 0) + cents([p.max_score])[0]
    points = {spec.name: round(spec.points * 100) for spec in pack.functions}
    points |= {spec.name: round(spec.points * 100) for spec in getattr(pack, "variables", ())}
    assert totals == points
    assert sum(totals.values()) == round(pack.max_score * 100)


def test_lecture4_quality_and_gradient_totals_are_exact_in_the_result() -> None:
    from reference.pack import Verdict
    from worker.grading.results import to_test_result, total

    planned = plan_cases(get_pack("lecture4-numpy"), "cpu")
    tests = [to_test_result(p, Verdict(True)) for p in planned]
    for function, points in (("quality", 10), ("cross_entropy_grad", 25)):
        mine = [t for t in tests if t.function == function]
        assert round(sum(t.max_score for t in mine), 9) == points
        assert all(round(t.max_score, 2) == t.max_score for t in mine)
    assert total(tests) == (100.0, 100.0)
