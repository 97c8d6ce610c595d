"""Find, statically, reflection and dynamic-import primitives in a submission: flags for staff.

The forbidden-call rule is enforced by static analysis of names (worker.grading.forbidden)
and by a guard inside the child (worker/sandbox/child/guard.py). Neither can follow a
module imported under a computed name, an attribute fetched with a computed name, or code
that finds the guard through ``gc`` and switches it off. Such code is rare in honest
work, so its use is not forbidden but flagged: each use is a
:class:`common.contracts.Flag` in the result, shown to staff (result, exports, gradebook),
never changing the score.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from common.contracts import Flag
from worker.sandbox.host.api import SourceChunk

# Modules whose import is flagged, and why (what they let code reach around the rule).
MODULES = {
    "importlib": ("dynamic_import", "imports importlib (imports under computed names)"),
    "gc": ("reflection", "imports gc (reaches any live object, the guard's too)"),
    "ctypes": ("reflection", "imports ctypes (writes process memory)"),
    "builtins": ("reflection", "imports builtins (can change what every name means)"),
    "inspect": ("reflection", "imports inspect (reaches frames and their variables)"),
}
# Attributes of ``sys`` that are flagged.
SYS_ATTRIBUTES = {
    "modules": "reads sys.modules (loaded modules by name)",
    "meta_path": "reads sys.meta_path (the import hooks)",
    "_getframe": "calls sys._getframe (reaches the grader's frames)",
}


def reflection_flags(
    statements: Sequence[ast.stmt], chunks: Sequence[SourceChunk] = ()
) -> list[Flag]:
    """Return one Flag per use of a reflection or dynamic-import primitive, in file order.

    ``chunks`` (one per top-level statement, as worker.grading.chunks makes them) name the
    notebook cell of a line; without them lines are the file's.
    """
    flags: list[Flag] = []
    for index, stmt in enumerate(statements):
        owner = stmt.name if isinstance(stmt, ast.FunctionDef | ast.ClassDef) else None
        if isinstance(stmt, ast.AsyncFunctionDef):
            owner = stmt.name
        chunk = chunks[index] if len(chunks) == len(statements) else None
        where = f"{chunk.origin}, " if chunk is not None and chunk.cell is not None else ""
        seen = set()
        for line, kind, text in sorted(_findings(stmt, _imported_names(stmt, statements))):
            if (kind, text) in seen:
                continue  # once per definition is enough for staff
            seen.add((kind, text))
            flags.append(Flag(kind=kind, function=owner, message=f"{where}line {line}: {text}"))
    return flags


def _imported_names(stmt: ast.stmt, statements: Sequence[ast.stmt]) -> dict[str, str]:
    """Map each name an import binds (module level or inside ``stmt``) to its module."""
    names: dict[str, str] = {}
    for node in [*statements, *ast.walk(stmt)]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _findings(stmt: ast.stmt, imported: dict[str, str]) -> Iterator[tuple[int, str, str]]:
    """Yield (line, kind, sentence) for each flagged construct inside ``stmt``."""
    for node in ast.walk(stmt):
        line = getattr(node, "lineno", stmt.lineno)
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield from _imports(node, line)
        elif isinstance(node, ast.Name) and node.id in ("__import__", "__builtins__"):
            yield (
                line,
                "dynamic_import" if node.id == "__import__" else "reflection",
                (f"uses {node.id}"),
            )
        elif isinstance(node, ast.Attribute) and _root(node.value, imported) == "sys":
            if node.attr in SYS_ATTRIBUTES:
                yield line, "reflection", SYS_ATTRIBUTES[node.attr]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            yield from _calls(node, line, imported)


def _imports(node: ast.Import | ast.ImportFrom, line: int) -> Iterator[tuple[int, str, str]]:
    modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
    for module in modules:
        top = module.split(".")[0]
        if top in MODULES:
            yield line, *MODULES[top]


def _calls(node: ast.Call, line: int, imported: dict[str, str]) -> Iterator[tuple[int, str, str]]:
    """getattr/setattr/delattr/vars on a module with a computed name, or on builtins."""
    name, args = node.func.id, node.args
    if name not in ("getattr", "setattr", "delattr", "vars") or not args:
        return
    module = _root(args[0], imported)
    if module is None:
        return
    computed = len(args) > 1 and not (
        isinstance(args[1], ast.Constant) and isinstance(args[1].value, str)
    )
    if name == "vars":
        yield line, "reflection", f"calls vars() on the module {module}"
    elif computed:
        yield line, "reflection", f"calls {name}() on the module {module} with a computed name"
    elif name != "getattr" and module == "builtins":
        yield line, "reflection", f"calls {name}() on builtins"


def _root(node: ast.AST, imported: dict[str, str]) -> str | None:
    """The module an expression (a name or an attribute chain) starts from, if imported."""
    while isinstance(node, ast.Attribute):
        node = node.value
    if isinstance(node, ast.Name) and node.id in imported:
        return imported[node.id].split(".")[0]
    return None
