"""Hidden tests leak nothing: not through printed output, exception messages or exit codes."""

from __future__ import annotations

import re

import numpy as np

from reference.packs import get_pack
from worker.grading.pipeline import grade_source
from worker.grading.plan import plan_cases

LEAKY = """
import os
import numpy as np

SEEN = []

def softmax(scores):
    print(scores)  # prints every input it is given
    SEEN.append(scores)
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    exps = np.exp(shifted)
    return exps / np.sum(exps, axis=1, keepdims=True)

def cross_entropy(scores, labels):
    raise ValueError(str(scores))

def lr_schedule(t, lr0=2.5, decay=0.5, every=10):
    if SEEN:
        print("seen:", SEEN[-1])  # what softmax saw before: hidden inputs, if it ran first
    return lr0 * decay ** (t // every)

def train_sgd(X, labels, num_classes, lr=0.1, batch_size=200, num_iters=200, seed=0):
    os._exit(int(abs(X.sum()) * 7) % 200 + 1)  # an exit code computed from the input
"""


def hidden_inputs() -> dict[str, list[dict]]:
    """The hidden cases' inputs, by function, exactly as the grader builds them."""
    found: dict[str, list[dict]] = {}
    for planned in plan_cases(get_pack("lecture4-numpy"), "cpu"):
        if planned.case.visibility == "hidden":
            found.setdefault(planned.case.function, []).append(planned.inputs)
    return found


def printed_numbers(array: np.ndarray) -> set[str]:
    """The numbers NumPy prints for ``array`` that have four digits or more."""
    tokens = re.findall(r"-?\d+\.\d*(?:e[+-]\d+)?", str(array))
    return {t for t in tokens if sum(c.isdigit() for c in t) >= 4}


def test_hidden_inputs_never_show_in_the_result(attack):
    result = grade_source("lecture4-numpy", "submission.py", LEAKY, runner=attack.sandbox)
    text = result.model_dump_json()
    inputs = hidden_inputs()
    numbers = set()
    for case in inputs["softmax"] + inputs["cross_entropy"]:
        numbers |= printed_numbers(case["scores"])
    assert len(numbers) > 50  # the check below has something to find
    assert not [n for n in numbers if n in text]
    assert "(output printed during hidden tests is not shown)" in result.output
    hidden = {t.function: t for t in result.tests if t.visibility == "hidden" and not t.passed}
    message = hidden["cross_entropy"].message
    assert "ValueError: (the message of an exception in a hidden test is not shown)" in message
    assert "raise ValueError(str(scores))" not in message  # nor which line raised
    for case in inputs["train_sgd"]:
        code = int(abs(case["X"].sum()) * 7) % 200 + 1
        assert f"code {code}" not in hidden["train_sgd"].message
    attack.still_grades()


def test_visible_tests_still_show_their_output_and_errors(attack):
    result = grade_source("lecture4-numpy", "submission.py", LEAKY, runner=attack.sandbox)
    visible = {t.function: t for t in result.tests if t.visibility == "visible" and not t.passed}
    assert re.search(r"exited with code \d+", visible["train_sgd"].message)
    assert "ValueError: [[" in visible["cross_entropy"].message  # the student's own message
    assert result.output.startswith("[[")  # softmax's prints in visible tests
    attack.still_grades()
