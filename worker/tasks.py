"""The task ``autograder.grade``: grade one stored submission, once, and store its result.

Three outcomes stay apart: graded and not_gradable are stored as the pipeline returns
them; our own failures (the sandbox infrastructure, Redis) are retried with exponential
backoff and, once retries run out, stored as ``failed`` -- never charged to the student.
A student's timeout is a verdict inside a graded result, never a retry.

Redelivery is safe: a final record is never written again (worker/lifecycle.py), and a
per-submission lock keeps two workers from grading the same submission at once. Each
student's submissions to one assignment run one at a time (worker/fairness.py): one that
finds another running waits its turn on the queue, without holding a worker.
"""

from __future__ import annotations

import logging
import os
import socket

import redis
from celery import Celery, Task
from celery.exceptions import SoftTimeLimitExceeded

from common.contracts import GRADE_TASK, GradeTask, GradingResult, GradingStatus
from common.records import KEYS, SubmissionRecord, SubmissionStatus, utcnow
from common.settings import Settings
from worker import ags, callbacks, fairness, lifecycle, memory_cap
from worker.connections import redis_client
from worker.sandbox.host.api import SandboxInfrastructureError

RETRYABLE = (SandboxInfrastructureError, redis.ConnectionError, redis.TimeoutError)
log = logging.getLogger(__name__)


class SubmissionBusyError(RuntimeError):
    """Another worker holds the submission's lock (it is being graded right now)."""


def pipeline_grader(settings: Settings):
    """Return ``grade(record, source)``: the real pipeline under ``settings``; our own
    failures are raised, not returned."""

    def grade(record: SubmissionRecord, source: str) -> GradingResult:
        from worker.grading.pipeline import grade_source  # numpy, packs, sandbox: lazily

        memory_cap.apply(settings.worker_memory_mb)  # this pool process's own cap

        return grade_source(
            record.assignment,
            record.filename,
            source,
            device=record.device,
            raise_on_infra=True,
            settings=settings,
        )

    return grade


def grade_submission(client: redis.Redis, submission_id: str, lock_ttl_s: float, grade) -> str:
    """Grade one stored submission unless it is final already; return what happened.

    Returns the final status, or 'missing' / 'final' (nothing to do). Raises
    SubmissionBusyError if another worker holds it, fairness.StudentBusyError if another
    submission of the student's runs, and RETRYABLE errors (after putting the submission
    back to queued) for our own failures.
    """
    record = lifecycle.load(client, submission_id)
    if record is None or record.status.is_final:
        return "missing" if record is None else "final"
    token = lifecycle.acquire_lock(client, submission_id, lock_ttl_s)
    if token is None:
        raise SubmissionBusyError(submission_id)
    turn: fairness.Turn | fairness.NoTurn = fairness.NoTurn()
    try:
        turn = fairness.take_turn(client, record, lock_ttl_s)
        started = utcnow()
        worker = f"{socket.gethostname()}:{os.getpid()}"  # this pool process, after the fork
        moved = lifecycle.mark_running(client, submission_id, token, started, worker)
        if moved in ("missing", "final"):
            return "final"
        source = client.get(KEYS.source(submission_id)) or ""
        try:
            with lifecycle.LockKeeper(client, submission_id, token, lock_ttl_s):
                result = grade(record, source)
        except RETRYABLE:
            lifecycle.requeue(client, submission_id, token)
            raise
        return _store(client, record, result, started, token)
    finally:
        turn.close()
        _release(client, submission_id, token)


def _store(client, record: SubmissionRecord, result: GradingResult, started, token: str) -> str:
    finished = utcnow()
    status = SubmissionStatus(result.status.value)
    if not lifecycle.finish(client, record.id, status, result, finished, token):
        return "final"
    lifecycle.record_latency(client, "latency", (finished - record.received_at).total_seconds())
    lifecycle.record_latency(client, "duration", (finished - started).total_seconds())
    return status.value


def _release(client: redis.Redis, submission_id: str, token: str) -> None:
    try:
        lifecycle.release_lock(client, submission_id, token)
    except RETRYABLE:
        log.warning("could not release the lock of %s; it expires by itself", submission_id)


def give_up(client: redis.Redis, submission_id: str, reason: BaseException) -> str:
    """Store a ``failed`` result (our fault, said so to the student); return 'failed', or
    'missing' / 'final' if there was nothing left to fail."""
    from reference.packs import UnknownAssignmentError, get_pack
    from worker.grading.results import grader_error

    record = lifecycle.load(client, submission_id)
    if record is None:
        return "missing"
    try:
        max_score = get_pack(record.assignment).max_score
    except UnknownAssignmentError:  # a pack removed since the submission was accepted
        max_score = 0
    result = GradingResult(
        assignment=record.assignment,
        status=GradingStatus.FAILED,
        score=0,
        max_score=max_score,
        error=grader_error(reason),
        duration_ms=0,
        device=record.device,
    )
    if lifecycle.finish(client, submission_id, SubmissionStatus.FAILED, result, utcnow()):
        return "failed"
    return "final"


def submission_finished(app: Celery, submission_id: str, outcome: str) -> None:
    """Hook run once a submission's result is stored (not for no-op redeliveries).

    The seam for what follows grading: the LMS callback task (issue 5) is enqueued here,
    by name, when the record has a callback_url; the LTI grade passback (issue 13) when
    its student came by an LTI launch.
    """
    client = redis_client(app.autograder_settings.redis_url)
    callbacks.enqueue_delivery(app, client, submission_id)
    ags.enqueue_passback(app, client, submission_id)


def backoff_s(settings: Settings, retries: int) -> float:
    """Return the delay before retry number ``retries + 1``: doubling, capped."""
    return min(settings.retry_backoff_s * 2**retries, settings.retry_backoff_max_s)


def register(app: Celery, settings: Settings) -> None:
    """Register the grading task on ``app`` with the time limits of ``settings``."""
    grader = pipeline_grader(settings)

    @app.task(
        name=GRADE_TASK,
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        # Unbounded here: retry(max_retries=None) alone means "the task's default" (3) to
        # Celery, which gave up on a busy submission while a dead run's lock still held it.
        # Our own failures are bounded by hand below (settings.task_max_retries).
        max_retries=None,
        soft_time_limit=settings.task_soft_time_limit_s,
        time_limit=settings.task_time_limit_s,
    )
    def grade(self: Task, submission_id: str, waited: int = 0) -> str:
        submission_id = GradeTask(submission_id=submission_id).submission_id
        client = redis_client(settings.redis_url)
        try:
            outcome = grade_submission(client, submission_id, settings.lock_ttl_s, grader)
        except fairness.StudentBusyError as exc:
            # Back on the queue, behind other students' work; waits are not our failures.
            again = {"submission_id": submission_id, "waited": waited + 1}
            raise self.retry(exc=exc, countdown=fairness.WAIT_S, kwargs=again) from None
        except SubmissionBusyError as exc:
            # The holder finishes it, or dies and its lock expires: look again later.
            countdown = backoff_s(settings, self.request.retries - waited)
            raise self.retry(exc=exc, countdown=countdown) from None
        except RETRYABLE as exc:
            if self.request.retries - waited >= settings.task_max_retries:
                log.error("giving up on %s after retries: %r", submission_id, exc)
                outcome = give_up(client, submission_id, exc)
            else:
                countdown = backoff_s(settings, self.request.retries)
                raise self.retry(exc=exc, countdown=countdown) from None
        except SoftTimeLimitExceeded as exc:
            log.error("grading %s ran past %d s", submission_id, settings.task_soft_time_limit_s)
            outcome = give_up(client, submission_id, exc)
        except Exception as exc:  # a bug of ours: say so on the record, do not retry it
            log.exception("grading %s failed on our side", submission_id)
            outcome = give_up(client, submission_id, exc)
        if outcome in {s.value for s in SubmissionStatus}:
            submission_finished(app, submission_id, outcome)
        return outcome
