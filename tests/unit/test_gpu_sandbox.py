"""GPU workers, on the CPU: what CUDA zygotes see, how children set CUDA up, no CUDA here.

Device nodes, driver libraries and torch are faked at the seams (nvidia.device_nodes,
ldconfig's text, a stand-in torch module); the real-CUDA side is in
tests/e2e/test_gpu_grading.py (marked gpu).
"""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

from worker.sandbox.child import confine, cuda
from worker.sandbox.host import bwrap, nvidia
from worker.sandbox.host.api import SandboxRequest
from worker.sandbox.host.bwrap_runner import BwrapRunner
from worker.sandbox.host.process_runner import ProcessRunner

REPO = Path(__file__).resolve().parents[2]
NODES = ["/dev/nvidia-uvm", "/dev/nvidia0", "/dev/nvidiactl"]
LIBCUDA = "/usr/local/nvidia/lib64/libcuda.so.1"


@pytest.fixture
def fake_gpu(monkeypatch):
    """A machine whose driver nodes and libcuda exist (as far as the argv builder knows)."""
    monkeypatch.setattr(nvidia, "device_nodes", lambda: list(NODES))
    monkeypatch.setattr(nvidia, "driver_libraries", lambda: [LIBCUDA])


def bind_pairs(argv: list[str], flag: str) -> list[tuple[str, str]]:
    return [(argv[i + 1], argv[i + 2]) for i, arg in enumerate(argv) if arg == flag]


def setenv(argv: list[str]) -> dict[str, str]:
    return {argv[i + 1]: argv[i + 2] for i, arg in enumerate(argv) if arg == "--setenv"}


# --- what a zygote sees ------------------------------------------------------------------


@pytest.mark.usefixtures("fake_gpu")
def test_a_cuda_zygote_gets_the_device_nodes_driver_and_cuda_environment():
    argv = bwrap.zygote_argv("/bin/bwrap", "torch", "cuda", 5, 2**20)

    assert bind_pairs(argv, "--dev-bind") == [(node, node) for node in NODES]
    assert (LIBCUDA, f"{nvidia.DRIVER_DIR}/libcuda.so.1") in bind_pairs(argv, "--ro-bind")
    env = setenv(argv)
    assert env["LD_LIBRARY_PATH"] == nvidia.DRIVER_DIR and env["CUDA_CACHE_DISABLE"] == "1"


@pytest.mark.usefixtures("fake_gpu")
@pytest.mark.parametrize("runtime", ["numpy", "torch"])
def test_cpu_zygotes_see_no_nvidia_node_library_or_variable(runtime):
    argv = bwrap.zygote_argv("/bin/bwrap", runtime, "cpu", 5, 2**20)

    assert "--dev-bind" not in argv and not [a for a in argv if a.startswith("/dev/nvidia")]
    assert not [target for _, target in bind_pairs(argv, "--ro-bind") if "libcuda" in target]
    assert set(setenv(argv)) == set(bwrap.ZYGOTE_ENV)


@pytest.mark.usefixtures("fake_gpu")
def test_only_cuda_children_may_open_the_device_nodes_and_get_a_cuda_config():
    runner = BwrapRunner.__new__(BwrapRunner)  # no cgroup, no zygote: config only
    runner.uid, runner.cuda = None, nvidia.CudaLimits(0.5, 256)

    on_gpu = runner.child_config(SandboxRequest("torch", "cuda", (), ()))["confine"]
    on_cpu = runner.child_config(SandboxRequest("torch", "cpu", (), ()))["confine"]

    assert on_gpu["devices"] == NODES
    assert on_gpu["cuda"] == {"memory_fraction": 0.5, "memory_bytes": 256 * 2**20}
    assert "devices" not in on_cpu and "cuda" not in on_cpu


def test_process_runner_children_get_the_cuda_caps_only_on_cuda():
    runner = ProcessRunner(cuda=nvidia.CudaLimits(memory_fraction=0.1))
    config = runner.child_config(SandboxRequest("torch", "cuda", (), ()))["confine"]
    assert config["cuda"] == {"memory_fraction": 0.1, "memory_bytes": 0}
    assert "cuda" not in runner.child_config(SandboxRequest("torch", "cpu", (), ()))["confine"]


def test_driver_libraries_come_from_the_library_path_first_then_the_loader_cache(tmp_path):
    first, cache = tmp_path / "first", tmp_path / "cache"
    first.mkdir(), cache.mkdir()
    for path in (first / "libcuda.so.1", cache / "libcuda.so.1", cache / "libnvidia-ml.so.1"):
        path.write_text("")
    (cache / "libc.so.6").write_text("")
    ldconfig = (
        f"\tlibcuda.so.1 (libc6,x86-64) => {cache}/libcuda.so.1\n"
        f"\tlibcuda.so.1 (libc6) => /usr/lib/i386-linux-gnu/libcuda.so.1\n"
        f"\tlibnvidia-ml.so.1 (libc6,x86-64) => {cache}/libnvidia-ml.so.1\n"
        f"\tlibc.so.6 (libc6,x86-64) => {cache}/libc.so.6\n"
    )

    found = nvidia.driver_libraries(ldconfig, search=str(first))

    assert set(found) == {str(first / "libcuda.so.1"), str(cache / "libnvidia-ml.so.1")}


def test_a_machine_has_gpu_nodes_only_with_the_control_node_and_a_gpu_node():
    assert nvidia.has_gpu_nodes(["/dev/nvidiactl", "/dev/nvidia0"])
    assert not nvidia.has_gpu_nodes(["/dev/nvidiactl", "/dev/nvidia-uvm"])
    assert not nvidia.has_gpu_nodes(["/dev/nvidia0"])


def test_cuda_zygotes_inherit_only_the_gpu_choice_of_the_worker_environment():
    worker = {"CUDA_VISIBLE_DEVICES": "1", "AUTOGRADER_ADMIN_KEY": "secret"}
    worker["LD_LIBRARY_PATH"] = "/usr/local/nvidia/lib64"

    assert nvidia.zygote_env("cpu", None, worker) == {}
    env = nvidia.zygote_env("cuda", None, worker)
    assert env == nvidia.CUDA_ENV | {
        "CUDA_VISIBLE_DEVICES": "1",
        "LD_LIBRARY_PATH": "/usr/local/nvidia/lib64",
    }
    assert nvidia.zygote_env("cuda", "/sbx/nvidia", worker)["LD_LIBRARY_PATH"] == "/sbx/nvidia"


# --- how a child sets CUDA up ---------------------------------------------------------------


def test_a_cuda_child_starts_cuda_inside_landlock_then_takes_its_limits_then_seccomp_all_threads(
    monkeypatch,
):
    steps: list = []
    monkeypatch.setattr(confine, "apply_rlimits", lambda limits: steps.append(("rlimits", limits)))
    monkeypatch.setattr(confine, "set_dumpable", lambda flag: None)
    monkeypatch.setattr(confine, "_prctl", lambda option, value: steps.append("no_new_privs"))
    monkeypatch.setattr(confine.landlock, "restrict", lambda *a, **k: steps.append(("landlock", k)))
    monkeypatch.setattr(cuda, "initialise", lambda config: steps.append(("cuda", config)))
    monkeypatch.setattr(confine.syscalls, "install", lambda **k: steps.append(("seccomp", k)))
    config = {
        "rlimits": {"cpu_s": 5, "memory_bytes": 2**30},
        "hardened": True,
        "devices": NODES,
        "cuda": {"memory_fraction": 0.25, "memory_bytes": 0},
    }

    confine.confine(config, "/tmp/child-x")

    assert steps == [
        "no_new_privs",
        ("landlock", {"devices": tuple(NODES)}),
        ("cuda", {"memory_fraction": 0.25, "memory_bytes": 0}),
        ("rlimits", {"cpu_s": 5, "memory_bytes": 2**30}),
        ("seccomp", {"all_threads": True}),
    ]


def test_a_cpu_child_never_starts_cuda(monkeypatch):
    monkeypatch.setattr(confine, "apply_rlimits", lambda limits: None)
    monkeypatch.setattr(cuda, "initialise", lambda config: pytest.fail("CUDA started"))
    confine.confine({"rlimits": {"cpu_s": 5}}, "/tmp/child-x")


class FakeCuda:
    """The parts of torch.cuda a child's set-up uses, on two devices of 80 and 40 GiB."""

    def __init__(self) -> None:
        self.fractions: dict[int, float] = {}
        self.totals = [80 * 2**30, 40 * 2**30]

    def is_available(self) -> bool:
        return True

    def init(self) -> None:
        pass

    def device_count(self) -> int:
        return len(self.totals)

    def get_device_properties(self, index: int):
        return types.SimpleNamespace(total_memory=self.totals[index])

    def set_per_process_memory_fraction(self, fraction: float, index: int) -> None:
        self.fractions[index] = fraction


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"memory_fraction": 0.25, "memory_bytes": 0}, {0: 0.25, 1: 0.25}),
        ({"memory_fraction": 0.25, "memory_bytes": 4 * 2**30}, {0: 0.05, 1: 0.1}),
        ({"memory_fraction": 0.01, "memory_bytes": 4 * 2**30}, {0: 0.01, 1: 0.01}),
    ],
)
def test_every_visible_gpu_is_capped_at_the_smaller_of_fraction_and_bytes(
    monkeypatch, config, expected
):
    fake = types.SimpleNamespace(cuda=FakeCuda())
    monkeypatch.setitem(sys.modules, "torch", fake)
    monkeypatch.setattr(cuda, "_warm_up", lambda torch: None)

    applied = cuda.initialise(config)

    assert fake.cuda.fractions == pytest.approx(expected)
    assert applied == {"devices": 2, "fraction": pytest.approx(expected[0])}


def test_a_cuda_child_without_a_cuda_device_fails_before_any_student_code():
    if __import__("torch").cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(cuda.CudaSetupError, match="no CUDA device"):
        cuda.initialise({"memory_fraction": 0.25})


def test_cuda_out_of_memory_is_a_memory_limit_not_an_exception():
    import torch

    from worker.sandbox.child.harness import out_of_memory

    error = torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 8.00 GiB")
    assert out_of_memory(error)
    assert not out_of_memory(RuntimeError("Expected all tensors to be on the same device"))


# --- the worker itself never touches CUDA ---------------------------------------------------

GRADE_ON_CPU = """
import sys
from pathlib import Path
from worker.grading.pipeline import grade_source
from worker.grading.runner_setup import device_problem
source = Path(sys.argv[1]).read_text()
result = grade_source("lecture4-torch", "torch_correct.py", source, device="cpu")
problem = device_problem("cuda")
import torch
maps = Path("/proc/self/maps").read_text()
print(result.score, torch.cuda.is_initialized(), "libcuda.so" in maps, problem is None)
"""


def test_the_worker_process_never_initialises_cuda_while_grading():
    fixture = REPO / "tests" / "fixtures" / "submissions" / "torch_correct.py"
    run = subprocess.run(
        [sys.executable, "-c", GRADE_ON_CPU, str(fixture)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    score, initialised, driver_loaded, _ = run.stdout.split()
    assert float(score) == 100.0
    assert initialised == "False" and driver_loaded == "False"
