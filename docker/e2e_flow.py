"""Drive a running compose stack through its public API, as scripts/docker-e2e.sh does.

    python3 docker/e2e_flow.py --url http://127.0.0.1:8000 --key ADMIN_KEY \\
        [--solution FILE] [--burst 30] [--kill CONTAINER]

1. wait for GET /readyz to answer 200 (Redis up, a worker consuming);
2. fetch the lecture4-numpy starter file, submit it, long-poll until it is graded; submit
   a correct solution (``--solution``) and check it gets full marks;
3. submit a burst (starter and solution in turn), ``docker kill`` one worker container while
   it is being graded, and check that every submission still ends graded with the score it
   should have (acks_late redelivery).

Standard library only, so any python3 runs it. Exits non-zero, saying why, on any failure.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ASSIGNMENT = "lecture4-numpy"
FINAL = {"graded", "not_gradable", "failed"}


class FlowError(RuntimeError):
    """The stack did not do what a user of it would expect."""


class Api:
    """A minimal JSON client for the autograder API, authenticated with one bearer key."""

    def __init__(self, url: str, key: str) -> None:
        self.url, self.key = url.rstrip("/"), key

    def call(self, method: str, path: str, body: dict | None = None, timeout: float = 40):
        """Return (status, decoded body) of one request; JSON bodies are parsed."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.key}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw, kind = response.status, response.read(), response.headers
        except urllib.error.HTTPError as exc:
            status, raw, kind = exc.code, exc.read(), exc.headers
        text = raw.decode("utf-8", "replace")
        is_json = (kind.get_content_type() or "").endswith("json")
        return status, json.loads(text) if is_json and text else text


def wait_ready(api: Api, timeout_s: float) -> dict:
    """Poll /readyz until it answers 200; return its body."""
    deadline, last = time.monotonic() + timeout_s, "no answer"
    while time.monotonic() < deadline:
        try:
            status, body = api.call("GET", "/readyz", timeout=5)
            if status == 200:
                return body
            last = f"HTTP {status}: {body}"
        except OSError as exc:  # not listening yet
            last = str(exc)
        time.sleep(2)
    raise FlowError(f"/readyz not ready after {timeout_s:.0f} s: {last}")


def submit(api: Api, source: str, student: str) -> str:
    """Submit ``source`` for ASSIGNMENT as ``student``; return the submission id."""
    body = {"assignment": ASSIGNMENT, "student_id": student, "source": source}
    status, answer = api.call("POST", "/api/v1/submissions", body)
    if status != 202:
        raise FlowError(f"submit answered HTTP {status}: {answer}")
    return answer["id"]


def wait_final(api: Api, submission_id: str, deadline: float) -> dict:
    """Long-poll one submission until its status is final; return the record."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise FlowError(f"submission {submission_id} not finished in time")
        wait = max(1, min(30, int(left)))
        status, record = api.call("GET", f"/api/v1/submissions/{submission_id}?wait={wait}")
        if status != 200:
            raise FlowError(f"GET submission {submission_id}: HTTP {status}: {record}")
        if record["status"] in FINAL:
            return record


def check_graded(record: dict, full_marks: bool = False) -> None:
    """Raise FlowError unless ``record`` was graded (not failed), with full marks if asked."""
    result = record.get("result") or {}
    if record["status"] != "graded" or result.get("max_score", 0) <= 0:
        error = result.get("error") or result.get("errors") or result
        raise FlowError(f"submission {record['id']} ended {record['status']!r}: {error}")
    if full_marks and result["score"] != result["max_score"]:
        score = f"{result['score']}/{result['max_score']}"
        raise FlowError(f"submission {record['id']}: a correct solution scored {score}")


def graded_flow(api: Api, solution: str | None, timeout_s: float) -> list[tuple[str, bool]]:
    """Submit the starter (and a solution) one by one and check their grades.

    Returns the (source, expect full marks) pairs that were checked, for the burst.
    """
    status, starter = api.call("GET", f"/api/v1/assignments/{ASSIGNMENT}/starter?format=py")
    if status != 200 or not isinstance(starter, str) or "def " not in starter:
        raise FlowError(f"starter file: HTTP {status}: {str(starter)[:200]}")
    sources = [(starter, False)] + ([(solution, True)] if solution else [])
    for source, full_marks in sources:
        deadline = time.monotonic() + timeout_s
        record = wait_final(api, submit(api, source, "e2e-single"), deadline)
        check_graded(record, full_marks)
        result = record["result"]
        kind = "solution" if full_marks else "starter"
        print(f"{kind} graded: score {result['score']}/{result['max_score']}")
    return sources


def burst_flow(
    api: Api, sources: list[tuple[str, bool]], count: int, kill: str | None, timeout_s: float
) -> None:
    """Submit ``count`` files, kill container ``kill`` mid-burst, check all are graded."""
    # One student id per submission: the per-student rate limit is not what is tested here.
    sent = [sources[n % len(sources)] for n in range(count)]
    ids = [submit(api, source, f"e2e-burst-{n}") for n, (source, _) in enumerate(sent)]
    print(f"burst: {count} submitted")
    if kill:
        _wait_until_grading(api, ids, timeout_s=60)
        subprocess.run(["docker", "kill", kill], check=True, capture_output=True)
        print(f"burst: killed worker container {kill[:12]} while grading")
    deadline = time.monotonic() + timeout_s
    records = [wait_final(api, submission_id, deadline) for submission_id in ids]
    for record, (_, full_marks) in zip(records, sent, strict=True):
        check_graded(record, full_marks)
    attempts = sum(record.get("attempts", 1) for record in records)
    print(f"burst: all {count} graded as expected ({attempts} grading attempts in all)")


def _wait_until_grading(api: Api, ids: list[str], timeout_s: float) -> None:
    """Return once some submission of ``ids`` is running (or finished): workers are busy."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for submission_id in ids:
            _, record = api.call("GET", f"/api/v1/submissions/{submission_id}")
            if record["status"] != "queued":
                return
        time.sleep(0.2)
    raise FlowError(f"no submission of the burst started within {timeout_s} s")


def main(argv: list[str] | None = None) -> int:
    """Run the flow against ``--url``; return 0 if every step behaved."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True, help="an admin API key")
    parser.add_argument("--solution", type=Path, help="a correct solution: must score full")
    parser.add_argument("--burst", type=int, default=30)
    parser.add_argument("--kill", help="a worker container to docker-kill mid-burst")
    parser.add_argument("--timeout", type=float, default=240, help="seconds per phase")
    args = parser.parse_args(argv)
    api = Api(args.url, args.key)
    try:
        started = time.monotonic()
        print(f"ready: {wait_ready(api, args.timeout)} ({time.monotonic() - started:.0f}s)")
        started = time.monotonic()
        solution = args.solution.read_text() if args.solution else None
        sources = graded_flow(api, solution, args.timeout)
        print(f"graded one by one: {time.monotonic() - started:.0f}s")
        started = time.monotonic()
        burst_flow(api, sources, args.burst, args.kill, args.timeout)
        print(f"burst flow: {time.monotonic() - started:.0f}s")
    except FlowError as exc:
        print(f"e2e flow failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
