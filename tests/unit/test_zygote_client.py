"""A zygote that dies at start is reported as our failure, with what it wrote."""

from __future__ import annotations

import sys

import pytest

from worker.sandbox.host.api import SandboxInfrastructureError
from worker.sandbox.host.zygote_client import ZygoteClient


def test_zygote_dying_at_start_raises_infrastructure_error_with_its_output():
    def command(fd: int) -> list[str]:
        return [sys.executable, "-c", "import sys; sys.exit('bwrap: execvp python: not found')"]

    zygote = ZygoteClient(command, env={}, start_s=10)
    with pytest.raises(SandboxInfrastructureError, match="execvp python: not found"):
        zygote.start()
    assert not zygote.alive
