"""Send a burst through the HTTP API and wait for every submission to finish.

Submitting and waiting use bounded thread pools and stop at a hard deadline: whatever is
not finished by then is reported, never waited for. Waiting long-polls
``GET /api/v1/submissions/{id}?wait=`` in submission order, a few at a time, so the
pollers never take more than a handful of the API's threads away from submitters.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bench._corpus import Planned
from bench._http import Client

FINAL = ("graded", "not_gradable", "failed")
RETRY_STATUSES = (429, 503)  # refused for now (rate limit, Redis away): retry after a pause


@dataclass
class Sent:
    """What happened to one planned submission, from the client's side."""

    planned: Planned
    id: str | None = None
    http_status: int = 0
    error: str = ""
    retries: int = 0
    submitted_at: float = 0.0  # time.time() just before the accepted POST
    accepted_s: float = 0.0  # round trip of the accepted POST
    record: dict | None = None  # the record as last read (final if finished)
    seen_at: float | None = None  # time.time() when a read first found it final

    @property
    def finished(self) -> bool:
        return self.record is not None and self.record.get("status") in FINAL


def submit_one(client: Client, planned: Planned, deadline: float) -> Sent:
    """Submit ``planned``; retry 429/503 after Retry-After while time remains."""
    sent = Sent(planned)
    sample = planned.sample
    fields = {"assignment": sample.assignment, "student_id": planned.student_id}
    data = sample.path.read_bytes()
    while True:
        sent.submitted_at = time.time()
        try:
            reply = client.submit(fields, sample.name, data)
        except OSError as exc:
            sent.error = f"{type(exc).__name__}: {exc}"
            return sent
        sent.accepted_s = time.time() - sent.submitted_at
        sent.http_status = reply.status
        pause = reply.retry_after or 1.0
        if reply.status in RETRY_STATUSES and time.monotonic() + pause < deadline:
            sent.retries += 1
            time.sleep(pause)
            continue
        break
    if reply.status == 202 and isinstance(reply.body, dict):
        sent.id = reply.body["id"]
    else:
        sent.error = f"HTTP {reply.status}: {str(reply.body)[:200]}"
    return sent


def submit_all(client: Client, plan: Sequence[Planned], threads: int, deadline: float) -> list:
    """Submit every planned file with ``threads`` concurrent senders; return the Sent list."""
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="submit") as pool:
        return list(pool.map(lambda p: submit_one(client, p, deadline), plan))


def read_until_final(client: Client, sent: Sent, deadline: float, wait_s: float = 10.0) -> None:
    """Long-poll one submission until it is final or the deadline passes."""
    while not sent.finished and time.monotonic() < deadline:
        poll(client, sent, min(wait_s, max(0.0, deadline - time.monotonic())))


def poll(client: Client, sent: Sent, wait_s: float) -> None:
    """Read ``sent`` once with ``?wait=wait_s``; record it (and when it was seen final)."""
    try:
        reply = client.get(f"/api/v1/submissions/{sent.id}?wait={wait_s:.1f}")
    except OSError as exc:
        sent.error = f"read: {type(exc).__name__}: {exc}"
        time.sleep(0.5)  # the API is away (a fault test): try again shortly
        return
    if reply.status == 200 and isinstance(reply.body, dict):
        sent.record = reply.body
        if sent.finished and sent.seen_at is None:
            sent.seen_at = time.time()
    else:
        sent.error = f"read: HTTP {reply.status}: {str(reply.body)[:200]}"
        time.sleep(0.5)


def wait_all(client: Client, sent: Sequence[Sent], threads: int, deadline: float) -> None:
    """Poll every accepted submission, oldest first, until all are final or time is up."""
    pending: queue.Queue[Sent] = queue.Queue()
    for item in sent:
        if item.id is not None and not item.finished:
            pending.put(item)

    def poller() -> None:
        while time.monotonic() < deadline:
            try:
                item = pending.get_nowait()
            except queue.Empty:
                return
            poll(client, item, min(10.0, max(0.0, deadline - time.monotonic())))
            if not item.finished:
                pending.put(item)

    workers = [threading.Thread(target=poller, name=f"poll-{i}") for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def run_sequential(client: Client, plan: Sequence[Planned], deadline: float) -> list[Sent]:
    """Submit one file, wait for its result, then the next (a warm, unloaded service)."""
    results = []
    for planned in plan:
        if time.monotonic() >= deadline:
            break
        sent = submit_one(client, planned, deadline)
        if sent.id is not None:
            read_until_final(client, sent, deadline)
        results.append(sent)
    return results
