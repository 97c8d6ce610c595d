"""Fair turns: at most one running submission per student and assignment.

A student who sends many submissions (or many that run to their time budget) must not
hold many workers while other students wait. Before a worker grades a submission it takes
the turn of its (course, assignment, student): a Redis key holding the submission's id,
with a short TTL that a keeper thread renews while grading runs (so the turn of a worker
that died frees by itself). If another submission of that student holds it, the task is
put back on the queue with a short delay (worker/tasks.py) and the worker takes the next
task, which is usually another student's: each student's submissions run one at a time,
in turn with everyone else's. Nothing is lost or duplicated: the waiting task is the same
message retried, and a redelivered task of the holder takes its own turn back.
"""

from __future__ import annotations

import logging
import threading

import redis

from common.records import KEYS, SubmissionRecord

log = logging.getLogger(__name__)
WAIT_S = 1.0  # how long a submission whose student has one running waits before it looks again

# Take the turn if it is free or already ours (a redelivered task of the holder).
_TAKE = """
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class StudentBusyError(RuntimeError):
    """Another submission of the same student and assignment is being graded."""


def turn_key(record: SubmissionRecord) -> str | None:
    """The Redis key of the record's (course, assignment, student) turn; None without a
    student id (nothing to be fair between)."""
    if not record.student_id:
        return None
    return f"{KEYS.prefix}turn:{record.course}:{record.assignment}:{record.student_id}"


class Turn(threading.Thread):
    """A held turn, renewed every third of its TTL until :meth:`close`."""

    def __init__(self, client: redis.Redis, key: str, holder: str, ttl_s: float) -> None:
        super().__init__(name=f"turn-{holder}", daemon=True)
        self.client, self.key, self.holder = client, key, holder
        self.ttl_ms = int(ttl_s * 1000)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.ttl_ms / 3000):
            try:
                self.client.eval(_RENEW, 1, self.key, self.holder, self.ttl_ms)
            except redis.RedisError as exc:  # the TTL covers a short outage
                log.warning("could not renew %s: %s", self.key, exc)

    def close(self) -> None:
        """Stop renewing and give the turn to the student's next submission."""
        self.stopped.set()
        try:
            self.client.eval(_RELEASE, 1, self.key, self.holder)
        except redis.RedisError as exc:  # it expires by itself
            log.warning("could not release %s: %s", self.key, exc)


class NoTurn:
    """The turn of a submission without a student id: nothing to hold."""

    def close(self) -> None:
        """Nothing to release."""


def take_turn(client: redis.Redis, record: SubmissionRecord, ttl_s: float) -> Turn | NoTurn:
    """Take the turn of ``record``'s student and assignment, kept alive until closed.

    Raises StudentBusyError if another of their submissions holds it.
    """
    key = turn_key(record)
    if key is None:
        return NoTurn()
    if not client.eval(_TAKE, 1, key, record.id, int(ttl_s * 1000)):
        raise StudentBusyError(f"{record.id} waits for the student's running submission")
    turn = Turn(client, key, record.id, ttl_s)
    turn.start()
    return turn
