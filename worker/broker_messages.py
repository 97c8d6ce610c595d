"""Which submissions have a grading message somewhere in the broker (kombu's Redis keys).

kombu's Redis transport keeps each queue as lists of JSON messages (one list per priority
step) and every delivered, unacknowledged message in the hash ``unacked`` as JSON
``[message, exchange, routing_key]`` until it is acknowledged or restored to its list (a
task held back for a retry's countdown sits there too). A message's ``headers.id`` is its
task id, and a grading task's id is its submission id (service/queue.py, and a retry keeps
it). The sweeper reads these to tell an orphaned record from one that waits its turn.
"""

from __future__ import annotations

import json

import redis

from common.contracts import GRADE_TASK
from common.records import KEYS, QUEUES

CHUNK = 500  # list items read per LRANGE: bounds Redis's reply buffer in a long backlog


def submissions_with_messages(client: redis.Redis) -> set[str]:
    """Return the ids of the submissions with a grading message waiting or unacknowledged.

    Not a snapshot: a message can move from a list to ``unacked`` between two reads and be
    missed (the sweeper asks twice before it acts). Lists only grow at their head (LPUSH)
    and shrink at their tail, so reading from the head never skips a message that stays.
    """
    found: set[str] = set()
    for queue in QUEUES:
        for key in KEYS.broker_queue_lists(queue):
            start = 0
            while batch := client.lrange(key, start, start + CHUNK - 1):
                found.update(filter(None, map(_grading_id, batch)))
                start += CHUNK
    for raw in client.hvals(KEYS.broker_unacked):
        try:
            envelope = json.loads(raw)
        except ValueError:
            continue
        if isinstance(envelope, list) and envelope and isinstance(envelope[0], dict):
            found.add(_id_of(envelope[0]) or "")
    found.discard("")
    return found


def _grading_id(raw: str) -> str | None:
    try:
        message = json.loads(raw)
    except ValueError:
        return None
    return _id_of(message) if isinstance(message, dict) else None


def _id_of(message: dict) -> str | None:
    """The submission id of a grading task's message; None for any other message."""
    headers = message.get("headers")
    if not isinstance(headers, dict) or headers.get("task") != GRADE_TASK:
        return None
    task_id = headers.get("id")
    return task_id if isinstance(task_id, str) else None
