"""Hidden cases show no student-produced text at all (issue 11, class 7).

Masking digits is not enough: inputs spelled as words, put in an exception class's name,
an exit code, a forged forbidden-call name or a forged tensor dtype all carry them out. For
a hidden case only the exception's type and our own sentences reach the result.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from common.contracts import GradingResult, GradingStatus
from worker.grading.pipeline import grade_source

FIXTURES = Path(__file__).parents[1] / "fixtures" / "submissions"
CLI = [sys.executable, "-m", "autograder.cli", "grade", "--assignment"]
MARK = "LEAK"  # every text the submission produces starts with it

SPELLING = """
import io, os, sys
import numpy as np
from sandbox import wire

WORDS = "zero one two three four five six seven eight nine".split()

def spell(value):
    return "LEAK " + " ".join(WORDS[int(c)] if c.isdigit() else c for c in repr(value))

def forge(status, frames=(), **fields):
    # answer the current call ourselves on the protocol pipe, with our own texts
    frame = sys._getframe(1)
    while "header" not in frame.f_locals:
        frame = frame.f_back
    reply = {"op": "result", "call_id": frame.f_locals["header"]["call_id"], "status": status}
    reply.update(fields)
    wire.send(4, reply, list(frames))
"""

NUMPY_ATTACK = SPELLING + textwrap.dedent(
    """
    def softmax(scores):  # the 1e4-magnitude case: its largest entry, in words
        raise ValueError(spell(float(np.abs(scores).max())))

    def quality(probs, labels):  # a class named after the input's shape
        name = "LEAK" + "".join(WORDS[int(c)] for c in str(probs.shape[0]))
        raise type(name, (Exception,), {})("x")

    def cross_entropy(scores, labels):  # the K = 1000 case's shape
        print(spell(scores.shape))
        return spell(scores.shape)

    def cross_entropy_grad(W, b, X, labels):
        forge("forbidden", forbidden=[spell(W.shape)], error=spell(W.shape))
        return None

    def sgd_step(W, b, dW, db, lr):
        forge("bad_result", error=spell(lr))
        return None

    def lr_schedule(t, lr0=2.5, decay=0.5, every=10):  # its hidden arguments
        raise RuntimeError(spell((t, lr0, decay, every)))

    def train_sgd(X, labels, num_classes, lr=0.1, batch_size=200, num_iters=200, seed=0):
        os._exit(num_iters % 256)
    """
)

TORCH_ATTACK = SPELLING + textwrap.dedent(
    """
    import torch

    def softmax(scores):  # a tensor whose dtype and device names carry the shape
        frame = io.BytesIO()
        np.save(frame, np.zeros(tuple(scores.shape)), allow_pickle=False)
        forge("ok", [frame.getvalue()], value={
            "k": "tensor", "frame": 0, "dtype": spell(scores.shape)[:30],
            "device": spell(scores.shape[1])[:30], "requires_grad": False})
        return scores
    """
)


def leaks(result: GradingResult) -> list[str]:
    """The hidden tests' messages that carry anything the submission wrote."""
    return [t.message for t in result.tests if t.visibility == "hidden" and MARK in t.message]


def test_no_text_of_the_students_reaches_a_hidden_case(attack):
    result = grade_source("lecture4-numpy", "submission.py", NUMPY_ATTACK, runner=attack.sandbox)
    assert result.status == GradingStatus.GRADED
    hidden = [t for t in result.tests if t.visibility == "hidden"]
    assert {t.function for t in hidden} >= {"softmax", "cross_entropy", "lr_schedule"}
    assert not leaks(result)
    assert not any(t.passed for t in hidden)
    messages = {t.function: t.message for t in hidden}
    assert (
        "ValueError: (the message of an exception in a hidden test is not shown)"
        in (messages["softmax"])
    )
    assert "Exception: (the message" in messages["quality"]  # the class's name is not shown
    # The same texts do reach the visible cases: the attack works where it is allowed to.
    visible = " ".join(t.message for t in result.tests if t.visibility == "visible")
    assert "LEAK" in visible and "LEAK" not in result.output.split("(output printed")[-1]
    attack.still_grades()


def test_a_forged_tensor_dtype_or_device_is_not_named(attack):
    result = grade_source("lecture4-torch", "submission.py", TORCH_ATTACK, runner=attack.sandbox)
    assert result.status == GradingStatus.GRADED
    softmax = [t for t in result.tests if t.function == "softmax"]
    assert softmax and not any(MARK in t.message for t in softmax)
    assert {t.diagnosis for t in softmax} == {"bad_result"}
    attack.still_grades("torch")


@pytest.mark.slow
def test_through_the_cli_nothing_leaks_and_the_next_file_gets_full_marks(tmp_path):
    attack = tmp_path / "attack.py"
    attack.write_text(NUMPY_ATTACK)
    run = subprocess.run(
        [*CLI, "lecture4-numpy", "--json", str(attack)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert not leaks(GradingResult.model_validate_json(run.stdout))
    correct = FIXTURES / "numpy_correct.py"
    run = subprocess.run(
        [*CLI, "lecture4-numpy", "--json", str(correct)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert GradingResult.model_validate_json(run.stdout).score == 100
