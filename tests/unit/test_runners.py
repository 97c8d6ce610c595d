"""The grading process's sandbox runner: warmed early, and settled against the settings."""

from __future__ import annotations

import threading

from worker.grading.runners import settle, start_warming
from worker.sandbox.api import ImportOutcome, SandboxReport, SandboxRequest


class FakeRunner:
    def __init__(self, fail: Exception | None = None):
        self.fail = fail
        self.requests: list[SandboxRequest] = []
        self.closed = False

    def run(self, request: SandboxRequest) -> SandboxReport:
        self.requests.append(request)
        if self.fail:
            raise self.fail
        return SandboxReport(ImportOutcome("ok"), {})

    def close(self) -> None:
        self.closed = True


def test_warming_runs_an_empty_submission_for_the_runtime_and_device():
    runner = FakeRunner()
    start_warming(runner, "torch", "cpu").join()
    (request,) = runner.requests
    assert (request.runtime, request.device, request.chunks, request.calls) == (
        "torch",
        "cpu",
        (),
        (),
    )


def test_a_failed_warm_up_is_left_for_the_real_run_to_report():
    runner = FakeRunner(fail=RuntimeError("no sandbox here"))
    thread = start_warming(runner, "numpy", "cpu")
    thread.join()
    assert not thread.is_alive() and len(runner.requests) == 1


def test_settle_keeps_the_warm_runner_when_the_settings_say_auto(monkeypatch):
    monkeypatch.delenv("AUTOGRADER_SANDBOX", raising=False)
    runner = FakeRunner()
    assert settle(runner, finished()) is runner and not runner.closed


def test_settle_replaces_the_warm_runner_when_the_settings_ask_for_another_kind(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SANDBOX", "process")
    runner = FakeRunner()
    settled = settle(runner, finished())
    try:
        assert settled is not runner and runner.closed
        assert type(settled).__name__ == "ProcessRunner"
    finally:
        settled.close()


def finished() -> threading.Thread:
    thread = threading.Thread(target=lambda: None)
    thread.start()
    return thread
