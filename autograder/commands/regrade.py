"""``autograder regrade --assignment ID``: grade every stored submission again (pack changed).

Runs in this process, one submission after the other, through the same pipeline as the
workers (student code still runs only in the sandbox). Each new result replaces the old
one with a ``regraded_at`` time; a run that fails on our side keeps the old result.
Submissions still queued or running are skipped: a worker grades them with the new pack.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from typing import TextIO

from autograder.target import UsageError, add_data_options, connect_checked

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


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``regrade`` subcommand."""
    parser = subparsers.add_parser(
        "regrade",
        help="grade every stored submission of an assignment again",
        description="Grade every finished submission of an assignment again, here, in the "
        "sandbox (after its pack changed); each new result replaces the old one. Uses the "
        "Redis of the running `autograder serve` (see --data-dir) or AUTOGRADER_REDIS_URL.",
    )
    parser.add_argument("--assignment", required=True, help="Assignment id, e.g. lecture4-numpy.")
    parser.add_argument("--course", help="Only this course's submissions (exact, case-sensitive).")
    add_data_options(parser)
    parser.add_argument("--json", action="store_true", help="Print the summary as JSON.")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Regrade, print the summary; exit 1 if any submission could not be regraded."""
    from autograder.packs import find_pack, pack_errors
    from common.settings import Settings

    settings = Settings()
    try:
        find_pack(args.assignment, settings)
    except pack_errors() as exc:
        raise UsageError(str(exc)) from None
    client = connect_checked(args, settings)
    summary = regrade(client, args.assignment, args.course, sys.stderr, settings)
    if args.json:
        print(json.dumps(asdict(summary), indent=2))
    else:
        print_summary(summary, sys.stdout)
    return 1 if summary.errors else 0


def regrade(
    client, assignment: str, course: str | None, progress: TextIO | None, settings=None
) -> Summary:
    """Regrade every finished submission of ``assignment`` (in ``course``) in Redis, under
    ``settings`` (common.settings.Settings; the code's defaults when None)."""
    from common.records import KEYS

    summary = Summary(assignment)
    ids = client.zrange(KEYS.index_assignment(assignment), 0, -1)  # oldest first
    if course is not None:  # only the course's: they alone are counted
        ours = set(client.zrange(KEYS.index_course(course), 0, -1))
        ids = [submission_id for submission_id in ids if submission_id in ours]
    summary.total = len(ids)
    for done, submission_id in enumerate(ids, start=1):
        regrade_one(client, submission_id, course, summary, settings)
        draw_progress(progress, done, summary)
    return summary


def regrade_one(
    client, submission_id: str, course: str | None, summary: Summary, settings=None
) -> None:
    """Grade one stored submission again, store the new result, and count it in ``summary``."""
    from common.contracts import GradingStatus
    from common.records import KEYS, SubmissionRecord, utcnow
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


def draw_progress(stream: TextIO | None, done: int, summary: Summary, width: int = 30) -> None:
    """Draw ``[#####-----] done/total`` on one line of ``stream`` (a new line at the end)."""
    if stream is None or summary.total == 0:
        return
    filled = width * done // summary.total
    bar = "#" * filled + "-" * (width - filled)
    stream.write(f"\r[{bar}] {done}/{summary.total}, {len(summary.changed)} changed")
    stream.write("\n" if done == summary.total else "")
    stream.flush()


def print_summary(summary: Summary, out: TextIO) -> None:
    """Print what changed, one line per submission whose score moved, then the counts."""
    for change in summary.changed:
        student = change["student_id"] or "-"
        out.write(f"{change['id']}  {student}  {change['old']} -> {change['new']}\n")
    out.write(
        f"{summary.assignment}: {summary.regraded} of {summary.total} regraded, "
        f"{len(summary.changed)} scores changed, {summary.skipped} skipped, "
        f"{summary.errors} failed (old result kept)\n"
    )
