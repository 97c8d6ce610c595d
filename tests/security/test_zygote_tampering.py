"""A child changes nothing that later children inherit: not the zygote's priority,
scheduling class, CPU affinity, I/O priority or limits, nor the scratch root."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import pytest

IOPRIO_SET = {"x86_64": 251, "aarch64": 30}.get(platform.machine())

TAMPER = f"""
import ctypes, os, resource
libc = ctypes.CDLL(None, use_errno=True)
IDLE_CLASS = 3 << 13

def ioprio_set(which, who):
    if {IOPRIO_SET!r} is None:
        return 1
    if libc.syscall({IOPRIO_SET!r}, which, who, IDLE_CLASS) == 0:
        return 0
    return ctypes.get_errno()

def tamper(x):
    zygote = os.getppid()
    attempts = {{
        "nice zygote": lambda: os.setpriority(os.PRIO_PROCESS, zygote, 19),
        "nice pid 1": lambda: os.setpriority(os.PRIO_PROCESS, 1, 19),
        "nice group": lambda: os.setpriority(os.PRIO_PGRP, 0, 19),
        "nice user": lambda: os.setpriority(os.PRIO_USER, 0, 19),
        "idle class": lambda: os.sched_setscheduler(1, os.SCHED_IDLE, os.sched_param(0)),
        "batch class": lambda: os.sched_setscheduler(zygote, os.SCHED_BATCH, os.sched_param(0)),
        "one cpu": lambda: os.sched_setaffinity(1, {{0}}),
        "limits": lambda: resource.prlimit(1, resource.RLIMIT_NOFILE, (8, 8)),
        "scratch root": lambda: os.chmod("/tmp", 0o555),
    }}
    errors = []
    for name, attempt in attempts.items():
        try:
            attempt()
            errors.append([name, 0])
        except OSError as e:
            errors.append([name, e.errno])
    errors.append(["ioprio of pid 1", ioprio_set(1, 1)])
    errors.append(["ioprio of the user", ioprio_set(3, 0)])
    return errors
"""

OWN = """
import os
def own(x):
    os.nice(10)
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    return [os.getpriority(os.PRIO_PROCESS, 0), len(os.sched_getaffinity(0))]
"""

LOOK = """
import os
def look(x):
    with open("mine.txt", "w") as f:
        f.write("scratch works")
    return [os.getpriority(os.PRIO_PROCESS, 0), os.sched_getscheduler(0),
            sorted(os.sched_getaffinity(0)), os.listdir("/tmp") == [os.path.basename(os.getcwd())]]
"""


def zygote_state(pid: int) -> tuple:
    """What the zygote (host pid) passes to its children: nice, class, affinity."""
    nice = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
    return nice, os.sched_getscheduler(pid), os.sched_getaffinity(pid)


def zygote_pid(attack) -> int:
    """The host pid of the NumPy zygote (the one process below its bwrap)."""
    bwrap = attack.sandbox.zygote("numpy", "cpu").pid
    (pid,) = [p for p in attack.sandbox_processes() if parent_of(p) == bwrap]
    return pid


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_priority_scheduling_affinity_ioprio_and_limits_of_others_are_refused(attack):
    attack.run(LOOK, attack.call("look", x=attack.x()))
    before = zygote_state(zygote_pid(attack))
    report = attack.run(TAMPER, attack.call("tamper", x=attack.x()))
    observation = report.observations["tamper"]
    assert observation.status == "ok", observation.error
    assert {errno for _, errno in observation.value} == {1}, observation.value  # EPERM
    assert zygote_state(zygote_pid(attack)) == before
    after = attack.run(LOOK, attack.call("look", x=attack.x())).observations["look"]
    assert after.value == [0, os.SCHED_OTHER, sorted(before[2]), True]
    attack.still_grades()


def test_a_child_may_lower_its_own_priority_and_the_next_child_does_not_inherit_it(attack):
    report = attack.run(OWN, attack.call("own", x=attack.x()))
    assert report.observations["own"].value == [10, 1]
    after = attack.run(LOOK, attack.call("look", x=attack.x())).observations["look"]
    assert after.value[0] == 0 and len(after.value[2]) == len(os.sched_getaffinity(0))
    attack.still_grades()


@pytest.mark.parametrize("runtime", ["numpy", "torch"])
def test_the_zygote_keeps_answering_after_an_attack_on_the_scratch_root(attack, runtime):
    code = """
    import os, shutil
    def scratch(x):
        tried = []
        for attempt in (lambda: os.chmod("/tmp", 0o555), lambda: os.rmdir("/tmp"),
                        lambda: shutil.rmtree("/tmp"), lambda: os.rename(os.getcwd(), "/tmp/x")):
            try:
                attempt()
                tried.append(0)
            except OSError as e:
                tried.append(e.errno)
        return tried
    """
    report = attack.run(code, attack.call("scratch", x=attack.x()), runtime=runtime)
    assert 0 not in report.observations["scratch"].value
    after = attack.run(LOOK, attack.call("look", x=attack.x()), runtime=runtime)
    assert after.observations["look"].value[3] is True
    attack.still_grades(runtime)
