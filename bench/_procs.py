"""Memory of a process tree, read from /proc: sampled in the background, peak kept.

RSS summed over a tree counts pages shared after fork (NumPy and torch in every child of a
zygote) once per process, so it overstates; PSS (``/proc/<pid>/smaps_rollup``) divides each
shared page among its sharers and sums to the real footprint. Both are reported.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class TreeMemory:
    """One sample of a process tree: processes, summed RSS and PSS, in MiB."""

    processes: int
    rss_mib: float
    pss_mib: float


def descendants(roots: list[int]) -> list[int]:
    """Return ``roots`` and every live process below them."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                # The command name may hold spaces and ')': the ppid follows the last ')'.
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        children.setdefault(ppid, []).append(int(entry))
    seen, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        if pid in seen or not os.path.exists(f"/proc/{pid}"):
            continue
        seen.append(pid)
        todo += children.get(pid, [])
    return seen


def _kib(path: str, field: str) -> int:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass  # the process ended, or the kernel hides it
    return 0


def tree_memory(roots: list[int]) -> TreeMemory:
    """Sample the memory of ``roots`` and their descendants."""
    pids = descendants(roots)
    rss = sum(_kib(f"/proc/{pid}/status", "VmRSS:") for pid in pids)
    pss = sum(_kib(f"/proc/{pid}/smaps_rollup", "Pss:") for pid in pids)
    return TreeMemory(len(pids), rss / 1024, pss / 1024)


class PeakSampler:
    """Samples a tree every ``interval_s`` in a daemon thread; keeps the peaks."""

    def __init__(self, roots: list[int], interval_s: float = 0.5) -> None:
        self.roots, self.interval_s = roots, interval_s
        self.peak = TreeMemory(0, 0.0, 0.0)
        self.last = TreeMemory(0, 0.0, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.last = sample = tree_memory(self.roots)
            self.peak = TreeMemory(
                max(self.peak.processes, sample.processes),
                max(self.peak.rss_mib, sample.rss_mib),
                max(self.peak.pss_mib, sample.pss_mib),
            )
            self._stop.wait(self.interval_s)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
