"""Parsing submissions into sandbox chunks: .py files and notebooks, and what is not gradable."""

from __future__ import annotations

import json

import nbformat
import pytest

from worker.grading.chunks import MAX_CELLS, MAX_CHUNKS, MAX_SOURCE_CHARS, NotGradableError
from worker.grading.source import parse_submission


def notebook(*cells: tuple[str, str]) -> str:
    """Return the JSON text of a v4 notebook with (cell_type, source) cells."""
    make = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell}
    nb = nbformat.v4.new_notebook(cells=[make[kind](source) for kind, source in cells])
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index}"
    return nbformat.writes(nb)


def not_gradable(filename: str, source: str | bytes) -> NotGradableError:
    with pytest.raises(NotGradableError) as info:
        parse_submission(filename, source)
    return info.value


def test_python_file_is_split_into_one_chunk_per_top_level_statement_with_its_first_line():
    source = "import numpy as np\n\n\ndef f(x):\n    return x\n\n# a comment\nY = 3\n"
    chunks = parse_submission("sub.py", source).chunks
    assert [(c.first_line, c.code) for c in chunks] == [
        (1, "import numpy as np\n"),
        (4, "def f(x):\n    return x\n"),
        (8, "Y = 3\n"),
    ]
    assert {c.origin for c in chunks} == {"sub.py"} and {c.cell for c in chunks} == {None}


def test_decorators_belong_to_the_chunk_of_their_function():
    source = "import functools\n@functools.cache\n@functools.wraps(len)\ndef f():\n    pass\n"
    chunks = parse_submission("s.py", source).chunks
    assert chunks[1].first_line == 2 and chunks[1].code.startswith("@functools.cache")


def test_statements_sharing_a_line_stay_in_one_chunk():
    chunks = parse_submission("s.py", "a = 1; b = 2\nc = (a +\n     b); d = c\ne = d\n").chunks
    assert [(c.first_line, c.code) for c in chunks] == [
        (1, "a = 1; b = 2\n"),
        (2, "c = (a +\n     b); d = c\n"),
        (4, "e = d\n"),
    ]


def test_long_files_group_plain_statements_but_keep_each_definition_in_its_own_chunk():
    table = "".join(f"w{i} = {i}\n" for i in range(MAX_CHUNKS))
    source = (
        table + "def f():\n    return w0\n" + table + "@staticmethod\nclass C:\n    pass\nz = 1\n"
    )
    chunks = parse_submission("s.py", source).chunks
    first = MAX_CHUNKS + 1
    assert [(c.first_line, c.code.count("\n")) for c in chunks] == [
        (1, MAX_CHUNKS),
        (first, 2),
        (first + 2, MAX_CHUNKS),
        (2 * MAX_CHUNKS + 3, 3),
        (2 * MAX_CHUNKS + 6, 1),
    ]
    assert chunks[1].code == "def f():\n    return w0\n"


def test_windows_line_endings_keep_line_numbers_right():
    chunks = parse_submission("s.py", b"x = 1\r\n\r\ny = 2\r\n").chunks
    assert [(c.first_line, c.code) for c in chunks] == [(1, "x = 1\n"), (3, "y = 2\n")]


def test_syntax_error_in_a_python_file_reports_its_line():
    error = not_gradable("s.py", "def f(x):\n    return x\ndef g(:\n    pass\n")
    assert (error.kind, error.line, error.cell) == ("syntax_error", 3, None)
    assert "s.py, line 3" in error.message and "def g(:" in error.message


@pytest.mark.parametrize("source", ["", "   \n\n", b""])
def test_empty_submission_is_not_gradable(source):
    error = not_gradable("s.py", source)
    assert error.kind == "empty" and "empty" in error.message


def test_file_that_is_not_utf8_is_not_gradable_with_a_clear_message():
    error = not_gradable("s.py", "x = 'caf\u00e9'\n".encode("latin-1"))
    assert error.kind == "not_utf8" and "UTF-8" in error.message


def test_utf8_byte_order_mark_is_accepted():
    chunks = parse_submission("s.py", "\ufeffx = 1\n".encode()).chunks
    assert chunks[0].code == "x = 1\n"


def test_oversized_python_file_is_too_large():
    error = not_gradable("s.py", "x = 1\n" * (MAX_SOURCE_CHARS // 6 + 1))
    assert error.kind == "too_large"


def test_unsupported_file_type_is_not_gradable():
    assert not_gradable("answers.txt", "x = 1").kind == "unsupported_file"


def test_notebook_skips_line_magics_and_shell_lines_keeping_line_numbers():
    source = notebook(
        ("markdown", "# My work"),
        ("code", "%matplotlib inline\n!pip list\nimport numpy as np\n  %time x = 1\nY = 2"),
    )
    chunks = parse_submission("work.ipynb", source).chunks
    assert [(c.origin, c.cell, c.first_line, c.code) for c in chunks] == [
        ("cell 2", 1, 3, "import numpy as np\n"),
        ("cell 2", 1, 5, "Y = 2\n"),
    ]


def test_notebook_skips_cell_magics_whole_and_reads_code_cells_in_order():
    source = notebook(
        ("code", "def f():\n    return 1"),
        ("code", "%%timeit\nthis is not python"),
        ("code", "def g():\n    return 2"),
    )
    chunks = parse_submission("work.ipynb", source).chunks
    assert [(c.origin, c.cell) for c in chunks] == [("cell 1", 0), ("cell 3", 2)]
    assert len(parse_submission("work.ipynb", source).statements) == 2


def test_not_equal_continuation_line_is_not_mistaken_for_a_shell_escape():
    source = notebook(("code", "ok = (1\n      != 2)"))
    assert parse_submission("w.ipynb", source).chunks[0].code == "ok = (1\n      != 2)\n"


def test_syntax_error_in_a_notebook_names_the_cell_and_the_line_within_it():
    source = notebook(("markdown", "intro"), ("code", "x = 1"), ("code", "y = 2\nz = (\n"))
    error = not_gradable("w.ipynb", source)
    assert (error.kind, error.cell, error.line) == ("syntax_error", 2, 2)
    assert "cell 3, line 2" in error.message


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        json.dumps({"cells": 3}),
        json.dumps([1, 2]),
        json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"a": 1}]}),
    ],
)
def test_invalid_notebook_is_not_gradable_with_a_clear_message(text):
    error = not_gradable("w.ipynb", text)
    assert error.kind == "invalid_notebook"
    assert error.message.startswith("cannot read your notebook:")
    assert "Traceback" not in error.message and len(error.message) < 400


def test_notebook_with_too_many_cells_is_too_large():
    source = notebook(*[("code", "x = 1")] * (MAX_CELLS + 1))
    assert not_gradable("w.ipynb", source).kind == "too_large"


def test_notebook_without_any_code_is_empty():
    source = notebook(("markdown", "only words"), ("code", "%matplotlib inline"))
    assert not_gradable("w.ipynb", source).kind == "empty"
