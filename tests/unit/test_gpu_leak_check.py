"""The clean-GPU check between CUDA submissions, with a fake NVML reader, and cuda_problem."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import types

import pytest

from worker.sandbox.host import gpu, nvml
from worker.sandbox.host.gpu import ComputeApp, GpuQueryError, LeakCheck

CHILD = 4242  # a pid of our process tree (a sandbox child), in the fake tree below
STRANGER = 777  # another user's process on the same GPU


class FakeReader:
    """Answers each query with the next list of compute apps (the last one repeats)."""

    def __init__(self, *answers: list[ComputeApp] | Exception) -> None:
        self.answers, self.queries = list(answers), 0

    def compute_apps(self) -> list[ComputeApp]:
        answer = self.answers[min(self.queries, len(self.answers) - 1)]
        self.queries += 1
        if isinstance(answer, Exception):
            raise answer
        return answer


def check_with(reader: FakeReader) -> tuple[LeakCheck, list[float]]:
    slept: list[float] = []
    ours = {os.getpid(), CHILD}
    return LeakCheck(reader, tree=lambda root: ours, sleep=slept.append), slept


def test_a_clean_gpu_passes_at_once_whoever_else_uses_it():
    check, slept = check_with(FakeReader([ComputeApp(STRANGER, 900)]))
    assert check.check() == [] and slept == [] and check.leaks == []


def test_a_context_that_goes_away_while_settling_is_not_a_leak():
    reader = FakeReader([ComputeApp(CHILD, 500)], [])
    check, slept = check_with(reader)
    assert check.check() == []
    assert reader.queries == 2 and len(slept) == 1


def test_memory_still_held_by_a_process_of_ours_is_reported_and_recorded(caplog):
    check, slept = check_with(FakeReader([ComputeApp(CHILD, 500), ComputeApp(STRANGER, 900)]))
    with caplog.at_level(logging.WARNING, logger="worker.sandbox.host.gpu"):
        leaks = check.check()
    assert leaks == [ComputeApp(CHILD, 500)] == check.leaks
    assert len(slept) == len(gpu.SETTLE_S)
    assert f"pid {CHILD}: 500 MiB" in caplog.text


def test_a_context_in_the_worker_itself_is_an_error_naming_the_cause(caplog):
    check, _ = check_with(FakeReader([ComputeApp(os.getpid(), 300)]))
    with caplog.at_level(logging.ERROR, logger="worker.sandbox.host.gpu"):
        assert check.check() == [ComputeApp(os.getpid(), 300)]
    assert "the worker itself holds a CUDA context" in caplog.text


def test_an_unreadable_gpu_skips_the_check_with_a_warning(caplog):
    check, _ = check_with(FakeReader(GpuQueryError("nvidia-smi exited 9")))
    with caplog.at_level(logging.WARNING, logger="worker.sandbox.host.gpu"):
        assert check.check() == []
    assert "nvidia-smi exited 9" in caplog.text


def test_without_nvml_or_nvidia_smi_there_is_nothing_to_check(monkeypatch):
    monkeypatch.setattr(gpu, "default_reader", lambda: None)
    assert LeakCheck().check() == []


def test_nvidia_smi_output_is_parsed_with_hidden_memory_as_zero():
    text = "4242, 500\n777, [N/A]\n\nNo running processes found\n"
    assert nvml.parse_smi(text) == [ComputeApp(4242, 500), ComputeApp(777, 0)]


def test_nvidia_smi_reader_asks_for_pids_and_memory_and_reports_failures():
    calls = []

    def run(argv, **kwargs):
        calls.append(argv)
        return types.SimpleNamespace(returncode=0, stdout="12, 34\n", stderr="")

    assert nvml.SmiReader(run=run).compute_apps() == [ComputeApp(12, 34)]
    assert "--query-compute-apps=pid,used_memory" in calls[0]

    def failing(argv, **kwargs):
        return types.SimpleNamespace(returncode=6, stdout="", stderr="no devices")

    with pytest.raises(GpuQueryError, match="no devices"):
        nvml.SmiReader(run=failing).compute_apps()


def test_the_process_tree_holds_our_children_and_not_our_parent():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        tree = gpu.process_tree(os.getpid())
    finally:
        child.kill()
        child.wait()
    assert {os.getpid(), child.pid} <= tree and os.getppid() not in tree


def test_cuda_problem_names_a_torch_without_cuda(monkeypatch):
    import torch.backends.cuda

    monkeypatch.setattr(torch.backends.cuda, "is_built", lambda: False)
    assert "no CUDA device (this torch is built without CUDA)" in gpu.cuda_problem()


def test_cuda_problem_names_missing_device_nodes_without_touching_cuda(monkeypatch):
    import torch
    import torch.backends.cuda

    monkeypatch.setattr(torch.backends.cuda, "is_built", lambda: True)
    monkeypatch.setattr(gpu.nvidia, "device_nodes", lambda: [])
    monkeypatch.setattr(torch.cuda, "is_available", lambda: pytest.fail("asked torch.cuda"))
    assert "no /dev/nvidiactl and /dev/nvidia0" in gpu.cuda_problem()
    monkeypatch.setattr(gpu.nvidia, "device_nodes", lambda: ["/dev/nvidia0", "/dev/nvidiactl"])
    assert gpu.cuda_problem() is None
