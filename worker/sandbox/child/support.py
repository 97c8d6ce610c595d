"""Child side: a pack's support modules (e.g. the course's ``utils``), importable by name.

The parent sends each module's source with the chunks; a meta path finder serves them, so
``import utils`` works the same in every runner, and nothing is written to disk: there is
no file a student could change, and no path of the host is exposed. A student's code can
rebind names inside the module object of its own child, and nothing more; the grader never
reads the module back (it is never the reference).
"""

from __future__ import annotations

import importlib.machinery
import sys
import types
from typing import Any

MAX_MODULES = 16


class SupportFinder:
    """Finds and loads the support modules from their source text.

    A meta path finder and loader by its methods alone (importing importlib.abc would
    cost every zygote start time, as guard._Finder notes).
    """

    def __init__(self, sources: dict[str, str]) -> None:
        self._sources = sources

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in self._sources:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, origin=f"<support {fullname}>")

    def create_module(self, spec: Any) -> None:
        return None  # the default module object

    def exec_module(self, module: types.ModuleType) -> None:
        source = self._sources[module.__name__]
        exec(compile(source, f"{module.__name__}.py", "exec"), module.__dict__)  # noqa: S102

    def get_source(self, fullname: str) -> str:
        """The module's source, for tracebacks and ``inspect``."""
        return self._sources[fullname]


def install(sources: Any) -> None:
    """Make the modules of ``sources`` (name -> source text, from the parent) importable."""
    if type(sources) is not dict or not sources:
        return
    valid = {
        name: text
        for name, text in list(sources.items())[:MAX_MODULES]
        if type(name) is str and name.isidentifier() and type(text) is str
    }
    sys.meta_path.insert(0, SupportFinder(valid))
