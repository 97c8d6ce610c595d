"""Durable records in Redis, shared by the web side and the worker side.

The web process writes a submission before answering 202; the worker moves it through
``queued -> running -> graded | not_gradable | failed`` and stores the result. Both sides
read this one model and this one key layout (:class:`RedisKeys`); neither imports the other.

A submission is a Redis hash (one field per model field, ``result`` as JSON). Secondary
indexes are sorted sets scored by the receipt time (Unix seconds): all submissions, per
course, per assignment, per student, per status, and per (course, assignment, student)
for the submission cap.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

import redis
from pydantic import BaseModel, Field

from common.contracts import GradingResult

# Buckets (seconds) of the latency histograms the worker records and /metrics exposes.
LATENCY_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
QUEUES = ("cpu", "gpu")


class SubmissionStatus(StrEnum):
    """Where a submission is in its life; the last three are final."""

    QUEUED = "queued"
    RUNNING = "running"
    GRADED = "graded"
    NOT_GRADABLE = "not_gradable"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        """True once grading is over (whatever the outcome)."""
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset(
    {SubmissionStatus.GRADED, SubmissionStatus.NOT_GRADABLE, SubmissionStatus.FAILED}
)
# Finished and charged to the student (a not-gradable file scores 0, as the student sees
# it); a failed run is ours and never counts. Gradebook, stats and LMS passback agree.
COUNTED_STATUSES = frozenset({SubmissionStatus.GRADED, SubmissionStatus.NOT_GRADABLE})


def utcnow() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


def connect(url: str, timeout_s: float | None = None) -> redis.Redis:
    """Return a Redis client that decodes replies to str (connects lazily, on first use)."""
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        health_check_interval=30,
    )


def queue_for(device: str) -> str:
    """Return the Celery queue that grades on ``device`` ('cuda' -> 'gpu', else 'cpu')."""
    return "gpu" if device == "cuda" else "cpu"


class SubmissionRecord(BaseModel):
    """One stored submission: what was sent, where it is, and its result once finished.

    The file's text is kept apart, under ``RedisKeys.source``, so that reading a record (a
    status poll, a listing) never moves the whole file.
    """

    id: str = Field(description="Unguessable id (secrets.token_urlsafe).")
    assignment: str
    course: str
    student_id: str | None = None
    filename: str = Field(description="The file's name as sent, e.g. 'hw4.ipynb'.")
    sha256: str = Field(description="Hex SHA-256 of the file's bytes.")
    device: Literal["cpu", "cuda"] = "cpu"
    status: SubmissionStatus = SubmissionStatus.QUEUED
    received_at: datetime
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = Field(0, description="Grading runs started (retries and redeliveries).")
    worker: str | None = Field(None, description="'host:pid' of the process grading it last.")
    callback_url: str | None = None
    key_id: str | None = Field(None, description="Id of the API key that submitted it.")
    score: float | None = Field(None, description="Copied from the result, for listings.")
    max_score: float | None = None
    flags: int = Field(0, description="How many flags the result has, for the gradebook.")
    result: GradingResult | None = None
    # LMS integration (issue 5): where the submission came from, and its grade callback.
    lms_submission_id: str | None = Field(None, description="The LMS's id (webhooks only).")
    callback_status: Literal["pending", "delivered", "dead"] | None = None
    callback_attempts: int = Field(0, description="Callback delivery tries so far.")
    callback_delivered_at: datetime | None = None
    callback_last_error: str | None = None
    regraded_at: datetime | None = Field(None, description="Last `autograder regrade`.")
    late: bool = Field(False, description="Received after the assignment's due date.")

    def to_redis(self) -> dict[str, str]:
        """Return the hash fields to store (None fields are left out)."""
        fields = self.model_dump(mode="json", exclude_none=True, exclude={"result"})
        mapping = {name: str(value) for name, value in fields.items()}
        if self.result is not None:
            mapping["result"] = self.result.model_dump_json()
        return mapping

    @classmethod
    def from_redis(cls, fields: dict[str, str]) -> SubmissionRecord:
        """Rebuild a record from its hash fields (as decoded strings)."""
        data: dict[str, object] = dict(fields)
        if "result" in data:
            data["result"] = GradingResult.model_validate_json(fields["result"])
        return cls.model_validate(data)


class RedisKeys:
    """The key layout: every Redis key the project uses is built here."""

    def __init__(self, prefix: str = "ag:") -> None:
        self.prefix = prefix

    def submission(self, submission_id: str) -> str:
        return f"{self.prefix}sub:{submission_id}"

    def source(self, submission_id: str) -> str:
        """String: the file's text (a notebook's JSON text)."""
        return f"{self.prefix}src:{submission_id}"

    def lock(self, submission_id: str) -> str:
        return f"{self.prefix}lock:{submission_id}"

    def finished_channel(self, submission_id: str) -> str:
        """Pub/sub channel that carries the final status once a submission finishes."""
        return f"{self.prefix}finished:{submission_id}"

    @property
    def index_all(self) -> str:
        return f"{self.prefix}idx:all"

    def index_course(self, course: str) -> str:
        return f"{self.prefix}idx:course:{course}"

    def index_assignment(self, assignment: str) -> str:
        return f"{self.prefix}idx:assignment:{assignment}"

    def index_student(self, student_id: str) -> str:
        return f"{self.prefix}idx:student:{student_id}"

    @property
    def index_status_prefix(self) -> str:
        return f"{self.prefix}idx:status:"

    def index_status(self, status: str) -> str:
        return f"{self.index_status_prefix}{status}"

    def attempts(self, course: str, assignment: str, student_id: str) -> str:
        """Submissions of one student for one assignment in one course (the cap)."""
        return f"{self.prefix}idx:attempts:{course}:{assignment}:{student_id}"

    @property
    def catalog(self) -> str:
        """Hash: assignment id -> AssignmentInfo JSON, published by every worker."""
        return f"{self.prefix}catalog"

    def workers(self, queue: str) -> str:
        """Set of worker names that consume ``queue``."""
        return f"{self.prefix}workers:{queue}"

    def heartbeat(self, queue: str, worker: str) -> str:
        """Key with a TTL that exists while ``worker`` is alive and consuming ``queue``."""
        return f"{self.prefix}heartbeat:{queue}:{worker}"

    def latency(self, name: str) -> str:
        """Hash of a latency histogram: bucket bounds, '+Inf', 'sum' and 'count'."""
        return f"{self.prefix}stats:{name}"

    @property
    def incidents(self) -> str:
        """Hash: incident name ('worker_stalls', 'orphans_requeued') -> count (/metrics)."""
        return f"{self.prefix}stats:incidents"

    @property
    def sweeper_lock(self) -> str:
        """Held by the one worker sweeping for orphaned records right now."""
        return f"{self.prefix}sweeper:lock"

    @property
    def sweeper_suspects(self) -> str:
        """Hash: id -> what the last sweep saw of an orphan ('status:attempts')."""
        return f"{self.prefix}sweeper:suspects"

    def scratch(self, token: str) -> str:
        """A short-lived key for an intersection of indexes (a filtered listing)."""
        return f"{self.prefix}tmp:{token}"

    def assignment_settings(self, course: str, assignment: str) -> str:
        """String: AssignmentSettings JSON of one assignment in one course."""
        return f"{self.prefix}settings:{course}:{assignment}"

    def regrade_job(self, job_id: str) -> str:
        """Hash: a regrade job's progress (common/regrade_jobs.py)."""
        return f"{self.prefix}regrade:{job_id}"

    @property
    def web_secret(self) -> str:
        """String: the session-signing secret, made once when AUTOGRADER_SECRET_KEY is unset."""
        return f"{self.prefix}web:secret"

    # LTI 1.3 (issue 13): registrations, the tool's keys, launches and grade passback.
    @property
    def lti_platforms(self) -> str:
        """Hash: registration id -> Registration JSON."""
        return f"{self.prefix}lti:platforms"

    @property
    def lti_tool_keys(self) -> str:
        """Hash: kid -> ToolKey JSON (the current key and the retired ones)."""
        return f"{self.prefix}lti:toolkeys"

    def lti_state(self, state: str) -> str:
        """String with a TTL: the nonce and registration of one login, until its launch."""
        return f"{self.prefix}lti:state:{state}"

    def lti_nonce(self, digest: str) -> str:
        """Key with a TTL: a nonce already used (digest of issuer and nonce)."""
        return f"{self.prefix}lti:nonce:{digest}"

    def lti_launch(self, course: str, assignment: str, student_id: str) -> str:
        """String: the LaunchContext JSON of a student's latest launch into an assignment."""
        return f"{self.prefix}lti:launch:{course}:{assignment}:{student_id}"

    def lti_token(self, registration_id: str) -> str:
        """String with a TTL: a cached AGS access token of one platform registration."""
        return f"{self.prefix}lti:token:{registration_id}"

    def lti_passback(self, submission_id: str) -> str:
        """Hash: the grade passback of one submission (status, tries, last error, score)."""
        return f"{self.prefix}lti:passback:{submission_id}"

    @property
    def catalog_instructions(self) -> str:
        """Hash: assignment id -> the pack's README (Markdown), for the student page."""
        return f"{self.prefix}catalog:instructions"

    def api_key(self, key_hash: str) -> str:
        return f"{self.prefix}apikey:{key_hash}"

    @property
    def api_keys(self) -> str:
        """Hash: key id -> key hash, to list and revoke keys."""
        return f"{self.prefix}apikeys"

    def broker_queue_lists(self, queue: str) -> list[str]:
        """The Redis lists kombu keeps for ``queue``, one per priority step (0, 3, 6, 9)."""
        return [queue] + [f"{queue}\x06\x16{step}" for step in (3, 6, 9)]

    @property
    def broker_unacked(self) -> str:
        """Hash kombu keeps of delivered, unacknowledged messages (delivery tag -> message)."""
        return "unacked"


KEYS = RedisKeys()
