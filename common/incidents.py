"""Counts of the incidents the workers heal by themselves, kept in Redis for /metrics.

A worker records one when its stall watchdog restarts it (``worker_stalls``) and when the
sweeper enqueues an orphaned record again (``orphans_requeued``); /metrics exports them as
counters, so an operator sees that healing happened, and how often.
"""

from __future__ import annotations

import redis

from common.records import KEYS

WORKER_STALLS = "worker_stalls"
ORPHANS_REQUEUED = "orphans_requeued"
NAMES = (WORKER_STALLS, ORPHANS_REQUEUED)


def record(client: redis.Redis, name: str, count: int = 1) -> None:
    """Add ``count`` incidents of kind ``name``."""
    client.hincrby(KEYS.incidents, name, count)


def counts(client: redis.Redis) -> dict[str, int]:
    """Return every incident kind with its count so far (0 for none yet)."""
    stored = client.hgetall(KEYS.incidents)
    return {name: int(stored.get(name, 0)) for name in NAMES}
