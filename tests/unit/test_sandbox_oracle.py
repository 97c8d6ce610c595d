"""Substituted helpers: proxies in the child, trusted oracles in the parent, plain data between."""

from __future__ import annotations

import textwrap
import time

import numpy as np
import pytest

from reference.pack import TensorArg, TensorValue
from worker.sandbox.host.api import CallSpec, Limits, SandboxRequest, SourceChunk
from worker.sandbox.host.process_runner import ProcessRunner

X = np.array([[1.0, 2.0], [3.0, 4.0]])


@pytest.fixture(scope="module")
def runner():
    with ProcessRunner() as runner:
        yield runner


class Oracle:
    """A trusted helper that doubles its argument and remembers what it was given."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.seen: list = []
        self.delay_s = delay_s

    def __call__(self, x, *rest, **kwargs):
        self.seen.append((x, rest, kwargs))
        time.sleep(self.delay_s)
        if type(x) is not np.ndarray or x.ndim != 2:
            raise ValueError("the reference helper expects x of shape (N, K)")
        return 2 * x


def run(runner, code, *calls, oracles=None, limits=None, runtime="numpy"):
    chunk = SourceChunk(textwrap.dedent(code), "submission.py")
    request = SandboxRequest(
        runtime, "cpu", (chunk,), calls, limits=limits or Limits(), oracles=oracles or {}
    )
    return runner.run(request)


def call(function, call_id=None, substitutes=("helper",), limit=5.0, **kwargs):
    kwargs = kwargs or {"x": X}
    return CallSpec(call_id or function, function, kwargs, time_limit_s=limit,
                    substitutes=substitutes)  # fmt: skip


STUDENT = """
def helper(x):
    return x * 0  # the student's broken helper

def f(x):
    return helper(x) + 1
"""


def test_a_substituted_helper_answers_with_the_oracle_and_only_in_that_call(runner):
    oracle = Oracle()
    calls = (call("f", "lent"), call("f", "own", substitutes=()))
    report = run(runner, STUDENT, *calls, oracles={"helper": oracle})
    assert np.array_equal(report.observations["lent"].value, 2 * X + 1)
    assert np.array_equal(report.observations["own"].value, X * 0 + 1)  # the student's again
    assert len(oracle.seen) == 1 and np.array_equal(oracle.seen[0][0], X)


def test_a_helper_the_file_never_defines_can_be_substituted(runner):
    code = "def f(x):\n    return helper(x) + 1\n"
    report = run(runner, code, call("f"), oracles={"helper": Oracle()})
    assert np.array_equal(report.observations["f"].value, 2 * X + 1)


def test_arguments_the_oracle_rejects_raise_value_error_with_its_message(runner):
    code = """
    import numpy as np
    def f(x):
        try:
            helper(np.ones(3))
        except ValueError as e:
            return str(e)
    """
    report = run(runner, code, call("f"), oracles={"helper": Oracle()})
    assert report.observations["f"].value == "the reference helper expects x of shape (N, K)"


def test_an_oracle_out_of_memory_is_a_refused_call_not_a_grader_failure(runner):
    def hungry(x):
        raise MemoryError

    code = """
    def f(x):
        try:
            return helper(x)
        except ValueError as e:
            return str(e)
    """
    report = run(runner, code, call("f"), oracles={"helper": hungry})
    assert (
        report.observations["f"].value
        == "the reference helper ran out of memory on these arguments"
    )


def test_oracle_arguments_larger_than_the_calls_inputs_are_refused_unseen(runner):
    oracle = Oracle()
    code = """
    import numpy as np
    def f(x):
        answers = []
        for shape in ((2, 2), (40, 40), (1, 500)):
            try:
                answers.append(helper(np.ones(shape)).shape)
            except ValueError as e:
                answers.append(str(e))
        return answers
    """
    answers = run(runner, code, call("f"), oracles={"helper": oracle}).observations["f"].value
    assert answers[0] == (2, 2)
    assert (
        answers[1]
        == "the reference helper was passed an array of 1600 elements (at most 1024 here)"
    )
    assert "shape (1, 500)" in answers[2]
    assert [np.shape(x) for x, _, _ in oracle.seen] == [(2, 2)]


def test_an_argument_that_cannot_travel_is_refused_in_the_child(runner):
    oracle = Oracle()
    code = """
    def f(x):
        try:
            helper({"x": x})
        except ValueError as e:
            return str(e)
    """
    report = run(runner, code, call("f"), oracles={"helper": oracle})
    assert report.observations["f"].value == "the reference helper cannot take a dict"
    assert oracle.seen == []


def test_oracle_answers_per_call_are_bounded(runner):
    oracle = Oracle()
    code = """
    def f(x):
        answered, refusals = 0, set()
        for _ in range(12):
            try:
                helper(x)
                answered += 1
            except RuntimeError as e:
                refusals.add(str(e))
        return answered, sorted(refusals)
    """
    report = run(runner, code, call("f"), oracles={"helper": oracle}, limits=Limits(oracle_calls=5))
    answered, refusals = report.observations["f"].value
    assert answered == 5 and len(oracle.seen) == 5
    assert refusals == ["the reference helper was called more than 5 times"]


def test_a_proxy_kept_for_later_does_not_answer_outside_its_call(runner):
    oracle = Oracle()
    code = """
    kept = []
    def f(x):
        kept.append(helper)
        return 0
    def g(x):
        try:
            kept[0](x)
        except RuntimeError as e:
            return str(e)
    """
    report = run(runner, code, call("f"), call("g", substitutes=()), oracles={"helper": oracle})
    assert (
        report.observations["g"].value
        == "the reference helper answers only in the test it was lent to"
    )
    assert oracle.seen == []


def test_the_proxy_reveals_no_reference_code(runner):
    code = """
    import inspect, sys
    def f(x):
        try:
            source = inspect.getsource(helper)
        except (OSError, TypeError) as e:
            source = f"no source: {e}"
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("reference", "worker"))
        return source, helper.__code__.co_filename, list(helper.__code__.co_names), loaded
    """
    report = run(runner, code, call("f"), oracles={"helper": Oracle()})
    source, filename, names, loaded = report.observations["f"].value
    assert filename.endswith(("/sbx/lib/sandbox/proxies.py", "sandbox/child/proxies.py"))
    assert names == ["ask"]
    assert "lending.ask" in source and "2 * x" not in source
    assert loaded == []  # no module of the grader, let alone the reference, in the child


def test_time_spent_in_the_oracle_counts_toward_the_call_limit(runner):
    oracle = Oracle(delay_s=0.3)
    code = "def f(x):\n    for _ in range(10):\n        helper(x)\n    return 1\n"
    report = run(runner, code, call("f", limit=1.0), oracles={"helper": oracle})
    assert report.observations["f"].status == "timeout"
    assert len(oracle.seen) < 10


def test_a_forged_oracle_request_for_a_name_not_lent_is_never_answered(runner):
    oracle = Oracle()
    code = """
    from sandbox import wire
    def f(x):
        wire.send(4, {"op": "oracle", "call_id": "f", "name": "secret", "args": [], "kwargs": {}})
        return 1
    def g(x):
        return 2
    """
    calls = (call("f"), call("g", substitutes=()))
    report = run(runner, code, *calls, oracles={"helper": oracle, "secret": oracle})
    assert report.observations["f"].status in ("bad_result", "crashed")
    assert report.observations["g"].value == 2
    assert oracle.seen == []


def test_torch_answers_are_tensors_on_the_callers_device_and_dtype(runner):
    def oracle(x):
        assert type(x) is TensorValue and x.dtype == "float32"
        return (TensorArg(x.array * 2), 3.0)

    code = "def f(x):\n    doubled, three = helper(x)\n    return doubled, three\n"
    tensor = TensorArg(X.astype(np.float32))
    spec = CallSpec("f", "f", {"x": tensor}, substitutes=("helper",))
    report = run(runner, code, spec, oracles={"helper": oracle}, runtime="torch")
    doubled, three = report.observations["f"].value
    assert (doubled.dtype, doubled.device, three) == ("float32", "cpu", 3.0)
    assert np.array_equal(doubled.array, 2 * X.astype(np.float32))
