"""The zygote refuses to fork once a child changed it, and leaves no scratch behind.

Run on the plain process runner, which has no seccomp filter, so a child really can reach
its zygote: the zygote's own checks are what is under test here (tests/security checks
that the hardened sandbox refuses the same changes earlier).
"""

from __future__ import annotations

import os
import textwrap

import numpy as np
import pytest

from worker.sandbox.child import scratch, state
from worker.sandbox.host.api import CallSpec, SandboxRequest, SourceChunk
from worker.sandbox.host.process_runner import ProcessRunner

X = np.zeros((2, 2))

RENICE = """
import os
def renice(x):
    os.setpriority(os.PRIO_PROCESS, os.getppid(), 7)
    return os.getpriority(os.PRIO_PROCESS, os.getppid())
"""

LOOK = """
import os
def look(x):
    return [os.getpriority(os.PRIO_PROCESS, 0), os.getcwd()]
"""

LOCKED = """
import os
def lock(x):
    os.makedirs("a/b/c")
    with open("a/b/c/data", "wb") as f:
        f.write(b"1" * 4096)
    os.chmod("a/b/c", 0o500)
    os.chmod("a/b", 0o000)
    os.mkdir("empty", 0)
    os.chmod(".", 0o555)
    return os.getcwd()
"""


def run(runner: ProcessRunner, code: str, function: str):
    chunk = SourceChunk(textwrap.dedent(code), "submission.py")
    call = CallSpec(function, function, {"x": X})
    report = runner.run(SandboxRequest("numpy", "cpu", (chunk,), (call,)))
    return report.observations[function]


@pytest.fixture
def runner():
    with ProcessRunner() as runner:
        yield runner


def test_a_zygote_whose_priority_a_child_changed_is_replaced_before_the_next_fork(runner):
    assert run(runner, LOOK, "look").value[0] == 0
    zygote = runner.zygote("numpy", "cpu")
    assert run(runner, RENICE, "renice").value == 7
    after = run(runner, LOOK, "look")
    assert after.status == "ok" and after.value[0] == 0  # a fresh zygote forked it
    assert zygote.restarts == 1


def test_a_scratch_dir_made_read_only_and_unreadable_is_removed_after_its_child(runner):
    # (as root, removal would work anyway; test_remove_... below runs it as a plain uid)
    left = run(runner, LOCKED, "lock").value
    parent, name = os.path.split(left)
    assert name.startswith(scratch.PREFIX) and os.path.dirname(parent) == runner_tmp()
    assert not os.path.lexists(left)
    assert run(runner, LOOK, "look").status == "ok"
    assert runner.zygote("numpy", "cpu").restarts == 0


def runner_tmp() -> str:
    import tempfile

    return tempfile.gettempdir()


def as_owner(function, *args) -> int:
    """Run ``function(*args)`` in a forked process as uid 65534 when we are root (root
    could remove anything); return its exit code (0: it returned True)."""
    pid = os.fork()
    if pid == 0:
        try:
            if os.geteuid() == 0:
                os.setresgid(65534, 65534, 65534)
                os.setresuid(65534, 65534, 65534)
            os._exit(0 if function(*args) else 1)
        except BaseException:  # noqa: BLE001 - the exit code tells the parent
            os._exit(2)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def build_locked_tree(root: str, depth: int) -> None:
    """Nested dirs ``depth`` deep (beyond PATH_MAX and the recursion limit), files with
    no permissions, and dirs without read, write or search rights."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(depth):
        os.mkdir("d" * 50, dir_fd=fd)
        inner = os.open("d" * 50, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(os.open("f", os.O_CREAT | os.O_WRONLY, 0, dir_fd=fd))
        os.chmod(fd, 0o500)
        os.close(fd)
        fd = inner
    os.chmod(fd, 0)
    os.close(fd)


def test_remove_empties_any_tree_its_owner_made_however_deep_and_whatever_its_modes():
    def make_and_remove() -> bool:
        root = scratch.make("/tmp")
        build_locked_tree(root, 1500)
        return scratch.remove(root) and not os.path.lexists(root)

    assert as_owner(make_and_remove) == 0


def test_a_zygote_without_a_scratch_tmpfs_keeps_its_children_in_a_private_dir(runner):
    first = os.path.dirname(run(runner, LOOK, "look").value[1])
    assert os.path.basename(first).startswith("sandbox-zygote-")
    runner.close()
    assert not os.path.lexists(first)  # removed with its zygote


def test_a_left_scratch_dir_makes_the_scratch_dirty(tmp_path):
    assert scratch.dirty(str(tmp_path), set(), own_tmpfs=False) is None
    left = scratch.make(str(tmp_path))
    assert "left" in scratch.dirty(str(tmp_path), set(), own_tmpfs=False)
    assert scratch.dirty(str(tmp_path), {left}, own_tmpfs=False) is None
    (tmp_path / "unrelated").mkdir()  # outside the zygote's own tmpfs, not ours to judge
    assert scratch.dirty(str(tmp_path), {left}, own_tmpfs=False) is None


def test_a_snapshot_names_what_changed(tmp_path):
    before = state.snapshot(str(tmp_path))
    assert state.changed(before, state.snapshot(str(tmp_path))) == []
    tmp_path.chmod(0o555)
    try:
        assert state.changed(before, state.snapshot(str(tmp_path))) == ["scratch_root"]
    finally:
        tmp_path.chmod(0o755)
