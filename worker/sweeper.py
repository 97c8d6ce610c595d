"""The sweeper: enqueue again the records that nothing would ever grade.

An orphan is a record that waits while no grading message for it exists in the broker:

- ``queued``: Redis failed between storing a submission and enqueueing it (the API
  answered 503 and could not remove it either), or a crash lost the message;
- ``running`` with its lock expired (no live run renews it) and its message gone.

Every worker runs a :class:`Sweeper`; a lock in Redis that lives one interval lets one
sweep run per interval across all of them. A record is re-enqueued only when two sweeps in
a row find it orphaned and unchanged (same status and attempts), so a message in flight
between kombu's list and its ``unacked`` hash, or an intake between its two steps, never
counts. Sweeping is idempotent and safe even when wrong: the grade task does nothing for a
final record, and the submission's lock keeps two runs apart.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable

import redis

from common import incidents
from common.records import KEYS, SubmissionStatus
from worker import lifecycle
from worker.broker_messages import submissions_with_messages

log = logging.getLogger(__name__)

Enqueue = Callable[[str, str], None]  # (submission id, device): send its grade task
WAITING = (SubmissionStatus.QUEUED, SubmissionStatus.RUNNING)


def find_orphans(client: redis.Redis) -> dict[str, str]:
    """Return the orphaned records now, each with what the sweep saw ('status:attempts')."""
    ids = [i for status in WAITING for i in client.zrange(KEYS.index_status(status), 0, -1)]
    if not ids:
        return {}
    pipe = client.pipeline(transaction=False)
    for submission_id in ids:
        pipe.hmget(KEYS.submission(submission_id), "status", "attempts")
        pipe.exists(KEYS.lock(submission_id))
    replies = pipe.execute()
    seen = {}
    for submission_id, (status, attempts), locked in zip(
        ids, replies[::2], replies[1::2], strict=True
    ):
        if status in WAITING and not (status == SubmissionStatus.RUNNING and locked):
            seen[submission_id] = f"{status}:{attempts or 0}"
    if not seen:
        return {}
    messages = submissions_with_messages(client)
    return {i: mark for i, mark in seen.items() if i not in messages}


def sweep(client: redis.Redis, enqueue: Enqueue, lock_ttl_s: float, remember_s: float) -> list[str]:
    """Sweep once: enqueue the orphans the last sweep saw too; return their ids.

    The orphans seen now are remembered for ``remember_s`` for the next sweep to confirm.
    """
    orphans = find_orphans(client)
    suspects = client.hgetall(KEYS.sweeper_suspects)
    confirmed = [i for i, mark in orphans.items() if suspects.get(i) == mark]
    requeued = [i for i in confirmed if _requeue(client, i, enqueue, lock_ttl_s)]
    pipe = client.pipeline(transaction=True)
    pipe.delete(KEYS.sweeper_suspects)
    fresh = {i: mark for i, mark in orphans.items() if i not in confirmed}
    if fresh:
        pipe.hset(KEYS.sweeper_suspects, mapping=fresh)
        pipe.pexpire(KEYS.sweeper_suspects, int(remember_s * 1000))
    pipe.execute()
    if requeued:
        incidents.record(client, incidents.ORPHANS_REQUEUED, len(requeued))
        log.warning(
            "sweeper: enqueued %d orphaned submission(s) again: %s", len(requeued), requeued
        )
    return requeued


def _requeue(client: redis.Redis, submission_id: str, enqueue: Enqueue, lock_ttl_s: float) -> bool:
    """Enqueue one orphan again, holding its lock meanwhile; False if it is no orphan now."""
    token = lifecycle.acquire_lock(client, submission_id, lock_ttl_s)
    if token is None:
        return False  # a run took it since: not an orphan
    try:
        record = lifecycle.load(client, submission_id)
        if record is None or record.status.is_final:
            return False
        if record.status == SubmissionStatus.RUNNING:
            lifecycle.requeue(client, submission_id, token)
        enqueue(submission_id, record.device)
        return True
    finally:
        lifecycle.release_lock(client, submission_id, token)


def sweep_if_due(
    client: redis.Redis, enqueue: Enqueue, interval_s: float, lock_ttl_s: float
) -> list[str] | None:
    """Sweep unless some worker did in the last ``interval_s``; None when it was not due.

    The lock is left to expire rather than released, so the workers together sweep once
    per interval, whichever of them wakes first.
    """
    # A tenth short of the interval: the next round of this same worker finds it free.
    if not client.set(KEYS.sweeper_lock, secrets.token_hex(8), nx=True, px=int(interval_s * 900)):
        return None
    return sweep(client, enqueue, lock_ttl_s, remember_s=3 * interval_s)


class Sweeper(threading.Thread):
    """Calls :func:`sweep_if_due` every ``interval_s`` until stopped (a daemon thread)."""

    def __init__(
        self, client: redis.Redis, enqueue: Enqueue, interval_s: float, lock_ttl_s: float
    ) -> None:
        super().__init__(name="autograder-sweeper", daemon=True)
        self.client, self.enqueue = client, enqueue
        self.interval_s, self.lock_ttl_s = interval_s, lock_ttl_s
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval_s):
            try:
                sweep_if_due(self.client, self.enqueue, self.interval_s, self.lock_ttl_s)
            except redis.RedisError as exc:  # Redis away: the next round tries again
                log.warning("sweeper: %s", exc)
            except Exception:  # a bug here must not end the sweeps of this worker
                log.exception("sweeper: sweep failed")

    def stop(self) -> None:
        self.stopped.set()
