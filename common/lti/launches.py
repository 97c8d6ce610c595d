"""What a launch leaves behind for the grade passback, and who the student is.

A student's latest launch into an assignment is kept under ``KEYS.lti_launch(course,
assignment, student_id)``: the platform's user id (``sub``), the registration, and the
AGS endpoint claim (line item, line items container, scopes). The worker finds it from a
finished submission's course, assignment and student id, so the submission record needs
no field of its own, and a regrade is passed back like a first grading.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import redis
from pydantic import BaseModel, Field

from common.records import KEYS

STUDENT_PREFIX = "lti."
PASSBACK_TASK = "autograder.lti_passback"  # the worker's AGS task (worker/ags.py), by name


def student_id_for(issuer: str, sub: str) -> str:
    """Return the student id of the platform user ``sub`` of ``issuer``.

    ``lti.`` and 20 hex digits of SHA-256(issuer, sub): the same at every launch and for
    every deployment of that platform (``sub`` is unique per issuer), valid as a record's
    student id, and neither the LMS's internal id nor the student's name.
    """
    digest = hashlib.sha256(f"{issuer}\n{sub}".encode()).hexdigest()[:20]
    return f"{STUDENT_PREFIX}{digest}"


class LaunchContext(BaseModel):
    """A student's launch into one assignment, as the passback needs it."""

    registration_id: str
    issuer: str
    client_id: str
    deployment_id: str
    sub: str = Field(description="The platform's user id: AGS scores name it as userId.")
    name: str = ""
    course: str
    assignment: str
    student_id: str
    resource_link_id: str | None = None
    lineitem: str | None = Field(None, description="AGS line item URL, if the claim gave one.")
    lineitems: str | None = Field(None, description="AGS line items container URL.")
    scopes: list[str] = Field(default_factory=list)
    launched_at: datetime


def save_launch(client: redis.Redis, context: LaunchContext) -> None:
    """Store ``context`` as the student's latest launch into its assignment."""
    key = KEYS.lti_launch(context.course, context.assignment, context.student_id)
    client.set(key, context.model_dump_json())


def load_launch(
    client: redis.Redis, course: str, assignment: str, student_id: str
) -> LaunchContext | None:
    """Return the student's latest launch into ``assignment`` of ``course``, or None."""
    text = client.get(KEYS.lti_launch(course, assignment, student_id))
    return LaunchContext.model_validate_json(text) if text else None
