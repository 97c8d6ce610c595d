"""File-system hunts: the project tree, the reference and the worker's files are not there."""

from __future__ import annotations

import os
import sys

from worker.sandbox.host.api import Limits


def test_the_planted_project_file_and_the_reference_are_unreadable(attack):
    assert attack.canary_file.read_text() == attack.canary  # it is there, on the host
    paths = [
        str(attack.canary_file),
        str(attack.repo / "reference" / "pack.py"),
        str(attack.repo / "reference" / "packs" / "__init__.py"),
        str(attack.repo / "worker" / "grading" / "pipeline.py"),
        str(attack.repo / "autograder" / "settings.py"),
        "/root/.bash_history",
        "/etc/passwd",
        "/etc/hostname",
    ]
    code = f"""
    def hunt(x):
        read = []
        for path in {paths!r}:
            try:
                with open(path) as f:
                    read.append(path + ":" + f.read())
            except OSError:
                pass
        return read
    """
    report = attack.run(code, attack.call("hunt", x=attack.x()))
    assert report.observations["hunt"].status == "ok"
    assert report.observations["hunt"].value == []
    attack.still_grades()


def test_a_walk_of_the_whole_file_system_finds_no_canary_and_no_project(attack):
    code = """
    import os
    import numpy as np
    def walk(x):
        names = []
        for root, dirs, files in os.walk("/"):
            dirs[:] = [d for d in dirs if not (root == "/" and d in ("proc", "usr"))]
            names.extend(os.path.join(root, n) for n in files + dirs)
        # as bytes in an array: a list this long is more than a reply's JSON header takes
        return np.frombuffer("\\n".join(names).encode(), dtype=np.uint8)
    """
    report = attack.run(code, attack.call("walk", limit=30, x=attack.x()), limits=Limits(wall_s=60))
    assert report.observations["walk"].status == "ok", report.observations["walk"].error
    names = report.observations["walk"].value.tobytes().decode().split("\n")
    assert not [n for n in names if attack.canary in n]
    assert not [n for n in names if n.startswith(("/work", "/home", "/etc"))]
    assert not [n for n in names if "reference" in n or "autograder" in n]
    interpreter = os.path.realpath(sys.base_prefix)  # bound at its own path, read-only
    outside = [n for n in names if not (interpreter.startswith(n) or n.startswith(interpreter))]
    assert not [n for n in outside if n.startswith("/root/")]
    attack.still_grades()
