"""Pick a sandbox runner: the hardened one where the machine supports it."""

from __future__ import annotations

import os
from typing import Literal

from .api import SandboxInfrastructureError, SandboxRunner
from .nvidia import CudaLimits
from .process_runner import ProcessRunner

Mode = Literal["auto", "bwrap", "process"]


def make_runner(
    mode: Mode = "auto",
    cuda: CudaLimits | None = None,
    scratch_mb: int | None = None,
    cgroup_memory_mb: int | None = None,
    uid: int | None = None,
) -> SandboxRunner:
    """Return a runner: 'bwrap' (hardened), 'process' (child process only) or 'auto'.

    'auto' picks 'bwrap' when bubblewrap, user namespaces, Landlock and seccomp all work
    here, and falls back to 'process' otherwise, except for a worker that runs as root:
    a 'process' child would be host root, so 'auto' raises SandboxInfrastructureError
    instead (only an explicit 'process', a development and benchmark runner, runs so).
    'bwrap' raises SandboxInfrastructureError if the machine cannot run it. ``cuda``: the GPU memory
    caps of CUDA children (CudaLimits' defaults when None); ``scratch_mb`` and
    ``cgroup_memory_mb``: the hardened runner's scratch tmpfs and cgroup memory (its
    defaults when None); ``uid``: the host uid of its sandbox under a root worker.
    """
    if mode == "process":
        return ProcessRunner(cuda=cuda)
    if mode in ("bwrap", "auto"):
        try:
            from .bwrap_runner import BwrapRunner
        except ImportError as e:
            if mode == "bwrap":
                raise SandboxInfrastructureError("the hardened runner is not available") from e
            return ProcessRunner(cuda=cuda)
        problem = BwrapRunner.unsupported_reason()
        if problem is None:
            sizes = {"scratch_mb": scratch_mb, "cgroup_memory_mb": cgroup_memory_mb, "uid": uid}
            return BwrapRunner(cuda=cuda, **{k: v for k, v in sizes.items() if v is not None})
        if mode == "bwrap" or os.geteuid() == 0:
            raise SandboxInfrastructureError(f"the hardened sandbox cannot run here: {problem}")
        return ProcessRunner(cuda=cuda)
    raise ValueError(f"unknown sandbox mode {mode!r}; expected 'auto', 'bwrap' or 'process'")
