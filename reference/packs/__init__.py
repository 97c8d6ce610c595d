"""The registry of assignment packs: the built-in ones in this folder and a course's own.

A pack module (``reference/packs/foo.py``) or package (``reference/packs/foo/``) defines a
module-level ``PACK: Pack`` or ``PACKS: list[Pack]``. Adding an assignment means adding
such a module here, in a pack folder, or in an installed package's ``autograder.packs``
entry point (reference.pack_sources); nothing else in the project changes. The folders
come from the process's settings (``AUTOGRADER_PACKS``), passed in with :func:`configure`
by its entry point; packs are discovered on first use.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from reference.pack import Pack
from reference.pack_sources import (
    PackLoadError,
    entry_point_packs,
    folder_packs,
    package_modules,
)

__all__ = [
    "DuplicatePackError",
    "PackLoadError",
    "UnknownAssignmentError",
    "configure",
    "get_pack",
    "list_packs",
]

_folders: list[Path] = []  # the pack folders of this process (configure)


class UnknownAssignmentError(LookupError):
    """No pack has the requested id."""


class DuplicatePackError(RuntimeError):
    """Two pack modules declare the same id (a deployment's mistake, not the input's)."""


def get_pack(pack_id: str) -> Pack:
    """Return the pack with id ``pack_id``; raise UnknownAssignmentError if there is none."""
    packs = _packs_by_id()
    if pack_id not in packs:
        known = ", ".join(sorted(packs)) or "none"
        raise UnknownAssignmentError(f"unknown assignment {pack_id!r}; known: {known}")
    return packs[pack_id]


def list_packs() -> list[Pack]:
    """Return every pack, sorted by id."""
    packs = _packs_by_id()
    return [packs[pack_id] for pack_id in sorted(packs)]


def configure(folders: Iterable[str | Path]) -> None:
    """Use the pack folders ``folders`` (the process's ``AUTOGRADER_PACKS``) besides the
    built-in packs and entry points; packs found before are looked for again."""
    new = [Path(folder) for folder in folders]
    if new != _folders:
        _folders[:] = new
        _packs_by_id.cache_clear()


@cache
def _packs_by_id() -> dict[str, Pack]:
    """Import every pack module once (built-in, folders, entry points) and collect its packs."""
    found: dict[str, Pack] = {}
    where: dict[str, str] = {}
    sources = [package_modules(sys.modules[__name__])]
    sources += [folder_packs(folder) for folder in _folders]
    sources.append(entry_point_packs())
    for source in sources:
        for place, packs in source:
            for pack in packs:
                if pack.id in found:
                    raise DuplicatePackError(
                        f"pack id {pack.id!r} is declared twice ({where[pack.id]} and {place})"
                    )
                found[pack.id], where[pack.id] = pack, place
    return found
