"""What waits for the workers: the tasks in each queue, and the oldest queued submission.

Shared by the web side (/readyz, /metrics) and the worker side (the stall watchdog), so both
read the same kombu lists and the same records.
"""

from __future__ import annotations

from datetime import datetime

import redis

from common.records import KEYS, QUEUES, SubmissionStatus, queue_for

OLDEST_SCAN = 200  # queued records looked at to find the oldest of each queue


def waiting_tasks(client: redis.Redis, queue: str) -> int:
    """Return how many task messages wait in ``queue`` (kombu's lists), not yet taken."""
    return sum(client.llen(key) for key in KEYS.broker_queue_lists(queue))


def oldest_queued_s(client: redis.Redis, now: datetime) -> dict[str, float]:
    """Return, per queue, the seconds since its oldest still-queued submission was queued.

    0.0 for a queue with nothing queued. The status index is ordered by receipt, so the
    first record of each queue among the ``OLDEST_SCAN`` oldest is its oldest; a queue whose
    records all lie further back (a vast backlog of the other queue) also reads 0.0.
    """
    ages = dict.fromkeys(QUEUES, 0.0)
    ids = client.zrange(KEYS.index_status(SubmissionStatus.QUEUED), 0, OLDEST_SCAN - 1)
    pipe = client.pipeline(transaction=False)
    for submission_id in ids:
        pipe.hmget(KEYS.submission(submission_id), "device", "queued_at", "received_at")
    seen: set[str] = set()
    for device, queued_at, received_at in pipe.execute() if ids else []:
        stamp = queued_at or received_at
        if device is None or stamp is None:  # deleted since the index was read
            continue
        queue = queue_for(device)
        if queue not in seen:
            seen.add(queue)
            ages[queue] = max(0.0, (now - datetime.fromisoformat(stamp)).total_seconds())
    return ages
