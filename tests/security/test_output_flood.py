"""Output floods are cut at the limit and never reach the worker's own stdout/stderr."""

from __future__ import annotations

from worker.sandbox.host.api import Limits


def test_a_print_flood_is_truncated_and_counted(attack):
    code = "def f(x):\n    for _ in range(200_000):\n        print('spam' * 100)\n    return 1\n"
    report = attack.run(code, attack.call("f", limit=30, x=attack.x()), limits=Limits())
    assert report.observations["f"].value == 1
    assert len(report.output) < Limits().output_bytes + 200
    assert "more characters of output dropped" in report.output
    attack.still_grades()


def test_raw_writes_to_fds_never_reach_the_worker(attack, capfd):
    code = """
    import os
    def f(x):
        for fd in (0, 1, 2):
            os.write(fd, b"LEAKED-TO-WORKER" * 1000)
        return 1
    """
    report = attack.run(code, attack.call("f", x=attack.x()))
    assert report.observations["f"].value == 1
    captured = capfd.readouterr()
    assert "LEAKED-TO-WORKER" not in captured.out + captured.err
    attack.still_grades()
