"""Child side: the seccomp filter (pyseccomp over libseccomp2), built for this process.

The filter allows by default and refuses what grading code never needs: running
programs, new processes (threads are allowed), sockets, tracing or reading other
processes, namespaces and mounts, kernel key rings, BPF, io_uring, raising resource
limits, and signals to any process but this one. Refused calls fail with EPERM (ENOSYS
for clone3, so threads fall back to clone), which students see as a PermissionError.

Nor may a child change a file's mode, owner or extended attributes (the device nodes in
/dev are the host's own inodes; /tmp is where the zygote makes the next child's scratch),
nor the priority, scheduling, CPU affinity or I/O priority of any process but itself (the
zygote's would pass to every later child).
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
    "settimeofday clock_settime clock_adjtime adjtimex lookup_dcookie vhangup "
    "chmod fchmod fchmodat chown fchown lchown fchownat "
    "setxattr lsetxattr fsetxattr removexattr lremovexattr fremovexattr"
).split()
# Denied too where this libseccomp knows them (newer kernels' variants of the above).
DENIED_IF_KNOWN = ("fchmodat2", "setxattrat", "removexattrat")
# (call, index of its pid argument): allowed on the caller itself only (pid 0).
SELF_ONLY = (
    ("sched_setscheduler", 0),
    ("sched_setparam", 0),
    ("sched_setattr", 0),
    ("sched_setaffinity", 0),
    ("migrate_pages", 0),
    ("move_pages", 0),
)
PRIO_PROCESS, IOPRIO_WHO_PROCESS = 0, 1


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
    for name in DENIED_IF_KNOWN:
        try:
            rules.add_rule(deny, name)
        except (RuntimeError, ValueError, OSError):  # unknown to this libseccomp
            pass
    for name, arg in SELF_ONLY:
        rules.add_rule(deny, name, sc.Arg(arg, sc.NE, 0))
    # setpriority(which, who, prio) and ioprio_set(which, who, prio): the caller only
    rules.add_rule(deny, "setpriority", sc.Arg(0, sc.NE, PRIO_PROCESS))
    rules.add_rule(deny, "setpriority", sc.Arg(1, sc.NE, 0))
    rules.add_rule(deny, "ioprio_set", sc.Arg(0, sc.NE, IOPRIO_WHO_PROCESS))
    rules.add_rule(deny, "ioprio_set", sc.Arg(1, sc.NE, 0))
    rules.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    rules.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, 0))
    rules.add_rule(deny, "prlimit64", sc.Arg(2, sc.NE, 0))  # reading limits is fine
    for name in ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"):
        rules.add_rule(deny, name, sc.Arg(0, sc.NE, pid))
    rules.load()
