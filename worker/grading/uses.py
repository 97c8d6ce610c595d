"""What one piece of student code uses: forbidden names, and the student's top-level names.

:class:`UseFinder` walks one top-level definition (or a module-level value) and records
the forbidden entries its names resolve to (see worker.grading.names) and the student's
own top-level names it refers to, which worker.grading.forbidden follows as a call graph.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from reference.pack import Forbidden
from worker.grading.names import (
    Defined,
    Scope,
    getattr_name,
    imported_by_call,
    imported_modules,
    paths,
)


@dataclass
class Uses:
    """What one top-level definition uses: forbidden names, and other top-level names.

    ``free`` holds the names it reads that nothing binds where it reads them (a builtin,
    or a helper the file never defines): the call graph of composed functions needs them.
    """

    direct: set[str] = field(default_factory=set)
    refs: set[str] = field(default_factory=set)
    free: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Rules:
    """The pack's forbidden lists, and how a dotted path is matched against them."""

    forbidden: Forbidden
    owner: str

    def classify(self, path: str) -> str | None:
        """Return the forbidden entry ``path`` falls under ('torch.optim.SGD' -> 'torch.optim',
        'torch._C._nn.cross_entropy_loss' -> 'torch.nn.functional.cross_entropy')."""
        for alias, entry in self.forbidden.aliases:
            if path == alias or path.startswith(alias + "."):
                return entry
        for entry in (*self.forbidden.calls, *self.forbidden.modules):
            if path == entry or path.startswith(entry + "."):
                return entry
        parts = path.split(".")
        if len(parts) >= 2 and parts[-2] == self.owner and parts[-1] in self.forbidden.methods:
            return f"{self.owner}.{parts[-1]}"  # torch.Tensor.softmax(x)
        return None


class UseFinder(ast.NodeVisitor):
    """Collect the forbidden names and top-level references in one definition."""

    def __init__(self, scope: Scope, rules: Rules, classes: dict, own: str | None):
        self.scope = scope
        self.rules = rules
        self.classes = classes
        self.own_methods = classes.get(own, frozenset()) if own else frozenset()
        self.uses = Uses()

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.check(node)
            if node.id not in self.scope.local and node.id not in self.scope.aliases:
                binding = self.scope.env.get(node.id)
                if isinstance(binding, Defined):
                    self.uses.refs.add(node.id)
                elif binding is None:
                    self.uses.free.add(node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, ast.Load):
            self.check(node)
            self.method(node, node.value, node.attr)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        attr = getattr_name(node, self.scope)
        if attr is not None:
            self.check(node)
            self.method(node, node.args[0], attr)
        elif imported_by_call(node, self.scope):
            self.check(node)
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for module in imported_modules(node):
            entry = self.rules.classify(module)  # `import torch.optim` inside a function
            if entry:
                self.uses.direct.add(entry)

    visit_ImportFrom = visit_Import

    def check(self, node: ast.AST) -> None:
        """Record the forbidden entry an expression resolves to, if any."""
        for path in paths(node, self.scope):
            entry = self.rules.classify(path)
            if entry:
                self.uses.direct.add(entry)

    def method(self, node: ast.AST, base: ast.AST, attr: str) -> None:
        """Record a forbidden method name used on an object (``x.softmax(dim=1)``)."""
        if attr not in self.rules.forbidden.methods or paths(node, self.scope):
            return  # a module's function, not a method: the call lists decide
        if isinstance(base, ast.Name):
            if base.id in ("self", "cls") and attr in self.own_methods:
                return  # the student's own class's method
            binding = self.scope.env.get(base.id)
            if isinstance(binding, Defined) and attr in self.classes.get(binding.name, ()):
                return
        self.uses.direct.add(f"{self.rules.owner}.{attr}")
