"""Staff pages of one course (TAs and instructors): an assignment's submissions and one
submission's full result with its source. Signed in with a staff key or an LTI launch
with a staff role (service.web.sessions)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from common.records import KEYS
from service.context import services
from service.errors import NotFoundError, serve_pages
from service.web import protect_forms
from service.web.results import result_view
from service.web.sessions import require_staff

bp = protect_forms(serve_pages(Blueprint("staff", __name__, url_prefix="/staff")))
PER_PAGE = 50


@bp.get("/courses/<course>/assignments/<assignment>")
def assignment(course: str, assignment: str):
    """The submissions of ``assignment`` in ``course``, newest first (PER_PAGE a page)."""
    staff = require_staff(course)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    indexes = [KEYS.index_course(course), KEYS.index_assignment(assignment)]
    records, total = services().store.list(indexes, page, PER_PAGE)
    return render_template(
        "staff_assignment.html",
        who=staff.name,
        course=course,
        assignment=assignment,
        records=records,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
    )


@bp.get("/submissions/<submission_id>")
def submission(submission_id: str):
    """One submission: its full result (hidden outcomes included), source and flags."""
    ctx = services()
    record = ctx.store.get(submission_id)
    if record is None:
        raise NotFoundError(f"no submission {submission_id!r}")
    staff = require_staff(record.course)
    source = ctx.redis.get(KEYS.source(submission_id)) or ""
    view = result_view(record.result, hidden_released=True) if record.result else None
    return render_template(
        "staff_submission.html", who=staff.name, record=record, view=view, source=source
    )
