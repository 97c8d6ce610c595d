"""Error texts of hidden calls: the student's own lines stay, numbers and forged lines go."""

from __future__ import annotations

import pytest

from reference.pack import Observation
from worker.sandbox.host.api import SourceChunk
from worker.sandbox.host.hidden import mask, scrub

CODE = "def softmax(scores):\n    total = scores.sum()\n    raise ValueError(str(scores))\n"
CHUNKS = (
    SourceChunk("import numpy as np", "submission.py", 1),
    SourceChunk(CODE, "submission.py", 3),
)
TRACE = (
    "Traceback (most recent call last):\n"
    '  File "submission.py", line 5, in softmax\n'
    "    raise ValueError(str(scores))\n"
)


def exception(error: str) -> Observation:
    return Observation("exception", error=error)


def test_a_hidden_exception_keeps_its_type_and_line_and_masks_its_numbers():
    error = TRACE + "ValueError: [[ 1.2345678  -0.5       ]\n [ 3.25 1e+04]]"
    scrubbed = scrub(exception(error), CHUNKS).error
    assert scrubbed == TRACE + "ValueError: [[ # # ]"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("operands could not be broadcast together with shapes (6,4) (4,6)", "shapes (#,#) (#,#)"),
        ("index 5 is out of bounds for axis 1 with size 3", "index # is out of bounds for axis #"),
        ("got -1.5e-07 and .25 and 0x1f", "got # and # and #"),
        ("float32 tensors on cuda:0", "float32 tensors on cuda:#"),
    ],
)
def test_numbers_are_masked_but_names_with_digits_stay(text, masked):
    assert masked in mask(text)


def test_a_long_message_is_cut():
    assert len(mask("x" * 10_000)) < 300


@pytest.mark.parametrize(
    "entry",
    [
        '  File "submission.py", line 4, in softmax\n    total = 12345\n',  # not the line's text
        '  File "submission.py", line 99, in softmax\n    \n',  # no such line
        '  File "secret.py", line 4, in softmax\n    total = scores.sum()\n',  # no such file
        '  File "submission.py", line 4, in x31415\n    total = scores.sum()\n',  # a made-up name
    ],
)
def test_traceback_entries_that_are_not_the_students_code_are_dropped(entry):
    error = "Traceback (most recent call last):\n" + entry + "ValueError: boom"
    assert scrub(exception(error), CHUNKS).error == "ValueError: boom"


def test_a_frame_count_is_not_shown():
    error = TRACE.replace(
        "Traceback (most recent call last):\n",
        "Traceback (most recent call last):\n  ... 37 more frames ...\n",
    )
    scrubbed = scrub(exception(error + "RecursionError: deep"), CHUNKS).error
    assert (
        "37" not in scrubbed and "  ..." in scrubbed and scrubbed.endswith("RecursionError: deep")
    )


def test_other_error_texts_are_masked_to_one_line():
    crashed = Observation("crashed", error="f: the process exited with code 173 (os._exit)\nmore")
    assert scrub(crashed, CHUNKS).error == "f: the process exited with code # (os._exit)"
