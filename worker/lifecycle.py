"""The worker's writes to a stored submission: lock, status moves, result, latency.

Every status move is one Lua script, so the record's status and the per-status index
change together, a final record is never changed again (a redelivered task cannot write a
second result), and only the worker that holds the submission's lock may write.
"""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import datetime

import redis

from common.contracts import GradingResult
from common.records import KEYS, LATENCY_BUCKETS_S, SubmissionRecord, SubmissionStatus

log = logging.getLogger(__name__)

# KEYS: record hash, lock. ARGV: status index prefix, id, new status, lock token ('' = no
# check), attempts increment, channel to publish the new status on ('' = none), then
# field/value pairs. Returns the old status, or 'missing' / 'final' / 'not_owner'.
_MOVE = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if status == 'graded' or status == 'not_gradable' or status == 'failed' then return 'final' end
if ARGV[4] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[4] then return 'not_owner' end
local score = redis.call('ZSCORE', ARGV[1] .. status, ARGV[2]) or '0'
redis.call('ZREM', ARGV[1] .. status, ARGV[2])
redis.call('ZADD', ARGV[1] .. ARGV[3], score, ARGV[2])
redis.call('HSET', KEYS[1], 'status', ARGV[3])
for i = 7, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
if ARGV[5] ~= '0' then redis.call('HINCRBY', KEYS[1], 'attempts', ARGV[5]) end
if ARGV[6] ~= '' then redis.call('PUBLISH', ARGV[6], ARGV[3]) end
return status
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


def load(client: redis.Redis, submission_id: str) -> SubmissionRecord | None:
    """Return the stored submission, or None if there is none with this id."""
    fields = client.hgetall(KEYS.submission(submission_id))
    return SubmissionRecord.from_redis(fields) if fields else None


def acquire_lock(client: redis.Redis, submission_id: str, ttl_s: float) -> str | None:
    """Take the submission's grading lock for ``ttl_s``; return its token, or None if held."""
    token = secrets.token_hex(16)
    taken = client.set(KEYS.lock(submission_id), token, nx=True, px=int(ttl_s * 1000))
    return token if taken else None


class LockKeeper(threading.Thread):
    """Renews a held lock every third of its TTL until stopped.

    The TTL is short, so the lock of a worker that died (killed, out of memory) frees soon
    and the redelivered task can grade the submission; a live worker keeps it however long
    grading takes.
    """

    def __init__(self, client: redis.Redis, submission_id: str, token: str, ttl_s: float):
        super().__init__(name=f"lock-{submission_id}", daemon=True)
        self.client, self.key, self.token = client, KEYS.lock(submission_id), token
        self.ttl_ms = int(ttl_s * 1000)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.ttl_ms / 3000):
            try:
                self.client.eval(_RENEW, 1, self.key, self.token, self.ttl_ms)
            except redis.RedisError as exc:  # the TTL covers a short outage
                log.warning("could not renew %s: %s", self.key, exc)

    def __enter__(self) -> LockKeeper:
        self.start()
        return self

    def __exit__(self, *_) -> None:
        self.stopped.set()


def release_lock(client: redis.Redis, submission_id: str, token: str) -> None:
    """Release the lock if ``token`` still holds it (it may have expired and moved on)."""
    client.eval(_RELEASE, 1, KEYS.lock(submission_id), token)


def move(
    client: redis.Redis,
    submission_id: str,
    status: SubmissionStatus,
    fields: dict[str, str],
    *,
    token: str = "",
    attempt: bool = False,
    publish: bool = False,
) -> str:
    """Move a non-final submission to ``status`` and set ``fields``; return the old status.

    Returns 'missing', 'final' or 'not_owner' (and writes nothing) when the record does not
    exist, is already final, or ``token`` no longer holds its lock.
    """
    pairs = [item for pair in fields.items() for item in pair]
    channel = KEYS.finished_channel(submission_id) if publish else ""
    keys = (KEYS.submission(submission_id), KEYS.lock(submission_id))
    argv = (KEYS.index_status_prefix, submission_id, status.value, token, int(attempt), channel)
    return client.eval(_MOVE, 2, *keys, *argv, *pairs)


def mark_running(
    client: redis.Redis, submission_id: str, token: str, started: datetime, worker: str
) -> str:
    """Mark the submission running in ``worker`` ('host:pid') and count an attempt; return
    the old status (see move)."""
    fields = {"started_at": started.isoformat(), "worker": worker}
    return move(client, submission_id, SubmissionStatus.RUNNING, fields, token=token, attempt=True)


def requeue(client: redis.Redis, submission_id: str, token: str) -> str:
    """Put a running submission back to queued while its retry waits."""
    return move(client, submission_id, SubmissionStatus.QUEUED, {}, token=token)


def finish(
    client: redis.Redis,
    submission_id: str,
    status: SubmissionStatus,
    result: GradingResult,
    finished: datetime,
    token: str = "",
) -> bool:
    """Store the result and final status once; False if it was final already (or not ours)."""
    fields = {
        "result": result.model_dump_json(),
        "score": str(result.score),
        "max_score": str(result.max_score),
        "flags": str(len(result.flags)),
        "finished_at": finished.isoformat(),
    }
    old = move(client, submission_id, status, fields, token=token, publish=True)
    return old not in ("missing", "final", "not_owner")


def record_latency(client: redis.Redis, name: str, seconds: float) -> None:
    """Add one observation to the cumulative histogram ``name`` (read by /metrics)."""
    key = KEYS.latency(name)
    pipe = client.pipeline(transaction=True)
    for bound in LATENCY_BUCKETS_S:
        if seconds <= bound:
            pipe.hincrby(key, str(bound), 1)
    pipe.hincrby(key, "+Inf", 1)
    pipe.hincrby(key, "count", 1)
    pipe.hincrbyfloat(key, "sum", seconds)
    pipe.execute()
