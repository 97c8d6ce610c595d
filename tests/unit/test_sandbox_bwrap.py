"""The hardened runner: same answers as the process runner, with every layer switched on."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from reference.pack import Forbidden, Probe, TensorArg
from worker.sandbox.host import bwrap, factory
from worker.sandbox.host.api import (
    CallSpec,
    SandboxInfrastructureError,
    SandboxRequest,
    SourceChunk,
)
from worker.sandbox.host.bwrap_runner import BwrapRunner, dedicated_uid
from worker.sandbox.host.process_runner import ProcessRunner

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
needs_bwrap = pytest.mark.skipif(
    BwrapRunner.unsupported_reason() is not None,
    reason=f"hardened sandbox unavailable: {BwrapRunner.unsupported_reason()}",
)

LAYERS = """
import os
def layers(x):
    status = dict(line.split(":\\t", 1) for line in open("/proc/self/status") if ":\\t" in line)
    return (
        status["Seccomp"].strip(),
        status["NoNewPrivs"].strip(),
        os.getcwd().startswith("/tmp/child-"),
        sorted(os.environ),
    )
"""


@pytest.fixture(scope="module")
def hardened():
    with BwrapRunner() as runner:
        yield runner


def one_call(code: str, function: str, runtime: str = "numpy", **kwargs) -> SandboxRequest:
    call = CallSpec(function, function, kwargs)
    return SandboxRequest(runtime, "cpu", (SourceChunk(code, "submission.py"),), (call,))


@needs_bwrap
def test_children_run_under_seccomp_and_no_new_privs_in_their_own_scratch(hardened):
    report = hardened.run(one_call(LAYERS, "layers", x=1))
    seccomp, no_new_privs, in_scratch, env = report.observations["layers"].value
    assert seccomp == "2"  # filter mode
    assert no_new_privs == "1"
    assert in_scratch
    assert "AUTOGRADER_SANDBOX" not in env and len(env) <= 8


@needs_bwrap
def test_hardened_and_process_runners_agree_on_a_grad_probe(hardened):
    code = (
        "import torch\n"
        "def loss(scores, labels):\n"
        "    top = scores.max(dim=1, keepdim=True).values\n"
        "    lse = top.squeeze(1) + (scores - top).exp().sum(dim=1).log()\n"
        "    return (lse - scores[torch.arange(len(labels)), labels]).mean()\n"
    )
    scores = np.random.default_rng(1).normal(size=(5, 4))
    kwargs = {
        "scores": TensorArg(scores, requires_grad=True),
        "labels": TensorArg(np.arange(5) % 4),
    }
    call = CallSpec("loss", "loss", kwargs, Probe(kind="grad", wrt="scores"))
    request = SandboxRequest(
        "torch",
        "cpu",
        (SourceChunk(code, "submission.py"),),
        (call,),
        Forbidden(methods=("backward",)),
    )
    with ProcessRunner() as plain:
        expected = plain.run(request).observations["loss"]
    got = hardened.run(request).observations["loss"]
    assert got.status == expected.status == "ok"
    np.testing.assert_array_equal(got.value.array, expected.value.array)
    np.testing.assert_array_equal(got.grad.array, expected.grad.array)


def test_the_zygote_sees_no_project_directory_only_the_child_package():
    argv = bwrap.zygote_argv("/bin/bwrap", "torch", "cpu", 5, 2**20)
    sources = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--ro-bind"]
    project = [s for s in sources if s.startswith(REPO + os.sep) or s == REPO]
    site = [s for s in project if ".venv" in s or "site-packages" in s]
    assert set(project) - set(site) == {os.path.join(REPO, "worker", "sandbox", "child")}
    assert not [s for s in sources if s.rstrip("/") in ("", "/work", "/root", "/etc", REPO)]
    assert argv[argv.index("--size") + 1] == str(2**20)


def test_the_zygote_starts_from_an_empty_environment_but_fixed_variables():
    argv = bwrap.zygote_argv("/bin/bwrap", "numpy", "cpu", 5, 2**20)
    assert "--clearenv" in argv
    names = {argv[i + 1] for i, arg in enumerate(argv) if arg == "--setenv"}
    assert names == set(bwrap.ZYGOTE_ENV)


def test_gpu_devices_are_bound_only_for_cuda_zygotes():
    assert bwrap.gpu_devices("cpu") == []
    assert "/dev/nvidiactl" not in bwrap.zygote_argv("/bin/bwrap", "torch", "cpu", 5, 2**20)


def test_a_root_worker_gets_an_unprivileged_sandbox_uid_and_never_uid_0():
    if os.geteuid() != 0:
        assert dedicated_uid(4242) is None
        return
    assert dedicated_uid(4242) == 4242
    with pytest.raises(ValueError, match="must not be 0"):
        dedicated_uid(0)


def test_a_root_worker_drops_the_user_namespace_and_keeps_only_setuid_setgid_for_the_drop():
    argv = bwrap.zygote_argv("/bin/bwrap", "numpy", "cpu", 5, 2**20, uid=4242)
    assert "--unshare-all" not in argv and "--unshare-user" not in argv
    added = {argv[i + 1] for i, arg in enumerate(argv) if arg == "--cap-add"}
    assert added == {"CAP_SETUID", "CAP_SETGID"}
    assert argv[-2:] == ["--drop-uid", "4242"]
    made = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--dir"]
    assert "/sbx" in made and all(argv[argv.index(d) - 2] == "0755" for d in made)
    plain = bwrap.zygote_argv("/bin/bwrap", "numpy", "cpu", 5, 2**20)
    assert "--unshare-all" in plain and "--cap-add" not in plain and "--drop-uid" not in plain


def test_the_factory_names_its_modes_and_refuses_unknown_ones():
    runner = factory.make_runner("process")
    assert isinstance(runner, ProcessRunner)
    runner.close()
    with pytest.raises(ValueError, match="unknown sandbox mode"):
        factory.make_runner("docker")


@needs_bwrap
def test_auto_picks_the_hardened_runner_where_the_machine_supports_it():
    runner = factory.make_runner("auto")
    assert isinstance(runner, BwrapRunner)
    runner.close()


def test_bwrap_and_auto_modes_fail_loudly_where_it_cannot_run(monkeypatch):
    monkeypatch.setattr(BwrapRunner, "unsupported_reason", staticmethod(lambda: "no userns"))
    for mode in ("bwrap", "auto"):  # auto never falls back to no isolation
        with pytest.raises(SandboxInfrastructureError, match="no userns"):
            factory.make_runner(mode)


def test_auto_never_falls_back_to_an_unsandboxed_child_under_a_root_worker(monkeypatch):
    monkeypatch.setattr(BwrapRunner, "unsupported_reason", staticmethod(lambda: "no userns"))
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    with pytest.raises(SandboxInfrastructureError, match="no userns"):
        factory.make_runner("auto")


def test_the_child_package_is_bound_whole_with_its_bytecode_compiled_when_missing_or_stale(
    tmp_path, monkeypatch
):
    names = ("__init__", "zygote", "harness", "wire")
    for module in names:
        (tmp_path / f"{module}.py").write_text(f"NAME = {module!r}\n")
    monkeypatch.setattr(bwrap, "CHILD", tmp_path)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # PYTHONDONTWRITEBYTECODE
    bwrap.compile_child()
    assert not (tmp_path / "__pycache__").exists()
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    bwrap.compile_child()
    cached = sorted((tmp_path / "__pycache__").iterdir())
    assert len(cached) == len(names)
    harness = tmp_path / "harness.py"
    harness.write_text("NAME = 'changed, and longer'\n")
    pyc = next(p for p in cached if p.name.startswith("harness."))
    before = pyc.read_bytes()
    bwrap.compile_child()
    assert pyc.read_bytes() != before  # recompiled against the new source
    argv = bwrap.zygote_argv("/usr/bin/bwrap", "numpy", "cpu", 3, 2**20)
    at = argv.index(str(tmp_path))
    assert argv[at - 1 : at + 2] == ["--ro-bind", str(tmp_path), "/sbx/lib/sandbox"]
