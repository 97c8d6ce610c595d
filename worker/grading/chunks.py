"""Chunks: a parsed file or notebook cut into the pieces the sandbox runs, one per statement.

Shared by the ``.py`` reader (worker.grading.source) and the notebook reader
(worker.grading.notebook). Runs in the trusted parent and never executes student code:
``ast.parse`` compiles without running. Chunks are one per top-level statement, so the
sandbox can say exactly where running stopped (in files of more than MAX_CHUNKS
statements, runs of plain statements share one).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from worker.sandbox.host.api import SourceChunk

MAX_SOURCE_CHARS = 1024 * 1024  # the code itself (a .py file, or a notebook's code cells)
MAX_NOTEBOOK_CHARS = 16 * 1024 * 1024  # a notebook's JSON, outputs and images included
MAX_CELLS = 200
MAX_CHUNKS = 300  # beyond this, plain statements share chunks (see chunk_pieces)
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class NotGradableError(ValueError):
    """The submission cannot be run at all; ``kind``, ``line`` and ``cell`` say why and where.

    ``cell`` is the 0-based index of the notebook cell (None for ``.py`` files).
    """

    def __init__(self, kind: str, message: str, line: int | None = None, cell: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.line = line
        self.cell = cell


@dataclass(frozen=True)
class ParsedSource:
    """A parsed submission: chunks for the sandbox, top-level statements for static analysis."""

    chunks: tuple[SourceChunk, ...]
    statements: tuple[ast.stmt, ...]


@dataclass(frozen=True)
class CodePiece:
    """One file or notebook cell, parsed (not run)."""

    lines: list[str]
    body: list[ast.stmt]
    origin: str
    cell: int | None = None


def parse_piece(text: str, origin: str, cell: int | None = None) -> CodePiece:
    """Parse ``text`` without running it; a SyntaxError becomes NotGradableError."""
    tree = compile_module(text, origin, cell)
    return CodePiece(normalise_newlines(text).split("\n"), tree.body, origin, cell)


def chunk_pieces(pieces: list[CodePiece]) -> ParsedSource:
    """Split pieces into one chunk per top-level statement (see statement_spans).

    Beyond MAX_CHUNKS statements, runs of statements that define no function or class
    share a chunk: the sandbox reports after every chunk, so thousands of tiny chunks (a
    pasted table of numbers) would take longer than the import time limit.
    """
    group = sum(len(statement_spans(piece.body)) for piece in pieces) > MAX_CHUNKS
    chunks = []
    for piece in pieces:
        for start, end in statement_spans(piece.body, group):
            code = "\n".join(piece.lines[start - 1 : end]) + "\n"
            chunks.append(SourceChunk(code, piece.origin, first_line=start, cell=piece.cell))
    statements = tuple(stmt for piece in pieces for stmt in piece.body)
    return ParsedSource(chunks=tuple(chunks), statements=statements)


def compile_module(text: str, origin: str, cell: int | None) -> ast.Module:
    """Parse ``text`` without running it; a SyntaxError becomes NotGradableError."""
    try:
        return ast.parse(text, filename=origin)
    except SyntaxError as exc:
        where = f"{origin}, line {exc.lineno}" if exc.lineno else origin
        detail = exc.msg or "invalid syntax"
        snippet = (exc.text or "").strip()
        message = f"syntax error in {where}: {detail}"
        if snippet:
            message += f"\n    {snippet[:200]}"
        raise NotGradableError("syntax_error", message, line=exc.lineno, cell=cell) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        # ValueError: a NUL byte; RecursionError/MemoryError: absurdly nested expressions.
        raise NotGradableError(
            "syntax_error", f"{origin} cannot be parsed: {type(exc).__name__}", cell=cell
        ) from None


def normalise_newlines(text: str) -> str:
    r"""Use '\n' only, as the tokenizer counts lines (str.splitlines also splits on '\x0c')."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def statement_spans(body: list[ast.stmt], group: bool = False) -> list[tuple[int, int]]:
    """Return the 1-based (first, last) lines of each chunk's statements, decorators included.

    Statements that share a line are merged, since a chunk is made of whole lines. With
    ``group``, consecutive statements that are not a def or class are merged too.
    """
    spans: list[tuple[int, int, bool]] = []
    for stmt in body:
        decorators = getattr(stmt, "decorator_list", [])
        start = min([stmt.lineno] + [d.lineno for d in decorators])
        end = stmt.end_lineno or stmt.lineno
        plain = not isinstance(stmt, DEFINITIONS)
        if spans and (start <= spans[-1][1] or (group and plain and spans[-1][2])):
            first, last, was_plain = spans[-1]
            spans[-1] = (first, max(end, last), was_plain and plain)
        else:
            spans.append((start, end, plain))
    return [(first, last) for first, last, _ in spans]
