"""Fork and thread bombs: no new process can be made; threads run out of room."""

from __future__ import annotations


def test_a_fork_bomb_cannot_fork_at_all(attack):
    code = """
    import os
    def bomb(x):
        while True:
            os.fork()
    """
    report = attack.run(code, attack.call("bomb", x=attack.x()))
    observation = report.observations["bomb"]
    assert observation.status == "exception"
    assert "PermissionError" in observation.error
    attack.still_grades()


def test_subprocess_and_multiprocessing_cannot_start_anything(attack):
    code = """
    import multiprocessing, subprocess
    def shell(x):
        subprocess.run(["/bin/sh", "-c", "sleep 100"])
    def pool(x):
        multiprocessing.Process(target=print).start()
    """
    calls = (attack.call("shell", x=attack.x()), attack.call("pool", x=attack.x()))
    report = attack.run(code, *calls)
    for name in ("shell", "pool"):
        assert report.observations[name].status == "exception", report.observations[name]
    attack.still_grades()


def test_a_thread_bomb_runs_out_of_room_and_leaves_nothing_behind(attack):
    code = """
    import threading, time
    def bomb(x):
        while True:
            threading.Thread(target=time.sleep, args=(1000,), daemon=True).start()
    """
    report = attack.run(code, attack.call("bomb", limit=20, x=attack.x()))
    observation = report.observations["bomb"]
    assert observation.status in ("exception", "memory_limit"), observation
    assert "thread" in observation.error or "Memory" in observation.error
    attack.still_grades()
