"""The terminal report of a GradingResult."""

from __future__ import annotations

from common.contracts import GradingError, GradingResult, TestResult


def case(name: str, function: str, passed: bool, max_score: float, message: str = "", **kw):
    return TestResult(
        name=name,
        function=function,
        passed=passed,
        score=max_score if passed else 0,
        max_score=max_score,
        message=message,
        visibility=kw.get("visibility", "visible"),
    )


def result(**kw) -> GradingResult:
    tests = [
        case("softmax: random", "softmax", True, 5),
        case("softmax: 1e4", "softmax", False, 5, "softmax returned nan\ninputs: N=6", **kw),
        case("quality: small", "quality", True, 10),
    ]
    fields = dict(assignment="lecture4-numpy", status="graded", score=15, max_score=20)
    return GradingResult(**{**fields, "tests": tests, "duration_ms": 3.0, **kw})


def render(res: GradingResult) -> str:
    from worker.grading.report import render_report

    return render_report(res, "mine.py")


def test_report_gives_the_score_a_line_per_function_and_each_failure_with_its_message():
    text = render(result())
    assert text.startswith("lecture4-numpy (mine.py, cpu): 15/20\n")
    assert "-- softmax  5/10" in text and "ok quality  10/10" in text
    assert "FAIL softmax: 1e4 (visible)" in text
    assert "softmax returned nan" in text and "inputs: N=6" in text


def test_report_shows_the_import_error_with_its_notebook_cell_counted_from_one():
    error = GradingError(kind="import_error", message="your file stopped", line=3, cell=1)
    text = render(result(error=error, output="debug print\n"))
    assert "Error (import error, cell 2, line 3):\n  your file stopped" in text
    assert "  | debug print" in text


def test_report_of_a_file_that_could_not_be_run_says_so():
    error = GradingError(kind="syntax_error", message="syntax error in mine.py, line 2", line=2)
    text = render(result(status="not_gradable", score=0, error=error))
    assert "0/20 (your file could not be run)" in text.splitlines()[0]
    assert "Error (syntax error, line 2)" in text and "FAIL" not in text


def test_report_of_a_grader_failure_does_not_show_a_score():
    error = GradingError(kind="grader_error", message="the grader failed on its side")
    text = render(result(status="failed", score=0, tests=[], error=error))
    assert text.splitlines()[0].endswith("NOT GRADED, the grader failed on its side")


def test_cases_that_fail_for_the_same_reason_are_reported_once():
    tests = [
        case(f"softmax: case {i}", "softmax", False, 2, f"softmax is not implemented\ninputs: {i}")
        for i in range(4)
    ]
    fields = dict(assignment="a", status="graded", score=0, max_score=8, duration_ms=1.0)
    text = render(GradingResult(tests=tests, **fields))
    assert "FAIL all 4 cases, each with:\n            softmax is not implemented\n" in text
    assert text.count("not implemented") == 1
