"""Convert a GradingResult to Gradescope's results.json (pure; no I/O).

Gradescope's autograder format: a top-level ``score``, ``output`` and ``tests``, each test
with ``name``, ``score``, ``max_score``, ``status``, ``output`` and ``visibility``. Hidden
cases become ``after_published`` (or what the caller asks: the Gradescope bundle uses
``after_due_date``): their messages never reveal expected values anyway, and staff decide
when students see them. Flags (reflection, dynamic imports) become 0-point tests with
visibility ``hidden``, which Gradescope shows to instructors only.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from common.contracts import GradingResult, GradingStatus, Visibility

GradescopeVisibility = Literal["hidden", "after_due_date", "after_published", "visible"]
OUTPUT_CHARS = 8000  # of the student's captured output quoted in the summary


class GradescopeTest(BaseModel):
    name: str
    score: float
    max_score: float
    status: Literal["passed", "failed"]
    output: str
    visibility: GradescopeVisibility


class GradescopeResults(BaseModel):
    """Gradescope's results.json for one submission."""

    score: float
    execution_time: float = Field(description="Seconds.")
    output: str
    stdout_visibility: GradescopeVisibility = "visible"
    tests: list[GradescopeTest]


def _summary(result: GradingResult) -> str:
    lines = [f"Score: {result.score:g} / {result.max_score:g}"]
    if result.status == GradingStatus.NOT_GRADABLE:
        lines.append("Your file could not be run, so no test could pass.")
    elif result.status == GradingStatus.FAILED:
        lines.append("The grader failed (not your fault); it will be graded again.")
    if result.error is not None:
        where = f" (line {result.error.line})" if result.error.line else ""
        cell = f" in cell {result.error.cell + 1}" if result.error.cell is not None else ""
        lines.append(f"{result.error.kind}{cell}{where}: {result.error.message}")
    if result.warnings:
        lines += ["", "Warnings (these statements were skipped; the rest of your file ran):"]
        lines += [f"- {warning.message}" for warning in result.warnings]
    if result.output:
        lines += ["", "Your program's output:", result.output[:OUTPUT_CHARS]]
    return "\n".join(lines)


def to_gradescope(
    result: GradingResult, hidden_visibility: GradescopeVisibility = "after_published"
) -> GradescopeResults:
    """Return ``result`` in Gradescope's results.json format; hidden cases get
    ``hidden_visibility``."""
    tests = [
        GradescopeTest(
            name=test.name,
            score=test.score,
            max_score=test.max_score,
            status="passed" if test.passed else "failed",
            output=test.message or "Passed.",
            visibility="visible" if test.visibility == Visibility.VISIBLE else hidden_visibility,
        )
        for test in result.tests
    ]
    tests += [
        GradescopeTest(
            name=f"Flag for staff ({flag.kind}): {flag.function or 'module level'}",
            score=0,
            max_score=0,
            status="passed",
            output=flag.message,
            visibility="hidden",
        )
        for flag in result.flags
    ]
    return GradescopeResults(
        score=result.score,
        execution_time=round(result.duration_ms / 1000, 3),
        output=_summary(result),
        tests=tests,
    )
