"""The registry of assignment packs: every module or package in this folder with a ``PACK``.

A pack module (``reference/packs/foo.py``) or package (``reference/packs/foo/``) defines a
module-level ``PACK: Pack`` or ``PACKS: list[Pack]``. Adding an assignment means adding
such a folder; nothing else in the project changes. Packs are discovered on first use.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from reference.pack import Pack


class UnknownAssignmentError(LookupError):
    """No pack has the requested id."""


class DuplicatePackError(RuntimeError):
    """Two pack modules declare the same id (a mistake in this folder, not in the input)."""


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


@cache
def _packs_by_id() -> dict[str, Pack]:
    """Import every module in this package once and collect its PACK / PACKS."""
    found: dict[str, Pack] = {}
    for info in pkgutil.iter_modules(__path__, prefix=f"{__name__}."):
        module = importlib.import_module(info.name)
        declared = list(getattr(module, "PACKS", ()))
        if hasattr(module, "PACK"):
            declared.append(module.PACK)
        for pack in declared:
            if pack.id in found:
                raise DuplicatePackError(f"pack id {pack.id!r} is declared twice ({info.name})")
            found[pack.id] = pack
    return found
