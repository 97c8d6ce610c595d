"""On a real GPU: CUDA children, their caps, a clean GPU after each, no CUDA in the worker.

Marked gpu (skipped without CUDA). Needs only numpy, torch and the grading core, so
bench/gpu_check.sh runs it on a GPU machine without the web stack (``--noconftest``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from worker.sandbox.host.api import CallSpec, SandboxRequest, SourceChunk
from worker.sandbox.host.bwrap_runner import BwrapRunner
from worker.sandbox.host.gpu import LeakCheck
from worker.sandbox.host.nvidia import CudaLimits
from worker.sandbox.host.nvml import default_reader
from worker.sandbox.host.process_runner import ProcessRunner

pytestmark = pytest.mark.gpu
REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "submissions"

PROBES = """
import os, torch
def where(x):
    return str(x.device), torch.cuda.is_initialized(), str((x * 2).device)
def grab(x):
    return torch.empty(2**30, dtype=torch.uint8, device=x.device).sum()
def threads(x):
    tasks = os.listdir("/proc/self/task")
    modes = set()
    for task in tasks:
        for line in open(f"/proc/self/task/{task}/status"):
            if line.startswith("Seccomp:"):
                modes.add(line.split()[1])
    return len(tasks), sorted(modes), os.path.exists("/dev/nvidiactl")
"""


def request(*functions: str) -> SandboxRequest:
    x = np.ones((3, 2))
    from reference.pack import TensorArg

    calls = tuple(CallSpec(f, f, {"x": TensorArg(x)}) for f in functions)
    return SandboxRequest("torch", "cuda", (SourceChunk(PROBES, "submission.py"),), calls)


def runners() -> list:
    """Both runners; the hardened one only where this machine can run it."""
    reason = BwrapRunner.unsupported_reason()
    skip = pytest.mark.skipif(reason is not None, reason=f"hardened sandbox unavailable: {reason}")
    return [
        pytest.param(ProcessRunner, id="process"),
        pytest.param(BwrapRunner, id="bwrap", marks=skip),
    ]


@pytest.mark.parametrize("make", runners())
def test_a_cuda_child_computes_on_the_gpu_and_is_held_to_its_memory_cap(make):
    with make(cuda=CudaLimits(memory_mb=256)) as runner:
        report = runner.run(request("where", "grab"))
    where, grab = report.observations["where"], report.observations["grab"]
    assert where.status == "ok", where.error
    assert where.value == ("cuda:0", True, "cuda:0")
    assert grab.status == "memory_limit", grab.error


def test_every_thread_of_a_hardened_cuda_child_is_under_seccomp():
    if BwrapRunner.unsupported_reason() is not None:
        pytest.skip(f"hardened sandbox unavailable: {BwrapRunner.unsupported_reason()}")
    with BwrapRunner() as runner:
        observation = runner.run(request("threads")).observations["threads"]
    assert observation.status == "ok", observation.error
    count, modes, sees_gpu = observation.value
    assert modes == ["2"] and sees_gpu, (count, modes)


def test_no_process_of_ours_holds_gpu_memory_after_a_child():
    assert default_reader() is not None, "neither pynvml nor nvidia-smi can read the GPU"
    check = LeakCheck()
    with ProcessRunner(gpu_check=check) as runner:
        runner.run(request("where"))
        assert check.check() == [] and check.leaks == []


GRADE_ON_CUDA = """
import json, sys
from pathlib import Path
from worker.grading.pipeline import grade_source
from worker.sandbox.host.gpu import LeakCheck
result = grade_source("lecture4-torch", "torch_correct.py", Path(sys.argv[1]).read_text(),
                      device="cuda")
import torch
print(json.dumps({
    "score": result.score, "status": str(result.status), "device": result.device,
    "initialised": torch.cuda.is_initialized(),
    "driver_loaded": "libcuda.so" in Path("/proc/self/maps").read_text(),
    "leaks": [vars(app) for app in LeakCheck().check()],
}))
"""


def test_grading_on_cuda_scores_100_and_never_starts_cuda_in_the_worker():
    fixture = str(FIXTURES / "torch_correct.py")
    run = subprocess.run(
        [sys.executable, "-c", GRADE_ON_CUDA, fixture],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["score"] == 100 and seen["device"] == "cuda", seen
    assert not seen["initialised"] and not seen["driver_loaded"], seen
    assert seen["leaks"] == [], seen
