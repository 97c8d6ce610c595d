"""The hardened runner: a zygote inside bubblewrap, children under Landlock and seccomp.

Layers, outermost first (SECURITY.md says what each one stops):

1. bubblewrap: user, pid, net, ipc, uts and mount namespaces; an empty environment; a
   read-only view of only the interpreter, the runtime's packages and system libraries;
   a size-capped tmpfs for scratch; dies with the worker.
2. the worker's cgroup v2 (memory + pids), where the host delegates one.
3. in each forked child: its own session, rlimits, non-dumpable, no_new_privs, Landlock
   (read-only file system but its scratch dir, no TCP, signals and abstract sockets
   scoped to itself), then a seccomp filter.
"""

from __future__ import annotations

import logging
import os
import subprocess

from common import sandbox_defaults as sd
from worker.sandbox.host.gpu import LeakCheck

from ..child import landlock
from . import bwrap, cgroup
from .api import SandboxRequest
from .nvidia import CudaLimits
from .zygote_client import ZygoteClient
from .zygote_runner import ZygoteRunner

log = logging.getLogger(__name__)
SANDBOX_UID = sd.SANDBOX_UID  # the host uid of the sandbox when the worker runs as root
_support: dict[str, str | None] = {}


class BwrapRunner(ZygoteRunner):
    """Runs requests in fully confined children of zygotes inside bubblewrap."""

    def __init__(
        self,
        bwrap_path: str | None = None,
        scratch_mb: int = sd.SANDBOX_SCRATCH_MB,
        cgroup_memory_mb: int = sd.SANDBOX_CGROUP_MEMORY_MB,
        cgroup_pids: int = 512,
        cuda: CudaLimits | None = None,
        gpu_check: LeakCheck | None = None,
        uid: int = SANDBOX_UID,
    ) -> None:
        super().__init__(cuda, gpu_check)
        self._bwrap = bwrap_path or bwrap.find_bwrap()
        self._scratch_bytes = scratch_mb * 2**20
        self.uid = dedicated_uid(uid)
        name = f"autograder-sandbox-{os.getpid()}"
        self.cgroup = cgroup.create(name, cgroup_memory_mb * 2**20, cgroup_pids)
        if self.cgroup.path is None:
            log.info("sandbox cgroup backstop skipped: %s", self.cgroup.reason)

    @staticmethod
    def unsupported_reason() -> str | None:
        """Why the hardened sandbox cannot run on this machine, or None if it can."""
        if "reason" not in _support:
            _support["reason"] = _probe()
        return _support["reason"]

    def make_zygote(self, runtime: str, device: str) -> ZygoteClient:
        def command(control_fd: int) -> list[str]:
            argv = bwrap.zygote_argv(
                self._bwrap, runtime, device, control_fd, self._scratch_bytes, self.uid
            )
            return self.cgroup.launcher() + argv

        return ZygoteClient(command, {})

    def confinement(self, request: SandboxRequest) -> dict:
        config: dict = {"hardened": True}
        if self.uid is not None:
            config["rlimits"] = {"processes": 256}  # counted per uid: ours alone
        if request.device == "cuda":
            config["devices"] = bwrap.gpu_device_paths()
        return config

    def close(self) -> None:
        """Stop every zygote, then remove the cgroup.

        Without a cgroup, zygotes are killed rather than stopped: the zygote is pid 1 of
        its own pid namespace, so every process in it dies with it, and a graceful stop
        would wait for its interpreter to finalise. A cgroup can only be removed once
        empty, which a graceful stop ensures.
        """
        kill = self.cgroup.path is None
        for zygote in self._zygotes.values():
            zygote.stop(kill=kill)
        self._zygotes.clear()
        self.cgroup.remove()


def dedicated_uid(uid: int = SANDBOX_UID) -> int | None:
    """The host uid sandboxed processes run as: ``uid`` if the worker runs as root, else
    None (they keep the worker's own, unprivileged, uid).

    A worker that runs as root never lets a child be root: bubblewrap starts as root (it
    mounts what the sandbox binds whoever may read it, a clone under /root too), and the
    zygote becomes ``uid`` before it imports anything (bwrap.namespaces). RLIMIT_NPROC
    then counts the sandbox's processes alone, and the host's device nodes and files stay
    out of its reach (not their owner). Refuses uid 0.
    """
    if os.geteuid() != 0:
        return None
    if uid <= 0:
        raise ValueError("the sandbox uid of a root worker must not be 0")
    return uid


def _probe() -> str | None:
    path = bwrap.find_bwrap()
    if path is None:
        return "bubblewrap (bwrap) is not installed"
    if landlock.abi_version() < 1:
        return "the kernel has no Landlock (needs Linux 5.13+ with landlock in the LSM list)"
    if bwrap.seccomp_library() is None:
        return "libseccomp2 is not installed"
    try:
        import pyseccomp  # noqa: F401
    except (ImportError, RuntimeError) as e:
        return f"pyseccomp cannot load: {e}"
    argv = [path, *bwrap.namespaces(dedicated_uid()), "--die-with-parent"]
    argv += ["--ro-bind", "/", "/", "/bin/true"]
    try:
        result = subprocess.run(argv, env={}, capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"bwrap cannot start: {e}"
    if result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip()[:300]
        return f"bwrap cannot create namespaces here (user namespaces blocked?): {detail}"
    return None
