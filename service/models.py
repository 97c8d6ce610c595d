"""Pydantic models of every request and response body of the API (the OpenAPI schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from common.catalog import AssignmentSummary, CaseInfo, FunctionInfo
from common.contracts import Device, GradingResult
from common.records import SubmissionRecord, SubmissionStatus

NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"  # assignment and course ids
STUDENT = r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$"


class SubmissionFields(BaseModel):
    """The fields of a submission besides the file (multipart form fields or JSON members)."""

    model_config = ConfigDict(extra="forbid")

    assignment: str = Field(pattern=NAME, description="Assignment id, e.g. 'lecture4-numpy'.")
    student_id: str | None = Field(None, pattern=STUDENT)
    course: str | None = Field(
        None, pattern=NAME, description="Admin keys only; an integration key's own course."
    )
    callback_url: str | None = Field(
        None, max_length=2048, pattern=r"^https?://", description="Where to POST the grade."
    )
    device: Device = "cpu"


class SubmissionForm(SubmissionFields):
    """multipart/form-data: the fields above and the file itself."""

    file: bytes = Field(description="The .py or .ipynb file (its name is kept).")


class SubmissionJSON(SubmissionFields):
    """application/json: the file as text (`source`) or a base64 notebook, and its name."""

    filename: str | None = Field(
        None, description="Default 'submission.py' (source) or 'submission.ipynb' (base64)."
    )
    source: str | None = Field(None, description="A .py file's text, or a notebook's JSON.")
    notebook_base64: str | None = Field(None, description="A .ipynb file, base64-encoded.")


class SubmissionLinks(BaseModel):
    submission: str
    result: str
    gradescope: str


class SubmissionAccepted(BaseModel):
    """The answer to a new submission: its id, and where to poll."""

    id: str
    status: SubmissionStatus
    links: SubmissionLinks


class SubmissionSummary(BaseModel):
    """A submission's state, as listed; the grading result only on GET /submissions/{id}."""

    id: str
    assignment: str
    course: str
    student_id: str | None
    filename: str
    sha256: str
    device: Device
    status: SubmissionStatus
    received_at: datetime
    queued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    score: float | None
    max_score: float | None
    late: bool = Field(False, description="Received after the assignment's due date.")
    links: SubmissionLinks

    @classmethod
    def of(cls, record: SubmissionRecord, links: SubmissionLinks) -> SubmissionSummary:
        return cls.model_validate({**record.model_dump(exclude={"result"}), "links": links})


class SubmissionDetail(SubmissionSummary):
    """A submission with its callback URL and, once finished, the grading result."""

    callback_url: str | None
    result: GradingResult | None
    # LMS integration (issue 5): the LMS's id, the grade callback's delivery, regrades.
    lms_submission_id: str | None = None
    callback_status: Literal["pending", "delivered", "dead"] | None = None
    callback_attempts: int = 0
    callback_delivered_at: datetime | None = None
    callback_last_error: str | None = None
    regraded_at: datetime | None = None

    @classmethod
    def of(cls, record: SubmissionRecord, links: SubmissionLinks) -> SubmissionDetail:
        return cls.model_validate({**record.model_dump(), "links": links})


class PageLinks(BaseModel):
    next: str | None
    prev: str | None


class SubmissionPage(BaseModel):
    """One page of submissions, newest first."""

    items: list[SubmissionSummary]
    page: int
    per_page: int
    total: int
    links: PageLinks


class WaitQuery(BaseModel):
    wait: float = Field(0, ge=0, le=30, description="Long-poll: wait up to this many seconds.")


class ResultQuery(BaseModel):
    format: Literal["json", "gradescope"] = "json"


class ListQuery(BaseModel):
    assignment: str | None = Field(None, pattern=NAME)
    student_id: str | None = Field(None, pattern=STUDENT)
    status: SubmissionStatus | None = None
    course: str | None = Field(None, pattern=NAME, description="Within the key's scope.")
    page: int = Field(1, ge=1, le=1_000_000)  # bounded: Redis ranges need 64-bit offsets
    per_page: int = Field(20, ge=1, le=100)


class StarterQuery(BaseModel):
    format: Literal["py", "ipynb"] = "py"


class AssignmentList(BaseModel):
    items: list[AssignmentSummary]


class AssignmentDetail(AssignmentSummary):
    """An assignment's functions (points, signatures) and visible cases."""

    functions: list[FunctionInfo]
    visible_cases: list[CaseInfo]
    starter: dict[str, str] = Field(description="Links to the starter .py and .ipynb.")


class Problem(BaseModel):
    """An RFC 9457 problem: every error answer (application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[dict] | None = Field(None, description="Validation errors: loc, msg, type.")


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class QueueState(BaseModel):
    """One queue: who consumes it and what waits in it."""

    workers: int = Field(description="Live workers consuming this queue.")
    waiting: int = Field(description="Tasks waiting in it, not yet taken by a worker.")
    stalled: bool = Field(
        description="Tasks wait and no worker consumes it (e.g. cuda jobs, no GPU worker): "
        "they stay queued until one starts, never graded elsewhere."
    )


class SandboxState(BaseModel):
    """The sandbox one worker grades with: mode ('bwrap', 'process', or 'unavailable': it
    refused to start and ``problem`` says why) and which isolation layers are active."""

    mode: str
    layers: dict[str, bool] = Field(
        default_factory=dict, description="namespaces, seccomp, landlock, cgroup: active or not."
    )
    problem: str | None = None


class Readiness(BaseModel):
    """Ready when Redis answers and at least one worker consumes the cpu queue."""

    ready: bool
    redis: bool
    workers: dict[str, int] = Field(description="Live workers per queue ('cpu', 'gpu').")
    queues: dict[str, QueueState] = Field(
        default_factory=dict, description="Per queue: workers, waiting tasks, stalled."
    )
    sandbox: dict[str, SandboxState] = Field(
        default_factory=dict,
        description="Per worker (live ones, and those that refused to start in the last "
        "10 minutes): its sandbox mode and active isolation layers.",
    )
