"""A submission's staff page (full result, source, flags) and regrades from the pages: one
submission, or every one of an assignment, run by a worker (``autograder.regrade``) while
the page polls the job's progress as JSON."""

from __future__ import annotations

import re

from flask import jsonify, redirect, render_template, request, url_for

from common.records import KEYS, SubmissionRecord
from common.regrade_jobs import load_progress
from service.context import services
from service.errors import NotFoundError
from service.regrades import start_regrade
from service.web.results import result_view
from service.web.sessions import require_staff
from service.web.staff_bp import bp
from service.web.staff_dashboard import checked

JOB_ID = r"[0-9a-f]{16}"


def _stored(submission_id: str) -> SubmissionRecord:
    """The stored submission; 404 if there is none (require_staff checks its course)."""
    record = services().store.get(submission_id)
    if record is None:
        raise NotFoundError(f"no submission {submission_id!r}")
    return record


@bp.get("/submissions/<submission_id>")
def submission(submission_id: str):
    """One submission: its full result (hidden outcomes included), source and flags."""
    ctx = services()
    record = _stored(submission_id)
    staff = require_staff(record.course)
    source = ctx.redis.get(KEYS.source(submission_id)) or ""
    view = result_view(record.result, hidden_released=True) if record.result else None
    job_id = request.args.get("job", "")
    job = load_progress(ctx.redis, job_id) if re.fullmatch(JOB_ID, job_id) else None
    return render_template(
        "staff_submission.html", who=staff.name, record=record, view=view, source=source, job=job
    )


@bp.post("/submissions/<submission_id>/regrade")
def regrade_submission(submission_id: str):
    """Regrade one finished submission; back to its page, which shows the job's progress."""
    ctx = services()
    record = _stored(submission_id)
    require_staff(record.course)
    job = start_regrade(ctx, record.course, record.assignment, [submission_id])
    return redirect(url_for("staff.submission", submission_id=submission_id, job=job.job_id))


@bp.post("/courses/<course>/assignments/<assignment>/regrade")
def regrade_all(course: str, assignment: str):
    """Regrade every finished submission of the assignment in the course."""
    require_staff(course)
    checked(course, assignment)
    job = start_regrade(services(), course, assignment)
    target = url_for("staff.assignment", course=course, assignment=assignment, job=job.job_id)
    return redirect(f"{target}#regrade")


@bp.get("/regrades/<job_id>")
def regrade_progress(job_id: str):
    """A regrade job's progress as JSON (the page polls it): state, total, done, failed."""
    job = load_progress(services().redis, job_id) if re.fullmatch(JOB_ID, job_id) else None
    if job is None:
        raise NotFoundError(f"no regrade job {job_id!r}")
    require_staff(job.course)
    return jsonify(job.model_dump() | {"finished": job.finished})
