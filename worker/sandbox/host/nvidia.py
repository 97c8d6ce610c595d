"""Parent side: what a CUDA zygote sees of the NVIDIA driver, and nothing for other zygotes.

A CUDA child needs the driver's device nodes (``/dev/nvidiactl``, ``/dev/nvidia0``...,
``/dev/nvidia-uvm``, ``/dev/nvidia-uvm-tools``, ``/dev/nvidia-modeset``, ``/dev/nvidia-caps``
for MIG) and the driver's user-space libraries (``libcuda.so.1`` and the ``libnvidia-*``
it loads), which may live outside ``/usr/lib`` (e.g. ``/usr/local/nvidia/lib64`` in a
container). The nodes are bound at their own paths (Landlock then lets the children open
them read-write and ioctl them); the libraries read-only under :data:`DRIVER_DIR`, found
through the loader cache (``ldconfig -p``) and ``LD_LIBRARY_PATH``. Nothing here touches
CUDA itself.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
from dataclasses import dataclass

from common import sandbox_defaults as sd

DRIVER_DIR = "/sbx/nvidia"  # the driver libraries, read-only, first on LD_LIBRARY_PATH
DRIVER_LIBRARY = re.compile(r"^lib(cuda|nvidia-[a-z0-9-]+)\.so(\.\d+)*$")
CUDA_ENV = {
    "CUDA_CACHE_DISABLE": "1",  # no JIT cache under $HOME: the children cannot write there
    "CUDA_MODULE_LOADING": "LAZY",  # load kernels on first use: faster context creation
}
PASSED_THROUGH = ("CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER")  # which GPU(s) a worker uses
LDCONFIG = ("/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig")


@dataclass(frozen=True)
class CudaLimits:
    """Caps on one CUDA child's GPU memory (AUTOGRADER_GPU_MEMORY_FRACTION / _MB).

    ``memory_fraction``: the share of each device's memory its caching allocator may
    hold; ``memory_mb``: an absolute cap in MiB (0: none); the smaller one applies.
    """

    memory_fraction: float = sd.GPU_MEMORY_FRACTION
    memory_mb: int = sd.GPU_MEMORY_MB

    def config(self) -> dict:
        """The ``cuda`` entry of a child's confinement config (plain JSON)."""
        return {"memory_fraction": self.memory_fraction, "memory_bytes": self.memory_mb * 2**20}


def device_nodes() -> list[str]:
    """The NVIDIA device nodes (and the MIG caps folder) of this machine; none without a GPU."""
    return sorted(glob.glob("/dev/nvidia*"))


def has_gpu_nodes(nodes: list[str] | None = None) -> bool:
    """Whether the control node and at least one GPU node exist (what CUDA opens first)."""
    names = {os.path.basename(p) for p in (device_nodes() if nodes is None else nodes)}
    return "nvidiactl" in names and any(re.fullmatch(r"nvidia\d+", n) for n in names)


def driver_libraries(ldconfig_output: str | None = None, search: str | None = None) -> list[str]:
    """Paths of the driver's libraries (libcuda*, libnvidia-*), one per file name.

    ``ldconfig_output`` is ``ldconfig -p``'s text (read here when None); ``search`` is a
    colon-separated list of folders looked at first (``LD_LIBRARY_PATH`` when None).
    """
    found: dict[str, str] = {}
    folders = (os.environ.get("LD_LIBRARY_PATH", "") if search is None else search).split(":")
    for folder in filter(None, folders):
        for path in sorted(glob.glob(os.path.join(folder, "lib*.so*"))):
            _keep(found, path)
    text = _ldconfig() if ldconfig_output is None else ldconfig_output
    for line in text.splitlines():
        if "=>" in line and ("x86-64" in line or "64bit" in line):  # not the 32-bit ones
            _keep(found, line.rsplit("=>", 1)[1].strip())
    return sorted(found.values())


def _keep(found: dict[str, str], path: str) -> None:
    name = os.path.basename(path)
    if DRIVER_LIBRARY.match(name) and name not in found and os.path.exists(path):
        found[name] = path


def _ldconfig() -> str:
    for command in LDCONFIG:
        try:
            run = subprocess.run([command, "-p"], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if run.returncode == 0:
            return run.stdout
    return ""


def bwrap_args(device: str, libraries: list[str] | None = None) -> list[str]:
    """bwrap arguments for a zygote of ``device``: the nodes and libraries, for 'cuda' only."""
    if device != "cuda":
        return []
    args = []
    for path in device_nodes():
        args += ["--dev-bind", path, path]
    for path in driver_libraries() if libraries is None else libraries:
        args += ["--ro-bind", path, f"{DRIVER_DIR}/{os.path.basename(path)}"]
    return args


def zygote_env(
    device: str, library_path: str | None, environ: dict[str, str] | None = None
) -> dict[str, str]:
    """Extra environment of a zygote of ``device`` (none but for 'cuda').

    ``library_path`` becomes LD_LIBRARY_PATH, where the loader finds libcuda.so.1 (None:
    the worker's own, for a zygote that sees the worker's file system).
    """
    if device != "cuda":
        return {}
    environ = os.environ if environ is None else environ
    env = dict(CUDA_ENV)
    env.update({name: environ[name] for name in PASSED_THROUGH if name in environ})
    library_path = environ.get("LD_LIBRARY_PATH") if library_path is None else library_path
    if library_path:
        env["LD_LIBRARY_PATH"] = library_path
    return env
