"""Deliver a finished submission's grade to its callback URL, signed, with retries.

Celery task ``autograder.deliver_callback(submission_id)``: load the record, build the
payload (common.lms.CallbackPayload), sign it with the submitting key's webhook secret
and POST it to the checked, pinned address (worker/netguard.py). Network errors, 5xx, 408
and 429 are retried with exponential backoff and full jitter; any other answer but 2xx
(4xx, 3xx) is final at once. After the last try the delivery becomes a dead letter that an
admin can replay. Each try is counted on the submission's hash: ``callback_attempts``,
``callback_last_error``, then ``callback_status`` (delivered | dead) and
``callback_delivered_at``. A delivered callback is never sent again by a redelivered task.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
from dataclasses import dataclass
from enum import StrEnum

import redis
from celery import Celery, Task
from celery.exceptions import SoftTimeLimitExceeded

from common.callback_urls import CallbackPolicy, CallbackURLError, Resolver
from common.lms import (
    CALLBACK_EVENT,
    CALLBACK_QUEUE,
    CALLBACK_TASK,
    LMS_KEYS,
    CallbackPayload,
    DeadLetter,
    push_dead_letter,
    webhook_secret,
)
from common.records import KEYS, SubmissionRecord, utcnow
from common.settings import Settings
from common.signing import KEY_ID_HEADER, SIGNATURE_HEADER, sign
from worker.connections import redis_client
from worker.netguard import NetworkError, Reply, check_and_post

log = logging.getLogger(__name__)
RETRY_STATUSES = frozenset({408, 429})  # "try again later", although 4xx


class Outcome(StrEnum):
    """What one delivery try came to."""

    DELIVERED = "delivered"
    RETRY = "retry"  # worth another try later
    GIVE_UP = "give_up"  # another try would fail the same way
    SKIPPED = "skipped"  # nothing to send: no URL, not finished, delivered already, busy


@dataclass(frozen=True)
class Attempt:
    """The outcome of one try and, if it failed, why (a line for the dead letter)."""

    outcome: Outcome
    error: str = ""
    record: SubmissionRecord | None = None


@dataclass(frozen=True)
class CallbackConfig:
    """Delivery settings of one worker process (the ``callback_*`` settings)."""

    policy: CallbackPolicy
    max_tries: int
    base_delay_s: float
    max_delay_s: float
    timeout_s: float
    public_url: str
    resolve: Resolver | None = None  # None: the system resolver

    @classmethod
    def from_settings(cls, settings: Settings) -> CallbackConfig:
        """Read the settings; waits stay under the broker's visibility timeout."""
        policy = CallbackPolicy.build(
            settings.callback_allowed_hosts,
            settings.callback_allow_private,
            settings.callback_allowed_networks,
        )
        # Redis redelivers a message held (delayed) longer than the visibility timeout.
        longest = min(settings.callback_max_delay_s, 0.8 * settings.visibility_timeout_s)
        return cls(
            policy=policy,
            max_tries=settings.callback_max_tries,
            base_delay_s=settings.callback_base_delay_s,
            max_delay_s=longest,
            timeout_s=settings.callback_timeout_s,
            public_url=settings.public_base_url(),
        )

    def delay_after(self, tries: int) -> float:
        """Return the wait after ``tries`` failed tries: full jitter, uniform in [0, cap).

        cap = min(max delay, base * 2**(tries-1)), so receivers that failed together are
        not all hit again at the same moment.
        """
        cap = min(self.max_delay_s, self.base_delay_s * 2 ** max(0, tries - 1))
        return random.random() * cap  # noqa: S311 - jitter, not cryptography


def classify(reply: Reply) -> Attempt:
    """Return what an HTTP answer means for the delivery."""
    if 200 <= reply.status < 300:
        return Attempt(Outcome.DELIVERED)
    excerpt = reply.body[:200].decode("utf-8", "replace").strip()
    error = f"HTTP {reply.status}" + (f": {excerpt}" if excerpt else "")
    if reply.status >= 500 or reply.status in RETRY_STATUSES:
        return Attempt(Outcome.RETRY, error)
    return Attempt(Outcome.GIVE_UP, error)


def deliver_once(client: redis.Redis, submission_id: str, config: CallbackConfig) -> Attempt:
    """Make one delivery try for ``submission_id`` and count it on the submission."""
    fields = client.hgetall(KEYS.submission(submission_id))
    if not fields:
        return Attempt(Outcome.SKIPPED, "no such submission")
    record = SubmissionRecord.from_redis(fields)
    if not record.callback_url or record.callback_delivered_at or not record.status.is_final:
        return Attempt(Outcome.SKIPPED, record=record)
    secret = webhook_secret(client, record.key_id) if record.key_id else None
    if secret is None:
        attempt = Attempt(Outcome.GIVE_UP, f"API key {record.key_id} has no webhook secret")
    else:
        attempt = _post(record, secret, config)
    _count_try(client, submission_id, attempt)
    return Attempt(attempt.outcome, attempt.error, record)


def _post(record: SubmissionRecord, secret: str, config: CallbackConfig) -> Attempt:
    """Sign and POST the payload; turn every way it can go into an Attempt."""
    payload = CallbackPayload.of(record, config.public_url).model_dump(mode="json")
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "autograder-callbacks/1",
        SIGNATURE_HEADER: sign(secret, body),
        KEY_ID_HEADER: str(record.key_id),
        "X-Autograder-Event": CALLBACK_EVENT,
        "X-Autograder-Delivery": record.id,  # the same on every try: receivers dedupe on it
    }
    url = record.callback_url or ""
    try:
        reply = check_and_post(
            url, body, headers, config.policy, resolve=config.resolve, timeout_s=config.timeout_s
        )
    except CallbackURLError as exc:
        # A DNS failure may heal; a URL outside the policy will not.
        outcome = Outcome.RETRY if exc.reason == "unresolvable" else Outcome.GIVE_UP
        return Attempt(outcome, f"refused: {exc}")
    except (NetworkError, SoftTimeLimitExceeded) as exc:
        return Attempt(Outcome.RETRY, str(exc) or "no answer in time")
    return classify(reply)


def _count_try(client: redis.Redis, submission_id: str, attempt: Attempt) -> None:
    key = KEYS.submission(submission_id)
    pipe = client.pipeline(transaction=True)
    pipe.hincrby(key, "callback_attempts", 1)
    if attempt.outcome is Outcome.DELIVERED:
        pipe.hset(key, mapping={"callback_status": "delivered"})
        pipe.hset(key, "callback_delivered_at", utcnow().isoformat())
    else:
        pipe.hset(key, "callback_last_error", attempt.error[:500])
    pipe.execute()


def bury(client: redis.Redis, record: SubmissionRecord, tries: int, error: str) -> DeadLetter:
    """Give up on ``record``'s callback: push a dead letter and mark the submission."""
    letter = DeadLetter(
        id=secrets.token_urlsafe(12),
        submission_id=record.id,
        course=record.course,
        url=record.callback_url or "",
        last_error=error[:500],
        tries=tries,
        failed_at=utcnow(),
    )
    push_dead_letter(client, letter)
    client.hset(KEYS.submission(record.id), "callback_status", "dead")
    log.warning("callback of %s given up after %d tries: %s", record.id, tries, error)
    return letter


def deliver(
    client: redis.Redis, submission_id: str, config: CallbackConfig, tries_before: int
) -> tuple[Attempt, float | None]:
    """Make try number ``tries_before + 1``; return it and the wait before the next, if any.

    A per-submission lock keeps two tasks (a replay and a late redelivery) from posting the
    same grade at once; the one that finds it held does nothing.
    """
    lock = LMS_KEYS.callback_lock(submission_id)
    if not client.set(lock, "1", nx=True, px=int((4 * config.timeout_s + 10) * 1000)):
        return Attempt(Outcome.SKIPPED, "another delivery is in progress"), None
    try:
        attempt = deliver_once(client, submission_id, config)
    finally:
        client.delete(lock)
    tries = tries_before + 1
    if attempt.outcome is Outcome.RETRY and tries < config.max_tries:
        return attempt, config.delay_after(tries)
    if attempt.outcome in (Outcome.RETRY, Outcome.GIVE_UP) and attempt.record is not None:
        bury(client, attempt.record, tries, attempt.error)
    return attempt, None


def enqueue_delivery(app: Celery, client: redis.Redis, submission_id: str) -> bool:
    """Queue the callback of a just-finished submission if it has a callback_url."""
    if not client.hget(KEYS.submission(submission_id), "callback_url"):
        return False
    app.send_task(CALLBACK_TASK, kwargs={"submission_id": submission_id}, queue=CALLBACK_QUEUE)
    return True


def register(app: Celery, settings: Settings, resolve: Resolver | None = None) -> None:
    """Register ``autograder.deliver_callback`` on ``app`` with the settings' policy."""
    config = CallbackConfig.from_settings(settings)
    if resolve is not None:
        config = CallbackConfig(**{**config.__dict__, "resolve": resolve})
    limit = 4 * config.timeout_s + 10  # connect, send, read: each bounded by the timeout

    @app.task(
        name=CALLBACK_TASK, bind=True, acks_late=True, soft_time_limit=limit, time_limit=limit + 10
    )
    def deliver_callback(self: Task, submission_id: str) -> str:
        client = redis_client(settings.redis_url)
        try:
            attempt, wait = deliver(client, submission_id, config, self.request.retries)
        except redis.RedisError as exc:  # our store is down: not the receiver's fault
            if self.request.retries >= config.max_tries:
                raise
            wait = config.delay_after(self.request.retries + 1)
            raise self.retry(exc=exc, countdown=wait, max_retries=None) from None
        if wait is not None:
            raise self.retry(countdown=wait, max_retries=None)
        return attempt.outcome.value
