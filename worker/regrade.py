"""Grade stored submissions again (after a pack changed): the one implementation behind
``autograder regrade`` and the task ``autograder.regrade`` the staff pages enqueue.

Submissions are graded one after the other, through the same pipeline as new ones
(student code still runs only in the sandbox). Each new result replaces the old one with a
``regraded_at`` time; a run that fails on our side keeps the old result. Submissions still
queued or running are skipped: a worker grades them with the new pack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import redis

from common.contracts import GradingStatus
from common.records import KEYS, SubmissionRecord, utcnow
from common.settings import Settings

# KEYS: record, its old status index, its new status index. ARGV: old status, id, result
# JSON, regraded_at, new status, score, max score, flags. Writes only if the status is still the
# one graded over.
_WRITE = """
if redis.call('HGET', KEYS[1], 'status') ~= ARGV[1] then return 0 end
if KEYS[2] ~= KEYS[3] then
  local score = redis.call('ZSCORE', KEYS[2], ARGV[2]) or '0'
  redis.call('ZREM', KEYS[2], ARGV[2])
  redis.call('ZADD', KEYS[3], score, ARGV[2])
end
redis.call('HSET', KEYS[1], 'result', ARGV[3], 'regraded_at', ARGV[4], 'status', ARGV[5],
  'score', ARGV[6], 'max_score', ARGV[7], 'flags', ARGV[8])
return 1
"""


@dataclass
class Summary:
    """What a regrade did: counts, and every score that changed."""

    assignment: str
    total: int = 0
    regraded: int = 0
    skipped: int = 0  # not finished yet (a worker grades it with the new pack), or expired
    errors: int = 0  # grading failed on our side; old result kept
    changed: list[dict] = field(default_factory=list)  # id, student_id, old, new


Progress = Callable[[int, Summary], None]  # (submissions done so far, the summary so far)


def submissions_of(client: redis.Redis, assignment: str, course: str | None) -> list[str]:
    """Ids of every stored submission of ``assignment`` (in ``course``), oldest first."""
    ids = client.zrange(KEYS.index_assignment(assignment), 0, -1)
    if course is not None:  # only the course's: they alone are counted
        ours = set(client.zrange(KEYS.index_course(course), 0, -1))
        ids = [submission_id for submission_id in ids if submission_id in ours]
    return ids


def regrade(
    client: redis.Redis,
    assignment: str,
    course: str | None,
    on_progress: Progress | None = None,
    settings: Settings | None = None,
    ids: list[str] | None = None,
) -> Summary:
    """Regrade every finished submission of ``assignment`` (in ``course``; or just ``ids``)
    under ``settings`` (the code's defaults when None), reporting after each one."""
    summary = Summary(assignment)
    ids = submissions_of(client, assignment, course) if ids is None else ids
    summary.total = len(ids)
    for done, submission_id in enumerate(ids, start=1):
        regrade_one(client, submission_id, course, summary, settings)
        if on_progress is not None:
            on_progress(done, summary)
    return summary


def regrade_one(
    client: redis.Redis,
    submission_id: str,
    course: str | None,
    summary: Summary,
    settings: Settings | None = None,
) -> None:
    """Grade one stored submission again, store the new result, and count it in ``summary``."""
    from worker.grading.pipeline import grade_source  # heavy (numpy, torch): only here

    fields = client.hgetall(KEYS.submission(submission_id))
    record = SubmissionRecord.from_redis(fields) if fields else None
    wanted = record is not None and (course is None or record.course == course)
    source = client.get(KEYS.source(submission_id)) if wanted else None
    if record is None or source is None or not record.status.is_final:
        summary.skipped += 1  # expired, another course, or a worker grades it with the new pack
        return
    result = grade_source(
        record.assignment, record.filename, source, device=record.device, settings=settings
    )
    if result.status is GradingStatus.FAILED:
        summary.errors += 1  # our fault: keep the result the student already has
        return
    keys = (KEYS.submission(submission_id), KEYS.index_status(record.status))
    keys += (KEYS.index_status(result.status),)
    argv = (record.status, submission_id, result.model_dump_json(), utcnow().isoformat())
    argv += (result.status, str(result.score), str(result.max_score), str(len(result.flags)))
    if not client.eval(_WRITE, 3, *keys, *argv):
        summary.skipped += 1
        return
    summary.regraded += 1
    old_score = record.result.score if record.result else None
    if old_score != result.score:
        change = {"id": submission_id, "student_id": record.student_id}
        summary.changed.append(change | {"old": old_score, "new": result.score})
