"""A grading result as a page shows it: cases grouped by function, hidden outcomes withheld
until the assignment's release setting allows (common.assignment_settings.HiddenRelease).

Hidden cases never show inputs or expected values (their messages are already our own
sentences, worker-side). Before release a student sees only that a hidden case exists and
its points, not whether it passed; the total is then withheld too, since total minus the
visible points would tell. Staff always see everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from common.contracts import GradingError, GradingResult, TestResult, Visibility

Outcome = Literal["passed", "failed", "withheld"]


@dataclass(frozen=True)
class CaseView:
    """One test case as shown; ``score`` is None while withheld."""

    name: str
    function: str
    hidden: bool
    outcome: Outcome
    score: float | None
    max_score: float
    message: str
    diagnosis: str | None


@dataclass(frozen=True)
class FunctionView:
    """One function's cases; ``score`` is None while any of its cases is withheld."""

    function: str
    score: float | None
    max_score: float
    cases: list[CaseView] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.score is not None and self.score >= self.max_score


@dataclass(frozen=True)
class ResultView:
    """A result as one viewer may see it; ``score`` is None while hidden outcomes are
    withheld (``withheld`` counts those cases)."""

    status: str
    score: float | None
    max_score: float
    functions: list[FunctionView]
    error: GradingError | None
    warnings: list[GradingError]
    output: str
    withheld: int


def _case(test: TestResult, released: bool) -> CaseView:
    hidden = test.visibility is Visibility.HIDDEN
    if hidden and not released:
        return CaseView(test.name, test.function, True, "withheld", None, test.max_score, "", None)
    outcome: Outcome = "passed" if test.passed else "failed"
    return CaseView(
        test.name,
        test.function,
        hidden,
        outcome,
        test.score,
        test.max_score,
        test.message,
        test.diagnosis,
    )


def result_view(result: GradingResult, hidden_released: bool) -> ResultView:
    """Return ``result`` as shown to a viewer; ``hidden_released`` False for a student
    before release (staff pass True)."""
    cases = [_case(test, hidden_released) for test in result.tests]
    functions: dict[str, list[CaseView]] = {}
    for case in cases:
        functions.setdefault(case.function, []).append(case)
    views = []
    for name, group in functions.items():
        withheld = any(case.score is None for case in group)
        score = None if withheld else round(sum(case.score for case in group), 4)
        views.append(FunctionView(name, score, round(sum(c.max_score for c in group), 4), group))
    withheld = sum(case.outcome == "withheld" for case in cases)
    return ResultView(
        status=result.status.value,
        score=None if withheld else result.score,
        max_score=result.max_score,
        functions=views,
        error=result.error,
        warnings=list(result.warnings),
        output=result.output,
        withheld=withheld,
    )
