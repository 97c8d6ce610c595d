"""Parent side: which processes hold memory on the GPU now, as the driver says (not CUDA).

NVML through ``pynvml`` (the nvidia-ml-py package) where it is installed, else
``nvidia-smi --query-compute-apps``. Neither makes a CUDA context in this process.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


class GpuQueryError(RuntimeError):
    """The GPU's processes could not be read (NVML or nvidia-smi failed)."""


@dataclass(frozen=True)
class ComputeApp:
    """A process holding a CUDA context on some GPU, and the GPU memory it uses (MiB)."""

    pid: int
    used_mib: int


class MemoryReader(Protocol):
    """Lists the processes that hold GPU memory now (NVML's 'compute apps')."""

    def compute_apps(self) -> list[ComputeApp]:
        """Every compute process on every GPU; raises GpuQueryError if it cannot tell."""
        ...


class NvmlReader:
    """NVML through ``pynvml`` (the nvidia-ml-py package): no CUDA context, microseconds."""

    def __init__(self) -> None:
        import pynvml

        try:
            pynvml.nvmlInit()
        except pynvml.NVMLError as e:
            raise GpuQueryError(f"NVML cannot start: {e}") from e
        self._nvml = pynvml

    def compute_apps(self) -> list[ComputeApp]:
        nvml, apps = self._nvml, []
        try:
            for index in range(nvml.nvmlDeviceGetCount()):
                handle = nvml.nvmlDeviceGetHandleByIndex(index)
                for process in nvml.nvmlDeviceGetComputeRunningProcesses(handle):
                    used = process.usedGpuMemory or 0  # None where the driver hides it
                    apps.append(ComputeApp(int(process.pid), int(used) // 2**20))
        except nvml.NVMLError as e:
            raise GpuQueryError(f"NVML: {e}") from e
        return apps


class SmiReader:
    """``nvidia-smi --query-compute-apps``: slower (a process per query), always there."""

    def __init__(self, command: str = "nvidia-smi", run: Callable = subprocess.run) -> None:
        self.command, self._run = command, run

    def compute_apps(self) -> list[ComputeApp]:
        argv = [self.command, "--query-compute-apps=pid,used_memory"]
        argv += ["--format=csv,noheader,nounits"]
        try:
            done = self._run(argv, capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise GpuQueryError(f"nvidia-smi: {e}") from e
        if done.returncode != 0:
            raise GpuQueryError(f"nvidia-smi exited {done.returncode}: {done.stderr[:300]}")
        return parse_smi(done.stdout)


def parse_smi(text: str) -> list[ComputeApp]:
    """Parse 'pid, MiB' lines; '[N/A]' memory (hidden by the driver) counts as 0."""
    apps = []
    for line in text.splitlines():
        pid, _, used = (part.strip() for part in line.partition(","))
        if pid.isdigit():
            apps.append(ComputeApp(int(pid), int(used) if used.isdigit() else 0))
    return apps


def default_reader() -> MemoryReader | None:
    """pynvml if it loads, else nvidia-smi if installed, else None (no check possible)."""
    try:
        return NvmlReader()
    except (ImportError, GpuQueryError) as e:
        log.debug("no NVML through pynvml: %s", e)
    if shutil.which("nvidia-smi"):
        return SmiReader()
    return None
