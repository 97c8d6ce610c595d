"""The process runner: one bad function costs only its own call, never the others."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from reference.pack import Forbidden, Probe, TensorArg, TensorValue
from worker.sandbox.host.api import (
    CallSpec,
    Limits,
    SandboxInfrastructureError,
    SandboxRequest,
    SourceChunk,
)
from worker.sandbox.host.process_runner import ProcessRunner

SOFTMAX = """
import numpy as np

def softmax(scores):
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)
"""
SCORES = np.array([[1.0, 2.0, 3.0], [1000.0, 0.0, -1000.0]])


def expected_softmax(scores):
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def runner():
    with ProcessRunner() as runner:
        yield runner


DEFAULT_LIMITS, NOTHING_FORBIDDEN, PLAIN_CALL = Limits(), Forbidden(), Probe()


def request(*codes, calls=(), runtime="numpy", limits=DEFAULT_LIMITS, forbidden=NOTHING_FORBIDDEN):
    """A request whose chunks are ``codes`` (dedented), numbered lines as one file."""
    chunks, line = [], 1
    for code in codes:
        code = textwrap.dedent(code)
        chunks.append(SourceChunk(code, "submission.py", first_line=line))
        line += code.count("\n") + 1
    return SandboxRequest(runtime, "cpu", tuple(chunks), tuple(calls), forbidden, limits)


def call(function, call_id=None, limit=5.0, probe=PLAIN_CALL, **kwargs):
    return CallSpec(call_id or function, function, kwargs, probe, limit)


def test_correct_code_returns_its_results(runner):
    report = runner.run(request(SOFTMAX, calls=[call("softmax", scores=SCORES)]))
    assert report.imported.status == "ok"
    assert report.imported.defined == ("softmax",)
    observation = report.observations["softmax"]
    assert observation.status == "ok", observation.error
    assert type(observation.value) is np.ndarray
    np.testing.assert_allclose(observation.value, expected_softmax(SCORES))
    assert observation.mutated == ()


def test_an_exception_in_one_call_leaves_the_others_graded(runner):
    code = SOFTMAX + "\ndef quality(probs, labels):\n    raise ValueError('not yet')\n"
    calls = [call("quality", probs=SCORES, labels=np.array([0, 1])), call("softmax", scores=SCORES)]
    report = runner.run(request(code, calls=calls))
    failed = report.observations["quality"]
    assert failed.status == "exception"
    assert "ValueError: not yet" in failed.error
    assert 'File "submission.py", line 10, in quality' in failed.error
    assert "harness" not in failed.error  # only the student's frames
    assert report.observations["softmax"].status == "ok"


def test_an_endless_loop_in_one_call_times_out_and_the_next_call_still_runs(runner):
    code = SOFTMAX + "\ndef quality(probs, labels):\n    while True:\n        pass\n"
    calls = [
        call("quality", limit=0.5, probs=SCORES, labels=np.array([0, 1])),
        call("softmax", scores=SCORES),
    ]
    report = runner.run(request(code, calls=calls))
    assert report.observations["quality"].status == "timeout"
    assert "0.5 s" in report.observations["quality"].error
    np.testing.assert_allclose(report.observations["softmax"].value, expected_softmax(SCORES))


def test_a_segfault_in_one_call_is_a_crash_of_that_call_only(runner):
    code = SOFTMAX + "\ndef quality(probs, labels):\n    import ctypes\n    ctypes.string_at(0)\n"
    calls = [call("quality", probs=SCORES, labels=np.array([0, 1])), call("softmax", scores=SCORES)]
    report = runner.run(request(code, calls=calls))
    assert report.observations["quality"].status == "crashed"
    assert "SIGSEGV" in report.observations["quality"].error
    assert report.observations["softmax"].status == "ok"


def test_an_exception_at_import_is_reported_and_the_definitions_after_it_still_run(runner):
    first = (
        "def lr_schedule(t, lr0=2.5, decay=0.5, every=10):\n    return lr0 * decay ** (t//every)"
    )
    second = "def sgd_step(W, b, dW, db, lr):\n    return W - lr * dW, b - lr * db"
    third = "x = 1 / 0"
    fourth = "def softmax(scores):\n    return scores"
    calls = [call("lr_schedule", t=25), call("softmax", scores=SCORES)]
    report = runner.run(request(first, second, third, fourth, calls=calls))
    imported = report.imported
    assert imported.status == "ok"
    assert imported.defined == ("lr_schedule", "sgd_step", "softmax")
    [raised] = imported.raised
    assert raised.chunk == 2
    assert raised.line == 5  # lines 1-2 and 3-4 hold the two definitions
    assert "ZeroDivisionError" in raised.error
    assert report.observations["lr_schedule"].value == 2.5 * 0.5**2
    assert report.observations["softmax"].status == "ok"


def test_a_call_that_restarts_the_child_replays_the_chunks_after_one_that_raised(runner):
    """A crash in one call starts a fresh child, which must define the later functions too."""
    crash = "def crash(scores):\n    import os\n    os._exit(3)"
    calls = [call("crash", scores=SCORES), call("softmax", scores=SCORES)]
    report = runner.run(request(crash, "x = 1 / 0", SOFTMAX, calls=calls))
    assert report.observations["crash"].status == "crashed"
    assert report.observations["softmax"].status == "ok"


def test_an_import_that_hangs_times_out_at_that_chunk_and_keeps_earlier_definitions(runner):
    limits = Limits(import_s=1.0)
    calls = [call("softmax", scores=SCORES)]
    report = runner.run(request(SOFTMAX, "while True:\n    pass", calls=calls, limits=limits))
    assert report.imported.status == "timeout"
    assert report.imported.failed_chunk == 1
    assert report.observations["softmax"].status == "ok"


def test_an_output_flood_is_truncated_to_the_limit_and_counted(runner):
    code = "def softmax(scores):\n    print('x' * 10_000_000)\n    return scores"
    limits = Limits(output_bytes=1000)
    report = runner.run(request(code, calls=[call("softmax", scores=SCORES)], limits=limits))
    assert report.observations["softmax"].status == "ok"
    assert report.output.startswith("x" * 1000)
    assert "more characters of output dropped" in report.output
    assert len(report.output) < 1100


def test_a_result_that_subclasses_ndarray_is_rejected(runner):
    code = """
    import numpy as np
    class Sneaky(np.ndarray):
        def __eq__(self, other):
            return np.ones(self.shape, dtype=bool)
    def softmax(scores):
        return np.zeros_like(scores).view(Sneaky)
    """
    report = runner.run(request(code, calls=[call("softmax", scores=SCORES)]))
    observation = report.observations["softmax"]
    assert observation.status == "bad_result"
    assert "Sneaky (a subclass of numpy.ndarray)" in observation.error


def test_an_in_place_change_of_an_argument_is_detected(runner):
    code = "def softmax(scores):\n    scores -= scores.max()\n    return scores"
    report = runner.run(request(code, calls=[call("softmax", scores=SCORES.copy())]))
    assert report.observations["softmax"].mutated == ("scores",)


def test_a_missing_function_is_reported_without_running_anything(runner):
    report = runner.run(request(SOFTMAX, calls=[call("quality", probs=SCORES, labels=[0, 1])]))
    assert report.observations["quality"].status == "missing"


def test_a_forbidden_module_imports_but_fails_the_function_that_uses_it(runner):
    code = SOFTMAX + "\nimport torch\ndef quality(probs, labels):\n    return torch.tensor(1.0)\n"
    calls = [call("quality", probs=SCORES, labels=np.array([0, 1])), call("softmax", scores=SCORES)]
    forbidden = Forbidden(modules=("torch",), reason="use NumPy")
    report = runner.run(request(code, calls=calls, forbidden=forbidden))
    assert report.imported.status == "ok"
    assert report.observations["quality"].status == "forbidden"
    assert report.observations["quality"].forbidden == ("torch",)
    assert report.observations["softmax"].status == "ok"


def test_the_whole_submission_budget_stops_later_calls(runner):
    code = "def slow(x):\n    while True:\n        pass\ndef fast(x):\n    return x"
    calls = [call("slow", limit=5, x=1), call("fast", x=2)]
    report = runner.run(request(code, calls=calls, limits=Limits(wall_s=0.5)))
    assert report.observations["slow"].status == "timeout"
    assert report.observations["fast"].status == "timeout"
    assert "total time budget" in report.observations["fast"].error


CROSS_ENTROPY = """
import torch

def cross_entropy(scores, labels):
    top = scores.max(dim=1, keepdim=True).values
    lse = top.squeeze(1) + (scores - top).exp().sum(dim=1).log()
    return (lse - scores[torch.arange(len(labels)), labels]).mean()

def cheat(scores, labels):
    return torch.nn.functional.cross_entropy(scores, labels)
"""


def test_a_grad_probe_returns_the_gradient_computed_by_the_grader(runner):
    scores = np.random.default_rng(0).normal(size=(4, 3))
    labels = np.array([0, 1, 2, 0])
    kwargs = {"scores": TensorArg(scores, requires_grad=True), "labels": TensorArg(labels)}
    forbidden = Forbidden(calls=("torch.nn.functional.cross_entropy",), methods=("backward",))
    probe = Probe(kind="grad", wrt="scores")
    calls = [call("cross_entropy", probe=probe, **kwargs), call("cheat", **kwargs)]
    report = runner.run(request(CROSS_ENTROPY, calls=calls, runtime="torch", forbidden=forbidden))
    observation = report.observations["cross_entropy"]
    assert observation.status == "ok", observation.error
    assert type(observation.value) is TensorValue and observation.value.dtype == "float64"
    probs = expected_softmax(scores)
    onehot = np.eye(3)[labels]
    np.testing.assert_allclose(observation.grad.array, (probs - onehot) / 4, atol=1e-12)
    assert report.observations["cheat"].status == "forbidden"
    assert report.observations["cheat"].forbidden == ("torch.nn.functional.cross_entropy",)


class UnconfinableRunner(ProcessRunner):
    """A runner whose children cannot confine themselves (a device that does not exist)."""

    def confinement(self, request):
        return {"hardened": True, "devices": ["/nonexistent/nvidia0"]}


def test_a_child_that_cannot_confine_itself_is_our_failure_not_the_students():
    with UnconfinableRunner() as runner:
        with pytest.raises(SandboxInfrastructureError, match="could not start"):
            runner.run(request(SOFTMAX, calls=[call("softmax", scores=SCORES)]))
