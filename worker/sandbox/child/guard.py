"""Child side: the run-time guard against forbidden imports and calls.

This is a grading rule, not a security boundary (the student's code runs in this same
process and could undo it; the sandbox around the process is the boundary). It makes
honest mistakes visible as 'forbidden' rather than as silently correct results:

- a forbidden module that is not yet imported (``torch`` in the NumPy runtime) imports
  as a poisoned stub: the import succeeds, and any attribute use raises
  :class:`ForbiddenCallError` naming it;
- a forbidden callable (``scipy.special.logsumexp``, ``torch.nn.functional.cross_entropy``,
  a loaded forbidden module's functions, ``Tensor.softmax``) and its private aliases
  (``torch._softmax``, ``torch._C._nn.cross_entropy_loss``) are wrapped: while a student
  call is in progress, calling one records the name of the entry and raises. The grader's own
  ``backward()`` in a grad probe runs with the guard off.
"""

from __future__ import annotations

import builtins
import functools
import importlib.machinery
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class ForbiddenCallError(Exception):
    """A forbidden module or call was used by the student's code."""


class Guard:
    """Wraps forbidden names and records which were used during the current student call."""

    def __init__(
        self,
        modules: tuple[str, ...],
        calls: tuple[str, ...],
        methods: tuple[str, ...],
        reason: str = "",
        aliases: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.modules, self.calls, self.methods = modules, calls, methods
        self.reason = reason
        self.active = False
        self.hits: list[str] = []
        # (path to wrap, name to record): a private alias records the entry it counts as.
        self._pending = [(call, call) for call in calls] + [tuple(a) for a in aliases]

    # -------------------------------------------------------------- install

    def install(self) -> None:
        """Wrap what is already imported and hook imports for the rest."""
        sys.meta_path.insert(0, _Finder(self))
        builtins.__import__ = _import_then_patch(self, builtins.__import__)
        for name in self.modules:
            if name in sys.modules:
                self._wrap_module_functions(name, sys.modules[name])
        torch = sys.modules.get("torch")
        if torch is not None:
            for method in self.methods:
                self._wrap_attr(torch.Tensor, method, f"Tensor.{method}")
        self.patch_loaded()

    def patch_loaded(self) -> None:
        """Wrap every forbidden call whose module is imported by now (after each import)."""
        for path, name in list(self._pending):
            owner_name, _, attr = path.rpartition(".")
            owner = _resolve(owner_name)
            if owner is None or not hasattr(owner, attr):
                continue
            self._pending.remove((path, name))
            target = getattr(owner, attr)
            if isinstance(target, types.ModuleType):
                self._wrap_module_functions(name, target)
            elif isinstance(target, type):
                for method in ("__init__", "forward"):
                    if method in vars(target):
                        self._wrap_attr(target, method, name)
            else:
                self._wrap_attr(owner, attr, name)

    def _wrap_module_functions(self, name: str, module: types.ModuleType) -> None:
        for attr, value in list(vars(module).items()):
            if not attr.startswith("_") and callable(value) and not isinstance(value, type):
                self._wrap_attr(module, attr, name)

    def _wrap_attr(self, owner: Any, attr: str, name: str) -> None:
        original = getattr(owner, attr, None)
        if original is None or getattr(original, "__sandbox_forbidden__", False):
            return
        guard = self

        @functools.wraps(original)
        def forbidden(*args: Any, **kwargs: Any) -> Any:
            if guard.active:
                guard.violate(name)
            return original(*args, **kwargs)

        forbidden.__sandbox_forbidden__ = True
        try:
            setattr(owner, attr, forbidden)
        except (AttributeError, TypeError):
            pass  # a C type that refuses patching; the static check still names it

    # -------------------------------------------------------------- use

    def violate(self, name: str) -> None:
        """Record ``name`` and raise ForbiddenCallError (also used by poisoned stubs)."""
        if name not in self.hits:
            self.hits.append(name)
        reason = f": {self.reason}" if self.reason else ""
        raise ForbiddenCallError(f"{name} is forbidden in this assignment{reason}")

    @contextmanager
    def student_call(self) -> Iterator[list[str]]:
        """Turn the guard on for one student call; yields the list of names it hit."""
        self.hits = []
        self.active = True
        try:
            yield self.hits
        finally:
            self.active = False

    def forbidden_module(self, fullname: str) -> str | None:
        """Return the forbidden prefix that ``fullname`` falls under, or None."""
        for prefix in self.modules:
            if fullname == prefix or fullname.startswith(prefix + "."):
                return prefix
        return None


class _PoisonedModule(types.ModuleType):
    """A stand-in for a forbidden module: importing works, using it raises.

    Outside a student call (module level) attribute access yields further stubs, so
    ``from torch import nn`` does not stop the file; calling anything raises.
    """

    def __init__(self, name: str, guard: Guard, prefix: str) -> None:
        super().__init__(name)
        object.__setattr__(self, "_sandbox_guard", (guard, prefix))

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        guard, prefix = object.__getattribute__(self, "_sandbox_guard")
        if guard.active:
            guard.violate(prefix)
        return _PoisonedModule(f"{self.__name__}.{attr}", guard, prefix)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        guard, prefix = object.__getattribute__(self, "_sandbox_guard")
        guard.violate(prefix)


class _Finder:
    """Serves poisoned stubs for forbidden modules that are not imported yet.

    A meta path finder and loader by its methods alone: importing importlib.abc for its
    base classes would cost every zygote start about 10 ms (it pulls importlib.resources).
    """

    def __init__(self, guard: Guard) -> None:
        self._guard = guard

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if self._guard.forbidden_module(fullname) is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: Any) -> types.ModuleType:
        prefix = self._guard.forbidden_module(spec.name)
        return _PoisonedModule(spec.name, self._guard, prefix or spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        module.__path__ = []


def _import_then_patch(guard: Guard, real_import: Any) -> Any:
    """Wrap ``__import__`` so forbidden calls are wrapped as soon as their module loads.

    ``from scipy.special import logsumexp`` then binds the wrapper: the attribute is
    read after ``__import__`` returns.
    """

    @functools.wraps(real_import)
    def sandbox_import(*args: Any, **kwargs: Any) -> Any:
        module = real_import(*args, **kwargs)
        if guard._pending:
            guard.patch_loaded()
        return module

    return sandbox_import


def _resolve(dotted: str) -> Any:
    """Return the loaded object at ``dotted`` (module path then attributes), or None."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        module = sys.modules.get(".".join(parts[:i]))
        if module is None:
            continue
        obj: Any = module
        for attr in parts[i:]:
            obj = getattr(obj, attr, None)
            if obj is None:
                return None
        return obj
    return None
