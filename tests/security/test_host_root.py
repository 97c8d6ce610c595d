"""Children never act as host root: they run as an unprivileged host uid, and may change
no file's mode, owner or extended attributes (the device nodes are the host's inodes)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from worker.sandbox.host.bwrap_runner import SANDBOX_UID

CHANGE_FILES = """
import errno, os
def tamper(x):
    refused = []
    attempts = {
        "chmod null": lambda: os.chmod("/dev/null", 0),
        "chmod full": lambda: os.chmod("/dev/full", 0o600),
        "chown null": lambda: os.chown("/dev/null", 12345, 12345),
        "lchown zero": lambda: os.lchown("/dev/zero", 12345, 12345),
        "setxattr null": lambda: os.setxattr("/dev/null", "user.pwned", b"1"),
        "removexattr null": lambda: os.removexattr("/dev/null", "user.pwned"),
        "chmod own file": lambda: (open("mine", "w").close(), os.chmod("mine", 0o777)),
        "fchmod own file": lambda: os.fchmod(os.open("mine", os.O_RDONLY), 0o777),
        "chmod tmp": lambda: os.chmod("/tmp", 0o555),
    }
    for name, attempt in attempts.items():
        try:
            attempt()
            refused.append([name, 0])
        except OSError as e:
            refused.append([name, e.errno])
    return refused
"""

WHO = """
import os
def who(x):
    return [list(os.getresuid()), list(os.getresgid()), os.getgroups()]
"""


def host_ids(pid: int) -> tuple[list[int], list[int]]:
    """The real/effective/saved/fs uids and gids of host process ``pid``."""
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    uids = next(line for line in status if line.startswith("Uid:")).split()[1:]
    gids = next(line for line in status if line.startswith("Gid:")).split()[1:]
    return [int(u) for u in uids], [int(g) for g in gids]


def test_sandboxed_processes_are_never_host_root(attack):
    report = attack.run(WHO, attack.call("who", x=attack.x()))
    inside = report.observations["who"].value
    processes = attack.sandbox_processes()  # the zygote, below its bwrap
    assert processes
    for pid in processes:
        uids, gids = host_ids(pid)
        if os.geteuid() == 0:
            assert uids == [SANDBOX_UID] * 4 and gids == [SANDBOX_UID] * 4
        else:
            assert uids == [os.geteuid()] * 4
    if os.geteuid() == 0:  # no user namespace: what the child sees is the host's view
        assert inside == [[SANDBOX_UID] * 3, [SANDBOX_UID] * 3, []]
    attack.still_grades()


@pytest.mark.parametrize("runtime", ["numpy", "torch"])
def test_device_nodes_and_files_keep_their_modes_owners_and_attributes(attack, runtime):
    before = {path: os.stat(path) for path in ("/dev/null", "/dev/full", "/dev/zero")}
    report = attack.run(CHANGE_FILES, attack.call("tamper", x=attack.x()), runtime=runtime)
    observation = report.observations["tamper"]
    assert observation.status == "ok", observation.error
    refused = observation.value
    assert {errno for _, errno in refused} == {1}, refused  # EPERM each, from seccomp
    for path, stat in before.items():
        now = os.stat(path)
        assert (now.st_mode, now.st_uid, now.st_gid) == (stat.st_mode, stat.st_uid, stat.st_gid)
        assert "user.pwned" not in os.listxattr(path)
    attack.still_grades(runtime)
