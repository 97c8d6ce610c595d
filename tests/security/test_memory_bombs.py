"""Memory bombs hit the address-space limit: 'memory_limit' for that call only."""

from __future__ import annotations

from worker.sandbox.host.api import Limits


def test_one_huge_array_is_a_memory_limit(attack):
    code = "import numpy as np\ndef bomb(x):\n    return np.ones(10**11)\n"
    report = attack.run(code, attack.call("bomb", x=attack.x()))
    assert report.observations["bomb"].status == "memory_limit"
    attack.still_grades()


def test_growing_memory_step_by_step_is_a_memory_limit(attack):
    code = """
    def bomb(x):
        hoard = []
        while True:
            hoard.append(bytearray(10**7))
    def good(x):
        return x.sum()
    """
    calls = (attack.call("bomb", limit=20, x=attack.x()), attack.call("good", x=attack.x()))
    report = attack.run(code, *calls, limits=Limits(memory_mb=256))
    assert report.observations["bomb"].status == "memory_limit"
    assert report.observations["good"].value == 15.0
    attack.still_grades()


def test_a_memory_bomb_at_import_is_reported_at_its_chunk(attack):
    report = attack.run(
        "",
        attack.call("good", x=attack.x()),
        chunks=("def good(x):\n    return x.sum()\n", "hoard = bytearray(10**12)\n"),
    )
    [raised] = report.imported.raised
    assert (raised.chunk, raised.status) == (1, "memory_limit")
    assert report.observations["good"].value == 15.0
    attack.still_grades()


def test_a_torch_allocation_bomb_is_a_memory_limit(attack):
    code = "import torch\ndef bomb(x):\n    return torch.empty(10**11)\n"
    report = attack.run(code, attack.call("bomb", x=attack.x()), runtime="torch")
    assert report.observations["bomb"].status == "memory_limit"
    attack.still_grades("torch")
