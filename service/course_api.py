"""Routes of /api/v1/courses/{course}/assignments/{assignment}: settings and stats (staff).

Staff of a course are the holders of an admin key whose scope covers it (a key made with
``--role admin --course C``, or an all-courses admin key). Integration keys act for an LMS
or a script, not a person, and get 403; a staff key of another course gets 404, as for the
gradebook, so course names do not leak.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, request

from common.assignment_settings import (
    AssignmentSettings,
    load_assignment_settings,
    save_assignment_settings,
)
from common.records import KEYS
from service.auth import caller, require_key
from service.context import services
from service.errors import NotFoundError, PermissionDeniedError, ProblemError
from service.models import NAME
from service.openapi import operation
from service.responses import json_response
from service.stats import AssignmentStats, compute

bp = Blueprint("course_api", __name__, url_prefix="/api/v1/courses")
require_key(bp)
PATH = "/<course>/assignments/<assignment>"


def staff_scope(course: str, assignment: str) -> None:
    """Allow the caller if it is staff of ``course`` and the assignment exists (see top)."""
    key = caller()
    if key.role != "admin":
        raise PermissionDeniedError("this needs a staff key (role admin) of the course")
    if not (re.fullmatch(NAME, course) and re.fullmatch(NAME, assignment)):
        raise NotFoundError("no such course or assignment")
    if not key.can_see(course):
        raise NotFoundError(f"no course {course!r} in your scope")
    ctx = services()
    if ctx.store.assignment(assignment) is None and not ctx.redis.zcard(
        KEYS.index_assignment(assignment)
    ):
        raise NotFoundError(f"no assignment {assignment!r}")


@bp.get(f"{PATH}/settings")
@operation(
    "An assignment's settings in a course: due date, late policy, cap, release (staff)",
    responses={200: AssignmentSettings},
    errors=(403, 404),
    tags=("courses",),
)
def get_settings(course: str, assignment: str) -> Response:
    staff_scope(course, assignment)
    return json_response(load_assignment_settings(services().redis, course, assignment))


@bp.put(f"{PATH}/settings")
@operation(
    "Replace an assignment's settings in a course (staff); omitted fields take defaults",
    body=AssignmentSettings,
    responses={200: AssignmentSettings},
    errors=(400, 403, 404, 422),
    tags=("courses",),
)
def put_settings(course: str, assignment: str) -> Response:
    staff_scope(course, assignment)
    body = request.get_json(silent=True)
    if body is None:
        raise ProblemError("the request body is not valid JSON")
    settings = AssignmentSettings.model_validate(body)
    save_assignment_settings(services().redis, course, assignment, settings)
    return json_response(settings)


@bp.get(f"{PATH}/stats")
@operation(
    "Class-wide stats of an assignment: scores, functions, common diagnoses (staff)",
    responses={200: AssignmentStats},
    errors=(403, 404),
    tags=("courses",),
)
def stats(course: str, assignment: str) -> Response:
    staff_scope(course, assignment)
    ctx = services()
    records = ctx.store.of_assignment(course, assignment)
    return json_response(compute(records, ctx.store.assignment(assignment)))
