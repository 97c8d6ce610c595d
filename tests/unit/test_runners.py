"""The grading process's sandbox runner: started early, settled against the settings."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from autograder.settings import Settings
from worker.grading.runners import ENV_PREFIX, cuda_limits, settle, warm_start
from worker.sandbox.api import SandboxRequest
from worker.sandbox.bwrap_runner import BwrapRunner
from worker.sandbox.nvidia import CudaLimits

EMPTY = SandboxRequest(runtime="numpy", device="cpu", chunks=(), calls=())
needs_bwrap = pytest.mark.skipif(
    BwrapRunner.unsupported_reason() is not None,
    reason=f"hardened sandbox unavailable: {BwrapRunner.unsupported_reason()}",
)


class FakeRunner:
    def __init__(self):
        self.closed = False

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def no_settings_in_env(monkeypatch):
    for name in list(os.environ):
        if name.upper().startswith(ENV_PREFIX):
            monkeypatch.delenv(name)


def test_settle_keeps_the_warm_runner_without_reading_settings_when_none_are_set(
    no_settings_in_env, monkeypatch
):
    monkeypatch.setitem(sys.modules, "autograder.settings", None)  # importing it now fails
    runner = FakeRunner()
    assert settle(runner) is runner and not runner.closed


def test_settle_keeps_the_warm_runner_when_the_settings_say_auto(no_settings_in_env, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SANDBOX", "auto")
    monkeypatch.setenv("AUTOGRADER_GPU_MEMORY_MB", "512")
    runner = FakeRunner()
    assert settle(runner) is runner and not runner.closed
    assert runner.cuda == CudaLimits(0.25, 512)


def test_settle_replaces_the_warm_runner_when_the_settings_ask_for_another_kind(monkeypatch):
    monkeypatch.setenv("autograder_sandbox", "process")  # read in any case, as Settings does
    runner = FakeRunner()
    settled = settle(runner)
    try:
        assert settled is not runner and runner.closed
        assert type(settled).__name__ == "ProcessRunner"
    finally:
        settled.close()


def test_settings_with_no_variable_set_are_what_an_unsettled_runner_has(no_settings_in_env):
    config = Settings.model_config
    assert config["env_prefix"] == ENV_PREFIX
    assert config.get("env_file") is None and config.get("secrets_dir") is None  # env only
    settings = Settings()
    assert settings.sandbox == "auto" and cuda_limits(settings) == CudaLimits()


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
