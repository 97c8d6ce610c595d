"""The house's one-way import rules, checked over every import (function-local ones too).

autograder/  -> may import service/, worker/, common/, reference/
service/     -> common/ only of ours; never worker/, reference/, numpy or torch
worker/      -> common/, reference/; never service/
common/      -> nothing of ours
reference/   -> nothing of ours
worker/sandbox/       -> nothing of worker/ outside worker/sandbox/
worker/sandbox/child/ -> only the standard library, numpy, torch, pyseccomp, matplotlib (plots
  students draw, discarded) and itself
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("autograder", "common", "reference", "service", "worker")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, absolute, with its line: top-level and local."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:  # relative: resolved against this module's package
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            names = [target] + [f"{target}.{alias.name}" for alias in node.names]
            found += [(node.lineno, name) for name in names]
    return found


def sources(top: str) -> list[Path]:
    return sorted((ROOT / top).rglob("*.py"))


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(top: str, forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in sources(top):
        for line, name in imports_of(path):
            if any(within(name, prefix) for prefix in forbidden):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return bad


@pytest.mark.parametrize(
    ("top", "forbidden"),
    [
        ("common", ("autograder", "reference", "service", "worker")),
        ("reference", ("autograder", "common", "service", "worker")),
        ("service", ("autograder", "reference", "worker", "numpy", "torch")),
        ("worker", ("autograder", "service")),
    ],
)
def test_each_layer_imports_only_what_the_house_allows(top, forbidden):
    assert violations(top, forbidden) == []


def test_the_sandbox_imports_nothing_of_the_worker_outside_it():
    bad = []
    for path in sources("worker/sandbox"):
        for line, name in imports_of(path):
            if within(name, "worker") and not within(name, "worker.sandbox"):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert bad == []


def test_the_child_side_imports_only_the_stdlib_the_runtimes_and_itself():
    allowed = set(sys.stdlib_module_names) | {"numpy", "torch", "pyseccomp", "matplotlib"}
    bad = []
    for path in sources("worker/sandbox/child"):
        for line, name in imports_of(path):
            top = name.split(".")[0]
            if within(name, "worker.sandbox.child") or top in allowed:
                continue
            bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert bad == []


def test_only_the_entry_layer_imports_both_service_and_worker():
    for top in ("common", "reference", "service", "worker"):
        names = {name.split(".")[0] for path in sources(top) for _, name in imports_of(path)}
        assert not {"service", "worker"} <= names, top


def test_the_checker_sees_function_local_and_relative_imports(tmp_path, monkeypatch):
    """The rules above could pass by missing imports: this one would then fail."""
    package = tmp_path / "worker" / "sandbox" / "host"
    package.mkdir(parents=True)
    probe = package / "probe.py"
    probe.write_text(
        "def f():\n    from worker.grading import plan\n"
        "from ..child import wire\nfrom . import api\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert sorted(imports_of(probe)) == [
        (2, "worker.grading"),
        (2, "worker.grading.plan"),
        (3, "worker.sandbox.child"),
        (3, "worker.sandbox.child.wire"),
        (4, "worker.sandbox.host"),
        (4, "worker.sandbox.host.api"),
    ]
    assert violations("worker", ("worker.grading",)) == [
        "worker/sandbox/host/probe.py:2 imports worker.grading",
        "worker/sandbox/host/probe.py:2 imports worker.grading.plan",
    ]


def test_one_device_type_on_both_sides_of_the_reference_boundary():
    from typing import get_args

    from common.contracts import Device
    from reference.pack import Device as PackDevice

    assert get_args(Device) == get_args(PackDevice) == ("cpu", "cuda")
