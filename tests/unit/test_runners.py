"""The grading side's sandbox: runners and limits made from the settings passed down."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace

import pytest

from common.settings import Settings
from reference.pack import SandboxLimits
from reference.packs import get_pack
from worker.grading.runner_setup import (
    DEFAULT_CONFIG,
    make_runner,
    runner_config,
    sandbox_limits,
    shared_runner,
)
from worker.sandbox.host.api import Limits, SandboxRequest
from worker.sandbox.host.bwrap_runner import BwrapRunner
from worker.sandbox.host.nvidia import CudaLimits
from worker.sandbox.host.process_runner import ProcessRunner

EMPTY = SandboxRequest(runtime="numpy", device="cpu", chunks=(), calls=())
needs_bwrap = pytest.mark.skipif(
    BwrapRunner.unsupported_reason() is not None,
    reason=f"hardened sandbox unavailable: {BwrapRunner.unsupported_reason()}",
)


def warm_start(runtime: str, device: str):
    """A runner of the default kind with its zygote started, as `autograder grade` does."""
    runner = make_runner()
    runner.launch(runtime, device)
    return runner


def test_the_runner_is_the_kind_and_has_the_caps_the_settings_ask_for(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SANDBOX", "bwrap")  # the environment is not read
    settings = Settings.defaults().model_copy(update={"sandbox": "process", "gpu_memory_mb": 512})
    runner = make_runner(settings)
    try:
        assert isinstance(runner, ProcessRunner)
        assert runner.cuda == CudaLimits(0.25, 512)
    finally:
        runner.close()


@needs_bwrap
def test_the_hardened_runner_gets_the_scratch_and_cgroup_sizes_of_the_settings():
    settings = Settings.defaults().model_copy(
        update={"sandbox": "bwrap", "sandbox_scratch_mb": 8, "sandbox_cgroup_memory_mb": 512}
    )
    runner = make_runner(settings)
    try:
        assert runner._scratch_bytes == 8 * 2**20
    finally:
        runner.close()


def test_one_shared_runner_per_sandbox_configuration():
    process = Settings.defaults().model_copy(update={"sandbox": "process"})
    assert shared_runner(process) is shared_runner(process.model_copy())
    other = process.model_copy(update={"sandbox_scratch_mb": 32})
    assert shared_runner(other) is not shared_runner(process)


def test_limits_are_the_settings_with_the_packs_overrides_on_top():
    pack = get_pack("lecture4-numpy")
    settings = Settings.defaults().model_copy(
        update={"sandbox_memory_mb": 2048, "sandbox_submission_s": 90.0, "sandbox_call_s": 7.0}
    )
    plain = replace(pack, limits=SandboxLimits())
    assert sandbox_limits(settings, plain) == Limits(memory_mb=2048, wall_s=90.0, call_s=7.0)
    own = replace(pack, limits=SandboxLimits(submission_s=30.0, call_s=3.0))
    assert sandbox_limits(settings, own) == Limits(memory_mb=2048, wall_s=30.0, call_s=3.0)


def test_the_limits_defaults_are_the_settings_defaults():
    defaults = Settings.defaults()
    limits = Limits()
    assert (limits.cpu_s, limits.wall_s, limits.import_s, limits.memory_mb, limits.call_s) == (
        defaults.sandbox_cpu_s,
        defaults.sandbox_submission_s,
        defaults.sandbox_import_s,
        defaults.sandbox_memory_mb,
        defaults.sandbox_call_s,
    )


def test_the_runner_made_before_the_settings_are_read_is_the_default_settings_one():
    assert DEFAULT_CONFIG == runner_config(Settings.defaults())
    early, settled = make_runner(), make_runner(Settings.defaults())
    try:
        assert type(early) is type(settled) and early.cuda == settled.cuda
    finally:
        early.close()
        settled.close()


def test_default_settings_do_not_read_the_environment(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SANDBOX_CALL_S", "1.5")
    assert Settings().sandbox_call_s == 1.5
    assert Settings.defaults().sandbox_call_s == 5.0


@needs_bwrap
def test_a_warm_started_zygote_outlives_a_thread_that_runs_on_it():
    runner = warm_start("numpy", "cpu")
    seen = []

    def first_run() -> None:
        runner.run(EMPTY)
        zygote = runner.zygote("numpy", "cpu")
        seen.append((zygote, zygote.pid))

    try:
        worker = threading.Thread(target=first_run)
        worker.start()
        worker.join()
        ((zygote, pid),) = seen
        deadline = time.monotonic() + 0.5  # --die-with-parent acts within milliseconds
        while time.monotonic() < deadline:
            assert zygote.alive
            time.sleep(0.05)
        assert zygote.pid == pid
    finally:
        runner.close()


@needs_bwrap
def test_closing_a_hardened_runner_leaves_no_sandbox_process_behind():
    runner = warm_start("numpy", "cpu")
    runner.run(EMPTY)
    inside = children(runner.zygote("numpy", "cpu").pid)
    assert inside  # the zygote, pid 1 of its namespace
    runner.close()
    deadline = time.monotonic() + 5
    while any(running(pid) for pid in inside) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(running(pid) for pid in inside)


def children(pid: int) -> list[int]:
    """The pids of ``pid``'s children, from /proc."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            found += [int(p) for p in f.read().split()]
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
