"""Disk fill: one file is capped by RLIMIT_FSIZE, all files by the scratch tmpfs."""

from __future__ import annotations

import os
import tempfile


def test_one_huge_file_is_refused(attack):
    code = """
    def fill(x):
        with open("big.bin", "wb") as f:
            f.write(b"0" * (100 * 2**20))
    """
    report = attack.run(code, attack.call("fill", x=attack.x()))
    observation = report.observations["fill"]
    assert observation.status == "exception"
    assert "File too large" in observation.error
    attack.still_grades()


def test_many_small_files_fill_only_the_capped_scratch(attack):
    marker = "fill-" + attack.canary
    code = f"""
    def fill(x):
        for i in range(10_000):
            with open(f"{marker}-{{i}}", "wb") as f:
                f.write(b"0" * 2**20)
    """
    report = attack.run(code, attack.call("fill", limit=30, x=attack.x()))
    observation = report.observations["fill"]
    assert observation.status == "exception"
    assert "No space left" in observation.error
    # The scratch is a tmpfs inside the sandbox: nothing landed on the worker's disk.
    assert not any(name.startswith(marker) for name in os.listdir(tempfile.gettempdir()))
    attack.still_grades()


def test_writing_outside_the_scratch_dir_is_refused(attack):
    code = """
    import os
    def write(x):
        results = []
        for path in ("/tmp/outside.txt", "/sbx/lib/sandbox/harness.py", "/usr/lib/x.txt",
                     "/proc/self/attr/current", "/dev/shm/x"):
            try:
                with open(path, "w") as f:
                    f.write("pwned")
                results.append(path)
            except OSError:
                pass
        return results
    """
    report = attack.run(code, attack.call("write", x=attack.x()))
    assert report.observations["write"].status == "ok"
    assert report.observations["write"].value == []
    attack.still_grades()
