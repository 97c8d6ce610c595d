"""Child side: Landlock through ctypes (the kernel ABI, no library needed).

:func:`restrict` makes the whole file system read-only except the given writable paths,
refuses TCP bind/connect (ABI 4+), and scopes signals and abstract unix sockets to this
process's own domain (ABI 6+), so a child cannot signal or connect to the zygote. A
Landlock domain also stops ptrace (and so /proc/<pid>/mem) of less-confined processes.
"""

from __future__ import annotations

import ctypes
import os

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1

READ = READ_FILE | READ_DIR
FILE_ONLY = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class LandlockError(OSError):
    """Landlock is missing or refused the ruleset."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def abi_version() -> int:
    """The kernel's Landlock ABI version; 0 if Landlock is unavailable."""
    version = _libc.syscall(SYS_CREATE_RULESET, None, 0, CREATE_RULESET_VERSION)
    return max(int(version), 0)


def fs_rights(abi: int) -> int:
    """Every file-system right this ABI knows (the ones we handle, so deny by default)."""
    rights = (1 << 13) - 1  # ABI 1: execute .. make_sym
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def restrict(writable: tuple[str, ...], devices: tuple[str, ...] = ()) -> int:
    """Confine this process: read-only '/', full access under ``writable``; return the ABI.

    ``devices`` are character devices opened read-write (a GPU's /dev/nvidia*).
    Requires no_new_privs. Raises LandlockError if Landlock is unavailable.
    """
    abi = abi_version()
    if abi < 1:
        raise LandlockError("Landlock is not available in this kernel")
    handled = fs_rights(abi)
    attr = _RulesetAttr(handled_access_fs=handled)
    size = 8
    if abi >= 4:
        attr.handled_access_net, size = NET_BIND_TCP | NET_CONNECT_TCP, 16
    if abi >= 6:
        attr.scoped, size = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL, 24
    ruleset = _check(_libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), size, 0))
    try:
        _allow(ruleset, "/", READ)
        for path in writable:
            _allow(ruleset, path, handled & ~EXECUTE)
        _allow(ruleset, os.devnull, READ_FILE | WRITE_FILE)
        for path in devices:
            _allow(ruleset, path, (READ_FILE | WRITE_FILE | IOCTL_DEV) & handled)
        _check(_libc.syscall(SYS_RESTRICT_SELF, ruleset, 0))
    finally:
        os.close(ruleset)
    return abi


def _allow(ruleset: int, path: str, access: int) -> None:
    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        if not os.path.isdir(path):
            access &= FILE_ONLY
        rule = _PathBeneath(allowed_access=access, parent_fd=fd)
        _check(_libc.syscall(SYS_ADD_RULE, ruleset, RULE_PATH_BENEATH, ctypes.byref(rule), 0))
    finally:
        os.close(fd)


def _check(result: int) -> int:
    if result < 0:
        code = ctypes.get_errno()
        raise LandlockError(code, f"landlock: {os.strerror(code)}")
    return int(result)
