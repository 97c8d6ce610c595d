"""Grade every student file in tests/fixtures/submissions through the real pipeline and sandbox.

``expected.json`` states, per file: the assignment, the status ('graded' or
'not_gradable'), and the functions it breaks. For each broken function: ``loses`` is
'all' (it scores 0) or 'some' (it keeps the cases the bug does not touch, such as N = 1
for a sum instead of a mean); ``diagnosis`` and ``message`` (a substring), when given,
must appear together on one of its failed tests. Every function not listed must get full
marks, so a file loses exactly the points of the functions it breaks. ``broken_on_cuda``,
where given, replaces ``broken`` when the file is graded on CUDA (a device bug).
``warnings``: the top-level statements that raise and are skipped, each as its ``kind``, a
substring of its ``message`` and, when given, its ``line`` and 0-based ``cell``; there are
``warning_count`` warnings in all (by default as many as listed: a file without the key
raises none).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from common.contracts import GradingResult, GradingStatus

SUBMISSIONS = Path(__file__).parents[1] / "fixtures" / "submissions"
MANIFEST = json.loads((SUBMISSIONS / "expected.json").read_text(encoding="utf-8"))


def grade(name: str, device: str = "cpu") -> GradingResult:
    """Grade one fixture file with the default sandbox runner."""
    from worker.grading.pipeline import grade_source

    entry = MANIFEST[name]
    source = (SUBMISSIONS / name).read_text(encoding="utf-8")
    return grade_source(entry["assignment"], name, source, device=device)


def by_function(result: GradingResult) -> dict[str, list]:
    """The result's tests grouped by function."""
    groups: dict[str, list] = {}
    for test in result.tests:
        groups.setdefault(test.function, []).append(test)
    return groups


def assert_as_manifest_says(name: str, result: GradingResult) -> None:
    """Check ``result`` against the manifest entry of ``name``."""
    entry = MANIFEST[name]
    assert result.status == GradingStatus(entry["status"]), result.error
    if result.status == GradingStatus.NOT_GRADABLE:
        assert result.score == 0 and result.error is not None
        return
    broken = (
        entry.get("broken_on_cuda", entry["broken"]) if result.device == "cuda" else entry["broken"]
    )
    for function, tests in by_function(result).items():
        score = sum(t.score for t in tests)
        full = sum(t.max_score for t in tests)
        failed = [t for t in tests if not t.passed]
        if function not in broken:
            assert not failed, f"{function} should get full marks: {[t.message for t in failed]}"
            continue
        want = broken[function]
        if want["loses"] == "all":
            assert score == 0 and len(failed) == len(tests), f"{function} should score 0"
        else:
            assert 0 < score < full, f"{function} should lose some points, scored {score}/{full}"
        seen = [(t.diagnosis, t.message) for t in failed]
        assert any(
            diagnosis == want.get("diagnosis", diagnosis) and want.get("message", "") in message
            for diagnosis, message in seen
        ), f"{function}: no failed test with {want}; got {seen}"
    lost = sum(t.max_score - t.score for t in result.tests)
    assert result.score == pytest.approx(result.max_score - lost, abs=0.02)
    assert_warnings_as_manifest_says(entry, result)


def assert_warnings_as_manifest_says(entry: dict, result: GradingResult) -> None:
    """Each listed warning is one of the result's, and they number ``warning_count``."""
    expected = entry.get("warnings", [])
    got = [w.model_dump() for w in result.warnings]
    for want in expected:
        assert any(
            w["kind"] == want["kind"]
            and want["message"] in w["message"]
            and all(w[key] == want[key] for key in ("line", "cell") if key in want)
            for w in got
        ), f"no warning like {want}; got {got}"
    assert len(got) == entry.get("warning_count", len(expected)), f"warnings: {got}"


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_each_submission_loses_exactly_the_points_of_its_broken_functions(name: str) -> None:
    result = grade(name)
    assert_as_manifest_says(name, result)


CORRECT = sorted(n for n, e in MANIFEST.items() if e["status"] == "graded" and not e["broken"])


@pytest.mark.parametrize("name", CORRECT)
def test_correct_submissions_score_100_of_100(name: str) -> None:
    result = grade(name)
    assert result.score == result.max_score == 100


@pytest.mark.gpu
@pytest.mark.parametrize("name", sorted(n for n in MANIFEST if n.startswith("torch_")))
def test_torch_submissions_grade_the_same_on_cuda(name: str) -> None:
    result = grade(name, device="cuda")
    assert result.device == "cuda"
    assert_as_manifest_says(name, result)


@pytest.mark.parametrize(
    ("name", "score"),
    [
        ("numpy_transposed_gradient.py", 75),  # cross_entropy_grad's 25 points, not train_sgd's
        ("numpy_sgd_flipped_sign.py", 90),  # sgd_step's 10 points, not train_sgd's
        ("torch_transposed_gradient.py", 75),
    ],
)
def test_a_broken_helper_costs_only_its_own_points(name: str, score: float) -> None:
    result = grade(name)
    assert result.score == score
    assert all(t.passed for t in result.tests if t.function == "train_sgd")


def test_softmax_without_max_subtraction_costs_only_softmax_points() -> None:
    result = grade("numpy_overflow_softmax.py")
    lost = {t.function for t in result.tests if not t.passed}
    assert lost == {"softmax"}
    softmax_points = sum(t.max_score for t in result.tests if t.function == "softmax")
    assert 100 - softmax_points < result.score < 100


@pytest.mark.parametrize("name", ["numpy_forbidden_call.py", "torch_forbidden_call.py"])
def test_a_forbidden_call_in_a_helper_still_costs_the_function_that_calls_it(name: str) -> None:
    result = grade(name)
    train = [t for t in result.tests if t.function == "train_sgd"]
    assert train and all(t.diagnosis == "forbidden_call" and t.score == 0 for t in train)
    assert not any("graded with the reference" in t.message for t in train)


def test_a_function_with_its_own_bug_still_fails_with_reference_helpers_and_is_told_so() -> None:
    result = grade("numpy_train_own_bug.py")
    failed = [t for t in result.tests if t.function == "train_sgd" and not t.passed]
    assert failed and all(
        "graded with the reference cross_entropy and cross_entropy_grad in place of yours"
        in t.message
        for t in failed
    )
    helpers = {t.function for t in result.tests if not t.passed} - {"train_sgd"}
    assert helpers == {"cross_entropy", "cross_entropy_grad"}
