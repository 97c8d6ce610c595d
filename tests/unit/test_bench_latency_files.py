"""What the latency benchmarks submit and run: the filled-in starter, the timed commands."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from reference.packs import get_pack
from worker.grading.pipeline import grade_source
from worker.grading.starter import starter_py

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # bench/ is not installed; plain `pytest` lacks the cwd
    sys.path.append(str(REPO))

from bench.cli_grade import ROOT, commands  # noqa: E402
from bench.http_latency import CORRECT, filled_starter  # noqa: E402


def test_the_filled_in_starter_keeps_its_docstrings_and_grades_full_marks():
    starter = starter_py(get_pack("lecture4-numpy"))
    filled = filled_starter(starter, CORRECT.read_text())
    functions = [n for n in ast.parse(filled).body if isinstance(n, ast.FunctionDef)]
    assert len(functions) == 7 and all(ast.get_docstring(f) for f in functions)
    assert not any(isinstance(f.body[-1], ast.Raise) for f in functions)
    result = grade_source("lecture4-numpy", "lecture4-numpy.py", filled)
    assert (result.status, result.score) == ("graded", 100)


def test_another_tree_is_timed_with_that_tree_first_on_the_path(tmp_path):
    found = commands({"here": ROOT, "old": tmp_path}, "lecture4-numpy", CORRECT)
    floor, here, old = found.values()
    assert floor[0][-1] == "import numpy"
    assert here[0][-4:] == ["grade", "--assignment", "lecture4-numpy", str(CORRECT)]
    assert old[1] == tmp_path and old[2]["PYTHONPATH"].split(":")[0] == str(tmp_path)
    assert Path(here[1]) == ROOT and here[2].get("PYTHONPATH") == floor[2].get("PYTHONPATH")
