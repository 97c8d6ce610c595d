"""The student page (issue 13), opened by an LTI launch: the assignment's title and
instructions, the starter files, an upload form, live status while grading, the result
per function, and the student's own submissions with scores.

A student sees only their own submissions (course, assignment and student id of the
session) and hidden outcomes only once the assignment's release setting allows. Uploads go
through service.intake.accept, the one way in, with an ApiKey standing for the launch's
platform registration (id ``lti:<registration id>``). The form works without JavaScript
(POST, then a redirect back); service/static/student.js polls /student/status for live
updates.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for

from common.lti.launches import load_launch
from common.records import utcnow
from service.context import services
from service.errors import InvalidSubmissionError, ProblemError, serve_pages
from service.intake import accept
from service.keys import ApiKey
from service.models import SubmissionFields
from service.web import protect_forms
from service.web.sessions import StudentIdentity, require_student
from service.web.student_view import instructions_html, student_view

bp = protect_forms(serve_pages(Blueprint("student", __name__, url_prefix="/student")))
STARTER_TYPES = {"py": "text/x-python", "ipynb": "application/x-ipynb+json"}


def _page(student: StudentIdentity, error: str | None = None, status: int = 200):
    info = services().store.assignment(student.assignment)
    html = render_template(
        "student.html",
        who=student.name or "Student",
        info=info,
        instructions=instructions_html(services().redis, student.assignment),
        view=student_view(student),
        error=error,
    )
    return html, status


@bp.get("/")
def page():
    """The student's page for the assignment they launched."""
    return _page(require_student())


@bp.get("/status")
def status():
    """The live part of the page (latest result and history) as HTML, and whether any
    submission is still being graded (the script polls until none is)."""
    view = student_view(require_student())
    html = render_template("_student_live.html", view=view)
    return jsonify({"pending": view.pending, "html": html})


@bp.post("/submissions")
def upload():
    """Accept the uploaded file for grading, then go back to the page (303)."""
    student = require_student()
    ctx = services()
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise InvalidSubmissionError("choose a .py or .ipynb file to upload")
        data = upload.read(ctx.settings.max_upload_bytes + 1)
        launch = load_launch(ctx.redis, student.course, student.assignment, student.student_id)
        if launch is None:
            raise InvalidSubmissionError("open the assignment again from your LMS")
        key = ApiKey(
            id=f"lti:{launch.registration_id}",
            role="integration",
            course=student.course,
            name="LTI launch",
            created_at=launch.launched_at,
        )
        fields = SubmissionFields(assignment=student.assignment, student_id=student.student_id)
        accept(ctx, key, fields, upload.filename, data, received_at=utcnow())
    except ProblemError as exc:
        return _page(student, error=exc.detail, status=exc.status)
    return redirect(url_for("student.page"), code=303)


@bp.get("/starter.<kind>")
def starter(kind: str):
    """The assignment's starter file (.py or .ipynb) as a download."""
    student = require_student()
    info = services().store.assignment(student.assignment)
    if kind not in STARTER_TYPES or info is None:
        raise InvalidSubmissionError("there is no such starter file")
    text = info.starter_py if kind == "py" else info.starter_ipynb
    return Response(
        text,
        mimetype=STARTER_TYPES[kind],
        headers={"Content-Disposition": f'attachment; filename="{info.id}.{kind}"'},
    )
