"""Hostile burst: do endless loops slow honest students down? Two bursts, side by side.

On one embedded service (``autograder serve``, its default workers), after a warm-up:

1. ``--honest`` correct lecture4-numpy files, each from its own student (the baseline);
2. the same honest files plus ``--hostile`` hostile ones (by default the endless loop in
   softmax that other functions build on), sent first, from ``--hostile-students``
   students (one: a student resubmitting a broken file).

Reports the submit->graded latency (the records' own timestamps) of the honest
submissions in each burst, the p99 ratio (target <= 1.5x), what the hostile ones cost,
and the load average around each burst. The machine may be shared and noisy: compare the
two bursts of one run, not runs of different days.

    python -m bench.hostile_burst --honest 300 --hostile 10 --json bench-results/hostile.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench import _burst, _corpus, _stats
from bench._embedded import EmbeddedService
from bench._http import Client

HOSTILE = _corpus.CORPUS / "hostile_loop_in_softmax.py"
CORRECT = _corpus.FIXTURES / "numpy_correct.py"
ENV = {"AUTOGRADER_RATE_LIMIT_PER_KEY": "1000000/minute"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.hostile_burst")
    parser.add_argument("--honest", type=int, default=300)
    parser.add_argument("--hostile", type=int, default=10)
    parser.add_argument("--hostile-students", type=int, default=1)
    parser.add_argument("--hostile-file", type=Path, default=HOSTILE)
    parser.add_argument("--workers", type=int, help="grading processes (default: CPU count)")
    parser.add_argument("--threads", type=int, default=16, help="concurrent submitters")
    parser.add_argument("--time-limit", type=float, default=3600.0, help="per burst, seconds")
    parser.add_argument("--json", type=Path)
    return parser.parse_args(argv)


def plan(args: argparse.Namespace, tag: str, with_hostile: bool) -> list[_corpus.Planned]:
    """Hostile files first (the worst case: they are queued ahead), then the honest ones."""
    correct = _corpus.Sample(CORRECT, "lecture4-numpy", "correct")
    hostile = _corpus.Sample(args.hostile_file, "lecture4-numpy", "hostile")
    items = []
    if with_hostile:
        for i in range(args.hostile):
            items.append((hostile, f"{tag}-mallory-{i % args.hostile_students}"))
    items += [(correct, f"{tag}-student-{i:04d}") for i in range(args.honest)]
    return [_corpus.Planned(i, sample, student) for i, (sample, student) in enumerate(items)]


def burst(client: Client, planned: list[_corpus.Planned], args) -> dict:
    """Send one burst, wait for all of it; return the honest and hostile figures."""
    load_before = os.getloadavg()
    deadline = time.monotonic() + args.time_limit
    started = time.time()
    sent = _burst.submit_all(client, planned, args.threads, deadline)
    _burst.wait_all(client, sent, 6, deadline)
    figures = {"wall_s": time.time() - started, "load_before": load_before}
    figures["load_after"] = os.getloadavg()
    for kind in ("correct", "hostile"):
        mine = [s for s in sent if s.planned.sample.kind == kind]
        done = [s.record for s in mine if s.finished]
        latencies = [p["latency"] for p in map(_stats.phases, done) if p]
        grading = [p["grading"] for p in map(_stats.phases, done) if p]
        figures[kind] = {
            "sent": len(mine),
            "finished": len(done),
            "statuses": sorted({r["status"] for r in done}),
            "scores": sorted({r.get("score") for r in done}, key=str),
            "latency": _stats.Spread.of(latencies).as_dict(),
            "grading": _stats.Spread.of(grading).as_dict(),
        }
    return figures


def main(argv: list[str] | None = None) -> int:
    """Run both bursts on one service; print the figures (and write --json)."""
    args = parse_args(argv)
    env = dict(ENV)
    if args.workers:
        env["AUTOGRADER_WORKER_CONCURRENCY"] = str(args.workers)
    run = {"command": " ".join(["python -m bench.hostile_burst", *sys.argv[1:]])}
    run["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    run["nproc"] = os.cpu_count()
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-hostile-")))
        service = stack.enter_context(EmbeddedService(folder / "data", env))
        client = Client(service.url, service.key)
        warm = [_corpus.Planned(i, _corpus.Sample(CORRECT, "lecture4-numpy", "correct"),
                                f"warm-{i}") for i in range(8)]  # fmt: skip
        _burst.wait_all(client, _burst.submit_all(client, warm, 4, time.monotonic() + 600), 4,
                        time.monotonic() + 600)  # fmt: skip
        honest = burst(client, plan(args, "a", with_hostile=False), args)
        mixed = burst(client, plan(args, "b", with_hostile=True), args)
    ratio = mixed["correct"]["latency"]["p99_ms"] / honest["correct"]["latency"]["p99_ms"]
    figures = {"run": run, "all_honest": honest, "with_hostile": mixed, "p99_ratio": ratio}
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
