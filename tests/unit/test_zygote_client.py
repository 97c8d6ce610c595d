"""A zygote that dies at start is reported as our failure, with what it wrote."""

from __future__ import annotations

import sys

import pytest

from worker.sandbox.api import SandboxInfrastructureError
from worker.sandbox.zygote_client import Zygote


def test_zygote_dying_at_start_raises_infrastructure_error_with_its_output():
    def command(fd: int) -> list[str]:
        return [sys.executable, "-c", "import sys; sys.exit('bwrap: execvp python: not found')"]

    zygote = Zygote(command, env={}, start_s=10)
    with pytest.raises(SandboxInfrastructureError, match="execvp python: not found"):
        zygote.start()
    assert not zygote.alive
