"""Who a page visitor is: one signed-cookie session holds at most one identity.

A staff identity (a TA or instructor of one course) comes from signing in with a staff
API key of that course, or from an LTI launch with an Instructor or TeachingAssistant role.
A student identity comes from an LTI launch only: the student id is derived from the
launch's ``sub`` and the course from the platform registration, so it is the same at every
launch. The cookie is signed, not encrypted: it holds ids, never secrets.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from flask import session

from service.errors import PermissionDeniedError, SignInRequiredError

STAFF, STUDENT = "staff", "student"


@dataclass(frozen=True)
class StaffIdentity:
    """A TA or instructor of ``course`` ('*' for an admin key: every course)."""

    course: str
    name: str  # shown in the page header: the key's id, or the LMS user's name
    via: Literal["key", "lti"]
    key_id: str | None = None  # the API key signed in with (re-checked on every request)

    def can_see(self, course: str) -> bool:
        """True when this staff member may see ``course``."""
        return self.course in ("*", course)


@dataclass(frozen=True)
class StudentIdentity:
    """A student of ``course`` as one LMS knows them, launched into ``assignment``."""

    course: str
    student_id: str
    assignment: str
    name: str = ""  # the LMS's display name, if it sent one


def sign_in(identity: StaffIdentity | StudentIdentity) -> None:
    """Start a fresh session for ``identity`` (whatever the session held before)."""
    session.clear()
    session.permanent = True
    session["kind"] = STAFF if isinstance(identity, StaffIdentity) else STUDENT
    session["who"] = asdict(identity)


def sign_out() -> None:
    """End the session."""
    session.clear()


def current_staff() -> StaffIdentity | None:
    """Return the signed-in staff member, or None."""
    if session.get("kind") != STAFF:
        return None
    return StaffIdentity(**session["who"])


def current_student() -> StudentIdentity | None:
    """Return the signed-in student, or None."""
    if session.get("kind") != STUDENT:
        return None
    return StudentIdentity(**session["who"])


def require_staff(course: str) -> StaffIdentity:
    """Return the signed-in staff member of ``course``; 401 if none, 403 if another course."""
    staff = current_staff()
    if staff is None:
        raise SignInRequiredError("sign in as course staff to see this page")
    if not staff.can_see(course):
        raise PermissionDeniedError(f"you are signed in as staff of {staff.course!r} only")
    return staff


def require_student() -> StudentIdentity:
    """Return the signed-in student; 401 if the page was not opened from the LMS."""
    student = current_student()
    if student is None:
        raise SignInRequiredError("open this assignment from your course's LMS")
    return student


def visitor_id() -> str | None:
    """A stable id of the signed-in page visitor (rate-limit buckets), or None."""
    student = current_student()
    if student is not None:
        return f"student:{student.course}:{student.student_id}"
    staff = current_staff()
    return f"staff:{staff.course}:{staff.key_id or staff.name}" if staff is not None else None
