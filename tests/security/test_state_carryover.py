"""Nothing one submission does survives into the next."""

from __future__ import annotations

POLLUTE = """
import builtins, json, os, sys
import numpy as np

def pollute(x):
    np.LEFT_BEHIND = 1
    np.exp = lambda a: a
    sys.modules["json"] = None
    builtins.LEFT_BEHIND = 1
    os.environ["LEFT_BEHIND"] = "1"
    with open("left-behind.txt", "w") as f:
        f.write("1")
    return 1
"""

CHECK = """
import builtins, os, sys
import numpy as np

def check(x):
    return [
        not hasattr(np, "LEFT_BEHIND"),
        float(np.exp(0.0)) == 1.0,
        sys.modules.get("json") is not None,
        not hasattr(builtins, "LEFT_BEHIND"),
        "LEFT_BEHIND" not in os.environ,
        os.listdir(".") == [],
        "pollute" not in globals(),
    ]
"""


def test_module_globals_patches_files_and_env_do_not_carry_over(attack):
    first = attack.run(POLLUTE, attack.call("pollute", x=attack.x()))
    assert first.observations["pollute"].value == 1
    second = attack.run(CHECK, attack.call("check", x=attack.x()))
    assert second.observations["check"].value == [True] * 7
    attack.still_grades()


def test_a_restarted_child_does_not_inherit_state_of_the_crashed_one(attack):
    code = """
    import os
    counter = []
    def bump(x):
        counter.append(1)
        return len(counter)
    def die(x):
        os._exit(3)
    """
    calls = [attack.call("bump", x=attack.x()), attack.call("die", x=attack.x())]
    calls.append(attack.call("bump", x=attack.x()).__class__("again", "bump", {"x": attack.x()}))
    report = attack.run(code, *calls)
    assert report.observations["bump"].value == 1
    assert report.observations["die"].status == "crashed"
    assert report.observations["again"].value == 1  # a fresh child re-ran the file only
    attack.still_grades()
