"""Environment and /proc hunts: the worker's secrets are nowhere in the sandbox."""

from __future__ import annotations

import os

CODE = """
import glob, os
def hunt(x):
    found = [repr(dict(os.environ))]
    for path in glob.glob("/proc/*/environ") + glob.glob("/proc/*/cmdline"):
        try:
            with open(path, "rb") as f:
                found.append(path + "=" + f.read().decode(errors="replace"))
        except OSError as e:
            found.append(path + " refused")
    for path in (f"/proc/{os.getppid()}/environ", "/proc/1/environ", "/proc/self/environ"):
        try:
            found.append(open(path, "rb").read().decode(errors="replace"))
        except OSError:
            pass
    print("\\n".join(found))
    return "\\n".join(found)
"""


def test_environment_and_proc_hunts_find_no_secret(attack):
    assert os.environ[attack.canary_env] == attack.canary  # planted in this worker process
    report = attack.run(CODE, attack.call("hunt", x=attack.x()))
    observation = report.observations["hunt"]
    assert observation.status == "ok"
    assert attack.canary not in observation.value
    assert attack.canary not in report.output
    assert attack.canary_env not in observation.value
    assert "/work" not in observation.value  # no host path shows, not even in a cmdline
    attack.still_grades()


def test_the_zygote_memory_cannot_be_read_or_written(attack):
    code = """
    import os
    def peek(x):
        results = {}
        for mode in ("rb", "r+b"):
            for pid in (os.getppid(), 1):
                try:
                    open(f"/proc/{pid}/mem", mode)
                    results[f"{pid}{mode}"] = "opened"
                except OSError as e:
                    results[f"{pid}{mode}"] = type(e).__name__
        return sorted(results.values())
    """
    report = attack.run(code, attack.call("peek", x=attack.x()))
    observation = report.observations["peek"]
    assert observation.status == "ok"
    assert "opened" not in observation.value
    attack.still_grades()
