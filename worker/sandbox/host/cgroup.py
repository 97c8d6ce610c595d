"""Parent side: a per-worker cgroup v2 (memory + pids) as a backstop behind the rlimits.

It needs a delegated cgroup v2 sub-tree: the worker's own cgroup must offer the memory
and pids controllers and let us enable them for a child cgroup. Where that is not so
(cgroup v1 or hybrid hosts, Docker without a private writable cgroup namespace), the
runner goes on without it and :attr:`Cgroup.reason` says why.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

V2_ROOTS = (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified"))


@dataclass(frozen=True)
class Cgroup:
    """A created cgroup (``path``), or None with the ``reason`` it could not be made."""

    path: Path | None
    reason: str = ""

    @property
    def procs(self) -> Path | None:
        """The file a process writes its pid to, to move itself in."""
        return None if self.path is None else self.path / "cgroup.procs"

    def launcher(self) -> list[str]:
        """An argv prefix that joins this cgroup, then execs the rest (bwrap and its children).

        A wrapper rather than moving bwrap's pid afterwards: bwrap forks at once, and a
        moved parent does not take its existing children along.
        """
        if self.path is None:
            return []
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.procs)]

    def remove(self) -> None:
        """Remove the cgroup (it must be empty: stop the zygotes first)."""
        if self.path is not None:
            try:
                self.path.rmdir()
            except OSError:
                pass


def create(
    name: str,
    memory_bytes: int,
    pids: int,
    roots: tuple[Path, ...] = V2_ROOTS,
    self_cgroup: Path = Path("/proc/self/cgroup"),
    owner: int | None = None,
) -> Cgroup:
    """Create ``name`` under this process's cgroup v2 with memory.max and pids.max set."""
    parent = delegated(roots, self_cgroup)
    if isinstance(parent, str):
        return Cgroup(None, parent)
    try:
        (parent / "cgroup.subtree_control").write_text("+memory +pids")
        path = parent / name
        path.mkdir(exist_ok=True)
        (path / "memory.max").write_text(str(memory_bytes))
        (path / "pids.max").write_text(str(pids))
        if (path / "memory.swap.max").exists():
            (path / "memory.swap.max").write_text("0")
        if owner is not None:
            os.chown(path / "cgroup.procs", owner, -1)
    except OSError as e:
        return Cgroup(None, f"cannot set up a cgroup under {parent}: {e.strerror or e}")
    return Cgroup(path)


def delegated(
    roots: tuple[Path, ...] = V2_ROOTS, self_cgroup: Path = Path("/proc/self/cgroup")
) -> Path | str:
    """This process's cgroup v2 folder if it offers memory and pids, else why not."""
    root = next((r for r in roots if (r / "cgroup.controllers").is_file()), None)
    if root is None:
        return "no cgroup v2 hierarchy is mounted (cgroup v1 host?)"
    ours = _own_cgroup(self_cgroup)
    if ours is None:
        return "this process is in no cgroup v2 group"
    parent = root / ours.lstrip("/")
    available = set(_read(parent / "cgroup.controllers").split())
    if not {"memory", "pids"} <= available:
        return f"memory and pids controllers are not delegated to {parent}"
    return parent


def _own_cgroup(self_cgroup: Path) -> str | None:
    for line in _read(self_cgroup).splitlines():
        if line.startswith("0::"):
            return line[3:]
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
