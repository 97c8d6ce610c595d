"""What a platform's results.json must be: the two schemas, and what each test file gets.

Shared by the unit tests, the in-process platform tests and the container tests
(tests/e2e/test_platform_containers.py), so that all three hold results to one standard.
The schemas (tests/fixtures/schemas/) were written from Gradescope's and PrairieLearn's
published documentation, not from our code.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SUBMISSIONS = FIXTURES / "submissions"
# The three files every platform test grades: full marks, one bug, not runnable.
FILES = {
    "correct": "numpy_correct.py",
    "buggy": "numpy_transposed_gradient.py",
    "syntax": "numpy_syntax_error.py",
}
BUGGY_FUNCTION = "cross_entropy_grad"
DIAGNOSIS = "transpose it"  # the sentence that names the transposed gradient
PL_MAX_BYTES = 1024 * 1024  # PrairieLearn refuses a larger results.json


def total(points) -> float:
    """A sum of points, rounded as the grader rounds them (2 decimals)."""
    return round(sum(points), 2)


def schema(name: str) -> dict:
    return json.loads((FIXTURES / "schemas" / f"{name}-results.schema.json").read_text())


def validate(platform: str, document: dict) -> None:
    """Raise jsonschema.ValidationError unless ``document`` fits the platform's schema."""
    validator = jsonschema.Draft202012Validator(schema(platform))
    validator.validate(document)


def check_gradescope(document: dict, kind: str) -> None:
    """Assert a Gradescope results.json for the test file ``kind`` (see FILES)."""
    validate("gradescope", document)
    tests = document["tests"]
    failed = [t for t in tests if t["status"] == "failed"]
    hidden = [t for t in tests if t["visibility"] != "visible"]
    assert hidden and {t["visibility"] for t in hidden} <= {"after_due_date", "hidden"}
    assert document["stdout_visibility"] == "hidden"
    if kind == "correct":
        assert document["score"] == total(t["max_score"] for t in tests) == 100
        assert failed == []
    elif kind == "buggy":
        assert {t["name"].split(":")[0] for t in failed} == {BUGGY_FUNCTION}
        assert all(DIAGNOSIS in t["output"] for t in failed)
        assert document["score"] == total(t["max_score"] for t in tests if t not in failed) < 100
        for test in hidden:  # hidden cases show our sentence, never their inputs
            assert "inputs:" not in test["output"]
    else:
        assert document["score"] == 0 and len(failed) == len(tests)
        assert "syntax_error" in document["output"] and "line 36" in document["output"]


def check_prairielearn(document: dict, kind: str) -> None:
    """Assert a PrairieLearn results.json for the test file ``kind`` (see FILES)."""
    validate("prairielearn", document)
    assert len(json.dumps(document).encode()) < PL_MAX_BYTES
    if kind == "syntax":
        assert document["gradable"] is False
        assert any("line 36" in error for error in document["format_errors"])
        return
    assert document["gradable"] is True
    tests = document["tests"]
    lost = [t for t in tests if t["points"] < t["max_points"]]
    assert total(t["max_points"] for t in tests) == 100
    if kind == "correct":
        assert document["score"] == 1 and lost == []
    else:
        assert {t["name"].split(":")[0] for t in lost} == {BUGGY_FUNCTION}
        assert all(DIAGNOSIS in t["message"] for t in lost)
        assert document["score"] == pytest.approx(total(t["points"] for t in tests) / 100)
        assert document["score"] < 1
        hidden = [t for t in lost if "hidden case" in t["description"]]
        assert hidden and all(t["output"] == "" for t in hidden)
