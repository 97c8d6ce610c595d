"""A runner with no isolation beyond a separate process: a warm ``python -I`` zygote.

Student code runs in a forked child of a zygote that already imported NumPy (and torch),
with resource limits and per-call timeouts, but no namespaces, Landlock or seccomp: use
it where bubblewrap cannot run, and as the unsandboxed baseline in benchmarks.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from worker.sandbox.host.gpu import LeakCheck

from . import nvidia
from .api import SandboxRequest
from .nvidia import CudaLimits
from .zygote_client import ZygoteClient
from .zygote_runner import ZygoteRunner

CHILD = str(Path(__file__).resolve().parent.parent / "child")
# The child package is imported under the name it has inside the hardened sandbox,
# `sandbox`, so student code sees the same module names whichever runner runs it.
BOOT = (
    "import sys, importlib.util as u; d = sys.argv.pop(1); "
    "s = u.spec_from_file_location('sandbox', d + '/__init__.py', "
    "submodule_search_locations=[d]); "
    "sys.modules['sandbox'] = m = u.module_from_spec(s); s.loader.exec_module(m); "
    "from sandbox.zygote import main; main()"
)
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def child_env() -> dict[str, str]:
    """The zygote's whole environment: nothing of the worker's (no secrets, no paths)."""
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **THREAD_ENV}


class ProcessRunner(ZygoteRunner):
    """Runs requests in forked children of one warm zygote per (runtime, device)."""

    def __init__(
        self,
        python: str = sys.executable,
        cuda: CudaLimits | None = None,
        gpu_check: LeakCheck | None = None,
        uid: int | None = None,
    ) -> None:
        super().__init__(cuda, gpu_check)
        self._python = python
        # A root parent can start the zygote as another uid (uid and group, no supplementary
        # groups): its children then cannot signal or trace the parent, nor write its files.
        self.uid = uid

    def make_zygote(self, runtime: str, device: str) -> ZygoteClient:
        def command(control_fd: int) -> list[str]:
            zygote = ["--runtime", runtime, "--control-fd", str(control_fd)]
            return [self._python, "-I", "-c", BOOT, CHILD, *zygote]

        # Started in / : the grader's own folder may be closed to that uid.
        user = {"user": self.uid, "group": self.uid, "extra_groups": [], "cwd": "/"}
        user = {} if self.uid is None else user
        return ZygoteClient(command, child_env() | nvidia.zygote_env(device, None), popen=user)

    def confinement(self, request: SandboxRequest) -> dict:
        # RLIMIT_NPROC is counted per uid: with a uid of their own it bounds the children
        # alone (a fork bomb), not the parent.
        return {} if self.uid is None else {"rlimits": {"processes": 256}}


def readable_by_anyone() -> bool:
    """Whether any uid can run this runner's zygote: the interpreter, its standard library,
    NumPy and the child package are world-readable down every ancestor directory.

    A ProcessRunner given another ``uid`` needs that (a checkout or interpreter under a
    closed /root is not); the hardened runner does not, since bubblewrap mounts as root.
    """
    import numpy

    paths = (os.path.realpath(sys.executable), os.path.realpath(sys.base_prefix))
    paths += (CHILD, os.path.dirname(numpy.__file__))
    return all(_world_readable(Path(p)) for p in paths)


def _world_readable(path: Path) -> bool:
    """Every ancestor directory is world-searchable and ``path`` is world-readable."""
    for part in [path, *path.parents]:
        try:
            mode = part.stat().st_mode
        except OSError:
            return False
        if part == path:
            needed = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)
        else:
            needed = stat.S_IXOTH
        if mode & needed != needed:
            return False
    return True
