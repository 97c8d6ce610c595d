"""Grade every student file in tests/fixtures/submissions through the real pipeline and sandbox.

``expected.json`` states, per file: the assignment, the status ('graded' or
'not_gradable'), and the functions it breaks. For each broken function: ``loses`` is
'all' (it scores 0) or 'some' (it keeps the cases the bug does not touch, such as N = 1
for a sum instead of a mean); ``diagnosis`` and ``message`` (a substring), when given,
must appear together on one of its failed tests. Every function not listed must get full
marks, so a file loses exactly the points of the functions it breaks. ``broken_on_cuda``,
where given, replaces ``broken`` when the file is graded on CUDA (a device bug).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.contracts import GradingResult, GradingStatus

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
