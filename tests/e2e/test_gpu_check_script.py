"""bench/gpu_check.sh, on the CPU: its dry run, the summary it writes, and what it needs.

The GPU machine has numpy and torch but no web stack; bench/no_web_stack hides flask,
celery, redis and kin, so these tests show the grading core and the gpu tests need none.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HIDDEN = {**os.environ, "PYTHONPATH": f"{REPO / 'bench' / 'no_web_stack'}:{REPO}"}


def test_the_grading_core_and_the_gpu_tests_need_no_web_stack():
    code = "import worker.grading.pipeline, worker.sandbox.host.gpu, worker.sandbox.host.nvml"
    code += ", autograder.cli, bench.gpu_latency"
    imported = subprocess.run([sys.executable, "-c", code], env=HIDDEN, capture_output=True)
    assert imported.returncode == 0, imported.stderr.decode()[-2000:]
    hidden = subprocess.run([sys.executable, "-c", "import redis"], env=HIDDEN)
    assert hidden.returncode != 0  # the hiding works

    files = sorted(str(p) for p in REPO.glob("tests/**/test_*.py") if "mark.gpu" in p.read_text())
    argv = [sys.executable, "-m", "pytest", "-q", "--collect-only", "--noconftest", "-m", "gpu"]
    argv += ["-p", "no:cacheprovider", *files]
    collected = subprocess.run(argv, env=HIDDEN, capture_output=True, text=True, cwd=REPO)
    assert collected.returncode == 0, collected.stdout[-3000:]
    assert "tests/e2e/test_gpu_grading.py" in collected.stdout


def test_the_summary_names_steps_grades_and_latency(tmp_path):
    (tmp_path / "steps.tsv").write_text("environment\t0\t3\nlatency\t124\t200\n")
    (tmp_path / "env.txt").write_text("NVIDIA H100 80GB HBM3\n")
    test = {"function": "train_sgd", "passed": False, "diagnosis": "wrong_device"}
    result = {"status": "graded", "score": 55.0, "max_score": 100.0, "device": "cuda"}
    (tmp_path / "grade_torch_cpu_tensors.py.json").write_text(
        json.dumps(result | {"tests": [test]})
    )
    row = {"n": 20, "p50_s": 0.5, "p90_s": 0.6}
    figures = {"runner": "BwrapRunner", "device": "cuda", "warm": row, "fresh": row}
    (tmp_path / "latency.json").write_text(json.dumps(figures | {"fresh_over_warm": 1.0}))

    argv = [sys.executable, "-m", "bench.gpu_summary", str(tmp_path)]
    assert subprocess.run(argv, cwd=REPO, capture_output=True).returncode == 0

    text = (tmp_path / "summary.md").read_text()
    assert "NVIDIA H100 80GB HBM3" in text and "| latency | 124 | 200 |" in text
    assert "torch_cpu_tensors.py: graded, 55/100 on cuda; lost: train_sgd (wrong_device)" in text
    assert "| warm | 20 | 0.500 | 0.600 |" in text and "runner: BwrapRunner" in text


@pytest.mark.slow  # about a minute: imports torch in several fresh processes
def test_the_dry_run_on_the_cpu_passes_every_step(tmp_path):
    env = {**os.environ, "OUT": str(tmp_path), "PYTHON": sys.executable}
    env |= {"GPU_CHECK_WARM": "2", "GPU_CHECK_FRESH": "1"}
    run = subprocess.run(
        ["bash", "bench/gpu_check.sh", "--device", "cpu"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    steps = [line.split("\t") for line in (tmp_path / "steps.tsv").read_text().splitlines()]
    assert [(name, status) for name, status, _ in steps] == [
        ("environment", "0"),
        ("gpu-tests", "0"),
        ("grade-correct", "0"),
        ("grade-cpu-tensors", "0"),
        ("latency", "0"),
    ]
    summary = (tmp_path / "summary.md").read_text()
    assert "torch_cpu_tensors.py: graded, 100/100 on cpu" in summary
    assert json.loads((tmp_path / "latency.json").read_text())["warm"]["n"] == 2
