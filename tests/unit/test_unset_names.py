"""A name whose own top-level statement raised is missing, and its verdict says which
statement (cell and line) raised and how, in one flat sentence."""

from __future__ import annotations

import pytest

from worker.grading.source import parse_submission
from worker.grading.unset import bound_names, unset_causes
from worker.grading.verdicts import missing_verdict
from worker.sandbox.host.api import ChunkError, ImportOutcome

TRACE = '  File "{origin}", line {line}, in <module>\n    {code}\n{error}'


def notebook(*cells: str) -> str:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(cell) for cell in cells]
    return nbformat.writes(nb)


def raised_at(chunks, index: int, error: str) -> ChunkError:
    """The ChunkError the sandbox reports for chunk ``index`` raising ``error``."""
    chunk = chunks[index]
    code = chunk.code.splitlines()[0]
    text = TRACE.format(origin=chunk.origin, line=chunk.first_line, code=code, error=error)
    return ChunkError(index, "exception", text, chunk.first_line)


def test_a_variable_whose_cell_raised_points_at_that_cell_and_line():
    source = notebook("import torch", "labels = [0, 1]\naverage_loss = loss(labels)\nprint(1)")
    chunks = parse_submission("lab.ipynb", source).chunks
    index = next(i for i, c in enumerate(chunks) if c.code.startswith("average_loss"))
    error = "RuntimeError: expected target dtype to be Long"
    imported = ImportOutcome("ok", raised=(raised_at(chunks, index, error),))
    verdict = missing_verdict("average_loss", imported, "", unset_causes(imported, chunks))
    assert (verdict.passed, verdict.diagnosis) == (False, "missing")
    assert verdict.message == (
        "average_loss is not defined: the statement that sets it, at cell 2, line 2, "
        "raised RuntimeError: expected target dtype to be Long"
    )


def test_a_function_whose_def_raised_in_a_file_names_the_line():
    source = "import numpy as np\n\n@np.vectorize(bad=1)\ndef softmax(s):\n    return s\n"
    chunks = parse_submission("sub.py", source).chunks
    imported = ImportOutcome("ok", raised=(raised_at(chunks, 1, "TypeError: bad"),))
    message = missing_verdict("softmax", imported, "", unset_causes(imported, chunks)).message
    assert message == (
        "softmax is not defined: the statement that defines it, at line 3, raised TypeError: bad"
    )


def test_a_name_no_raised_statement_sets_keeps_the_spelling_hint():
    chunks = parse_submission("sub.py", "x = 1 / 0\ndef halve(x):\n    return x\n").chunks
    imported = ImportOutcome("ok", ("halve",), raised=(raised_at(chunks, 0, "ZeroDivisionError"),))
    message = missing_verdict("half", imported, "", unset_causes(imported, chunks)).message
    assert message == "half is not defined (your file defines halve: check the spelling)"


@pytest.mark.parametrize(
    ("code", "names"),
    [
        ("a, (b, c) = f()", {("a", "sets"), ("b", "sets"), ("c", "sets")}),
        ("x: int = g()", {("x", "sets")}),
        ("for i in range(3):\n    total = i", {("i", "sets"), ("total", "sets")}),
        ("import torch.nn as nn, numpy", {("nn", "imports"), ("numpy", "imports")}),
        ("def f():\n    inner = 1", {("f", "defines")}),
        ("ys = [y for y in range(3)]", {("ys", "sets")}),
        ("if (n := len(xs)) > 0:\n    pass", {("n", "sets")}),
    ],
)
def test_bound_names_are_the_top_level_names_a_statement_binds(code, names):
    assert set(bound_names(code)) == names
