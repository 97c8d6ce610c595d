"""Pick a sandbox runner: the hardened one where the machine supports it."""

from __future__ import annotations

from typing import Literal

from . import isolation
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

    'auto' is 'bwrap' where bubblewrap, user namespaces, Landlock and seccomp all work
    here; it never falls back to 'process' silently: like 'bwrap', it raises
    SandboxInfrastructureError (saying why and what to do) where the machine cannot run
    the hardened sandbox. 'process' logs a loud warning each time. ``cuda``: the GPU memory
    caps of CUDA children (CudaLimits' defaults when None); ``scratch_mb`` and
    ``cgroup_memory_mb``: the hardened runner's scratch tmpfs and cgroup memory (its
    defaults when None); ``uid``: the host uid of its sandbox under a root worker.
    """
    if mode == "process":
        isolation.warn_if_unisolated(mode)
        return ProcessRunner(cuda=cuda)
    if mode in ("bwrap", "auto"):
        try:
            from .bwrap_runner import BwrapRunner
        except ImportError as e:
            raise SandboxInfrastructureError(
                f"the hardened runner is not available; {isolation.FIX}"
            ) from e
        problem = BwrapRunner.unsupported_reason()
        if problem is None:
            sizes = {"scratch_mb": scratch_mb, "cgroup_memory_mb": cgroup_memory_mb, "uid": uid}
            return BwrapRunner(cuda=cuda, **{k: v for k, v in sizes.items() if v is not None})
        raise SandboxInfrastructureError(
            f"the hardened sandbox cannot run here: {problem}; {isolation.FIX}"
        )
    raise ValueError(f"unknown sandbox mode {mode!r}; expected 'auto', 'bwrap' or 'process'")
