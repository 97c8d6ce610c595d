"""Accept one submission: check it, store it durably, then enqueue it.

:func:`accept` is the one way in, shared by POST /submissions and the LMS webhook: the
record is stored before the task is sent, and removed again if the send fails, so an
accepted submission (202) is always both durable and queued.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from common.assignment_settings import LatePolicy, load_assignment_settings
from common.callback_urls import CallbackPolicy, CallbackURLError, check_url
from common.lms import webhook_secret
from common.records import SubmissionRecord, utcnow
from service.context import Services
from service.errors import (
    CatalogUnknownError,
    DeadlinePassedError,
    InvalidSubmissionError,
    PermissionDeniedError,
    UnlistedAssignmentError,
)
from service.keys import ALL_COURSES, ApiKey
from service.models import SubmissionFields
from service.validation import validate_file

DEFAULT_COURSE = "default"
log = logging.getLogger(__name__)


def course_for(key: ApiKey, requested: str | None) -> str:
    """Return the course a submission by ``key`` belongs to (its own, or one it may choose)."""
    if requested is None:
        return DEFAULT_COURSE if key.course == ALL_COURSES else key.course
    if not key.can_see(requested):
        raise PermissionDeniedError(f"this key acts for course {key.course!r} only")
    return requested


def accept(
    ctx: Services,
    key: ApiKey,
    fields: SubmissionFields,
    filename: str | None,
    data: bytes,
    received_at: datetime | None = None,
    lms_submission_id: str | None = None,
) -> SubmissionRecord:
    """Validate, store and enqueue one submission; return its stored record.

    The assignment's settings in the course apply here, for every way in: a submission
    after the due date is marked late, or refused (DeadlinePassedError, nothing stored)
    under ``late_policy=refuse``; the assignment's own cap replaces the service's.
    """
    course = course_for(key, fields.course)
    valid = validate_file(filename, data, ctx.settings.max_upload_bytes)
    check_callback_url(ctx, key, fields.callback_url)
    info = ctx.store.assignment(fields.assignment)
    if info is None:
        known = ", ".join(a.id for a in ctx.store.assignments())
        if not known:  # no worker has started yet (a first start): not the sender's fault
            retry = str(max(1, int(ctx.settings.unavailable_retry_after_s)))
            raise CatalogUnknownError(
                "no grading worker has published the assignments yet; nothing was "
                "accepted, try again shortly",
                headers={"Retry-After": retry},
            )
        raise UnlistedAssignmentError(
            f"there is no assignment {fields.assignment!r} (known: {known})"
        )
    if fields.device not in info.devices:
        raise InvalidSubmissionError(
            f"{info.id} is graded on {', '.join(info.devices)}, not {fields.device}"
        )
    received_at = received_at or utcnow()
    late, cap = deadline_and_cap(ctx, course, info.id, received_at)
    submission_id = secrets.token_urlsafe(18)
    record = SubmissionRecord(
        id=submission_id,
        assignment=info.id,
        course=course,
        student_id=fields.student_id or anonymous_student(submission_id),
        filename=valid.filename,
        sha256=valid.sha256,
        device=fields.device,
        received_at=received_at,
        queued_at=utcnow(),
        callback_url=fields.callback_url,
        key_id=key.id,
        lms_submission_id=lms_submission_id,
        late=late,
    )
    ctx.store.create(record, valid.text, cap=cap)
    try:
        ctx.queue.enqueue(record.id, record.device)
    except Exception:
        log.warning("enqueue of %s failed; removing it", record.id)
        ctx.store.discard(record)
        raise
    return record


def deadline_and_cap(
    ctx: Services, course: str, assignment: str, received_at: datetime
) -> tuple[bool, int]:
    """Return (late, cap) of a submission received at ``received_at`` under the
    assignment's settings in ``course``; DeadlinePassedError if it is late and the
    course refuses late work."""
    rules = load_assignment_settings(ctx.redis, course, assignment)
    late = rules.is_late(received_at)
    due = rules.due_local()
    if late and due is not None and rules.late_policy is LatePolicy.REFUSE:
        raise DeadlinePassedError(
            f"{assignment} was due {due:%Y-%m-%d %H:%M} ({rules.timezone}); this course "
            "does not accept late submissions",
            due_at=due.isoformat(),
        )
    return late, rules.cap(ctx.settings.max_submissions_per_student)


def anonymous_student(submission_id: str) -> str:
    """The student id of a submission sent without one: ``anonymous.<submission id>``.

    So it still has its own line in the gradebook and can be found, instead of belonging
    to no one ('_' becomes '.', which student ids allow and submission ids never hold).
    """
    return f"anonymous.{submission_id.replace('_', '.')}"


def check_callback_url(ctx: Services, key: ApiKey, url: str | None) -> None:
    """Refuse a callback URL the workers would refuse to call (the LMS policy, issue 5)."""
    if url is None:
        return
    if webhook_secret(ctx.redis, key.id) is None:
        raise InvalidSubmissionError(
            "this API key has no webhook secret to sign callbacks with; use a key made by "
            "`autograder keys create`"
        )
    settings = ctx.settings
    policy = CallbackPolicy.build(
        settings.callback_allowed_hosts,
        settings.callback_allow_private,
        settings.callback_allowed_networks,
    )
    try:
        check_url(url, policy)
    except CallbackURLError as exc:
        raise InvalidSubmissionError(f"callback_url: {exc}", reason=exc.reason) from None
