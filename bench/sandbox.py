"""Per-submission overhead of the sandbox, side by side, for lecture4-numpy and lecture4-torch.

Three ways to run the same submission, in one run:

- ``hardened``: the BwrapRunner (warm zygote in bubblewrap; Landlock, seccomp per child);
- ``unsandboxed``: the ProcessRunner (the same warm zygote and harness, no isolation);
- ``fresh``: a new interpreter per submission (start Python, import NumPy/torch, run, stop).

Two workloads: ``small`` (a one-function file, one call: the sandbox's own cost) and
``grade`` (the correct fixture through the real pipeline: every case, checks included).
Prints medians and the ratios the sandbox is held to (hardened <= 1.3x unsandboxed for
NumPy; hardened >= 10x faster than a fresh interpreter for torch).

Usage::

    python -m bench.sandbox [--repeat 20] [--fresh-repeat 3] [--runtime numpy torch]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from reference.pack import TensorArg
from worker.grading.pipeline import grade_source
from worker.sandbox.host.api import CallSpec, SandboxRequest, SandboxRunner, SourceChunk
from worker.sandbox.host.bwrap_runner import BwrapRunner
from worker.sandbox.host.process_runner import ProcessRunner

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "submissions"
PACKS = {
    "numpy": ("lecture4-numpy", "numpy_correct.py"),
    "torch": ("lecture4-torch", "torch_correct.py"),
}
SMALL = {
    "numpy": "import numpy as np\ndef softmax(s):\n    e = np.exp(s - s.max(1, keepdims=True))\n"
    "    return e / e.sum(1, keepdims=True)\n",
    "torch": "import torch\ndef softmax(s):\n    e = (s - s.max(1, keepdim=True).values).exp()\n"
    "    return e / e.sum(1, keepdim=True)\n",
}


class FreshRunner:
    """A new ProcessRunner (a new interpreter, fresh imports) for every submission."""

    def run(self, request: SandboxRequest):
        with ProcessRunner() as runner:
            return runner.run(request)

    def close(self) -> None:
        """Nothing is kept."""


def small_request(runtime: str) -> SandboxRequest:
    """One chunk, one call on a 4x3 input: what the sandbox itself costs."""
    scores = np.random.default_rng(0).normal(size=(4, 3))
    value = TensorArg(scores) if runtime == "torch" else scores
    call = CallSpec("softmax", "softmax", {"s": value})
    return SandboxRequest(runtime, "cpu", (SourceChunk(SMALL[runtime], "submission.py"),), (call,))


def workloads(runtime: str) -> dict[str, Callable[[SandboxRunner], None]]:
    """Name -> one submission's work on a given runner (asserting it graded correctly)."""
    pack, fixture = PACKS[runtime]
    source = (FIXTURES / fixture).read_text()
    request = small_request(runtime)

    def small(runner: SandboxRunner) -> None:
        assert runner.run(request).observations["softmax"].status == "ok"

    def grade(runner: SandboxRunner) -> None:
        result = grade_source(pack, "submission.py", source, runner=runner)
        assert result.score == result.max_score, result.tests

    return {"small": small, "grade": grade}


def median_ms(work: Callable[[SandboxRunner], None], runner: SandboxRunner, repeat: int) -> float:
    """Median wall time of ``work`` in ms, after one untimed warm-up run."""
    work(runner)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work(runner)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(runtime: str, repeat: int, fresh_repeat: int) -> dict[tuple[str, str], float]:
    """(workload, variant) -> median ms for one runtime."""
    table = {}
    variants = (("hardened", BwrapRunner, repeat), ("unsandboxed", ProcessRunner, repeat))
    variants += (("fresh", FreshRunner, fresh_repeat),)
    for name, make, count in variants:
        runner = make()
        try:
            for workload, work in workloads(runtime).items():
                table[workload, name] = median_ms(work, runner, count)
        finally:
            runner.close()
    return table


def report(runtime: str, table: dict[tuple[str, str], float]) -> list[str]:
    """Table rows: medians, hardened/unsandboxed, fresh/hardened."""
    rows = []
    for workload in ("small", "grade"):
        hardened, plain = table[workload, "hardened"], table[workload, "unsandboxed"]
        fresh = table[workload, "fresh"]
        rows.append(
            f"{runtime:<6} {workload:<6} {hardened:>10.1f} {plain:>12.1f} {fresh:>10.1f}"
            f" {hardened / plain:>12.2f}x {fresh / hardened:>12.1f}x"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per warm variant")
    parser.add_argument("--fresh-repeat", type=int, default=3, help="timed fresh-interpreter runs")
    parser.add_argument("--runtime", nargs="+", default=["numpy", "torch"], choices=list(PACKS))
    args = parser.parse_args(argv)
    reason = BwrapRunner.unsupported_reason()
    if reason is not None:
        print(f"the hardened sandbox cannot run here: {reason}")
        return 1
    print("median ms per submission (warm runners; one untimed warm-up each)")
    print(
        f"{'':<13} {'hardened':>10} {'unsandboxed':>12} {'fresh':>10} {'hard/unsbx':>13}"
        f" {'fresh/hard':>13}"
    )
    for runtime in args.runtime:
        for row in report(runtime, measure(runtime, args.repeat, args.fresh_repeat)):
            print(row, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
