"""Warnings for top-level statements that raised while the student's file ran.

Students' files are untidy (the spec): a plot, a data file the grader does not have, a
self-check cell that crashes. Such a statement is skipped and the file goes on, so each
one becomes a warning naming its line (and cell), never a stop.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from common.contracts import GradingError
from worker.grading.verdicts import cap_traceback, first_error_line
from worker.sandbox.host.api import ChunkError, ImportOutcome, SourceChunk

MAX_WARNINGS = 20
FRAME = '  File "'  # how capture.format_student_error starts each frame of a traceback
OUTER_LINE = re.compile(r'^  File "[^"\n]*", line (\d{1,9})', re.MULTILINE)
NAME_ERROR = re.compile(r"^NameError: name '(\w{1,200})' is not defined")
MISSING_MODULE = re.compile(r"^ModuleNotFoundError: No module named '([\w.]{1,200})'")


def chunk_warnings(imported: ImportOutcome, chunks: Sequence[SourceChunk]) -> list[GradingError]:
    """One warning per chunk that raised (the first MAX_WARNINGS, then a count)."""
    defined = frozenset(imported.defined)
    warnings = [warning(r, chunks, defined) for r in imported.raised[:MAX_WARNINGS]]
    more = len(imported.raised) - MAX_WARNINGS
    if more > 0:
        warnings.append(
            GradingError(
                kind="more_warnings",
                message=f"{more} more top-level statements raised (not listed)",
            )
        )
    return warnings


def warning(
    raised: ChunkError, chunks: Sequence[SourceChunk], defined: frozenset[str] = frozenset()
) -> GradingError:
    """The warning for one chunk that raised: kind, message with its place, line, cell.

    ``defined``: the names the whole file defines, to say when a statement used one
    before the cell that defines it.
    """
    chunk = chunks[raised.chunk] if 0 <= raised.chunk < len(chunks) else None
    line = statement_line(raised.error) or (chunk.first_line if chunk else raised.line)
    place = where(chunk, line)
    missing = MISSING_MODULE.match(first_error_line(raised.error))
    if missing:
        name = missing.group(1)
        kind = "missing_module"
        message = (
            f"{place}: cannot import {name}: the grader does not have it. The statement was "
            f"skipped; functions that use {name} will fail their tests, the others are graded."
        )
    elif raised.status == "forbidden":
        kind = "forbidden_call"
        message = f"{place}: {first_error_line(raised.error)}. The statement was skipped."
    else:
        kind = "top_level_error"
        code = statement(raised.error)
        message = f"{place}{f' ({code})' if code else ''} raised {first_error_line(raised.error)}"
        later = NAME_ERROR.match(first_error_line(raised.error))
        if later and later.group(1) in defined:
            message += f" ({later.group(1)} is defined further down: cells run top to bottom)"
        message += "; it was skipped and the rest of your file still ran"
        if raised.error.count(FRAME) > 1:  # it raised inside the student's own functions
            message += f":\n{cap_traceback(raised.error)}"
    return GradingError(
        kind=kind, message=message, line=line, cell=chunk.cell if chunk is not None else None
    )


def statement_line(error: str) -> int | None:
    """The line of the outermost frame (the top-level statement itself), or None.

    The innermost line, which the sandbox reports, may lie in a function the statement
    called; the warning names the statement that was skipped.
    """
    found = OUTER_LINE.search(error)
    return int(found.group(1)) if found else None


def statement(error: str, limit: int = 120) -> str:
    """The code of the outermost frame of a traceback text ('' if it has none)."""
    lines = error.splitlines()
    for index, line in enumerate(lines[:-1]):
        if line.startswith(FRAME):
            code = lines[index + 1].strip()
            return code if len(code) <= limit else code[: limit - 3] + "..."
    return ""


def where(chunk: SourceChunk | None, line: int | None) -> str:
    """'Cell 3, line 2' in a notebook, 'Line 12' in a file (a sentence's start)."""
    at = f"line {line}" if line else "a statement"
    text = f"{chunk.origin}, {at}" if chunk is not None and chunk.cell is not None else at
    return text[0].upper() + text[1:]
