"""Untidy student files (the spec): statements that raise are warnings, plots work, the
student's own lines are named everywhere, and a syntax error is still not gradable."""

from __future__ import annotations

import numpy as np
import pytest

from common.contracts import GradingError, GradingResult, GradingStatus
from service.gradescope import to_gradescope
from worker.grading.chunks import NotGradableError
from worker.grading.report import render_report
from worker.grading.source import parse_submission
from worker.grading.top_level import MAX_WARNINGS, chunk_warnings
from worker.sandbox.host.api import (
    CallSpec,
    ChunkError,
    ImportOutcome,
    SandboxRequest,
    SourceChunk,
)
from worker.sandbox.host.process_runner import ProcessRunner


@pytest.fixture(scope="module")
def runner():
    with ProcessRunner() as runner:
        yield runner


def run(runner, filename: str, source: str, *functions: str):
    """Parse ``source`` as the pipeline does and run it, calling each function on ones(3)."""
    parsed = parse_submission(filename, source)
    calls = tuple(CallSpec(f, f, {"x": np.ones(3)}) for f in functions)
    return parsed, runner.run(SandboxRequest("numpy", "cpu", parsed.chunks, calls))


def notebook(*cells: str) -> str:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(cell) for cell in cells]
    return nbformat.writes(nb)


def test_a_raising_statement_is_skipped_and_the_rest_of_its_cell_still_runs(runner):
    source = notebook("x = 1 / 0\ndef f(x):\n    return x.sum()", "def g(x):\n    return 2")
    parsed, report = run(runner, "a.ipynb", source, "f", "g")
    assert report.imported.status == "ok"
    assert report.observations["f"].value == 3.0 and report.observations["g"].value == 2
    [warning] = chunk_warnings(report.imported, parsed.chunks)
    assert (warning.kind, warning.cell, warning.line) == ("top_level_error", 0, 1)
    assert warning.message.startswith("Cell 1, line 1 (x = 1 / 0) raised ZeroDivisionError")


def test_matplotlib_imports_and_plots_without_a_display(runner):
    plot = "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.title('loss')\nplt.show()"
    source = notebook(plot, "def f(x):\n    return len(plt.get_fignums())")
    _, report = run(runner, "a.ipynb", source, "f")
    assert report.imported.raised == ()
    assert report.observations["f"].value == 0  # the figure was discarded after its cell
    assert "non-interactive" not in report.output


def test_a_figure_lives_through_its_cell_so_a_colorbar_finds_its_image(runner):
    plot = "import matplotlib.pyplot as plt\nplt.imshow([[1, 2], [3, 4]])\nplt.colorbar()"
    source = notebook(plot, "def f(x):\n    return len(plt.get_fignums())")
    _, report = run(runner, "a.ipynb", source, "f")
    assert report.imported.raised == ()  # each statement is its own chunk, the figure is not
    assert report.observations["f"].value == 0


def test_a_missing_module_is_a_warning_that_names_it(runner):
    source = "import pandas as pd\nfrom cs5242 import load\ndef f(x):\n    return 1\n"
    parsed, report = run(runner, "lab.py", source, "f")
    warnings = chunk_warnings(report.imported, parsed.chunks)
    assert [(w.kind, w.line) for w in warnings] == [("missing_module", 1), ("missing_module", 2)]
    assert "cannot import pandas" in warnings[0].message
    assert "cannot import cs5242" in warnings[1].message
    assert report.observations["f"].value == 1


def test_warnings_name_the_students_cell_and_line_not_a_chunk(runner):
    source = notebook("import numpy as np", "import warnings\n\nwarnings.warn('careful')")
    _, report = run(runner, "a.ipynb", source)
    assert "cell 2:3: UserWarning: careful" in report.output
    assert "student chunk" not in report.output


def test_a_traceback_through_the_students_functions_is_shown_once_with_their_lines(runner):
    source = "def f(x):\n    return x[10]\n\nf([1])\n"
    parsed, report = run(runner, "lab.py", source)
    [warning] = chunk_warnings(report.imported, parsed.chunks)
    assert warning.line == 4  # the statement that was skipped, not the line inside f
    assert 'File "lab.py", line 2, in f' in warning.message
    assert "student chunk" not in warning.message


def test_a_syntax_error_anywhere_is_still_not_gradable():
    with pytest.raises(NotGradableError) as caught:
        parse_submission("a.ipynb", notebook("def f(x):\n    return 1", "x = (1,"))
    assert (caught.value.kind, caught.value.cell) == ("syntax_error", 1)


def test_warnings_are_capped_with_a_count_of_the_rest():
    chunks = tuple(SourceChunk("x\n", "a.py", first_line=i + 1) for i in range(30))
    raised = tuple(
        ChunkError(i, "exception", "NameError: name 'x' is not defined") for i in range(30)
    )
    warnings = chunk_warnings(ImportOutcome("ok", raised=raised), chunks)
    assert len(warnings) == MAX_WARNINGS + 1
    assert (
        warnings[-1].message == f"{30 - MAX_WARNINGS} more top-level statements raised (not listed)"
    )


def test_the_report_and_gradescope_show_the_warnings():
    warning = GradingError(kind="missing_module", message="Cell 2, line 4: cannot import pandas")
    result = GradingResult(
        assignment="a",
        status=GradingStatus.GRADED,
        score=1,
        max_score=1,
        duration_ms=1,
        warnings=[warning],
    )
    assert "  - Cell 2, line 4: cannot import pandas" in render_report(result)
    assert "- Cell 2, line 4: cannot import pandas" in to_gradescope(result).output
