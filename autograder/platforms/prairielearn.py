"""PrairieLearn's external-grading results.json for a GradingResult (pure; no I/O).

PrairieLearn's format: ``gradable``, ``score`` in [0, 1], ``message``, ``output`` and
``tests`` (``name``, ``description``, ``points``, ``max_points``, ``message``,
``output``); ``gradable: false`` with ``format_errors`` when the file cannot be run, so
the attempt is not charged. PrairieLearn has no hidden tests: a hidden case is listed like
any other, and its message never reveals inputs or expected values (ours never do).
"""

from __future__ import annotations

from common.contracts import GradingResult, GradingStatus, TestResult

OUTPUT_CHARS = 8000  # of the student's captured output; PrairieLearn caps the file at 1 MB


def to_prairielearn(result: GradingResult) -> dict:
    """Return ``result`` as the content of PrairieLearn's ``results.json``."""
    score = f"{result.score:g} / {result.max_score:g}"
    if result.status == GradingStatus.NOT_GRADABLE:
        return {
            "gradable": False,
            "score": 0.0,
            "message": "Your file could not be run, so it was not graded (no attempt used).",
            "output": result.output[:OUTPUT_CHARS],
            "format_errors": [error_sentence(result)],
        }
    if result.status == GradingStatus.FAILED:
        return {
            "gradable": False,
            "score": 0.0,
            "message": "The grader failed on its side (not your fault): submit again.",
            "format_errors": ["The grader failed on its side; this is not about your file."],
        }
    message = f"Score: {score}."
    if result.error is not None:  # graded, but the file stopped early (an import error)
        message += f" {error_sentence(result)}"
    return {
        "gradable": True,
        "score": round(result.score / result.max_score, 6) if result.max_score else 0.0,
        "message": message,
        "output": result.output[:OUTPUT_CHARS],
        "tests": [prairielearn_test(test) for test in result.tests],
    }


def prairielearn_test(test: TestResult) -> dict:
    """One test: the first line of our message as its message, the rest (inputs) as output."""
    first, _, rest = (test.message or "Passed.").partition("\n")
    return {
        "name": test.name,
        "description": f"{test.function}, {test.visibility.value} case",
        "points": test.score,
        "max_points": test.max_score,
        "message": first,
        "output": rest,
    }


def error_sentence(result: GradingResult) -> str:
    """The result's error as one sentence with its place (cell, line)."""
    error = result.error
    if error is None:
        return "Your file could not be run."
    where = [f"cell {error.cell + 1}"] if error.cell is not None else []
    where += [f"line {error.line}"] if error.line is not None else []
    place = f" ({', '.join(where)})" if where else ""
    return f"{error.kind.replace('_', ' ')}{place}: {error.message}"
