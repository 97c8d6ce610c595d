"""Pick a sandbox runner: the hardened one where the machine supports it."""

from __future__ import annotations

from typing import Literal

from .api import SandboxInfrastructureError, SandboxRunner
from .process_runner import ProcessRunner

Mode = Literal["auto", "bwrap", "process"]


def make_runner(mode: Mode = "auto") -> SandboxRunner:
    """Return a runner: 'bwrap' (hardened), 'process' (child process only) or 'auto'.

    'auto' picks 'bwrap' when bubblewrap, user namespaces, Landlock and seccomp all work
    here, and falls back to 'process' otherwise. 'bwrap' raises
    SandboxInfrastructureError if the machine cannot run it.
    """
    if mode == "process":
        return ProcessRunner()
    if mode in ("bwrap", "auto"):
        try:
            from .bwrap_runner import BwrapRunner
        except ImportError as e:
            if mode == "bwrap":
                raise SandboxInfrastructureError("the hardened runner is not available") from e
            return ProcessRunner()
        problem = BwrapRunner.unsupported_reason()
        if problem is None:
            return BwrapRunner()
        if mode == "bwrap":
            raise SandboxInfrastructureError(f"the hardened sandbox cannot run here: {problem}")
        return ProcessRunner()
    raise ValueError(f"unknown sandbox mode {mode!r}; expected 'auto', 'bwrap' or 'process'")
