"""Error texts of hidden calls: the exception's type and our own sentence, nothing else."""

from __future__ import annotations

import pytest

from reference.pack import Observation
from worker.sandbox.host.hidden import FIXED, HIDDEN_MESSAGE, MIXING_TEXT, scrub

TRACE = (
    "Traceback (most recent call last):\n"
    '  File "submission.py", line 5, in softmax\n'
    "    raise ValueError(str(scores))\n"
)


def exception(error: str) -> Observation:
    return Observation("exception", error=error)


@pytest.mark.parametrize(
    "message",
    [
        "[[ 1.2345678  -0.5       ]\n [ 3.25 1e+04]]",
        "one two three four point five",  # digits spelled as words
        "shapes (6,4) (4,6)",
    ],
)
def test_a_hidden_exception_keeps_only_its_type(message):
    scrubbed = scrub(exception(TRACE + f"ValueError: {message}")).error
    assert scrubbed == f"ValueError: {HIDDEN_MESSAGE}"


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("KeyError", "KeyError"),
        ("numpy.linalg.LinAlgError: Singular matrix", "numpy.linalg.LinAlgError"),
        ("numpy.exceptions.AxisError: axis 2 is out of bounds", "numpy.exceptions.AxisError"),
        ("torch.OutOfMemoryError: CUDA out of memory", "torch.OutOfMemoryError"),
        ("Leak_one_two_three: x", "Exception"),  # a class of the student's own
        ("__main__.ValueErrorOneTwo: x", "Exception"),
        ("ValueErrorX", "Exception"),
        ("not an exception line at all", "Exception"),
    ],
)
def test_only_types_python_numpy_and_torch_define_are_named(line, shown):
    assert scrub(exception(TRACE + line)).error == f"{shown}: {HIDDEN_MESSAGE}"


def test_the_line_that_raised_is_not_shown():
    scrubbed = scrub(exception(TRACE + "ValueError: x")).error
    assert "line 5" not in scrubbed and "raise" not in scrubbed


def test_mixing_devices_keeps_our_own_wording_so_the_advice_applies():
    line = "RuntimeError: Expected all tensors to be on the same device, but found cuda:0 and cpu!"
    assert scrub(exception(TRACE + line)).error == MIXING_TEXT


@pytest.mark.parametrize("status", sorted(FIXED))
def test_other_error_texts_become_a_fixed_sentence(status):
    observation = Observation(status, error="f: exited with code one hundred and seventy-three")
    assert scrub(observation).error == FIXED[status]


def test_output_is_kept_for_the_note_and_an_empty_error_stays_empty():
    observation = Observation("ok", value=1.0, output="one two three")
    assert scrub(observation) == observation
