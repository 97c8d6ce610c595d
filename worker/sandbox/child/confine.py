"""Child side: confine a freshly forked child before it touches student code.

``confine(config, scratch)`` applies, in order: resource limits (always), then, for the
hardened runner, no_new_privs, Landlock and a seccomp filter. ``config`` comes from the
parent's spawn request (plain JSON).
"""

from __future__ import annotations

import ctypes
import resource

from . import landlock, syscalls

PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 4, 38
_libc = ctypes.CDLL(None, use_errno=True)

_RLIMITS = {
    "cpu_s": resource.RLIMIT_CPU,
    "file_bytes": resource.RLIMIT_FSIZE,
    "open_files": resource.RLIMIT_NOFILE,
    "core_bytes": resource.RLIMIT_CORE,
    "processes": resource.RLIMIT_NPROC,
}


class ConfineError(OSError):
    """A confinement step failed: the child must not run student code."""


def confine(config: dict, scratch: str) -> None:
    """Apply the confinement ``config`` asks for to this process.

    ``config``: ``rlimits`` (see :func:`apply_rlimits`), ``hardened`` (no_new_privs,
    Landlock with ``scratch`` writable, seccomp), ``devices`` (GPU device nodes),
    ``cuda`` (this child's CUDA context and its caps, see :mod:`.cuda`).

    Order: no_new_privs and Landlock; then CUDA, if asked (the driver's threads are born
    inside the Landlock domain, and its start-up is trusted code, so it is not held to the
    student's fd and address-space limits: the latter is then counted from after the
    driver's reservation); then the rlimits; then seccomp (onto every thread with CUDA).
    """
    hardened, gpu = bool(config.get("hardened")), config.get("cuda")
    if hardened:
        set_dumpable(False)
        _prctl(PR_SET_NO_NEW_PRIVS, 1)
        landlock.restrict((scratch,), devices=tuple(config.get("devices", ())))
    if gpu is not None:
        from . import cuda

        cuda.initialise(gpu)
    apply_rlimits(config.get("rlimits", {}))
    if hardened:
        syscalls.install(all_threads=gpu is not None)


def set_dumpable(flag: bool) -> None:
    """Mark this process (non-)dumpable: no core files, /proc/<pid>/mem owned by root."""
    _prctl(PR_SET_DUMPABLE, int(flag))


def _prctl(option: int, value: int) -> None:
    if _libc.prctl(option, value, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise ConfineError(errno, f"prctl({option}) failed")


def apply_rlimits(limits: dict) -> None:
    """Set each limit (soft = hard, so the student cannot raise it again).

    ``memory_bytes`` is address space above this process's current size (the zygote's
    size, with NumPy/torch mapped): torch alone maps ~700 MiB, so a fixed cap would
    either break it or mean nothing.
    """
    for key, value in limits.items():
        if key == "memory_bytes":
            resource.setrlimit(resource.RLIMIT_AS, _both(_address_space() + int(value)))
        elif key == "cpu_s":  # SIGXCPU at the soft limit (reported as a timeout), KILL 1 s on
            resource.setrlimit(resource.RLIMIT_CPU, (int(value), int(value) + 1))
        elif key in _RLIMITS:
            resource.setrlimit(_RLIMITS[key], _both(int(value)))


def _both(value: int) -> tuple[int, int]:
    return value, value


def _address_space() -> int:
    """This process's virtual size in bytes (VmSize of /proc/self/status)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")
