"""Composed functions: a helper's bug costs the helper's points, not its callers'."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

from reference.pack import Case, Forbidden, FunctionSpec, Observation, Pack, Tolerance, Verdict
from worker.grading.pipeline import grade_pack
from worker.sandbox.host.api import ImportOutcome, Limits, SandboxReport, SandboxRequest

_ids = itertools.count()
SOURCE = "def inc(x):\n    return x + 1\n\ndef inc_twice(x):\n    return inc(inc(x))\n"


def equals(offset: float):
    def check(inputs, observation: Observation) -> Verdict:
        if np.array_equal(observation.value, inputs["x"] + offset):
            return Verdict(True)
        return Verdict(False, "wrong value", "wrong_value")

    return check


def make_pack(oracle: Callable) -> Pack:
    """inc and inc_twice, 10 points each: x = 1 (visible) and x = 9 (hidden)."""

    def cases(device):
        def x(value):
            return lambda: {"x": np.full(2, value)}

        return [
            Case("inc: ones", "inc", x(1.0), equals(1), "x = ones(2)"),
            Case("inc: nines", "inc", x(9.0), equals(1), "", "hidden"),
            Case("inc_twice: ones", "inc_twice", x(1.0), equals(2), "x = ones(2)"),
            Case("inc_twice: nines", "inc_twice", x(9.0), equals(2), "", "hidden"),
        ]

    return Pack(
        id=f"composed-{next(_ids)}",
        title="Composed",
        runtime="numpy",
        devices=("cpu",),
        functions=(
            FunctionSpec("inc", 10, "inc(x)", "Return x + 1."),
            FunctionSpec("inc_twice", 10, "inc_twice(x)", "Return x + 2.", helpers=("inc",)),
        ),
        cases=cases,
        tolerances={"float64": Tolerance(1e-9, 1e-12)},
        forbidden=Forbidden(calls=("scipy.special.logsumexp",)),
        oracles={"inc": oracle},
    )


@dataclass
class FakeStudent:
    """A fake runner standing in for a student's inc and inc_twice (and its oracle uses)."""

    inc: Callable = lambda x: x + 1
    inc_twice: Callable = lambda inc, x: inc(inc(x))
    defined: tuple[str, ...] = ("inc", "inc_twice")
    requests: list[SandboxRequest] = field(default_factory=list)

    def run(self, request: SandboxRequest) -> SandboxReport:
        self.requests.append(request)
        observations = {call.call_id: self.observe(call, request) for call in request.calls}
        return SandboxReport(ImportOutcome("ok", self.defined), observations)

    def observe(self, call, request: SandboxRequest) -> Observation:
        x = call.kwargs["x"]
        if call.function not in self.defined:
            return Observation("missing", error=f"{call.function} is not defined")
        if call.function == "inc":
            return Observation("ok", value=self.inc(x))
        inc = request.oracles["inc"] if "inc" in call.substitutes else self.inc
        if "inc" not in self.defined and inc is self.inc:
            return Observation("exception", error="NameError: name 'inc' is not defined")
        return Observation("ok", value=self.inc_twice(inc, x))

    def close(self) -> None:
        pass


def oracle(x):
    return x + 1


def grade(runner: FakeStudent, source: str = SOURCE):
    result = grade_pack(make_pack(oracle), "sub.py", source, runner=runner)
    return result, {t.name: t for t in result.tests}


def test_a_correct_submission_needs_one_request():
    runner = FakeStudent()
    result, _ = grade(runner)
    assert result.score == 20 and len(runner.requests) == 1


def test_a_broken_helper_costs_only_its_own_points():
    runner = FakeStudent(inc=lambda x: x + 3)
    result, tests = grade(runner)
    assert result.score == 10 and not tests["inc: ones"].passed
    again = runner.requests[1]
    assert [c.function for c in again.calls] == ["inc_twice", "inc_twice"]
    assert all(c.substitutes == ("inc",) for c in again.calls)
    assert set(again.oracles) == {"inc"} and again.oracles["inc"] is oracle


def test_only_the_failed_cases_run_again():
    runner = FakeStudent(inc=lambda x: x + 1 if x.max() < 5 else x + 3)
    result, _ = grade(runner)
    assert result.score == 15  # inc fails nines; inc_twice at first too, then passes
    (again,) = runner.requests[1].calls
    assert again.kwargs["x"][0] == 9.0 and again.hidden


def test_a_callers_own_bug_still_fails_and_says_it_was_graded_with_the_reference():
    runner = FakeStudent(inc=lambda x: x + 3, inc_twice=lambda inc, x: inc(x))
    result, tests = grade(runner)
    assert result.score == 0
    message = tests["inc_twice: ones"].message
    assert message.startswith("wrong value\n(graded with the reference inc in place of yours")
    assert "so this failure is inc_twice's own" in message


def test_a_helper_the_file_does_not_define_is_replaced_too():
    runner = FakeStudent(defined=("inc_twice",))
    result, tests = grade(runner, "def inc_twice(x):\n    return inc(inc(x))\n")
    assert result.score == 10 and tests["inc_twice: nines"].passed
    assert tests["inc: ones"].diagnosis == "missing"


def test_a_caller_that_does_not_call_the_helper_is_not_graded_again():
    runner = FakeStudent(inc=lambda x: x + 3, inc_twice=lambda inc, x: x + 5)
    source = "def inc(x):\n    return x + 3\n\ndef inc_twice(x):\n    return x + 5\n"
    result, _ = grade(runner, source)
    assert result.score == 0 and len(runner.requests) == 1


def test_a_forbidden_call_is_never_graded_again():
    runner = FakeStudent(inc=lambda x: x + 3)
    source = SOURCE + "\nfrom scipy.special import logsumexp\n\ndef inc_twice(x):\n"
    source += "    return inc(inc(x)) + 0 * logsumexp(x)\n"
    result, tests = grade(runner, source)
    assert tests["inc_twice: ones"].diagnosis == "forbidden_call"
    assert len(runner.requests) == 1


def test_a_caller_is_not_graded_again_when_its_helpers_pass():
    runner = FakeStudent(inc_twice=lambda inc, x: inc(x))
    result, _ = grade(runner)
    assert result.score == 10 and len(runner.requests) == 1


@dataclass
class SlowStudent(FakeStudent):
    """A FakeStudent whose first request reports that it took ``first_ms``."""

    first_ms: float = 0.0

    def run(self, request: SandboxRequest) -> SandboxReport:
        report = super().run(request)
        if len(self.requests) == 1:
            return SandboxReport(report.imported, report.observations, duration_ms=self.first_ms)
        return report


def test_the_regrade_gets_what_the_first_run_left_of_the_submissions_budget():
    budget = make_pack(oracle).limits.submission_s or Limits().wall_s
    runner = SlowStudent(inc=lambda x: x + 3, first_ms=budget * 1000 / 4)
    grade(runner)
    assert runner.requests[1].limits.wall_s == pytest.approx(budget * 3 / 4)


def test_no_regrade_once_the_first_run_used_up_the_budget():
    budget = make_pack(oracle).limits.submission_s or Limits().wall_s
    runner = SlowStudent(inc=lambda x: x + 3, first_ms=budget * 1000)
    result, tests = grade(runner)
    assert len(runner.requests) == 1
    assert result.score == 0 and "graded with the reference" not in tests["inc_twice: ones"].message
