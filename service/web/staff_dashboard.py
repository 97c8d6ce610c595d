"""The assignment dashboard (``/staff/courses/<course>/assignments/<assignment>``): the
class's score histogram, per-function pass rates, the most common diagnoses, and the
submissions table with filters, sort and paging; plus its session-authenticated exports
(the same code as the API's)."""

from __future__ import annotations

import json
import re

from flask import Response, render_template, request
from pydantic import ValidationError

from common.assignment_settings import load_assignment_settings
from common.records import SubmissionStatus
from common.regrade_jobs import load_progress
from service.context import services
from service.errors import NotFoundError
from service.exports import gradebook_response
from service.gradescope import to_gradescope
from service.models import NAME
from service.stats import compute, latest_finished
from service.web.histogram import HEIGHT, WIDTH, bars, ticks
from service.web.sessions import require_staff
from service.web.staff_bp import bp
from service.web.table import SORTS, TableQuery, table


def checked(course: str, assignment: str) -> None:
    """404 for names no route could have made (they are echoed into headers and links)."""
    if not (re.fullmatch(NAME, course) and re.fullmatch(NAME, assignment)):
        raise NotFoundError("no such course or assignment")


def table_query(args) -> TableQuery:
    """The table's filters from the query string; a malformed one shows the whole table."""
    try:
        return TableQuery.model_validate(
            {k: v for k, v in args.items() if k in TableQuery.model_fields}
        )
    except ValidationError:
        return TableQuery()


@bp.get("/courses/<course>/assignments/<assignment>")
def assignment(course: str, assignment: str):
    """The dashboard of ``assignment`` in ``course``."""
    staff = require_staff(course)
    checked(course, assignment)
    ctx = services()
    records = ctx.store.of_assignment(course, assignment)
    stats = compute(records, ctx.store.assignment(assignment))
    query = table_query(request.args)
    job_id = request.args.get("job", "")
    return render_template(
        "staff_assignment.html",
        who=staff.name,
        course=course,
        assignment=assignment,
        stats=stats,
        bars=bars(stats.score.histogram),
        ticks=ticks(stats.score.histogram),
        svg=(WIDTH, HEIGHT),
        table=table(records, query),
        query=query,
        args=query.model_dump(exclude_defaults=True, mode="json"),
        sorts=list(SORTS),
        statuses=[s.value for s in SubmissionStatus],
        settings=load_assignment_settings(ctx.redis, course, assignment),
        job=load_progress(ctx.redis, job_id) if re.fullmatch(r"[0-9a-f]{16}", job_id) else None,
    )


@bp.get("/courses/<course>/assignments/<assignment>/gradebook.csv")
def gradebook(course: str, assignment: str) -> Response:
    """The gradebook CSV (as GET /api/v1/.../gradebook.csv)."""
    require_staff(course)
    checked(course, assignment)
    return gradebook_response(services().redis, course, assignment)


@bp.get("/courses/<course>/assignments/<assignment>/gradescope.json")
def gradescope(course: str, assignment: str) -> Response:
    """Each student's latest finished result in Gradescope's results.json format, keyed by
    student id (as GET /api/v1/submissions/{id}/result?format=gradescope, for the class)."""
    require_staff(course)
    checked(course, assignment)
    latest = latest_finished(services().store.of_assignment(course, assignment))
    body = {
        student: {"submission_id": r.id, "results": to_gradescope(r.result).model_dump()}
        for student, r in sorted(latest.items())
        if r.result is not None
    }
    filename = f"{course}-{assignment}-gradescope.json"
    return Response(
        json.dumps(body, indent=1),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
