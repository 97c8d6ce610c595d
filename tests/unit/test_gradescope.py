"""The Gradescope results.json converter: scores, statuses, visibility, errors in the output."""

from __future__ import annotations

from common.contracts import Flag, GradingError, GradingResult, GradingStatus, TestResult
from service.gradescope import to_gradescope


def case(name: str, passed: bool, visibility: str, message: str = "") -> TestResult:
    return TestResult(
        name=name,
        function="softmax",
        passed=passed,
        score=5 if passed else 0,
        max_score=5,
        message=message,
        visibility=visibility,
    )


def result(**fields) -> GradingResult:
    base = dict(
        assignment="lecture4-numpy",
        status=GradingStatus.GRADED,
        score=5,
        max_score=10,
        duration_ms=1234.5,
    )
    return GradingResult(**{**base, **fields})


def test_tests_keep_scores_and_hidden_cases_show_after_publishing():
    converted = to_gradescope(
        result(
            tests=[
                case("softmax: small", True, "visible"),
                case("softmax: hidden big", False, "hidden", "softmax returned nan"),
            ]
        )
    )

    assert converted.score == 5 and converted.execution_time == 1.234
    visible, hidden = converted.tests
    assert (visible.status, visible.visibility, visible.output) == ("passed", "visible", "Passed.")
    assert (hidden.status, hidden.visibility) == ("failed", "after_published")
    assert hidden.output == "softmax returned nan" and hidden.max_score == 5
    assert converted.output.startswith("Score: 5 / 10")


def test_not_gradable_result_explains_the_error_with_its_cell():
    error = GradingError(kind="syntax_error", message="invalid syntax", line=3, cell=1)
    converted = to_gradescope(result(status=GradingStatus.NOT_GRADABLE, score=0, error=error))

    assert converted.score == 0
    assert "could not be run" in converted.output
    assert "syntax_error in cell 2 (line 3): invalid syntax" in converted.output


def test_students_output_is_quoted_and_bounded():
    converted = to_gradescope(result(output="hello\n" * 5000))
    assert "Your program's output:\nhello" in converted.output
    assert len(converted.output) < 9000


def test_flags_are_zero_point_tests_only_instructors_see():
    flag = Flag(kind="dynamic_import", function="softmax", message="line 3: imports importlib")
    converted = to_gradescope(result(tests=[case("softmax: small", True, "visible")], flags=[flag]))
    assert converted.score == 5  # a flag never changes the score
    shown = converted.tests[-1]
    assert (shown.visibility, shown.score, shown.max_score) == ("hidden", 0, 0)
    assert shown.name == "Flag for staff (dynamic_import): softmax"
    assert shown.output == "line 3: imports importlib"
    assert "importlib" not in converted.output  # the summary students see
