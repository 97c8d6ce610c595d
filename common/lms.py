"""What the LMS integration keeps in Redis, shared by the web side and the worker side.

- Webhook secrets: one shared HMAC secret per API key, in the hash ``ag:webhook:secrets``
  (key id -> secret). It signs the webhooks an LMS sends and the callbacks we send back,
  so it is stored as is (a hash could not sign); it is shown once, when the key is made.
- Replay guard: ``ag:webhook:seen:<key id>:<signature>`` exists while a signature could
  still pass the tolerance window.
- Idempotency: ``ag:webhook:lms:<key id>:<sha256 of the LMS submission id>`` holds the
  submission created for that LMS submission, so a second delivery finds it.
- Dead letters: callbacks that could not be delivered, newest first, in the list
  ``ag:deadletters`` (capped); an admin lists and replays them through the API.

The key names extend :data:`common.records.KEYS` (same prefix).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Literal

import redis
from pydantic import BaseModel, Field

from common.records import KEYS, SubmissionRecord

DEAD_LETTERS_KEPT = 10_000
SECRET_PREFIX = "whsec_"
CALLBACK_TASK = "autograder.deliver_callback"
CALLBACK_QUEUE = "cpu"  # every deployment has cpu workers
CALLBACK_EVENT = "submission.finished"


class LmsKeys:
    """Key names of the LMS integration, under the records' prefix."""

    def __init__(self, prefix: str = KEYS.prefix) -> None:
        self.prefix = prefix

    @property
    def webhook_secrets(self) -> str:
        return f"{self.prefix}webhook:secrets"

    def webhook_seen(self, key_id: str, signature: str) -> str:
        return f"{self.prefix}webhook:seen:{key_id}:{signature}"

    def webhook_submission(self, key_id: str, lms_submission_id: str) -> str:
        # Hashed: the LMS id is the sender's text, and key names should stay short and plain.
        digest = hashlib.sha256(lms_submission_id.encode()).hexdigest()[:40]
        return f"{self.prefix}webhook:lms:{key_id}:{digest}"

    def callback_lock(self, submission_id: str) -> str:
        return f"{self.prefix}callback:lock:{submission_id}"

    @property
    def dead_letters(self) -> str:
        return f"{self.prefix}deadletters"


LMS_KEYS = LmsKeys()


class DeadLetter(BaseModel):
    """A grade callback that was given up on, kept for an admin to read and replay."""

    id: str = Field(description="Id of this dead letter (to replay it).")
    submission_id: str
    course: str
    url: str = Field(description="The callback URL that failed.")
    last_error: str = Field(description="Why the last try failed, e.g. 'HTTP 503: ...'.")
    tries: int = Field(ge=0, description="Delivery tries made before giving up.")
    failed_at: datetime
    kind: Literal["callback", "lti"] = Field(
        "callback", description="A webhook callback, or an LTI grade passback (AGS)."
    )


class CallbackTest(BaseModel):
    """One test's verdict as the LMS receives it."""

    name: str
    function: str
    passed: bool
    score: float
    max_score: float
    visibility: str
    message: str


class CallbackPayload(BaseModel):
    """The JSON body POSTed to a submission's callback_url once it is finished."""

    event: str = CALLBACK_EVENT
    submission_id: str
    lms_submission_id: str | None = Field(description="As the LMS sent it; None if not an LMS one.")
    course: str
    assignment: str
    student_id: str | None
    status: str = Field(description="'graded', 'not_gradable' (score 0) or 'failed' (ours).")
    score: float
    max_score: float
    finished_at: datetime | None
    tests: list[CallbackTest]
    error: dict | None = Field(description="Why the file could not be run: kind, message, line.")
    link: str = Field(description="The submission in the API (needs an API key).")

    @classmethod
    def of(cls, record: SubmissionRecord, public_url: str) -> CallbackPayload:
        """Build the payload of a finished ``record``; links start with ``public_url``."""
        result = record.result
        tests = [
            CallbackTest(**t.model_dump(mode="json", include=set(CallbackTest.model_fields)))
            for t in (result.tests if result else [])
        ]
        return cls(
            submission_id=record.id,
            lms_submission_id=record.lms_submission_id,
            course=record.course,
            assignment=record.assignment,
            student_id=record.student_id,
            status=record.status.value,
            score=result.score if result else 0.0,
            max_score=result.max_score if result else 0.0,
            finished_at=record.finished_at,
            tests=tests,
            error=result.error.model_dump(mode="json") if result and result.error else None,
            link=f"{public_url.rstrip('/')}/api/v1/submissions/{record.id}",
        )


def new_webhook_secret() -> str:
    """Return a fresh webhook secret (256 random bits)."""
    return f"{SECRET_PREFIX}{secrets.token_urlsafe(32)}"


def issue_webhook_secret(client: redis.Redis, key_id: str) -> str:
    """Draw, store and return a new webhook secret for API key ``key_id`` (or rotate it)."""
    secret = new_webhook_secret()
    client.hset(LMS_KEYS.webhook_secrets, key_id, secret)
    return secret


def webhook_secret(client: redis.Redis, key_id: str) -> str | None:
    """Return the webhook secret of API key ``key_id``, or None if it has none."""
    value = client.hget(LMS_KEYS.webhook_secrets, key_id)
    return value.decode() if isinstance(value, bytes) else value


def push_dead_letter(client: redis.Redis, letter: DeadLetter) -> None:
    """Add ``letter`` to the front of the dead-letter list, keeping the newest ones."""
    pipe = client.pipeline(transaction=True)
    pipe.lpush(LMS_KEYS.dead_letters, letter.model_dump_json())
    pipe.ltrim(LMS_KEYS.dead_letters, 0, DEAD_LETTERS_KEPT - 1)
    pipe.execute()


def list_dead_letters(client: redis.Redis, start: int = 0, count: int = 100) -> list[DeadLetter]:
    """Return ``count`` dead letters from position ``start``, newest first."""
    texts = client.lrange(LMS_KEYS.dead_letters, start, start + count - 1)
    return [DeadLetter.model_validate_json(text) for text in texts]


def count_dead_letters(client: redis.Redis) -> int:
    """Return how many dead letters are kept."""
    return int(client.llen(LMS_KEYS.dead_letters))


def take_dead_letter(
    client: redis.Redis, letter_id: str, allowed: Callable[[DeadLetter], bool] = lambda _: True
) -> DeadLetter | None:
    """Remove dead letter ``letter_id`` from the list and return it; None if absent.

    A letter ``allowed`` refuses (another course's) counts as absent. Removal is by exact
    value (LREM), so of two admins replaying one letter at once only one gets it back.
    """
    for text in client.lrange(LMS_KEYS.dead_letters, 0, -1):
        letter = DeadLetter.model_validate_json(text)
        if letter.id == letter_id:
            if not allowed(letter):
                return None
            return letter if client.lrem(LMS_KEYS.dead_letters, 1, text) else None
    return None
