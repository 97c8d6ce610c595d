"""The web side's Redis adapter: store, read, list and wait on submissions; read the catalog.

The key layout and the record model live in common/records.py, shared with the worker.
Every write of a new submission (record, source, indexes, cap check) is one Lua script, so
a submission is either fully stored or not at all.
"""

from __future__ import annotations

import secrets
import time

import redis

from common.catalog import AssignmentInfo
from common.records import KEYS, SubmissionRecord, SubmissionStatus
from service.errors import SubmissionCapError

# KEYS: record, source, then the indexes to add the id to; when ARGV[1] (the cap) is not
# '0', KEYS[3] is the student's attempts index it is checked against. ARGV: cap, score, id,
# ttl seconds ('0' = keep), source, then field/value pairs. Returns 0 if the cap is reached.
_CREATE = """
if ARGV[1] ~= '0' and redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[1]) then return 0 end
for i = 6, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('SET', KEYS[2], ARGV[5])
for i = 3, #KEYS do redis.call('ZADD', KEYS[i], ARGV[2], ARGV[3]) end
if ARGV[4] ~= '0' then
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  redis.call('EXPIRE', KEYS[2], ARGV[4])
  for i = 3, #KEYS do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', ARGV[2] - ARGV[4]) end
end
return 1
"""


class SubmissionStore:
    """Submissions and the assignment catalog in one Redis database."""

    def __init__(self, client: redis.Redis, retention_s: float | None = None) -> None:
        self.client = client
        self.retention_s = retention_s

    def _indexes(self, record: SubmissionRecord) -> list[str]:
        keys = [KEYS.index_all, KEYS.index_course(record.course)]
        keys += [KEYS.index_assignment(record.assignment), KEYS.index_status(record.status)]
        if record.student_id:
            keys.insert(0, KEYS.attempts(record.course, record.assignment, record.student_id))
            keys.append(KEYS.index_student(record.student_id))
        return keys

    def create(self, record: SubmissionRecord, source: str, cap: int = 0) -> None:
        """Store a new submission and index it; SubmissionCapError if the cap is reached."""
        cap = cap if record.student_id else 0
        keys = [KEYS.submission(record.id), KEYS.source(record.id), *self._indexes(record)]
        ttl = str(int(self.retention_s)) if self.retention_s else "0"
        score = record.received_at.timestamp()
        pairs = [item for pair in record.to_redis().items() for item in pair]
        argv = [str(cap), repr(score), record.id, ttl, source, *pairs]
        if not self.client.eval(_CREATE, len(keys), *keys, *argv):
            raise SubmissionCapError(
                f"student {record.student_id} has reached the cap of {cap} submissions "
                f"for {record.assignment}; ask the course staff to raise it"
            )

    def discard(self, record: SubmissionRecord) -> None:
        """Remove a submission that could not be enqueued, as if it had never been stored."""
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(KEYS.submission(record.id), KEYS.source(record.id))
        for key in self._indexes(record):
            pipe.zrem(key, record.id)
        pipe.execute()

    def get(self, submission_id: str) -> SubmissionRecord | None:
        """Return the submission (without its source), or None."""
        fields = self.client.hgetall(KEYS.submission(submission_id))
        return SubmissionRecord.from_redis(fields) if fields else None

    def list(
        self, indexes: list[str], page: int, per_page: int
    ) -> tuple[list[SubmissionRecord], int]:
        """Return one page (newest first) of the submissions in every one of ``indexes``."""
        source = indexes[0]
        if len(indexes) > 1:
            source = KEYS.scratch(secrets.token_hex(8))
            pipe = self.client.pipeline(transaction=True)
            pipe.zinterstore(source, indexes, aggregate="MAX")
            pipe.expire(source, 30)
            pipe.execute()
        start = (page - 1) * per_page
        pipe = self.client.pipeline(transaction=False)
        pipe.zcard(source)
        pipe.zrevrange(source, start, start + per_page - 1)
        total, ids = pipe.execute()
        if source != indexes[0]:
            self.client.delete(source)
        pipe = self.client.pipeline(transaction=False)
        for submission_id in ids:
            pipe.hgetall(KEYS.submission(submission_id))
        # A record that expired (retention) may still be in an index for a moment: skip it.
        records = [SubmissionRecord.from_redis(fields) for fields in pipe.execute() if fields]
        return records, total

    def of_assignment(self, course: str, assignment: str) -> list[SubmissionRecord]:
        """Return every submission of ``assignment`` in ``course``, newest first (the
        dashboard and the stats read a whole class at once)."""
        indexes = [KEYS.index_course(course), KEYS.index_assignment(assignment)]
        total = self.client.zcard(indexes[1])
        return self.list(indexes, 1, max(total, 1))[0]

    def wait_finished(self, submission_id: str, timeout_s: float) -> SubmissionRecord | None:
        """Return the submission once final, or as it is after ``timeout_s`` seconds.

        Subscribes to the submission's channel before reading it, so a result stored in
        between is not missed; no polling.
        """
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(KEYS.finished_channel(submission_id))
            record = self.get(submission_id)
            deadline = time.monotonic() + timeout_s
            while record is not None and not record.status.is_final:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                if pubsub.get_message(timeout=remaining) is not None:
                    record = self.get(submission_id)
            return record
        finally:
            pubsub.close()

    def status_counts(self) -> dict[str, int]:
        """Return the number of stored submissions in each status."""
        pipe = self.client.pipeline(transaction=False)
        for status in SubmissionStatus:
            pipe.zcard(KEYS.index_status(status))
        return dict(zip([s.value for s in SubmissionStatus], pipe.execute(), strict=True))

    def assignment(self, assignment_id: str) -> AssignmentInfo | None:
        """Return the catalog entry of ``assignment_id`` as a worker published it, or None."""
        text = self.client.hget(KEYS.catalog, assignment_id)
        return AssignmentInfo.model_validate_json(text) if text else None

    def assignments(self) -> list[AssignmentInfo]:
        """Return every published assignment, sorted by id."""
        entries = self.client.hgetall(KEYS.catalog)
        return [AssignmentInfo.model_validate_json(entries[key]) for key in sorted(entries)]
