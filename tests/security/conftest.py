"""Red-team fixtures: the hardened sandbox, fully on, and the checks every attack ends with.

Every attack test asserts its verdict, the absence of its side effect, and then that a
correct submission still grades in full through the same runner (``still_grades``).
"""

from __future__ import annotations

import os
import secrets
import textwrap
from pathlib import Path

import numpy as np
import pytest

from reference.pack import Forbidden, Probe
from worker.grading.pipeline import grade_source
from worker.sandbox.host.api import CallSpec, Limits, SandboxReport, SandboxRequest, SourceChunk
from worker.sandbox.host.bwrap_runner import BwrapRunner

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "submissions"
CANARY = "canary-" + secrets.token_hex(12)  # planted in the worker's env and project tree
CANARY_ENV = "AUTOGRADER_TEST_SECRET"
CANARY_FILE = REPO / f".sandbox-canary-{CANARY}.txt"


@pytest.fixture(scope="session")
def planted():
    """Plant the canary secret in this (worker) process's environment and project tree."""
    os.environ[CANARY_ENV] = CANARY
    CANARY_FILE.write_text(CANARY)
    yield CANARY
    os.environ.pop(CANARY_ENV, None)
    CANARY_FILE.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def sandbox(planted):
    """One hardened runner for the whole session (started after the canaries exist)."""
    reason = BwrapRunner.unsupported_reason()
    if reason is not None:
        pytest.skip(f"the hardened sandbox cannot run here: {reason}")
    runner = BwrapRunner()
    yield runner
    runner.close()


class Attack:
    """What attack tests use: run code in the sandbox, then check it left nothing behind."""

    canary = CANARY
    canary_file = CANARY_FILE
    canary_env = CANARY_ENV
    repo = REPO

    def __init__(self, sandbox: BwrapRunner) -> None:
        self.sandbox = sandbox

    def run(
        self,
        code: str,
        *calls: CallSpec,
        runtime: str = "numpy",
        limits: Limits | None = None,
        forbidden: Forbidden | None = None,
        chunks: tuple[str, ...] = (),
    ) -> SandboxReport:
        """Run ``code`` (dedented; or several ``chunks``) with ``calls`` in the sandbox."""
        codes = chunks or (textwrap.dedent(code),)
        pieces, line = [], 1
        for piece in codes:
            pieces.append(SourceChunk(piece, "submission.py", first_line=line))
            line += piece.count("\n") + 1
        request = SandboxRequest(
            runtime, "cpu", tuple(pieces), calls, forbidden or Forbidden(), limits or Limits()
        )
        return self.sandbox.run(request)

    @staticmethod
    def call(function: str, limit: float = 5.0, probe: Probe | None = None, **kwargs) -> CallSpec:
        """A CallSpec whose call_id is the function's name."""
        return CallSpec(function, function, kwargs, probe or Probe(), limit)

    @staticmethod
    def x() -> np.ndarray:
        """A small input array."""
        return np.arange(6.0).reshape(2, 3)

    def still_grades(self, runtime: str = "numpy") -> None:
        """Assert that the correct fixture still gets full marks through the same runner,
        and that no process outlived its submission."""
        fixture = "numpy_correct.py" if runtime == "numpy" else "torch_correct.py"
        pack = "lecture4-numpy" if runtime == "numpy" else "lecture4-torch"
        source = (FIXTURES / fixture).read_text()
        result = grade_source(pack, "submission.py", source, runner=self.sandbox)
        failed = [(t.name, t.message) for t in result.tests if not t.passed]
        assert result.score == result.max_score, failed
        self.assert_no_stray_processes()

    def assert_no_stray_processes(self) -> None:
        """Between submissions each bwrap has one process below it, the zygote: no more."""
        zygotes = [z for z in self.sandbox._zygotes.values() if z.pid is not None]
        assert len(self.sandbox_processes()) == len(zygotes)

    def zygote_pids(self) -> set[int]:
        """Host pids of the processes the runner started (one bwrap per zygote)."""
        return {z.pid for z in self.sandbox._zygotes.values() if z.pid is not None}

    def sandbox_processes(self) -> list[int]:
        """Host pids of every process below the runner's bwrap launchers."""
        parents = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
        found, frontier = [], self.zygote_pids()
        while frontier:
            children = {pid for pid, ppid in parents.items() if ppid in frontier}
            found += sorted(children)
            frontier = children
        return found


@pytest.fixture
def attack(sandbox) -> Attack:
    """The helper of one attack test, on the session's hardened runner."""
    return Attack(sandbox)
