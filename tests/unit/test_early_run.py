"""A one-shot grading's early sandbox run: used for the very request the pipeline makes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reference.pack import Observation
from reference.packs import get_pack
from worker.grading.early import EarlyRunner, same_request, start_early
from worker.grading.pipeline import grade_pack
from worker.grading.plan import plan_cases
from worker.grading.prepare import sandbox_request, static_facts
from worker.grading.source import parse_submission
from worker.sandbox.api import (
    ImportOutcome,
    SandboxInfrastructureError,
    SandboxReport,
    SandboxRequest,
)

SUBMISSIONS = Path(__file__).resolve().parents[1] / "fixtures" / "submissions"
PACK = get_pack("lecture4-numpy")


class CountingRunner:
    """Answers every request as if nothing were defined (or raises ``fail``), keeping them."""

    def __init__(self, fail: Exception | None = None):
        self.fail, self.requests, self.closed = fail, [], False

    def run(self, request: SandboxRequest) -> SandboxReport:
        self.requests.append(request)
        if self.fail:
            raise self.fail
        missing = {c.call_id: Observation("missing", error="not defined") for c in request.calls}
        return SandboxReport(ImportOutcome("ok"), missing)

    def close(self) -> None:
        self.closed = True


def request_for(name: str) -> SandboxRequest:
    parsed = parse_submission(name, (SUBMISSIONS / name).read_bytes())
    planned = plan_cases(PACK, "cpu")
    return sandbox_request(PACK, "cpu", parsed, static_facts(PACK, parsed), planned)


def test_requests_built_twice_from_the_same_file_are_the_same_request():
    assert same_request(request_for("numpy_correct.py"), request_for("numpy_correct.py"))


def test_another_file_or_other_calls_or_copied_inputs_make_another_request():
    request = request_for("numpy_correct.py")
    assert not same_request(request, request_for("numpy_flipped_sign.py"))
    assert not same_request(request, replace(request, calls=request.calls[1:]))
    first = request.calls[0]
    copied = {name: value.copy() for name, value in first.kwargs.items()}
    changed = replace(request, calls=(replace(first, kwargs=copied), *request.calls[1:]))
    assert not same_request(request, changed)


def test_the_early_report_answers_the_same_request_once_and_other_requests_run_afresh():
    inner = CountingRunner()
    source = (SUBMISSIONS / "numpy_correct.py").read_bytes()
    early = start_early(PACK, "cpu", "numpy_correct.py", source, inner)
    request = request_for("numpy_correct.py")
    assert set(early.run(request).observations) == {c.call_id for c in request.calls}
    assert len(inner.requests) == 1 and same_request(inner.requests[0], request)
    early.run(request)
    assert len(inner.requests) == 2
    early.close()
    assert inner.closed


def test_an_early_failure_is_raised_to_the_pipeline_that_asks_for_that_run():
    inner = CountingRunner(fail=SandboxInfrastructureError("zygote gone"))
    request = request_for("numpy_correct.py")
    early = EarlyRunner(inner, request)
    with pytest.raises(SandboxInfrastructureError, match="zygote gone"):
        early.run(request_for("numpy_correct.py"))
    assert len(inner.requests) == 1


def test_a_file_that_cannot_be_parsed_starts_nothing_early():
    inner = CountingRunner()
    source = (SUBMISSIONS / "numpy_syntax_error.py").read_bytes()
    early = start_early(PACK, "cpu", "numpy_syntax_error.py", source, inner)
    result = grade_pack(PACK, "numpy_syntax_error.py", source, "cpu", runner=early)
    assert result.status == "not_gradable" and inner.requests == []


def test_the_pipeline_uses_the_early_run_for_its_request():
    inner = CountingRunner()
    source = (SUBMISSIONS / "numpy_correct.py").read_bytes()
    early = start_early(PACK, "cpu", "numpy_correct.py", source, inner)
    result = grade_pack(PACK, "numpy_correct.py", source, "cpu", runner=early)
    assert len(inner.requests) == 1  # the early run, not a second one
    assert result.status == "graded" and result.score == 0  # nothing was defined
    assert all("not defined" in test.message for test in result.tests)
