"""Parent side: the GPU as the worker sees it, without ever initialising CUDA in the worker.

CUDA does not survive ``fork``, and a context in the worker would also hold GPU memory
for as long as it lives; so this process asks only the driver's management library
(NVML, through ``pynvml`` if installed, else ``nvidia-smi``) and the file system. Each
sandbox child makes its own context (worker/sandbox/child/cuda.py), which dies with it.

:class:`LeakCheck` runs after every CUDA submission: no process of ours (this worker,
its zygotes, their children) may still hold GPU memory. A leak is logged and counted,
and the runner then restarts its CUDA zygote, so the next submission starts clean.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

from worker.sandbox.host.nvml import ComputeApp, GpuQueryError, MemoryReader, default_reader

from . import nvidia

__all__ = ["ComputeApp", "GpuQueryError", "LeakCheck", "cuda_problem", "process_tree"]

log = logging.getLogger(__name__)
SETTLE_S = (0.05, 0.2, 0.5)  # a context is torn down moments after its process exits


def cuda_problem() -> str | None:
    """Why this machine cannot grade on CUDA, or None if it can; touches no CUDA state.

    Checks that torch is a CUDA build and that the driver's device nodes exist. Whether
    CUDA really starts is learnt in the first child, whose failure is ours, not the
    student's (SandboxInfrastructureError).
    """
    import torch.backends.cuda

    if not torch.backends.cuda.is_built():
        return "this machine has no CUDA device (this torch is built without CUDA)"
    if not nvidia.has_gpu_nodes():
        return "this machine has no CUDA device (no /dev/nvidiactl and /dev/nvidia0)"
    return None


def process_tree(root: int, proc: str = "/proc") -> set[int]:
    """``root`` and every process descended from it (from the PPid of /proc/<pid>/stat)."""
    parents: dict[int, int] = {}
    for name in os.listdir(proc):
        if not name.isdigit():
            continue
        try:
            with open(os.path.join(proc, name, "stat")) as stat:
                fields = stat.read().rsplit(")", 1)[1].split()  # the name may hold spaces
        except (OSError, IndexError):
            continue  # gone meanwhile
        parents[int(name)] = int(fields[1])
    tree, grew = {root}, True
    while grew:
        children = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= children
        grew = bool(children)
    return tree


class LeakCheck:
    """Checks between CUDA submissions that no process of ours still holds GPU memory."""

    def __init__(
        self,
        reader: MemoryReader | None = None,
        tree: Callable[[int], set[int]] = process_tree,
        settle_s: tuple[float, ...] = SETTLE_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._reader, self._looked = reader, reader is not None
        self.tree, self.settle_s, self.sleep = tree, settle_s, sleep
        self.leaks: list[ComputeApp] = []  # every leak seen by this check, oldest first

    def check(self) -> list[ComputeApp]:
        """Return the processes of ours that hold GPU memory now (after a short settle)."""
        reader = self._get_reader()
        if reader is None:
            return []
        held: list[ComputeApp] = []
        for delay in (*self.settle_s, None):
            try:
                apps = reader.compute_apps()
            except GpuQueryError as e:
                log.warning("GPU leak check skipped: %s", e)
                return []
            ours = self.tree(os.getpid())
            held = [app for app in apps if app.pid in ours]
            if not held or delay is None:
                break
            self.sleep(delay)
        if held:
            self._report(held)
        return held

    def _report(self, held: list[ComputeApp]) -> None:
        self.leaks.extend(held)
        detail = ", ".join(f"pid {app.pid}: {app.used_mib} MiB" for app in held)
        if any(app.pid == os.getpid() for app in held):
            log.error("the worker itself holds a CUDA context (%s): never start CUDA here", detail)
        else:
            log.warning("GPU memory still held after a submission (%s)", detail)

    def _get_reader(self) -> MemoryReader | None:
        if not self._looked:
            self._reader, self._looked = default_reader(), True
            if self._reader is None:
                log.info("GPU leak check off: neither pynvml nor nvidia-smi is available")
        return self._reader
