"""The per-worker cgroup: made where cgroup v2 is delegated, skipped with a reason elsewhere."""

from __future__ import annotations

from pathlib import Path

from worker.sandbox.host import cgroup


def fake_hierarchy(tmp_path: Path, controllers: str) -> tuple[Path, Path]:
    root = tmp_path / "cgroup"
    ours = root / "worker.slice"
    ours.mkdir(parents=True)
    (root / "cgroup.controllers").write_text(controllers)
    (ours / "cgroup.controllers").write_text(controllers)
    (ours / "cgroup.subtree_control").write_text("")
    self_file = tmp_path / "self-cgroup"
    self_file.write_text("0::/worker.slice\n")
    return root, self_file


def test_no_cgroup_v2_is_skipped_with_a_reason(tmp_path):
    made = cgroup.create("sbx", 2**30, 64, roots=(tmp_path,), self_cgroup=tmp_path / "x")
    assert made.path is None
    assert "no cgroup v2" in made.reason
    assert made.launcher() == []


def test_undelegated_controllers_are_skipped_with_a_reason(tmp_path):
    root, self_file = fake_hierarchy(tmp_path, "cpu io")
    made = cgroup.create("sbx", 2**30, 64, roots=(root,), self_cgroup=self_file)
    assert made.path is None
    assert "not delegated" in made.reason


def test_a_delegated_hierarchy_gets_a_capped_child_cgroup(tmp_path):
    root, self_file = fake_hierarchy(tmp_path, "cpu memory pids")
    made = cgroup.create("sbx", 2**30, 64, roots=(root,), self_cgroup=self_file)
    assert made.path == root / "worker.slice" / "sbx"
    assert (made.path / "memory.max").read_text() == str(2**30)
    assert (made.path / "pids.max").read_text() == "64"
    assert (root / "worker.slice" / "cgroup.subtree_control").read_text() == "+memory +pids"
    launcher = made.launcher()
    assert launcher[:2] == ["/bin/sh", "-c"] and launcher[-1] == str(made.procs)
