"""Each child's scratch is gone after it, whatever it made there; the next child starts
from an empty scratch with all of its room."""

from __future__ import annotations

import pytest

LEAVE = """
import os
def leave(x):
    for i in range(8):                      # fill the shared tmpfs to its cap
        try:
            with open(f"fill-{i}", "wb") as f:
                f.write(b"0" * (15 * 2**20))
        except OSError:
            break
    os.mkdir("sealed", 0o500)               # made read-only and unreadable at birth
    os.mkdir("closed", 0)
    os.umask(0o777)
    os.mkdir("masked")
    os.umask(0o022)
    fd = os.open(".", os.O_RDONLY)
    for _ in range(600):                    # deeper than PATH_MAX
        os.mkdir("d" * 100)
        os.chdir("d" * 100)
    try:
        os.chmod(".", 0o555)
    except OSError:
        pass
    os.fchdir(fd)
    return sorted(os.listdir("."))
"""

ROOM = """
import os
def room(x):
    with open("next.bin", "wb") as f:
        f.write(b"1" * (15 * 2**20))
    with open("next2.bin", "wb") as f:
        f.write(b"1" * (15 * 2**20))
    st = os.statvfs("/tmp")
    return [os.listdir("/tmp") == [os.path.basename(os.getcwd())],
            sorted(os.listdir(".")), (st.f_blocks - st.f_bfree) * st.f_frsize < 40 * 2**20]
"""


@pytest.mark.parametrize("runtime", ["numpy", "torch"])
def test_a_filled_sealed_and_deep_scratch_is_gone_before_the_next_child(attack, runtime):
    report = attack.run(LEAVE, attack.call("leave", limit=30, x=attack.x()), runtime=runtime)
    observation = report.observations["leave"]
    assert observation.status == "ok", observation.error
    assert {"sealed", "closed", "masked", "d" * 100} <= set(observation.value)
    nxt = attack.run(ROOM, attack.call("room", x=attack.x()), runtime=runtime)
    assert nxt.observations["room"].value == [True, ["next.bin", "next2.bin"], True]
    attack.still_grades(runtime)
