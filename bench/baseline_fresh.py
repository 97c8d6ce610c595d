"""The naive grader the service is measured against: a fresh interpreter per submission.

Every submission gets a new ``python`` process that imports NumPy (and torch) from scratch,
runs the student's file and the calls, and exits; nothing stays warm between submissions.
It reuses the real pipeline (same cases, same checks, same verdicts) with a runner that
starts, uses and stops a new sandbox interpreter for each request, so the only difference
from the service's warm zygote is the interpreter start and the imports. The parent's
inputs and expected values are built once before timing starts, as a worker builds them
once (they are not what is being compared).

Usage::

    python -m bench.baseline_fresh --assignment lecture4-torch --compare-warm FILE...
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from worker.sandbox.host.api import SandboxReport, SandboxRequest, SandboxRunner
from worker.sandbox.host.factory import make_runner


class FreshInterpreterRunner:
    """A SandboxRunner that starts a new interpreter for every request and stops it after."""

    def __init__(self, mode: str = "process") -> None:
        self.mode = mode  # 'process': a plain python, the naive grader; 'bwrap': same jail

    def run(self, request: SandboxRequest) -> SandboxReport:
        """Run one submission in a brand-new interpreter (see SandboxRunner.run)."""
        runner = make_runner(self.mode)
        try:
            return runner.run(request)
        finally:
            runner.close()

    def close(self) -> None:
        """Nothing is kept between requests."""


@dataclass(frozen=True)
class Graded:
    """One file's grading: what it scored and how long it took, wall clock, in seconds."""

    path: Path
    assignment: str
    status: str
    score: float
    seconds: float


@dataclass(frozen=True)
class Batch:
    """A batch graded with ``jobs`` in parallel: each file's run and the batch's wall time."""

    runs: list[Graded]
    wall_s: float
    jobs: int

    @property
    def per_second(self) -> float:
        """Files graded per second of wall time."""
        return len(self.runs) / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def mean_s(self) -> float:
        """Mean wall time of one file's grading, seconds."""
        return statistics.fmean(r.seconds for r in self.runs) if self.runs else 0.0


def prepare(assignments: Sequence[str]) -> None:
    """Build every battery's inputs and expected values once, before anything is timed."""
    from reference.packs import get_pack
    from worker.grading.plan import pack_battery

    for assignment in sorted(set(assignments)):
        pack_battery(get_pack(assignment), "cpu")


def grade_batch(
    items: Sequence[tuple[Path, str]], make: Callable[[], SandboxRunner], jobs: int = 1
) -> Batch:
    """Grade each (file, assignment) with a runner from ``make`` per thread; time it all.

    ``jobs`` threads share the files (as ``jobs`` worker processes share a queue); each
    thread keeps its own runner, so a warm runner stays warm within its thread.
    """
    from worker.grading.pipeline import grade_source

    runners: list[SandboxRunner] = []
    local = threading.local()

    def grade(item: tuple[Path, str]) -> Graded:
        if not hasattr(local, "runner"):
            local.runner = make()
            runners.append(local.runner)
        runner = local.runner
        path, assignment = item
        started = time.perf_counter()
        result = grade_source(assignment, path.name, path.read_bytes(), runner=runner)
        seconds = time.perf_counter() - started
        return Graded(path, assignment, result.status.value, result.score, seconds)

    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            runs = list(pool.map(grade, items))
    finally:
        for runner in runners:
            runner.close()
    return Batch(runs, time.perf_counter() - started, jobs)


def grade_fresh(items: Sequence[tuple[Path, str]], jobs: int = 1, mode: str = "process") -> Batch:
    """Grade ``items`` with a fresh interpreter per submission (the baseline)."""
    prepare([assignment for _, assignment in items])
    return grade_batch(items, lambda: FreshInterpreterRunner(mode), jobs)


def grade_warm(items: Sequence[tuple[Path, str]], jobs: int = 1, mode: str = "auto") -> Batch:
    """Grade ``items`` with one warm sandbox runner per thread, warmed before timing."""
    from worker.grading.pipeline import grade_source

    prepare([assignment for _, assignment in items])
    firsts = {assignment: path for path, assignment in reversed(items)}  # one file each
    runners = [make_runner(mode) for _ in range(max(1, jobs))]
    try:
        for runner in runners:  # start each runner's zygotes outside the timing
            for assignment, path in firsts.items():
                grade_source(assignment, path.name, path.read_bytes(), runner=runner)
        spare = list(runners)
        return grade_batch(items, spare.pop, jobs)
    finally:
        for runner in runners:
            runner.close()


def summary_line(name: str, batch: Batch) -> str:
    """One line: files, mean seconds per file, files per second."""
    return (
        f"{name}: {len(batch.runs)} files, jobs={batch.jobs}, mean {batch.mean_s * 1000:.0f} ms"
        f" per file, {batch.per_second:.2f} files/s, wall {batch.wall_s:.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    """Grade the files with fresh interpreters (and, if asked, warm); print the ratio."""
    parser = argparse.ArgumentParser(prog="python -m bench.baseline_fresh", description=__doc__)
    parser.add_argument("--assignment", required=True, help="e.g. lecture4-torch")
    parser.add_argument("--jobs", type=int, default=1, help="files graded in parallel")
    parser.add_argument("--repeat", type=int, default=1, help="grade the file list N times")
    parser.add_argument("--mode", default="process", help="the fresh runner's sandbox mode")
    parser.add_argument("--compare-warm", action="store_true", help="also grade warm, ratio")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    items = [(path, args.assignment) for path in args.files] * max(1, args.repeat)
    fresh = grade_fresh(items, args.jobs, args.mode)
    print(summary_line("fresh interpreter", fresh))
    if args.compare_warm:
        warm = grade_warm(items, args.jobs)
        print(summary_line("warm sandbox", warm))
        print(f"ratio (fresh mean / warm mean): {fresh.mean_s / warm.mean_s:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
