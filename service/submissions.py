"""Routes of /api/v1/submissions: submit, read (with long-poll), result, list."""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, Response, g, request, url_for

from common.contracts import GradingResult
from common.records import KEYS, SubmissionRecord
from service.auth import caller, require_key
from service.context import services
from service.errors import (
    InvalidSubmissionError,
    NotFinishedError,
    NotFoundError,
    PermissionDeniedError,
    ProblemError,
    UnsupportedMediaTypeError,
)
from service.gradescope import GradescopeResults, to_gradescope
from service.intake import accept
from service.models import (
    ListQuery,
    PageLinks,
    ResultQuery,
    SubmissionAccepted,
    SubmissionDetail,
    SubmissionFields,
    SubmissionForm,
    SubmissionJSON,
    SubmissionLinks,
    SubmissionPage,
    SubmissionSummary,
    WaitQuery,
)
from service.openapi import operation
from service.responses import json_response

bp = Blueprint("submissions", __name__, url_prefix="/api/v1/submissions")
require_key(bp)


def _links(submission_id: str) -> SubmissionLinks:
    url = url_for("submissions.get", submission_id=submission_id)
    return SubmissionLinks(
        submission=url, result=f"{url}/result", gradescope=f"{url}/result?format=gradescope"
    )


def _visible(submission_id: str) -> SubmissionRecord:
    """Return the record if it exists within the caller's scope; 404 otherwise (no leak)."""
    record = services().store.get(submission_id)
    if record is None or not caller().can_see(record.course):
        raise NotFoundError(f"no submission {submission_id!r} in your course")
    return record


def _json_submission() -> tuple[SubmissionFields, str, bytes]:
    body = request.get_json(silent=True)
    if body is None:
        raise ProblemError("the request body is not valid JSON")
    sent = SubmissionJSON.model_validate(body)
    if (sent.source is None) == (sent.notebook_base64 is None):
        raise InvalidSubmissionError("send exactly one of 'source' and 'notebook_base64'")
    if sent.source is not None:
        return sent, sent.filename or "submission.py", sent.source.encode("utf-8")
    try:
        data = base64.b64decode(sent.notebook_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSubmissionError("'notebook_base64' is not valid base64") from None
    return sent, sent.filename or "submission.ipynb", data


def _multipart_submission() -> tuple[SubmissionFields, str | None, bytes]:
    fields = SubmissionFields.model_validate(request.form.to_dict())
    upload = request.files.get("file")
    if upload is None:
        raise InvalidSubmissionError("attach the file as the form field 'file'")
    # Read one byte past the cap so an oversized file is refused without reading it all.
    data = upload.stream.read(services().settings.max_upload_bytes + 1)
    return fields, upload.filename, data


@bp.post("")
@operation(
    "Submit a .py file or a notebook for grading",
    form=SubmissionForm,
    body=SubmissionJSON,
    responses={202: SubmissionAccepted},
    errors=(400, 403, 413, 415, 422),
    tags=("submissions",),
)
def create() -> Response:
    if request.mimetype == "application/json":
        fields, filename, data = _json_submission()
    elif request.mimetype == "multipart/form-data":
        fields, filename, data = _multipart_submission()
    else:
        raise UnsupportedMediaTypeError("send multipart/form-data or application/json")
    record = accept(services(), caller(), fields, filename, data, g.get("received_at"))
    links = _links(record.id)
    body = SubmissionAccepted(id=record.id, status=record.status, links=links)
    return json_response(body, 202, headers={"Location": links.submission})


@bp.get("/<submission_id>")
@operation(
    "Read a submission: status, timestamps, result once finished (?wait= long-polls)",
    query=WaitQuery,
    responses={200: SubmissionDetail},
    errors=(404, 422),
    tags=("submissions",),
)
def get(submission_id: str) -> Response:
    query = WaitQuery.model_validate(request.args.to_dict())
    record = _visible(submission_id)
    if query.wait > 0 and not record.status.is_final:
        record = services().store.wait_finished(submission_id, query.wait) or record
    return json_response(SubmissionDetail.of(record, _links(submission_id)))


@bp.get("/<submission_id>/result")
@operation(
    "The grading result, as stored (format=json) or as Gradescope's results.json",
    query=ResultQuery,
    responses={200: (GradingResult, GradescopeResults)},
    errors=(404, 409, 422),
    tags=("submissions",),
)
def result(submission_id: str) -> Response:
    query = ResultQuery.model_validate(request.args.to_dict())
    record = _visible(submission_id)
    if record.result is None:
        raise NotFinishedError(
            f"submission {submission_id} is {record.status}", status_now=record.status
        )
    if query.format == "gradescope":
        return json_response(to_gradescope(record.result))
    return json_response(record.result)


@bp.get("")
@operation(
    "List submissions within the key's course scope, newest first",
    query=ListQuery,
    responses={200: SubmissionPage},
    errors=(403, 422),
    tags=("submissions",),
)
def index() -> Response:
    query = ListQuery.model_validate(request.args.to_dict())
    key = caller()
    course = query.course or (None if key.course == "*" else key.course)
    if course is not None and not key.can_see(course):
        raise PermissionDeniedError(f"course {course!r} is outside this key's scope")
    indexes = [KEYS.index_course(course) if course else KEYS.index_all]
    if query.assignment:
        indexes.append(KEYS.index_assignment(query.assignment))
    if query.student_id:
        indexes.append(KEYS.index_student(query.student_id))
    if query.status:
        indexes.append(KEYS.index_status(query.status))
    records, total = services().store.list(indexes, query.page, query.per_page)
    items = [SubmissionSummary.of(r, _links(r.id)) for r in records]
    return json_response(
        SubmissionPage(
            items=items,
            page=query.page,
            per_page=query.per_page,
            total=total,
            links=_page_links(query, total),
        )
    )


def _page_links(query: ListQuery, total: int) -> PageLinks:
    args = query.model_dump(exclude_none=True, mode="json")

    def page_url(page: int) -> str:
        return url_for("submissions.index", **{**args, "page": page})

    last = max(1, -(-total // query.per_page))
    return PageLinks(
        next=page_url(query.page + 1) if query.page < last else None,
        prev=page_url(query.page - 1) if query.page > 1 else None,
    )
