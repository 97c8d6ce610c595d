"""What isolation grading gets here: the sandbox mode and which of its layers are active.

``auto`` never falls back silently: where the hardened sandbox cannot run, nothing is
graded and :attr:`Isolation.problem` says why. Grading without isolation takes an explicit
``AUTOGRADER_SANDBOX=process``, and whoever starts it logs :data:`NO_ISOLATION` each time.
The state is plain data (``as_dict``), published for /readyz, /metrics and serve's banner.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

LAYERS = ("namespaces", "seccomp", "landlock", "cgroup")
FIX = (
    "see docs/sandbox.md ('When bubblewrap cannot run') for the fix, or set "
    "AUTOGRADER_SANDBOX=process to grade with no isolation, knowingly"
)
NO_ISOLATION = (
    "AUTOGRADER_SANDBOX=process: STUDENT CODE RUNS WITHOUT ISOLATION (no namespaces, "
    "seccomp, Landlock or cgroup; only rlimits and an empty environment). A submission "
    "can read and change what this user can. Use it only for code you trust."
)


@dataclass(frozen=True)
class Isolation:
    """``mode``: 'bwrap', 'process', or 'unavailable' (``problem`` says why)."""

    mode: str
    layers: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(LAYERS, False))
    problem: str | None = None

    def as_dict(self) -> dict:
        return {"mode": self.mode, "layers": dict(self.layers), "problem": self.problem}

    def summary(self) -> str:
        """One line for a banner or a log: the mode and its active layers, or the problem."""
        if self.problem:
            return f"sandbox UNAVAILABLE, nothing will be graded: {self.problem}; {FIX}"
        if self.mode == "process":
            return "sandbox: process, NO ISOLATION (AUTOGRADER_SANDBOX=process)"
        active = [name for name in LAYERS if self.layers.get(name)]
        off = [name for name in LAYERS if not self.layers.get(name)]
        text = f"sandbox: {self.mode} ({', '.join(active)})"
        return text + (f"; not active: {', '.join(off)}" if off else "")


def probe(mode: str) -> Isolation:
    """The isolation ``mode`` gives on this machine, found without starting a sandbox."""
    if mode == "process":
        return Isolation("process")
    if mode not in ("auto", "bwrap"):
        raise ValueError(f"unknown sandbox mode {mode!r}; expected 'auto', 'bwrap' or 'process'")
    from . import cgroup
    from .bwrap_runner import BwrapRunner

    problem = BwrapRunner.unsupported_reason()
    if problem is not None:
        return Isolation("unavailable", problem=f"the hardened sandbox cannot run here: {problem}")
    layers = dict.fromkeys(LAYERS, True)
    layers["cgroup"] = not isinstance(cgroup.delegated(), str)
    return Isolation("bwrap", layers)


def warn_if_unisolated(mode: str) -> None:
    """Log the loud warning of a process that grades without isolation (every start)."""
    if mode == "process":
        log.warning(NO_ISOLATION)
