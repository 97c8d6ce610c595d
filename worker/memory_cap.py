"""A grading process's own memory cap: a blow-up is a MemoryError, never a dead worker.

The trusted parent bounds what a child may ask of it before any work starts (reply
headers, frames, oracle arguments), and this is the backstop behind those bounds: a soft
RLIMIT_DATA (heap and anonymous mappings, not shared libraries) on the grading process
itself, so whatever still grows too large raises MemoryError in the grading of one
submission (an oracle's becomes a refused call: one failed case) rather than let the
kernel's OOM killer take the worker. A soft limit: the sandbox's zygotes, which inherit
it, raise it again for themselves (they have their own bounds).
"""

from __future__ import annotations

import resource


def apply(memory_mb: int) -> int | None:
    """Cap this process's data segment at ``memory_mb`` MiB (0: leave it); return the
    soft limit now in force in bytes, None if unlimited. Never raises the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if memory_mb > 0:
        cap = memory_mb * 2**20
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        if soft == resource.RLIM_INFINITY or cap < soft:
            resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))
            soft = cap
    return None if soft == resource.RLIM_INFINITY else soft
