"""Resolve the names a piece of student code uses, statically, for forbidden-call analysis.

A name resolves through the student's imports and aliases to a dotted path
(``F.log_softmax`` -> ``torch.nn.functional.log_softmax``) or to one of the student's own
top-level definitions (a *reference*, followed later through the call graph). Strings and
comments are not names, so they never count. Nothing here runs student code.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from dataclasses import dataclass, field

BUILTIN_NAMES = frozenset(dir(builtins))


@dataclass(frozen=True)
class Imported:
    """A name bound by an import or an alias to a dotted path, e.g. 'torch.nn.functional'."""

    path: str


@dataclass(frozen=True)
class Defined:
    """A name bound by the student's own top-level def, class or assignment."""

    name: str


Binding = Imported | Defined


@dataclass
class Scope:
    """What the names of one piece of code mean: module bindings plus local shadows."""

    env: dict[str, Binding]
    stars: list[str] = field(default_factory=list)  # modules star-imported at module level
    local: frozenset[str] = frozenset()  # names bound locally (parameters, assignments...)
    aliases: dict[str, str] = field(default_factory=dict)  # local name -> dotted path


def import_bindings(stmt: ast.Import | ast.ImportFrom) -> Iterator[tuple[str, str]]:
    """Yield (bound name, dotted path) for each name an import binds ('*' for a star)."""
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                yield alias.asname, alias.name
            else:
                top = alias.name.split(".")[0]
                yield top, top
        return
    if stmt.level or not stmt.module:
        return  # relative imports name the student's own files, never a library
    for alias in stmt.names:
        if alias.name == "*":
            yield "*", stmt.module
        else:
            yield alias.asname or alias.name, f"{stmt.module}.{alias.name}"


def imported_modules(stmt: ast.Import | ast.ImportFrom) -> list[str]:
    """Return the modules an import statement loads (for forbidden-module checks)."""
    if isinstance(stmt, ast.Import):
        return [alias.name for alias in stmt.names]
    if stmt.level or not stmt.module:
        return []
    return [stmt.module] + [f"{stmt.module}.{a.name}" for a in stmt.names if a.name != "*"]


def paths(node: ast.AST, scope: Scope) -> list[str]:
    """Return the dotted paths an expression may denote ([] if not an imported thing).

    Handles names, attribute chains, ``getattr(x, "name")``, and
    ``importlib.import_module("m")`` / ``__import__("m")`` with a constant module name.
    """
    if isinstance(node, ast.Name):
        return name_paths(node.id, scope)
    if isinstance(node, ast.Attribute):
        return [f"{base}.{node.attr}" for base in paths(node.value, scope)]
    if isinstance(node, ast.Call):
        attr = getattr_name(node, scope)
        if attr is not None:
            return [f"{base}.{attr}" for base in paths(node.args[0], scope)]
        module = imported_by_call(node, scope)
        return [module] if module else []
    return []


def name_paths(name: str, scope: Scope) -> list[str]:
    """Return the dotted paths a bare name may denote in ``scope``."""
    if name in scope.aliases:
        return [scope.aliases[name]]
    if name in scope.local:
        return []
    binding = scope.env.get(name)
    if isinstance(binding, Imported):
        return [binding.path]
    if binding is None and name not in BUILTIN_NAMES:
        return [f"{module}.{name}" for module in scope.stars]
    return []


def is_builtin(name: str, scope: Scope) -> bool:
    """Whether ``name`` means the builtin of that name (not shadowed by the student)."""
    return name in BUILTIN_NAMES and name not in scope.local and name not in scope.env


def getattr_name(node: ast.Call, scope: Scope) -> str | None:
    """Return ``"name"`` for a call ``getattr(obj, "name"[, default])``, else None."""
    if (
        isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and is_builtin("getattr", scope)
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    ):
        return node.args[1].value
    return None


def imported_by_call(node: ast.Call, scope: Scope) -> str | None:
    """Return 'm' for ``importlib.import_module("m")`` or ``__import__("m")``, else None."""
    if not node.args or not isinstance(node.args[0], ast.Constant):
        return None
    module = node.args[0].value
    if not isinstance(module, str):
        return None
    func = node.func
    if isinstance(func, ast.Name) and func.id == "__import__" and is_builtin("__import__", scope):
        return module
    if "importlib.import_module" in paths(func, scope):
        return module
    return None


def local_scope(node: ast.AST, env: dict[str, Binding], stars: list[str]) -> Scope:
    """Return the scope of a top-level def or class: the names its body binds shadow globals.

    Nested functions share the scope of their top-level function (a simplification that
    errs towards not flagging). Local aliases (``ce = F.cross_entropy``) resolve to paths.
    """
    declared_global = {n for g in ast.walk(node) if isinstance(g, ast.Global) for n in g.names}
    bound = set(bound_names(node)) - declared_global
    scope = Scope(env=env, stars=stars, local=frozenset(bound))
    for child in in_source_order(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            for name, path in import_bindings(child):
                if name != "*" and name in bound:
                    scope.aliases[name] = path
        elif isinstance(child, ast.Assign) and len(child.targets) == 1:
            target = child.targets[0]
            if isinstance(target, ast.Name) and target.id in bound:
                found = paths(child.value, scope)
                if found:
                    scope.aliases[target.id] = found[0]
    return scope


def bound_names(node: ast.AST) -> Iterator[str]:
    """Yield every name bound inside ``node`` (not ``node``'s own name)."""
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and not isinstance(child.ctx, ast.Load):
            yield child.id
        elif isinstance(child, ast.arg):
            yield child.arg
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if child is not node:
                yield child.name
        elif isinstance(child, ast.Import | ast.ImportFrom):
            yield from (name for name, _ in import_bindings(child) if name != "*")
        elif isinstance(child, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and child.name:
            yield child.name


def in_source_order(node: ast.AST) -> list[ast.AST]:
    """Return the nodes under ``node`` sorted by position (ast.walk is breadth-first)."""
    return sorted(ast.walk(node), key=position)


def position(node: ast.AST) -> tuple[int, int]:
    """Return (line, column) of ``node``; (0, 0) for nodes without a position."""
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)
