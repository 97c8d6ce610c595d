"""Parent side: what every zygote-based runner shares (one warm zygote per runtime/device)."""

from __future__ import annotations

from worker.sandbox.host.gpu import LeakCheck

from .api import Limits, SandboxReport, SandboxRequest
from .nvidia import CudaLimits
from .session import Session
from .zygote_client import ZygoteClient, ZygoteCommand


def spawn_config(limits: Limits, confine: dict | None = None) -> dict:
    """What the zygote needs to fork and confine one child under ``limits``."""
    rlimits = {
        "cpu_s": limits.cpu_s,
        "memory_bytes": limits.memory_mb * 2**20,
        "file_bytes": limits.file_mb * 2**20,
        "open_files": limits.open_files,
        "core_bytes": 0,
    }
    extra = dict(confine or {})
    rlimits.update(extra.pop("rlimits", {}))
    return {
        "max_message": 2 * limits.result_bytes + 2**30,  # inputs come from us: generous
        "confine": {"rlimits": rlimits, **extra},
    }


class ZygoteRunner:
    """A SandboxRunner over warm zygotes; subclasses say how to start one and confine.

    CUDA requests also get ``cuda`` (each child's GPU memory caps) and, after the run,
    ``gpu_check`` (no process of ours may still hold GPU memory; if one does, the CUDA
    zygote and all its children are stopped, and the next request starts a fresh one).
    """

    def __init__(self, cuda: CudaLimits | None = None, gpu_check: LeakCheck | None = None):
        self._zygotes: dict[tuple[str, str], ZygoteClient] = {}
        self.cuda = cuda or CudaLimits()
        self.gpu_check = gpu_check or LeakCheck()

    def run(self, request: SandboxRequest) -> SandboxReport:
        """Run one submission (see SandboxRunner.run)."""
        zygote = self.zygote(request.runtime, request.device)
        report = Session(zygote, request, self.child_config(request)).run()
        if request.device == "cuda" and self.gpu_check.check():
            self._zygotes.pop((request.runtime, request.device)).stop()
        return report

    def child_config(self, request: SandboxRequest) -> dict:
        """The spawn request of each child of ``request``: limits and confinement."""
        confine = self.confinement(request)
        if request.device == "cuda":
            confine["cuda"] = self.cuda.config()
        return spawn_config(request.limits, confine)

    def zygote(self, runtime: str, device: str) -> ZygoteClient:
        """The warm zygote for (runtime, device), started on first use or after it died."""
        key = (runtime, device)
        if key not in self._zygotes:
            self._zygotes[key] = self.make_zygote(runtime, device)
        zygote = self._zygotes[key]
        if not zygote.alive:
            zygote.start()
        return zygote

    def launch(self, runtime: str, device: str) -> None:
        """Start the zygote for (runtime, device) without waiting until it is ready.

        The first run waits for it; meanwhile the caller goes on (see ZygoteClient.launch for
        which thread must call this).
        """
        key = (runtime, device)
        if key not in self._zygotes:
            self._zygotes[key] = self.make_zygote(runtime, device)
        if not self._zygotes[key].alive:
            self._zygotes[key].launch()

    def make_zygote(self, runtime: str, device: str) -> ZygoteClient:
        """A (not yet started) zygote for (runtime, device)."""
        raise NotImplementedError

    def confinement(self, request: SandboxRequest) -> dict:
        """Extra confinement config for the children of ``request``."""
        return {}

    def close(self) -> None:
        """Stop every zygote (and so every child)."""
        for zygote in self._zygotes.values():
            zygote.stop()
        self._zygotes.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["ZygoteCommand", "ZygoteRunner", "spawn_config"]
