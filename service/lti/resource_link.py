"""A resource link launch: which assignment (the custom parameter ``assignment``), who
(staff by role, otherwise a student whose id is derived from ``sub``), then sign in and
redirect to the staff list or the student page."""

from __future__ import annotations

import re
from typing import Any

from flask import redirect, url_for

from common.lti import claims as c
from common.lti.launches import LaunchContext, save_launch, student_id_for
from common.lti.registry import Registration
from common.records import utcnow
from service.context import services
from service.lti.id_tokens import LaunchError
from service.web.sessions import StaffIdentity, StudentIdentity, sign_in

ASSIGNMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # as service/models.py NAME


def display_name(claims: dict[str, Any]) -> str:
    """The user's name as the LMS sent it (for display only), or ''."""
    name = claims.get("name") or " ".join(
        str(claims[k]) for k in ("given_name", "family_name") if claims.get(k)
    )
    return str(name)[:120]


def assignment_of(claims: dict[str, Any]) -> str:
    """Return the assignment a link is for; LaunchError if none or unknown."""
    custom = claims.get(c.CUSTOM) or {}
    assignment = custom.get("assignment") if isinstance(custom, dict) else None
    if not isinstance(assignment, str) or not ASSIGNMENT.match(assignment):
        raise LaunchError(
            "this link names no assignment: the LMS link needs the custom parameter "
            "assignment=<id>, e.g. assignment=lecture4-numpy"
        )
    if services().store.assignment(assignment) is None:
        raise LaunchError(f"there is no assignment {assignment!r} on this grader")
    return assignment


def _ags(claims: dict[str, Any]) -> dict[str, Any]:
    endpoint = claims.get(c.AGS)
    return endpoint if isinstance(endpoint, dict) else {}


def launch_resource_link(registration: Registration, claims: dict[str, Any]):
    """Sign the user in for the link's assignment and redirect to their page."""
    assignment = assignment_of(claims)
    name = display_name(claims)
    course = registration.course
    if c.is_staff(claims.get(c.ROLES)):
        sign_in(StaffIdentity(course=course, name=name or "LMS staff", via="lti"))
        return redirect(url_for("staff.assignment", course=course, assignment=assignment))
    student_id = student_id_for(registration.issuer, claims["sub"])
    ags = _ags(claims)
    link = claims.get(c.RESOURCE_LINK)
    context = LaunchContext(
        registration_id=registration.id,
        issuer=registration.issuer,
        client_id=registration.client_id,
        deployment_id=registration.deployment_id,
        sub=claims["sub"],
        name=name,
        course=course,
        assignment=assignment,
        student_id=student_id,
        resource_link_id=link.get("id") if isinstance(link, dict) else None,
        lineitem=ags.get("lineitem") if isinstance(ags.get("lineitem"), str) else None,
        lineitems=ags.get("lineitems") if isinstance(ags.get("lineitems"), str) else None,
        scopes=[s for s in ags.get("scope", []) if isinstance(s, str)],
        launched_at=utcnow(),
    )
    save_launch(services().redis, context)
    sign_in(StudentIdentity(course=course, student_id=student_id, assignment=assignment, name=name))
    return redirect(url_for("student.page"))
