"""The run-time guard, seen through the process runner (it patches the child's modules)."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from reference.pack import Forbidden
from worker.sandbox.host.api import CallSpec, SandboxRequest, SourceChunk
from worker.sandbox.host.process_runner import ProcessRunner

FORBID = Forbidden(modules=("sklearn",), calls=("statistics.fmean",), reason="write it yourself")


@pytest.fixture(scope="module")
def runner():
    with ProcessRunner() as runner:
        yield runner


def run(runner, code, *functions):
    calls = tuple(CallSpec(f, f, {"x": np.ones(3)}) for f in functions)
    chunk = SourceChunk(textwrap.dedent(code), "submission.py")
    return runner.run(SandboxRequest("numpy", "cpu", (chunk,), calls, FORBID))


def test_a_forbidden_call_imported_by_name_is_caught_when_a_function_uses_it(runner):
    code = """
    from statistics import fmean
    def uses(x):
        return fmean(x)
    def clean(x):
        return float(x.sum())
    """
    report = run(runner, code, "uses", "clean")
    assert report.observations["uses"].status == "forbidden"
    assert report.observations["uses"].forbidden == ("statistics.fmean",)
    assert "write it yourself" in report.observations["uses"].error
    assert report.observations["clean"].value == 3.0


def test_a_forbidden_call_swallowed_by_the_student_is_still_recorded(runner):
    code = """
    import statistics
    def sneaky(x):
        try:
            return statistics.fmean(x)
        except Exception:
            return float(x.mean())
    """
    assert run(runner, code, "sneaky").observations["sneaky"].status == "forbidden"


def test_a_students_own_function_with_a_forbidden_name_is_not_a_use(runner):
    code = """
    def fmean(values):
        return sum(values) / len(values)
    def mine(x):
        return float(fmean(x))
    """
    assert run(runner, code, "mine").observations["mine"].value == 1.0


def test_a_forbidden_module_used_at_import_is_reported_and_the_file_goes_on(runner):
    statements = (
        "def early(x):\n    return 1",
        "import sklearn",
        "model = sklearn.linear_model.LogisticRegression()",
        "def late(x):\n    return 2",
    )
    chunks = tuple(SourceChunk(code, "submission.py", first_line=1) for code in statements)
    calls = (CallSpec("late", "late", {"x": np.ones(3)}),)
    report = runner.run(SandboxRequest("numpy", "cpu", chunks, calls, FORBID))
    assert report.imported.status == "ok"
    raised = report.imported.raised
    assert [(r.chunk, r.status) for r in raised] == [(2, "forbidden")]  # its first use
    assert "sklearn" in raised[0].error
    assert report.observations["late"].value == 2
