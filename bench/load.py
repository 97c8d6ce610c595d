"""Load generator: a burst of submissions through the HTTP API, and what became of them.

Starts the embedded service itself (``autograder serve`` in a temporary folder) or attaches
to a running one on 127.0.0.1 (``--url``/``--key``); warms it up; sends ``-n`` submissions
mixing correct, buggy and hostile files with a bounded number of threads; waits for all of
them under a hard time limit; and reports throughput, submit->graded latency, queue wait
versus grading time, peak memory, and submissions lost or graded twice (exit status 1 if
any). ``--baseline`` grades files from the same burst with a fresh interpreter per file
(bench/baseline_fresh.py) and prints the ratio. Loopback only: any other host is refused.

    python -m bench.load -n 1000 --baseline 10 --json bench-results/burst.json
    python -m bench.load --mix numpy-correct -n 300 --sequential   # warm, unloaded latency
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench import _burst, _corpus, _report
from bench._http import Client

DEFAULT_LIMITS = {"AUTOGRADER_RATE_LIMIT_PER_KEY": "1000000/minute"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("-n", type=int, default=1000, help="submissions in the burst")
    parser.add_argument("--mix", default="mixed", choices=sorted(_corpus.MIXES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=16, help="concurrent submitters")
    parser.add_argument("--pollers", type=int, default=6, help="concurrent long-polls")
    parser.add_argument("--time-limit", type=float, default=1800.0, help="hard limit, seconds")
    parser.add_argument("--sequential", action="store_true", help="one at a time (latency)")
    parser.add_argument("--warmup", type=int, default=4, help="unmeasured runs per assignment")
    parser.add_argument("--workers", type=int, help="worker processes (default: CPU count)")
    parser.add_argument("--baseline", type=int, default=0, metavar="K", help="fresh files each")
    parser.add_argument("--url", help="attach to http://127.0.0.1:PORT instead of starting")
    parser.add_argument("--key", help="admin API key (with --url)")
    parser.add_argument("--redis-url", help="with --url: count result writes via Redis")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--json", type=Path, help="write every figure here")
    return parser.parse_args(argv)


def start_service(args: argparse.Namespace, stack: ExitStack):
    """Return (client, service or None); an embedded service is stopped by ``stack``."""
    if args.url:
        return Client(args.url, args.key or os.environ.get("AUTOGRADER_ADMIN_KEY", "")), None
    from bench._embedded import EmbeddedService

    env = dict(DEFAULT_LIMITS)
    if args.workers:
        env["AUTOGRADER_WORKER_CONCURRENCY"] = str(args.workers)
    env.update(item.split("=", 1) for item in args.env)
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-load-")))
    service = stack.enter_context(EmbeddedService(folder / "data", env))
    return Client(service.url, service.key), service


def warm_up(client: Client, plan: list[_corpus.Planned], per_assignment: int, deadline: float):
    """Grade a few correct files per assignment first, so every pool child's zygote is up."""
    samples = [s for s in _corpus.pool() if s.kind == "correct" and s.path.suffix == ".py"]
    assignments = sorted({p.sample.assignment for p in plan})
    warm = [
        _corpus.Planned(i, sample, f"warmup-{i}")
        for i, sample in enumerate(s for s in samples if s.assignment in assignments)
        for _ in range(per_assignment)
    ]
    sent = _burst.submit_all(client, warm, max(1, per_assignment), deadline)
    _burst.wait_all(client, sent, max(1, per_assignment), deadline)


def measure(args, client, service, plan, deadline) -> dict:
    """Run the burst (or the sequence) with the witnesses attached; return the figures."""
    from bench._procs import PeakSampler
    from bench._watch import FinishCounter, worker_log_outcomes

    redis_url = service.redis_url if service else args.redis_url
    with ExitStack() as stack:
        counter = stack.enter_context(FinishCounter(redis_url)) if redis_url else None
        sampler = stack.enter_context(PeakSampler([service.process.pid])) if service else None
        offset = service.worker_log.stat().st_size if service else 0
        started = time.time()
        if args.sequential:
            sent = _burst.run_sequential(client, plan, deadline)
        else:
            sent = _burst.submit_all(client, plan, args.threads, deadline)
            _burst.wait_all(client, sent, args.pollers, deadline)
        wall = time.time() - started
        time.sleep(1.0)  # let the last publications and log lines land
    log = worker_log_outcomes(service.worker_log, offset) if service else None
    workers = args.workers or os.cpu_count() or 1
    figures = {
        "outcome": _report.outcome(sent, counter.counts if counter else None, log),
        "statuses": _report.statuses(sent),
        "timings": _report.timings(sent, workers),
        "wall_s": wall,
    }
    if sampler:
        figures["memory"] = vars(sampler.peak)
    figures["_sent"] = sent
    return figures


def baseline(args, sent: list[_burst.Sent], timings: dict) -> dict:
    """Grade ``args.baseline`` files per assignment from the burst with fresh interpreters."""
    from bench.baseline_fresh import grade_fresh

    rows = {}
    workers = args.workers or os.cpu_count() or 1
    for assignment in sorted({s.planned.sample.assignment for s in sent}):
        samples = [s.planned.sample for s in sent if s.planned.sample.assignment == assignment]
        files = [sample.path for sample in samples if sample.kind != "hostile"]
        items = [(path, assignment) for path in files[: args.baseline]]
        if not items:
            continue
        batch = grade_fresh(items, jobs=workers)
        service_ms = _service_grading_ms(timings, assignment)
        rows[assignment] = {
            "files": len(items),
            "jobs": workers,
            "fresh_mean_ms": batch.mean_s * 1000,
            "fresh_per_s": batch.per_second,
            "service_mean_ms": service_ms,
            "ratio": batch.mean_s * 1000 / service_ms if service_ms else float("nan"),
        }
    return rows


def _service_grading_ms(timings: dict, assignment: str) -> float:
    """Mean grading time (started -> finished) of the correct and buggy files of ``assignment``."""
    total = count = 0.0
    for kind in ("correct", "buggy"):
        spread = timings["per_group"].get(f"{assignment}/{kind}", {}).get("grading")
        if spread and spread["count"]:
            total += spread["mean_ms"] * spread["count"]
            count += spread["count"]
    return total / count if count else 0.0


def describe_run(args: argparse.Namespace) -> dict:
    """The run's command, machine and date, for BENCHMARKS.md."""
    mode = "sequential" if args.sequential else f"burst, {args.threads} submitters"
    return {
        "label": f"{args.n} x {args.mix}, {mode}",
        "command": " ".join(["python -m bench.load", *sys.argv[1:]]),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "load_average_at_start": os.getloadavg(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv: list[str] | None = None) -> int:
    """Run the load test; exit 1 if anything was lost or graded twice, 0 otherwise."""
    args = parse_args(argv)
    run = describe_run(args)
    deadline = time.monotonic() + args.time_limit
    plan = _corpus.plan(args.n, args.mix, args.seed)
    with ExitStack() as stack:
        client, service = start_service(args, stack)
        if args.warmup:
            warm_up(client, plan, args.warmup, deadline)
        figures = {"run": run, **measure(args, client, service, plan, deadline)}
    sent = figures.pop("_sent")
    if args.baseline:
        figures["baseline"] = baseline(args, sent, figures["timings"])
    print(_report.render(figures))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    bad = figures["outcome"]["lost"] or figures["outcome"]["graded_twice"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
