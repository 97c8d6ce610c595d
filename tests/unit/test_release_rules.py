"""When hidden tests' pass/fail reaches students (AssignmentSettings.hidden_released) and
what a student's view shows before and after (service.web.results.result_view); late
submissions (AssignmentSettings.is_late)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common.assignment_settings import AssignmentSettings
from common.contracts import GradingResult, GradingStatus, TestResult, Visibility
from service.web.results import result_view

DUE = datetime(2026, 5, 1, 23, 59, tzinfo=UTC)
BEFORE, AFTER = DUE - timedelta(minutes=1), DUE + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("release", "due_at", "now", "released"),
    [
        ("immediately", DUE, BEFORE, True),
        ("immediately", None, BEFORE, True),
        ("after_due", DUE, BEFORE, False),
        ("after_due", DUE, DUE, True),  # at the due date itself
        ("after_due", DUE, AFTER, True),
        ("after_due", None, AFTER, False),  # no due date: never comes
        ("never", DUE, AFTER, False),
        ("never", None, AFTER, False),
    ],
)
def test_hidden_results_are_released_as_configured(release, due_at, now, released) -> None:
    rules = AssignmentSettings(due_at=due_at, hidden_release=release)
    assert rules.hidden_released(now) is released


def test_the_defaults_release_at_once_and_nothing_is_late() -> None:
    rules = AssignmentSettings.defaults()
    assert rules.hidden_released(BEFORE) and not rules.is_late(AFTER + timedelta(days=999))


@pytest.mark.parametrize(("at", "late"), [(BEFORE, False), (DUE, False), (AFTER, True)])
def test_a_submission_after_the_due_date_is_late(at, late) -> None:
    assert AssignmentSettings(due_at=DUE).is_late(at) is late


def result() -> GradingResult:
    def case(name: str, passed: bool, hidden: bool) -> TestResult:
        return TestResult(
            name=name,
            function="softmax",
            passed=passed,
            score=2 if passed else 0,
            max_score=2,
            message="" if passed else "softmax returned nan for large scores: subtract the max",
            visibility=Visibility.HIDDEN if hidden else Visibility.VISIBLE,
            diagnosis=None if passed else "no_max_subtraction",
        )

    tests = [case("visible", True, False), case("hidden one", False, True)]
    return GradingResult(
        assignment="lecture4-numpy",
        status=GradingStatus.GRADED,
        score=2,
        max_score=4,
        tests=tests,
        duration_ms=1,
    )


def test_before_release_a_student_sees_no_hidden_pass_fail_nor_the_total() -> None:
    rules = AssignmentSettings(due_at=DUE, hidden_release="after_due")
    view = result_view(result(), hidden_released=rules.hidden_released(BEFORE))
    (softmax,) = view.functions
    visible, hidden = softmax.cases
    assert (visible.outcome, visible.score) == ("passed", 2)
    assert (hidden.outcome, hidden.score, hidden.message, hidden.diagnosis) == (
        "withheld",
        None,
        "",
        None,
    )
    assert view.score is None and softmax.score is None and view.withheld == 1


def test_after_release_a_student_sees_hidden_pass_fail() -> None:
    rules = AssignmentSettings(due_at=DUE, hidden_release="after_due")
    view = result_view(result(), hidden_released=rules.hidden_released(AFTER))
    hidden = view.functions[0].cases[1]
    assert (hidden.outcome, hidden.score, hidden.hidden) == ("failed", 0, True)
    assert view.score == 2 and view.withheld == 0
