"""Graded functions are called with required inputs by position: names are the student's."""

from __future__ import annotations

import numpy as np
import pytest

from reference.pack import Forbidden, FunctionSpec, Observation, required_parameters
from worker.grading.plan import by_position
from worker.sandbox.host.api import CallSpec, Limits, SandboxRequest, SourceChunk
from worker.sandbox.host.process_runner import ProcessRunner

CODE = """
def scale(X, factor=2.0):
    return X * factor

def two(a, b):
    return a - b

def rigid(scores, labels, extra):
    return scores
"""
X = np.arange(3.0)


@pytest.fixture(scope="module")
def runner():
    with ProcessRunner() as runner:
        yield runner


def run(runner, *calls: CallSpec) -> dict[str, Observation]:
    chunk = SourceChunk(CODE, "submission.py")
    request = SandboxRequest("numpy", "cpu", (chunk,), calls, Forbidden(), Limits())
    return runner.run(request).observations


@pytest.mark.parametrize(
    ("signature", "required"),
    [
        ("softmax(scores)", ("scores",)),
        ("lr_schedule(t, lr0=2.5, decay=0.5, every=10)", ("t",)),
        ("sgd_step(W, b, dW, db, lr)", ("W", "b", "dW", "db", "lr")),
        ("f()", ()),
    ],
)
def test_required_parameters_are_those_without_defaults(signature, required) -> None:
    assert required_parameters(signature) == required
    assert FunctionSpec("f", 1, signature, "").positional == required


def test_inputs_go_by_position_up_to_the_first_required_one_a_case_leaves_out() -> None:
    assert by_position(("W", "b", "lr"), {"lr": 1, "W": 2, "b": 3}) == ("W", "b", "lr")
    assert by_position(("W", "b", "lr"), {"W": 2, "lr": 1}) == ("W",)


def test_a_function_that_renames_its_parameters_is_called_by_position(runner) -> None:
    calls = (
        CallSpec("c1", "scale", {"scores": X}, positional=("scores",)),
        CallSpec("c2", "scale", {"scores": X, "factor": 3.0}, positional=("scores",)),
        CallSpec("c3", "two", {"b": 1.0, "a": 5.0}, positional=("a", "b")),  # contract order
    )
    seen = run(runner, *calls)
    assert [o.status for o in seen.values()] == ["ok", "ok", "ok"], seen
    np.testing.assert_array_equal(seen["c1"].value, 2 * X)
    np.testing.assert_array_equal(seen["c2"].value, 3 * X)
    assert seen["c3"].value == 4.0


def test_a_signature_that_cannot_take_the_call_is_reported_with_its_parameters(runner) -> None:
    calls = (
        CallSpec("c1", "rigid", {"scores": X, "labels": X}, positional=("scores", "labels")),
        CallSpec("c2", "scale", {"scores": X, "lr0": 1.0}, positional=("scores",)),
        CallSpec("c3", "scale", {"scores": X}),  # by keyword, as before: the name must match
    )
    seen = run(runner, *calls)
    assert seen["c1"].status == "bad_signature"
    assert seen["c1"].error == "rigid(scores, labels, extra)\nmissing a required argument: 'extra'"
    assert seen["c2"].status == "bad_signature"
    assert "unexpected keyword argument 'lr0'" in seen["c2"].error
    assert seen["c3"].status == "bad_signature"


def test_the_signature_verdict_shows_both_signatures_and_hides_them_for_hidden_cases() -> None:
    from reference.pack import Case, Pack, Tolerance
    from worker.grading.plan import PlannedCase
    from worker.grading.signatures import signature_verdict

    spec = FunctionSpec("softmax", 10, "softmax(scores)", "")
    pack = Pack("p", "P", "numpy", ("cpu",), (spec,), lambda d: [], {"f": Tolerance(0, 0)})
    seen = Observation("bad_signature", error="softmax(X, y)\nmissing a required argument: 'y'")
    for visibility in ("visible", "hidden"):
        case = Case("c", "softmax", dict, lambda i, o: None, "", visibility)
        verdict = signature_verdict(pack, PlannedCase(case, "c0", {}, 1.0, 1.0), seen)
        assert not verdict.passed and verdict.diagnosis == "signature_mismatch"
        assert "softmax(scores)" in verdict.message
        assert ("softmax(X, y)" in verdict.message) is (visibility == "visible")
