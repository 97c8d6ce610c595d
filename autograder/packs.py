"""The pack registry as the commands use it: the settings' pack folders, one-line errors.

``reference.packs`` imports NumPy, so it is imported here only when a command needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from common.settings import Settings
    from reference.pack import Pack


def pack_errors() -> tuple[type[Exception], ...]:
    """The registry's errors a command reports in one line: unknown id, a pack folder or
    entry point that cannot be read, two packs with one id."""
    from reference.packs import DuplicatePackError, PackLoadError, UnknownAssignmentError

    return (UnknownAssignmentError, DuplicatePackError, PackLoadError)


def configure_packs(settings: Settings) -> None:
    """Let the registry find the packs in ``settings.packs`` (AUTOGRADER_PACKS) too."""
    from reference.packs import configure

    configure(settings.packs)


def find_pack(pack_id: str, settings: Settings) -> Pack:
    """Return pack ``pack_id`` among the built-in, installed and ``settings``' packs."""
    from reference.packs import get_pack

    configure_packs(settings)
    return get_pack(pack_id)


def exportable_pack(pack_id: str, platform: str) -> Pack:
    """Return built-in or installed pack ``pack_id`` for export to ``platform`` (which has
    no GPU); raise ValueError, with a one-line reason, for an unknown or CUDA-only pack."""
    from reference.packs import UnknownAssignmentError, get_pack

    try:
        pack = get_pack(pack_id)
    except UnknownAssignmentError as exc:
        raise ValueError(str(exc)) from None
    if "cpu" not in pack.devices:
        raise ValueError(f"{pack.id} is not graded on the CPU, and {platform} has no GPU")
    return pack
