"""Grade passback to an LMS through LTI Advantage AGS, as a Celery task.

``autograder.lti_passback(submission_id)`` runs once a submission of a launched student
finishes (enqueued by worker/tasks.py's ``submission_finished``, next to the webhook
callback). It finds the student's latest launch into the assignment (common.lti.launches),
chooses the score that counts (the assignment's ``score_counts``: latest by default, or
best), gets an access token (worker/ags_platform.py) and POSTs an
``application/vnd.ims.lis.v1.score+json`` to ``<line item>/scores``. Network errors, 5xx,
408, 429 and 401 (the cached token is dropped) are retried with the callbacks' backoff and
jitter; after the last try, or at once for an answer that will not change, the passback
becomes a dead letter (kind 'lti') an admin can replay. Each try is counted in
``KEYS.lti_passback(submission_id)``.
"""

from __future__ import annotations

import json
import logging
import secrets

import redis
from celery import Celery, Task

from common.assignment_settings import counted_submission, load_assignment_settings
from common.callback_urls import Resolver
from common.lms import CALLBACK_QUEUE, DeadLetter, push_dead_letter
from common.lti import claims as c
from common.lti import registry
from common.lti.launches import PASSBACK_TASK, STUDENT_PREFIX, load_launch
from common.records import KEYS, SubmissionRecord, utcnow
from common.settings import Settings
from worker.ags_platform import (
    PlatformError,
    access_token,
    forget_tokens,
    line_item,
    request,
    with_path_suffix,
)
from worker.callbacks import CallbackConfig
from worker.connections import redis_client

log = logging.getLogger(__name__)


def enqueue_passback(app: Celery, client: redis.Redis, submission_id: str) -> bool:
    """Queue the passback of a just-finished submission if its student came by LTI."""
    course, assignment, student = client.hmget(
        KEYS.submission(submission_id), "course", "assignment", "student_id"
    )
    if not student or not student.startswith(STUDENT_PREFIX):
        return False
    if load_launch(client, course, assignment, student) is None:
        return False
    app.send_task(PASSBACK_TASK, kwargs={"submission_id": submission_id}, queue=CALLBACK_QUEUE)
    return True


def counted(client: redis.Redis, record: SubmissionRecord) -> SubmissionRecord | None:
    """The student's submission whose score counts (latest or best), or None."""
    assert record.student_id is not None
    ids = client.zrevrange(
        KEYS.attempts(record.course, record.assignment, record.student_id), 0, -1
    )
    pipe = client.pipeline(transaction=False)
    for submission_id in ids:
        pipe.hgetall(KEYS.submission(submission_id))
    records = [SubmissionRecord.from_redis(f) for f in pipe.execute() if f]
    settings = load_assignment_settings(client, record.course, record.assignment)
    return counted_submission(records, settings.score_counts)


def pass_back_once(client: redis.Redis, submission_id: str, config: CallbackConfig) -> str:
    """Make one passback try; return 'delivered' or 'skipped'. Raises PlatformError."""
    fields = client.hgetall(KEYS.submission(submission_id))
    record = SubmissionRecord.from_redis(fields) if fields else None
    if record is None or record.student_id is None or not record.status.is_final:
        return "skipped"
    context = load_launch(client, record.course, record.assignment, record.student_id)
    chosen = counted(client, record)
    if context is None or chosen is None:
        return "skipped"
    platform = registry.get(client, context.registration_id)
    if platform is None:
        raise PlatformError("the platform registration was removed", retry=False)
    scopes = [s for s in context.scopes if s in (c.SCOPE_SCORE, c.SCOPE_LINEITEM)]
    token = access_token(client, platform, scopes or [c.SCOPE_SCORE], config)
    max_score = chosen.max_score or 0.0
    try:
        item = line_item(client, context, token, record.assignment, max_score, config)
        score = {
            "userId": context.sub,
            "scoreGiven": chosen.score,
            "scoreMaximum": max_score,
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
            "timestamp": utcnow().isoformat(timespec="milliseconds"),
            "comment": f"Autograder: {chosen.score:g} / {max_score:g} ({chosen.filename})",
        }
        headers = {"Authorization": f"Bearer {token}", "Content-Type": c.SCORE_MEDIA_TYPE}
        request(
            "POST", with_path_suffix(item, "/scores"), config, json.dumps(score).encode(), headers
        )
    except PlatformError as exc:
        if " HTTP 401" in str(exc):
            forget_tokens(client, platform)  # expired early or revoked: get a new one
        raise
    client.hset(KEYS.lti_passback(submission_id), mapping={"score": f"{chosen.score:g}"})
    return "delivered"


def _count(client: redis.Redis, submission_id: str, status: str, error: str = "") -> None:
    key = KEYS.lti_passback(submission_id)
    pipe = client.pipeline(transaction=True)
    pipe.hincrby(key, "attempts", 1)
    pipe.hset(key, mapping={"status": status, "last_error": error[:500]})
    pipe.execute()


def bury(client: redis.Redis, submission_id: str, tries: int, error: str) -> None:
    """Give up on the passback of ``submission_id``: a dead letter of kind 'lti'."""
    course = client.hget(KEYS.submission(submission_id), "course") or ""
    letter = DeadLetter(
        id=secrets.token_urlsafe(12),
        submission_id=submission_id,
        course=course,
        url="lti-ags",
        last_error=error[:500],
        tries=tries,
        failed_at=utcnow(),
        kind="lti",
    )
    push_dead_letter(client, letter)
    client.hset(KEYS.lti_passback(submission_id), "status", "dead")
    log.warning("LTI passback of %s given up after %d tries: %s", submission_id, tries, error)


def register(app: Celery, settings: Settings, resolve: Resolver | None = None) -> None:
    """Register ``autograder.lti_passback`` with the callback delivery settings."""
    config = CallbackConfig.from_settings(settings)
    if resolve is not None:
        config = CallbackConfig(**{**config.__dict__, "resolve": resolve})
    limit = 12 * config.timeout_s + 10  # token, line item lookup and creation, score

    @app.task(
        name=PASSBACK_TASK, bind=True, acks_late=True, soft_time_limit=limit, time_limit=limit + 10
    )
    def lti_passback(self: Task, submission_id: str) -> str:
        client = redis_client(settings.redis_url)
        tries = self.request.retries + 1
        try:
            outcome = pass_back_once(client, submission_id, config)
        except PlatformError as exc:
            _count(client, submission_id, "pending", str(exc))
            if exc.retry and tries < config.max_tries:
                raise self.retry(countdown=config.delay_after(tries), max_retries=None) from None
            bury(client, submission_id, tries, str(exc))
            return "dead"
        if outcome == "delivered":
            _count(client, submission_id, "delivered")
        return outcome
