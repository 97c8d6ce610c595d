"""Where one warm grading's time goes: our side, the sandbox round trips, the student's code.

Grades a file ``--repeat`` times in this process with the service's own runner (warm, as a
worker's pool process holds it) and splits the wall time of each run:

- parent: everything outside ``runner.run`` (parse, forbidden-call analysis, case
  planning, judging each observation, building the result);
- sandbox: ``runner.run`` minus the calls (spawning the child, running the file's
  statements, shutting the child down);
- calls: each call's round trip as the session measured it (send inputs, the student's
  function, return the value), summed per function.

``--pyinstrument`` also prints a call-tree profile of the parent side (needs the
``bench`` extra). Usage::

    python -m bench.profile_grading --assignment lecture4-numpy FILE [--pyinstrument]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from worker.sandbox.host.api import SandboxReport, SandboxRequest, SandboxRunner


class TimedRunner:
    """A SandboxRunner that delegates and keeps each request, report and wall time."""

    def __init__(self, inner: SandboxRunner) -> None:
        self.inner = inner
        self.last: tuple[SandboxRequest, SandboxReport, float] | None = None

    def run(self, request: SandboxRequest) -> SandboxReport:
        started = time.perf_counter()
        report = self.inner.run(request)
        self.last = (request, report, time.perf_counter() - started)
        return report

    def close(self) -> None:
        self.inner.close()


def split(total_s: float, request: SandboxRequest, report: SandboxReport, run_s: float) -> dict:
    """Milliseconds of one grading by phase, and of its calls per function."""
    names = {call.call_id: call.function for call in request.calls}
    per_function: dict[str, float] = defaultdict(float)
    for call_id, observation in report.observations.items():
        per_function[names[call_id]] += observation.duration_ms
    calls_ms = sum(per_function.values())
    return {
        "total": total_s * 1000,
        "parent": (total_s - run_s) * 1000,
        "sandbox": run_s * 1000 - calls_ms,
        "calls": calls_ms,
        **{f"call:{name}": ms for name, ms in per_function.items()},
    }


def profile(assignment: str, path: Path, repeat: int, mode: str) -> list[dict]:
    """Grade ``path`` once to warm up, then ``repeat`` times; return each run's split."""
    from worker.grading.pipeline import grade_source
    from worker.sandbox.host.factory import make_runner

    runner = TimedRunner(make_runner(mode))
    source = path.read_bytes()
    try:
        grade_source(assignment, path.name, source, runner=runner)  # zygote, inputs, caches
        rows = []
        for _ in range(repeat):
            started = time.perf_counter()
            grade_source(assignment, path.name, source, runner=runner)
            request, report, run_s = runner.last
            rows.append(split(time.perf_counter() - started, request, report, run_s))
        return rows
    finally:
        runner.close()


def render(rows: list[dict]) -> str:
    """Median milliseconds of each phase over the runs, largest first."""
    keys = sorted(
        {k for row in rows for k in row},
        key=lambda k: -statistics.median(row.get(k, 0.0) for row in rows),
    )
    lines = [f"{len(rows)} warm gradings, median ms per grading:"]
    for key in keys:
        lines.append(f"  {key:>28}: {statistics.median(row.get(key, 0.0) for row in rows):8.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_grading", description=__doc__)
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--mode", default="auto", help="sandbox: auto, bwrap or process")
    parser.add_argument("--pyinstrument", action="store_true", help="also profile the parent")
    parser.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    if args.pyinstrument:
        from pyinstrument import Profiler

        with Profiler() as profiler:
            rows = profile(args.assignment, args.file, args.repeat, args.mode)
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    else:
        rows = profile(args.assignment, args.file, args.repeat, args.mode)
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
