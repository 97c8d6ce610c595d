"""Child side: the zygote's own process state, which no child may change.

Before each fork the zygote compares what its children inherit (uid, priority, scheduling
class, CPU affinity, I/O priority, resource limits) and the state of its scratch root with
the snapshot it took when it started. A child might have changed one through a path the
seccomp filter does not cover (or on a runner without one): then the zygote refuses to
fork and restarts, rather than hand a changed process to the next student.
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource

_IOPRIO_GET = {"x86_64": 252, "aarch64": 31}.get(platform.machine())
IOPRIO_WHO_PROCESS = 1
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_RLIMITS = sorted(
    (name, getattr(resource, name)) for name in dir(resource) if name.startswith("RLIMIT_")
)


def snapshot(scratch_root: str) -> dict[str, object]:
    """What this process's children inherit, and its scratch root's owner and mode."""
    root = os.stat(scratch_root)
    return {
        "uids": os.getresuid(),
        "gids": os.getresgid(),
        "groups": tuple(sorted(os.getgroups())),
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "scheduler": os.sched_getscheduler(0),
        "sched_priority": os.sched_getparam(0).sched_priority,
        "affinity": tuple(sorted(os.sched_getaffinity(0))),
        "ioprio": _ioprio(),
        "rlimits": tuple((name, resource.getrlimit(limit)) for name, limit in _RLIMITS),
        "scratch_root": (root.st_uid, root.st_gid, root.st_mode),
        "scratch_writable": os.access(scratch_root, os.W_OK | os.X_OK),
    }


def changed(before: dict[str, object], now: dict[str, object]) -> list[str]:
    """The names of the fields that differ between two snapshots."""
    return [key for key in before if before[key] != now.get(key)]


def _ioprio() -> int | None:
    """This process's I/O priority (ioprio_get), or None where we do not know the call."""
    if _IOPRIO_GET is None:
        return None
    return int(_libc.syscall(_IOPRIO_GET, IOPRIO_WHO_PROCESS, 0))


def drop_to(uid: int) -> None:
    """Become ``uid`` (gid ``uid`` too, no supplementary groups) for good.

    Called by a zygote that bubblewrap started as root with only CAP_SETUID and CAP_SETGID,
    before it imports anything: changing every uid from 0 clears all capabilities. Raises
    PermissionError if anything of root is left.
    """
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid,) * 3 or os.getresgid() != (uid,) * 3 or os.getgroups():
        raise PermissionError(f"could not become uid {uid}")
    if _capabilities() != 0:
        raise PermissionError(f"uid {uid} kept capabilities")


def _capabilities() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("CapEff:") or line.startswith("CapPrm:"):
                if int(line.split()[1], 16):
                    return 1
    return 0


def lift_memory_cap() -> None:
    """Raise the soft address-space and data limits to their hard limits.

    The worker caps its own memory with soft limits (worker.memory_cap); a zygote inherits
    them but has its own bounds (each child's RLIMIT_AS, the cgroup), and torch or a CUDA
    context maps far more address space than the worker's cap.
    """
    for limit in (resource.RLIMIT_AS, resource.RLIMIT_DATA):
        _, hard = resource.getrlimit(limit)
        resource.setrlimit(limit, (hard, hard))
