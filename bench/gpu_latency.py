"""Grading latency of lecture4-torch on a device, warm sandbox next to fresh processes.

Measured in one run, on one machine:

- ``warm``: the worker's steady state. One runner (a warm zygote that imported torch)
  grades torch_correct.py ``--warm`` times through the real pipeline; each grading forks
  a child that initialises its own CUDA context, runs every case and exits.
- ``child``: one small call (cross_entropy on a 6 x 4 batch) in a fresh child of the same
  warm zygote: the fork, the child's CUDA set-up, the call (the issue's 0.36-0.47 s).
- ``fresh``: the baseline, a fresh process per submission: ``python -m autograder.cli
  grade --device DEVICE`` (imports torch, starts a zygote, its child initialises CUDA,
  grades, exits), ``--fresh`` times.
- ``cuda_init``: a fresh ``python`` that imports torch and makes a CUDA context, nothing
  else (the floor under ``fresh``; skipped on the CPU).

Usage::

    python -m bench.gpu_latency --device cuda --warm 20 --fresh 5 --json OUT.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "submissions" / "torch_correct.py"
SMALL = (
    "import torch\n"
    "def cross_entropy(scores, labels):\n"
    "    top = scores.max(dim=1, keepdim=True).values\n"
    "    lse = top.squeeze(1) + (scores - top).exp().sum(dim=1).log()\n"
    "    picked = scores[torch.arange(len(labels), device=scores.device), labels]\n"
    "    return (lse - picked).mean()\n"
)
CUDA_INIT = "import torch; torch.zeros(1, device='cuda').sum().item()"


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    """Wall-clock seconds of ``repeat`` runs of ``action``."""
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return seconds


def summary(seconds: list[float]) -> dict:
    """p50, p90, min and max in seconds, and the count."""
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return {
        "n": len(seconds),
        "p50_s": round(statistics.median(seconds), 4),
        "p90_s": round(p90, 4),
        "min_s": round(ordered[0], 4),
        "max_s": round(ordered[-1], 4),
    }


def warm(device: str, repeat: int) -> tuple[dict, dict, str, float]:
    """Grade the fixture ``repeat`` times, and run ``repeat`` small calls, on one runner."""
    from common.settings import Settings
    from reference.pack import TensorArg
    from worker.grading.pipeline import grade_source
    from worker.grading.runner_setup import make_runner
    from worker.sandbox.host.api import CallSpec, SandboxRequest, SourceChunk

    source = FIXTURE.read_text()
    runner = make_runner(Settings())
    try:
        first = grade_source("lecture4-torch", FIXTURE.name, source, device=device, runner=runner)
        if first.score != first.max_score:
            raise SystemExit(f"the correct fixture scored {first.score} on {device}: {first}")
        grade = timed(
            lambda: grade_source("lecture4-torch", FIXTURE.name, source, device, runner), repeat
        )
        rng = np.random.default_rng(0)
        kwargs = {
            "scores": TensorArg(rng.normal(size=(6, 4))),
            "labels": TensorArg(np.arange(6) % 4),
        }
        call = CallSpec("ce", "cross_entropy", kwargs)
        small = SandboxRequest("torch", device, (SourceChunk(SMALL, "small.py"),), (call,))
        child = timed(lambda: runner.run(small), repeat)
        return summary(grade), summary(child), type(runner).__name__, first.score
    finally:
        runner.close()


def fresh(device: str, repeat: int) -> dict:
    """A fresh ``autograder grade`` process per submission."""
    argv = [sys.executable, "-m", "autograder.cli", "grade", "--assignment", "lecture4-torch"]
    argv += ["--device", device, "--json", str(FIXTURE)]

    def grade() -> None:
        done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=300)
        if done.returncode != 0 or json.loads(done.stdout)["score"] != 100:
            raise SystemExit(f"fresh grading failed ({done.returncode}): {done.stderr[-2000:]}")

    return summary(timed(grade, repeat))


def cuda_init(repeat: int) -> dict:
    """A fresh python that imports torch and makes a CUDA context."""

    def start() -> None:
        subprocess.run([sys.executable, "-c", CUDA_INIT], check=True, timeout=300)

    return summary(timed(start, repeat))


def main(argv: list[str] | None = None) -> int:
    """Measure and print; write the figures as JSON if asked."""
    parser = argparse.ArgumentParser(prog="bench.gpu_latency")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cuda")
    parser.add_argument("--warm", type=int, default=20, help="warm gradings (and small calls)")
    parser.add_argument("--fresh", type=int, default=5, help="fresh-process gradings")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    grading, child, runner, score = warm(args.device, args.warm)
    figures = {"device": args.device, "runner": runner, "score": score}
    figures |= {"warm": grading, "child": child, "fresh": fresh(args.device, args.fresh)}
    if args.device == "cuda":
        figures["cuda_init"] = cuda_init(min(args.fresh, 3))
    for name in ("warm", "child", "fresh", "cuda_init"):
        if name in figures:
            row = figures[name]
            print(f"{name:9} n={row['n']:3} p50 {row['p50_s']:.3f} s  p90 {row['p90_s']:.3f} s")
    speedup = figures["fresh"]["p50_s"] / figures["warm"]["p50_s"]
    figures["fresh_over_warm"] = round(speedup, 2)
    print(f"fresh / warm p50: {speedup:.1f}x  (runner: {runner})")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
