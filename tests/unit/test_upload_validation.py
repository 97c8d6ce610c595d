"""Upload checks of the web side: names, sizes, encodings and notebooks, with clear reasons."""

from __future__ import annotations

import hashlib
import json

import pytest

from service.errors import InvalidSubmissionError, PayloadTooLargeError
from service.validation import validate_file

CELL = {
    "cell_type": "code",
    "metadata": {},
    "source": "x = 1",
    "outputs": [],
    "execution_count": None,
}


def notebook(**fields) -> bytes:
    base = {"cells": [CELL], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    return json.dumps({**base, **fields}).encode()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        (None, "no name"),
        ("hw.txt", ".py file or a .ipynb"),
        ("hw.py.exe", ".py file or a .ipynb"),
        (".hidden.py", ".py file or a .ipynb"),
        ("sub/hw.py", "plain name"),
        ("..\\hw.py", "plain name"),
        ("hw\n.py", "plain name"),
        ("x" * 200 + ".py", "longer than"),
    ],
)
def test_bad_file_names_are_refused(name, reason):
    with pytest.raises(InvalidSubmissionError, match=reason):
        validate_file(name, b"x = 1\n", 1000)


def test_a_good_python_file_passes_with_its_hash():
    valid = validate_file("hw 4 (final).py", b"x = 1\n", 1000)
    assert valid.text == "x = 1\n"
    assert valid.sha256 == hashlib.sha256(b"x = 1\n").hexdigest()


def test_byte_order_mark_is_dropped_and_bad_utf8_refused():
    assert validate_file("hw.py", b"\xef\xbb\xbfx = 1\n", 1000).text == "x = 1\n"
    with pytest.raises(InvalidSubmissionError, match="not valid UTF-8 \\(byte 5\\)"):
        validate_file("hw.py", b"x = '\xff'\n", 1000)


def test_size_cap_is_exact():
    assert validate_file("hw.py", b"#" * 999 + b"\n", 1000)
    with pytest.raises(PayloadTooLargeError, match="1001 bytes; the limit is 1000"):
        validate_file("hw.py", b"#" * 1000 + b"\n", 1000)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{", "not valid JSON \\(line 1"),
        (b"[]", "not a Jupyter notebook in format 4"),
        (notebook(nbformat=3), "not a Jupyter notebook in format 4"),
        (notebook(cells=[{"cell_type": "code"}]), "notebook is not valid"),
        (notebook(metadata=None), "notebook is not valid"),
    ],
)
def test_bad_notebooks_are_refused(data, reason):
    with pytest.raises(InvalidSubmissionError, match=reason):
        validate_file("hw.ipynb", data, 100_000)


def test_notebook_without_cell_ids_is_valid_and_stored_as_sent():
    data = notebook(nbformat_minor=5)
    assert validate_file("hw.ipynb", data, 100_000).text == data.decode()
