"""Starter files: every function stubbed with its signature and docstring, valid notebooks."""

from __future__ import annotations

import ast
import json

import nbformat
import pytest

from reference.pack import FunctionSpec
from reference.packs import list_packs
from worker.grading.source import parse_submission
from worker.grading.starter import function_stub, starter_ipynb, starter_py

PACKS = list_packs()
STUBBED = [pack for pack in PACKS if not pack.starter_cells]  # the others: their own cells


def functions_of(source: str) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(source)
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


@pytest.mark.parametrize("pack", STUBBED, ids=lambda p: p.id)
def test_starter_py_stubs_every_function_with_its_signature_and_docstring(pack):
    functions = functions_of(starter_py(pack))
    assert list(functions) == [spec.name for spec in pack.functions]
    for spec in pack.functions:
        node = functions[spec.name]
        assert ast.unparse(node).startswith(f"def {spec.signature}:")
        assert ast.get_docstring(node) == spec.docstring.strip()
        assert ast.unparse(node.body[-1]) == "raise NotImplementedError"


@pytest.mark.parametrize("pack", STUBBED, ids=lambda p: p.id)
def test_starter_notebook_is_valid_and_has_a_code_cell_per_function(pack):
    text = starter_ipynb(pack)
    notebook = nbformat.reads(text, as_version=4)
    nbformat.validate(notebook)
    assert notebook.cells[0].cell_type == "markdown" and pack.title in notebook.cells[0].source
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert list(functions_of(code)) == [spec.name for spec in pack.functions]
    assert len(parse_submission("starter.ipynb", text).chunks) >= len(pack.functions)


def test_starter_files_are_the_same_every_time():
    pack = PACKS[0]
    assert starter_py(pack) == starter_py(pack)
    assert json.loads(starter_ipynb(pack)) == json.loads(starter_ipynb(pack))


@pytest.mark.parametrize(
    "text",
    ["One line.", "Two\n\nlines.", r"LaTeX: \sum_i p_i", 'Quotes """ inside', "Ends with \\", 'x"'],
)
def test_stub_docstring_reads_back_as_the_pack_docstring(text):
    stub = function_stub(FunctionSpec("f", 1.0, "f(x)", text))
    assert ast.get_docstring(ast.parse(stub).body[0]) == text
