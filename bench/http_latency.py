"""Submit -> graded latency over HTTP of the correct starter-based NumPy file, warm service.

Starts ``autograder serve`` in a temporary folder on a free loopback port (or attaches to
one with ``--url``/``--key``), fetches the lecture4-numpy starter from the API and fills
each function in with the correct fixture's body (the file a student who finished the
starter submits), warms the service up with a few unmeasured submissions, then submits
that file ``-n`` times, one at a time: POST, then ``GET ...?wait=30`` until the result
is final. Prints p50/p95/p99 of submit -> graded as the client saw it (just before the
POST to the read that found it graded) and of the server's phases from the record's own
timestamps (intake, queue wait, grading). Exit status 1 if any is not graded 100/100.

    python -m bench.http_latency -n 200 [--json latency.json]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench._burst import Sent, run_sequential
from bench._corpus import Planned, Sample
from bench._http import Client
from bench._stats import Spread, phases

ASSIGNMENT = "lecture4-numpy"
CORRECT = Path(__file__).resolve().parents[1] / "tests/fixtures/submissions/numpy_correct.py"
LIMITS = {"AUTOGRADER_RATE_LIMIT_PER_KEY": "1000000/minute"}


def filled_starter(starter: str, solution: str) -> str:
    """``starter`` with each ``raise NotImplementedError`` body replaced by the body of
    the same function in ``solution`` (docstrings, comments and layout kept)."""
    bodies = {}
    lines = solution.splitlines()
    for node in ast.parse(solution).body:
        if isinstance(node, ast.FunctionDef):
            bodies[node.name] = lines[node.body[0].lineno - 1 : node.end_lineno]
    out = starter.splitlines()
    holes = [
        (node.body[-1].lineno, node.name)
        for node in ast.parse(starter).body
        if isinstance(node, ast.FunctionDef) and isinstance(node.body[-1], ast.Raise)
    ]
    for line, name in sorted(holes, reverse=True):  # from the end: line numbers hold
        out[line - 1 : line] = bodies[name]
    return "\n".join(out) + "\n"


def start(args: argparse.Namespace, stack: ExitStack) -> Client:
    """Attach to ``--url``, or start an embedded service that ``stack`` stops."""
    if args.url:
        return Client(args.url, args.key or os.environ.get("AUTOGRADER_ADMIN_KEY", ""))
    from bench._embedded import EmbeddedService

    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-latency-")))
    service = stack.enter_context(EmbeddedService(folder / "data", dict(LIMITS)))
    return Client(service.url, service.key)


def submission_file(client: Client, folder: Path) -> Sample:
    """Write the filled-in starter (as served by the API) to ``folder``; return it."""
    reply = client.get(f"/api/v1/assignments/{ASSIGNMENT}/starter")
    if reply.status != 200 or not isinstance(reply.body, str):
        raise SystemExit(f"could not fetch the starter: HTTP {reply.status}")
    path = folder / f"{ASSIGNMENT}.py"
    path.write_text(filled_starter(reply.body, CORRECT.read_text()))
    return Sample(path, ASSIGNMENT, "correct")


def figures(sent: list[Sent]) -> dict:
    """Spreads (ms) of client-seen submit -> graded and of the server's phases."""
    done = [s for s in sent if s.finished and s.seen_at is not None]
    server = [p for p in (phases(s.record) for s in done) if p is not None]
    found = {"client submit -> graded": Spread.of(s.seen_at - s.submitted_at for s in done)}
    for name in ("latency", "intake", "queue_wait", "grading"):
        found[f"server {name}"] = Spread.of(p[name] for p in server)
    return found


def main(argv: list[str] | None = None) -> int:
    """Run the measurement and print its figures."""
    parser = argparse.ArgumentParser(prog="bench.http_latency", description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=200, help="measured submissions")
    parser.add_argument("--warmup", type=int, default=6, help="unmeasured submissions first")
    parser.add_argument("--url", help="attach to http://127.0.0.1:PORT instead of starting")
    parser.add_argument("--key", help="admin API key (with --url)")
    parser.add_argument("--time-limit", type=float, default=900.0, help="seconds, all told")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.time_limit
    with ExitStack() as stack:
        client = start(args, stack)
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-file-")))
        sample = submission_file(client, folder)
        plan = [Planned(i, sample, f"latency-{i:05d}") for i in range(args.warmup + args.n)]
        run_sequential(client, plan[: args.warmup], deadline)
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        sent = run_sequential(client, plan[args.warmup :], deadline)
    found = figures(sent)
    wrong = [s for s in sent if not s.finished or (s.record or {}).get("score") != 100]
    print(f"{len(sent)} sequential submissions of the filled-in {ASSIGNMENT} starter")
    print(f"load average at the start: {load}; {os.cpu_count()} cores")
    for name, spread in found.items():
        print(f"{name:<26} {spread.line()}")
    print(f"not graded 100/100: {len(wrong)}")
    if args.json:
        data = {name: spread.as_dict() for name, spread in found.items()}
        args.json.write_text(json.dumps({"count": len(sent), "load": load, **data}, indent=2))
    return 1 if wrong or len(sent) < args.n else 0


if __name__ == "__main__":
    sys.exit(main())
