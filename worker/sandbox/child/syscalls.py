"""Child side: the seccomp filter (pyseccomp over libseccomp2), built for this process.

The filter allows by default and refuses what grading code never needs: running
programs, new processes (threads are allowed), sockets, tracing or reading other
processes, namespaces and mounts, kernel key rings, BPF, io_uring, raising resource
limits, and signals to any process but this one. Refused calls fail with EPERM (ENOSYS
for clone3, so threads fall back to clone), which students see as a PermissionError.
"""

from __future__ import annotations

import ctypes.util
import errno
import os

CLONE_THREAD = 0x00010000

DENIED = (
    "execve execveat fork vfork socket socketpair ptrace process_vm_readv process_vm_writev "
    "unshare setns mount umount2 pivot_root chroot move_mount open_tree fsopen fsmount "
    "fsconfig fspick mount_setattr bpf io_uring_setup io_uring_enter io_uring_register "
    "keyctl add_key request_key personality perf_event_open userfaultfd setrlimit "
    "kexec_load kexec_file_load init_module finit_module delete_module acct swapon swapoff "
    "reboot quotactl name_to_handle_at open_by_handle_at syslog iopl ioperm "
    "pidfd_open pidfd_getfd pidfd_send_signal process_madvise kcmp tkill "
    "settimeofday clock_settime clock_adjtime adjtimex lookup_dcookie vhangup"
).split()


def load_library(path: str | None) -> None:
    """Make pyseccomp find libseccomp at ``path`` (the sandbox has no ldconfig to ask)."""
    if not path:
        return
    original = ctypes.util.find_library

    def find_library(name: str) -> str | None:
        return path if name == "seccomp" else original(name)

    ctypes.util.find_library = find_library
    try:
        import pyseccomp  # noqa: F401 - loads the library once, in the zygote
    finally:
        ctypes.util.find_library = original


def install(pid: int | None = None, all_threads: bool = False) -> None:
    """Build and load the filter for this process (``pid``: this process, as seen here).

    ``all_threads`` loads it onto every thread (TSYNC), e.g. the CUDA driver's helper
    threads, which exist before the filter; without it only this thread and threads it
    starts later are filtered.
    """
    import pyseccomp as sc

    pid = os.getpid() if pid is None else pid
    deny = sc.ERRNO(errno.EPERM)
    rules = sc.SyscallFilter(defaction=sc.ALLOW)
    if all_threads:
        rules.set_attr(sc.Attr.CTL_TSYNC, 1)
    for name in DENIED:
        rules.add_rule(deny, name)
    rules.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    rules.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, 0))
    rules.add_rule(deny, "prlimit64", sc.Arg(2, sc.NE, 0))  # reading limits is fine
    for name in ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"):
        rules.add_rule(deny, name, sc.Arg(0, sc.NE, pid))
    rules.load()
