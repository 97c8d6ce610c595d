"""Killing the zygote, bwrap, the process group or everything: refused."""

from __future__ import annotations


def test_signals_to_anything_but_itself_are_refused(attack):
    code = """
    import os, signal
    def kill(x):
        refused = []
        for target in (os.getppid(), 1, 0, -1):
            try:
                os.kill(target, signal.SIGKILL)
            except OSError:
                refused.append(target)
        try:
            os.killpg(os.getpgid(0), signal.SIGKILL)
        except OSError:
            refused.append("group")
        return refused
    """
    zygotes = attack.zygote_pids()
    report = attack.run(code, attack.call("kill", x=attack.x()))
    assert report.observations["kill"].value == [1, 1, 0, -1, "group"]
    assert attack.zygote_pids() == zygotes  # the same zygote is still serving
    attack.still_grades()


def test_killing_itself_is_a_crash_of_that_call_only(attack):
    code = "import os, signal\ndef f(x):\n    os.kill(os.getpid(), signal.SIGKILL)\n"
    code += "def g(x):\n    return x.sum()\n"
    zygotes = attack.zygote_pids()
    report = attack.run(code, attack.call("f", x=attack.x()), attack.call("g", x=attack.x()))
    assert report.observations["f"].status == "crashed"
    assert report.observations["g"].value == 15.0
    assert attack.zygote_pids() == zygotes
    attack.still_grades()
