"""A runner with no isolation beyond a separate process: a warm ``python -I`` zygote.

Student code runs in a forked child of a zygote that already imported NumPy (and torch),
with resource limits and per-call timeouts, but no namespaces, Landlock or seccomp: use
it where bubblewrap cannot run, and as the unsandboxed baseline in benchmarks.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .api import SandboxReport, SandboxRequest
from .session import Session
from .zygote_client import Zygote

PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)  # holds the 'sandbox' package
BOOT = "import sys; sys.path.insert(0, sys.argv.pop(1)); from sandbox.zygote import main; main()"
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def child_env() -> dict[str, str]:
    """The zygote's whole environment: nothing of the worker's (no secrets, no paths)."""
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **THREAD_ENV}


def spawn_config(request: SandboxRequest, confine: dict | None = None) -> dict:
    """What the zygote needs to fork and confine one child for ``request``."""
    limits = request.limits
    rlimits = {
        "cpu_s": limits.cpu_s,
        "memory_bytes": limits.memory_mb * 2**20,
        "file_bytes": limits.file_mb * 2**20,
        "open_files": limits.open_files,
        "core_bytes": 0,
    }
    return {
        "max_message": 2 * limits.result_bytes + 2**30,  # inputs come from us: generous
        "confine": {"rlimits": rlimits, **(confine or {})},
    }


class ProcessRunner:
    """Runs requests in forked children of one warm zygote per (runtime, device)."""

    def __init__(self, python: str = sys.executable) -> None:
        self._python = python
        self._zygotes: dict[tuple[str, str], Zygote] = {}

    def run(self, request: SandboxRequest) -> SandboxReport:
        """Run one submission (see SandboxRunner.run)."""
        zygote = self._zygote(request.runtime, request.device)
        return Session(zygote, request, spawn_config(request)).run()

    def close(self) -> None:
        """Stop every zygote (and so every child)."""
        for zygote in self._zygotes.values():
            zygote.stop()
        self._zygotes.clear()

    def _zygote(self, runtime: str, device: str) -> Zygote:
        key = (runtime, device)
        if key not in self._zygotes:
            self._zygotes[key] = Zygote(self._command(runtime), child_env())
        zygote = self._zygotes[key]
        if not zygote.alive:
            zygote.start()
        return zygote

    def _command(self, runtime: str):
        def command(control_fd: int) -> list[str]:
            return [self._python, "-I", "-c", BOOT, PACKAGE_PARENT] + [
                "--runtime",
                runtime,
                "--control-fd",
                str(control_fd),
            ]

        return command

    def __enter__(self) -> ProcessRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["ProcessRunner", "child_env", "spawn_config"]
