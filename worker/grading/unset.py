"""Why a name is not defined: the top-level statement that would have set it raised.

A statement that raises is skipped and the file goes on (the spec's untidy files), so a
variable or function whose own statement raised is simply missing. Its verdict then points
the student at that statement, which the warnings list too, instead of a bare "not defined".
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from worker.grading.top_level import statement_line, where
from worker.grading.verdicts import first_error_line
from worker.sandbox.host.api import ImportOutcome, SourceChunk

SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def unset_causes(imported: ImportOutcome, chunks: Sequence[SourceChunk]) -> dict[str, str]:
    """Map each name a raised top-level statement binds to why it is missing.

    The value completes "NAME is not defined: ...", e.g. "the statement that sets it, at
    cell 9, line 1, raised ValueError: ...". Where several raised statements bind a name,
    the last one wins (the one whose value the file would have kept).
    """
    causes: dict[str, str] = {}
    for raised in imported.raised:
        if not 0 <= raised.chunk < len(chunks):
            continue
        chunk = chunks[raised.chunk]
        line = statement_line(raised.error) or chunk.first_line
        place = where(chunk, line)
        place = place[0].lower() + place[1:]
        error = first_error_line(raised.error) or raised.status
        for name, verb in bound_names(chunk.code):
            causes[name] = f"the statement that {verb} it, at {place}, raised {error}"
    return causes


def bound_names(code: str) -> Iterator[tuple[str, str]]:
    """Yield (name, verb) for each top-level name ``code`` binds: 'sets', 'defines', 'imports'.

    Names bound inside functions, classes, lambdas and comprehensions are their own scope's.
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):  # chunks were parsed before; be safe all the same
        return
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name, "defines"
            pending.extend(node.decorator_list)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                yield (alias.asname or alias.name.split(".")[0]), "imports"
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            yield node.id, "sets"
        if not isinstance(node, SCOPES + COMPREHENSIONS):
            pending.extend(ast.iter_child_nodes(node))
