"""Where assignment packs come from: the built-in folder, pack folders, entry points.

Three sources, each a place that holds modules declaring ``PACK: Pack`` or
``PACKS: list[Pack]``:

- the built-in folder ``reference/packs/`` (the lecture4 and lab01 packs, as examples);
- pack folders (``AUTOGRADER_PACKS``, passed in by the process's entry point): each is
  discovered as ``reference/packs/`` is, every module or package in it. A folder's
  modules are imported under a package name of their own (``autograder_packs_<hash>``), so
  a pack named like an installed module cannot shadow it, and a pack package imports its
  own parts relatively (``from .checks import ...``), as the built-in ones may;
- installed distributions' entry points in the group ``autograder.packs``, each naming a
  module, a Pack or a list of Packs (``mycourse_packs = "mycourse.packs"``).

A course keeps its reference solutions and hidden cases private by keeping its packs in
one of the last two, installed on its workers only (docs/packs.md).
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
import sys
import types
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from reference.pack import Pack

ENTRY_POINT_GROUP = "autograder.packs"


class PackLoadError(RuntimeError):
    """A pack source cannot be read: a folder that is not there, a module that fails to
    import, an entry point that names no pack (a deployment mistake, said in one line)."""


def declared(obj: object) -> list[Pack]:
    """The packs ``obj`` declares: a module's PACKS and PACK, a Pack, or a list of Packs."""
    if isinstance(obj, Pack):
        return [obj]
    if isinstance(obj, types.ModuleType):
        found = list(getattr(obj, "PACKS", ()))
        if hasattr(obj, "PACK"):
            found.append(obj.PACK)
        return found
    if isinstance(obj, (list, tuple)) and all(isinstance(p, Pack) for p in obj):
        return list(obj)
    raise PackLoadError(f"{obj!r} is neither a module, a Pack nor a list of Packs")


def package_modules(package: types.ModuleType) -> Iterator[tuple[str, list[Pack]]]:
    """Yield (module name, its packs) for every module or package directly in ``package``."""
    for info in pkgutil.iter_modules(package.__path__, prefix=f"{package.__name__}."):
        try:
            module = importlib.import_module(info.name)
        except Exception as exc:
            raise PackLoadError(f"pack module {info.name} failed to import: {exc!r}") from exc
        yield info.name, declared(module)


def folder_packs(folder: Path) -> Iterator[tuple[str, list[Pack]]]:
    """Yield (where, packs) for every pack module or package in ``folder``."""
    folder = folder.expanduser().resolve()
    if not folder.is_dir():
        raise PackLoadError(f"the pack folder {folder} does not exist or is not a folder")
    for name, packs in package_modules(folder_package(folder)):
        yield f"{folder / name.rpartition('.')[2]}", packs


def folder_package(folder: Path) -> types.ModuleType:
    """The package (made once, kept in sys.modules) whose modules are ``folder``'s files."""
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    name = f"autograder_packs_{digest}"
    package = sys.modules.get(name)
    if package is None:
        package = types.ModuleType(name, f"The assignment packs in {folder}.")
        package.__path__ = [str(folder)]
        package.__package__ = name
        sys.modules[name] = package
    return package


def entry_point_packs(group: str = ENTRY_POINT_GROUP) -> Iterator[tuple[str, list[Pack]]]:
    """Yield (where, packs) for every entry point of ``group`` in the installed distributions."""
    for entry in metadata.entry_points(group=group):
        where = f"entry point {entry.name} = {entry.value}"
        try:
            obj = entry.load()
        except Exception as exc:
            raise PackLoadError(f"{where} failed to load: {exc!r}") from exc
        yield where, declared(obj)
