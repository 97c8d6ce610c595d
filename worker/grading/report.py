"""The readable text report of a GradingResult, for the terminal."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from common.contracts import GradingResult, GradingStatus, TestResult

OUTPUT_LINES = 20


def render_report(result: GradingResult, filename: str = "") -> str:
    """Return the report: score line, a line per function, failed cases, error and output."""
    lines = [score_line(result, filename), ""]
    if result.error is not None:
        lines += [*error_lines(result), ""]
    if result.warnings:
        lines += [*warning_lines(result), ""]
    width = max((len(t.function) for t in result.tests), default=0)
    for function, tests in by_function(result.tests).items():
        score = sum(t.score for t in tests)
        max_score = sum(t.max_score for t in tests)
        mark = "ok" if all(t.passed for t in tests) else "--"
        lines.append(f"  {mark} {function:<{width}}  {points(score)}/{points(max_score)}")
        if result.status == GradingStatus.GRADED:
            lines += failure_lines(tests)
    if result.output:
        lines += ["", "Output of your code (excerpt):"]
        lines += indent(result.output.splitlines()[:OUTPUT_LINES], "  | ")
    return "\n".join(lines).rstrip() + "\n"


def score_line(result: GradingResult, filename: str) -> str:
    """Return the first line: assignment, score and status."""
    where = f" ({filename}, {result.device})" if filename else f" ({result.device})"
    if result.status == GradingStatus.FAILED:
        return f"{result.assignment}{where}: NOT GRADED, the grader failed on its side"
    score = f"{points(result.score)}/{points(result.max_score)}"
    if result.status == GradingStatus.NOT_GRADABLE:
        return f"{result.assignment}{where}: {score} (your file could not be run)"
    return f"{result.assignment}{where}: {score}"


def error_lines(result: GradingResult) -> list[str]:
    """Return the error block: kind, where, and the message."""
    error = result.error
    where = []
    if error.cell is not None:
        where.append(f"cell {error.cell + 1}")
    if error.line is not None:
        where.append(f"line {error.line}")
    heading = f"Error ({error.kind.replace('_', ' ')}{', ' if where else ''}{', '.join(where)}):"
    return [heading, *indent(error.message.splitlines(), "  ")]


def warning_lines(result: GradingResult) -> list[str]:
    """Return the warnings block: statements that raised and were skipped."""
    lines = ["Warnings (these statements were skipped; the rest of your file ran):"]
    for warning in result.warnings:
        first, *rest = warning.message.splitlines() or [""]
        lines += [f"  - {first}", *indent(rest, "    ")]
    return lines


def failure_lines(tests: list[TestResult]) -> list[str]:
    """Return a block per failed case (name, visibility, message), or one if all say the same."""
    failed = [t for t in tests if not t.passed]
    reasons = {t.message.split("\ninputs:")[0] for t in failed}
    if len(failed) > 1 and len(reasons) == 1:
        count = "all" if len(failed) == len(tests) else f"{len(failed)} of"
        lines = [f"       FAIL {count} {len(tests)} cases, each with:"]
        return lines + indent(reasons.pop().splitlines(), "            ")
    lines = []
    for test in failed:
        lines.append(f"       FAIL {test.name} ({test.visibility.value})")
        lines += indent(test.message.splitlines(), "            ")
    return lines


def by_function(tests: Iterable[TestResult]) -> dict[str, list[TestResult]]:
    """Group tests by function, in the order the functions first appear."""
    groups: dict[str, list[TestResult]] = defaultdict(list)
    for test in tests:
        groups[test.function].append(test)
    return dict(groups)


def points(value: float) -> str:
    """Format points without trailing zeros: 10, 12.5, 3.33."""
    return f"{round(value, 2):g}"


def indent(lines: Iterable[str], prefix: str) -> list[str]:
    """Prefix every line."""
    return [f"{prefix}{line}" for line in lines]
