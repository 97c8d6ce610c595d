"""Find, statically, which graded functions use forbidden calls, methods or modules.

The rule (spec, "Forbidden calls"): a forbidden call costs the points of the graded function
that makes it, directly or through a helper it calls; a forbidden import or call at module
level costs every function that uses it. So each top-level definition (function, class,
module-level variable) gets its *direct* uses and its *references* to other top-level
names, and a graded function is charged with everything reachable from it.

Names in comments and strings are not uses, nor are the student's own definitions (their
own ``log_softmax`` helper). ``getattr`` with a non-constant name and other dynamic tricks
are left to the sandbox's runtime guard; the pipeline merges both.

The same graph tells which top-level names each graded function may call, directly or
through the student's own code (:attr:`StaticFacts.reaches`), for grading composed
functions (worker.grading.composed).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from common.contracts import Flag
from reference.pack import Forbidden
from worker.grading.names import (
    Binding,
    Defined,
    Imported,
    Scope,
    import_bindings,
    local_scope,
    paths,
)
from worker.grading.uses import Rules, UseFinder, Uses

DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class StaticFacts:
    """What the static analysis found, per graded function.

    ``forbidden``: the sorted forbidden names it uses, directly or through what it calls.
    ``reaches``: the top-level names it may call, transitively through the student's own
    definitions, including names the file never defines (a missing helper). ``flags``: the
    whole file's, for staff.
    """

    forbidden: dict[str, tuple[str, ...]]
    reaches: dict[str, frozenset[str]]
    flags: tuple[Flag, ...] = ()  # reflection and dynamic imports (worker.grading.reflection)


def analyse(
    statements: Iterable[ast.stmt], forbidden: Forbidden, functions: Iterable[str], owner: str
) -> StaticFacts:
    """Return the StaticFacts of each graded function in ``functions``.

    ``owner`` names the type of forbidden methods in messages ('Tensor' -> 'Tensor.softmax').
    """
    rules = Rules(forbidden, owner)
    env, uses = module_graph(list(statements), rules)
    found, reaches = {}, {}
    for name in functions:
        binding = env.get(name)
        if isinstance(binding, Imported):  # e.g. `from torch import softmax` as the answer
            entry = rules.classify(binding.path)
            found[name], reaches[name] = ((entry,) if entry else ()), frozenset()
        else:
            found[name] = tuple(sorted(reachable(name, uses)))
            reaches[name] = frozenset(called(name, uses))
    return StaticFacts(found, reaches)


def forbidden_uses(
    statements: Iterable[ast.stmt], forbidden: Forbidden, functions: Iterable[str], owner: str
) -> dict[str, tuple[str, ...]]:
    """Return {function: sorted forbidden names it uses} for each graded function."""
    return analyse(statements, forbidden, functions, owner).forbidden


def module_graph(statements: list[ast.stmt], rules: Rules) -> tuple[dict[str, Binding], dict]:
    """Bind module-level names in order; return the final bindings and each definition's Uses.

    Module-level values are read with the bindings of their moment; function and class
    bodies run later, so they are read with the final bindings.
    """
    env: dict[str, Binding] = {}
    stars: list[str] = []
    uses: dict[str, Uses] = {}
    pending: dict[str, ast.AST] = {}
    classes: dict[str, frozenset[str]] = {}
    for stmt in module_statements(statements):
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            for name, path in import_bindings(stmt):
                if name == "*":
                    stars.append(path)
                else:
                    env[name] = Imported(path)
                    uses.pop(name, None)
                    pending.pop(name, None)
        elif isinstance(stmt, DEFINITIONS):
            env[stmt.name] = Defined(stmt.name)
            pending[stmt.name] = stmt
            if isinstance(stmt, ast.ClassDef):
                classes[stmt.name] = method_names(stmt)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign) and stmt.value:
            for name in bind_assignment(stmt, Scope(env=env, stars=stars), rules, uses, classes):
                pending.pop(name, None)
    for name, node in pending.items():
        finder = UseFinder(local_scope(node, env, stars), rules, classes, name)
        finder.visit(node)
        uses[name] = finder.uses
    return env, uses


def bind_assignment(stmt, scope: Scope, rules: Rules, uses: dict, classes: dict) -> list[str]:
    """Bind the names of a module-level assignment (an alias of a path, or a variable).

    Returns the names bound.
    """
    names = list(assigned_names(stmt))
    found = paths(stmt.value, scope) if isinstance(stmt, ast.Assign) else []
    if found and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        scope.env[names[0]] = Imported(found[0])  # lsm = torch.log_softmax
        uses.pop(names[0], None)
        return names
    finder = UseFinder(scope, rules, classes, None)
    finder.visit(stmt.value)
    for name in names:
        previous = uses.get(name) if isinstance(stmt, ast.AugAssign) else None
        merged = previous or Uses()
        merged.direct |= finder.uses.direct
        merged.refs |= finder.uses.refs
        merged.free |= finder.uses.free
        uses[name] = merged
        scope.env[name] = Defined(name)
    return names


def assigned_names(stmt: ast.Assign | ast.AnnAssign | ast.AugAssign) -> Iterator[str]:
    """Yield the plain names an assignment binds (``a, b = ...`` binds both)."""
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    for target in targets:
        if isinstance(target, ast.Name):  # the common case, without a walk
            yield target.id
            continue
        for node in ast.walk(target):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                yield node.id


def module_statements(statements: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """Yield module-level statements in order, entering if/try/with/for/while blocks."""
    for stmt in statements:
        yield stmt
        if isinstance(stmt, ast.If | ast.For | ast.While | ast.With | ast.Try | ast.TryStar):
            for block in ("body", "orelse", "finalbody"):
                yield from module_statements(getattr(stmt, block, []))
            for handler in getattr(stmt, "handlers", []):
                yield from module_statements(handler.body)


def method_names(node: ast.ClassDef) -> frozenset[str]:
    """Return the names of the methods a class defines."""
    return frozenset(
        s.name for s in node.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
    )


def reachable(name: str, uses: dict[str, Uses]) -> set[str]:
    """Return the forbidden names used by ``name`` or by any definition it reaches."""
    found: set[str] = set()
    for current in _closure(name, uses):
        found |= current.direct
    return found


def called(name: str, uses: dict[str, Uses]) -> set[str]:
    """Return the top-level names ``name`` refers to, transitively, and the free names
    read on the way (``name`` itself left out)."""
    found: set[str] = set()
    for current in _closure(name, uses):
        found |= current.refs | current.free
    return found - {name}


def _closure(name: str, uses: dict[str, Uses]) -> Iterator[Uses]:
    """Yield the Uses of ``name`` and of every definition it reaches, each once."""
    seen, todo = {name}, [name]
    while todo:
        current = uses.get(todo.pop())
        if current is None:
            continue
        yield current
        for ref in current.refs - seen:
            seen.add(ref)
            todo.append(ref)
