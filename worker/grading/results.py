"""Build the pieces of a GradingResult: test results, totals, errors, output, versions."""

from __future__ import annotations

import platform
import sys
from collections.abc import Sequence
from functools import cache
from importlib import metadata

from common.contracts import GradingError, TestResult, Visibility
from reference.pack import Runtime, Verdict
from worker.grading.chunks import NotGradableError
from worker.grading.plan import PlannedCase
from worker.grading.verdicts import cap_traceback
from worker.sandbox.host.api import ImportOutcome, SandboxReport, SourceChunk

MAX_OUTPUT_CHARS = 8000
HIDDEN_OUTPUT_NOTE = "(output printed during hidden tests is not shown)"


def to_test_result(planned: PlannedCase, verdict: Verdict, describe: bool = True) -> TestResult:
    """Return the TestResult of a case; failed visible cases also describe their inputs."""
    case = planned.case
    message = verdict.message
    if describe and not verdict.passed and case.visibility == "visible" and case.describe:
        message = f"{message}\ninputs: {case.describe}"
    return TestResult(
        name=case.name,
        function=case.function,
        passed=verdict.passed,
        score=round(planned.max_score, 4) if verdict.passed else 0.0,
        max_score=round(planned.max_score, 4),
        message="" if verdict.passed else message,
        visibility=Visibility(case.visibility),
        diagnosis=None if verdict.passed else verdict.diagnosis,
    )


def total(tests: Sequence[TestResult]) -> tuple[float, float]:
    """Return (score, max_score) of ``tests``, rounded to 2 decimals."""
    return round(sum(t.score for t in tests), 2), round(sum(t.max_score for t in tests), 2)


def not_gradable_tests(planned: Sequence[PlannedCase], exc: NotGradableError) -> list:
    """Return every test as failed and not run, so students see what the assignment checks."""
    reason = exc.message.splitlines()[0][:200]
    verdict = Verdict(False, f"not run: {reason}", "not_gradable")
    return [to_test_result(p, verdict, describe=False) for p in planned]


def stopped_at(imported: ImportOutcome, chunks: Sequence[SourceChunk]) -> str:
    """Say where running the file stopped: 'line 7', 'cell 3, line 2', 'lines 4-9', or ''."""
    if imported.status == "ok":
        return ""
    index = imported.failed_chunk
    if index is None or not 0 <= index < len(chunks):
        return f"line {imported.line}" if imported.line else "an unknown line"
    chunk = chunks[index]
    last = chunk.first_line + max(chunk.code.count("\n"), 1) - 1
    if imported.line:
        lines = f"line {imported.line}"
    elif last > chunk.first_line:  # a hang or crash inside a chunk of several statements
        lines = f"lines {chunk.first_line}-{last}"
    else:
        lines = f"line {chunk.first_line}"
    return f"{chunk.origin}, {lines}" if chunk.cell is not None else lines


def import_error(imported: ImportOutcome, chunks: Sequence[SourceChunk]) -> GradingError | None:
    """Return the error of a file that stopped while running (None if it ran to the end)."""
    if imported.status == "ok":
        return None
    where = stopped_at(imported, chunks)
    what = {
        "exception": "with an error",
        "timeout": "because it took too long",
        "memory_limit": "because it ran out of memory",
        "crashed": "because the Python process crashed",
        "forbidden": "at a forbidden call",
    }.get(imported.status, f"({imported.status})")
    message = f"your file stopped at {where} {what}"
    if imported.error:
        message += f":\n{cap_traceback(imported.error)}"
    message += "\nFunctions defined after that point were not graded."
    index = imported.failed_chunk
    chunk = chunks[index] if index is not None and 0 <= index < len(chunks) else None
    return GradingError(
        kind="import_error",
        message=message,
        line=imported.line or (chunk.first_line if chunk else None),
        cell=chunk.cell if chunk else None,
    )


def grader_error(exc: BaseException) -> GradingError:
    """Return the error of a run that failed on our side (never charged to the student)."""
    return GradingError(
        kind="grader_error",
        message=f"the grader failed on its side ({type(exc).__name__}): this is not your fault "
        "and costs you no points; try again later",
    )


def shown_output(report: SandboxReport, planned: Sequence[PlannedCase]) -> str:
    """The output a student sees: at import and in visible tests (the sandbox's report
    leaves hidden calls out), capped, and a note if hidden tests printed anything.

    Hidden calls' output could carry their inputs ("print(scores)"): never shown.
    """
    text = cap_output(report.output)
    observations = report.observations
    printed = any(
        observations[p.call_id].output
        for p in planned
        if p.case.visibility == "hidden" and p.call_id in observations
    )
    if not printed:
        return text
    return f"{text}\n{HIDDEN_OUTPUT_NOTE}" if text else HIDDEN_OUTPUT_NOTE


def cap_output(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    """Keep the first ``limit`` characters of the student's output, saying what was cut."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {len(text) - limit:,} more characters not shown]"


@cache
def versions(runtime: Runtime) -> dict[str, str]:
    """Return the versions that graded: python, numpy, and torch for torch packs.

    torch's version is read without importing it (and so without initialising CUDA) unless
    it is already imported.
    """
    import numpy

    found = {"python": platform.python_version(), "numpy": numpy.__version__}
    if runtime == "torch":
        torch = sys.modules.get("torch")
        found["torch"] = torch.__version__ if torch else metadata.version("torch")
    try:
        found["autograder"] = metadata.version("autograder")
    except metadata.PackageNotFoundError:
        pass  # running from a source tree that is not installed
    return found
