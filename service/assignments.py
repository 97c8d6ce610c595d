"""Routes of /api/v1/assignments, served from the catalog the workers publish."""

from __future__ import annotations

from flask import Blueprint, Response, request, url_for

from common.catalog import AssignmentInfo
from service.auth import require_key
from service.context import services
from service.errors import NotFoundError
from service.models import AssignmentDetail, AssignmentList, StarterQuery
from service.openapi import operation
from service.responses import json_response

bp = Blueprint("assignments", __name__, url_prefix="/api/v1/assignments")
require_key(bp)

STARTER_TYPES = {"py": "text/x-python", "ipynb": "application/x-ipynb+json"}


def _assignment(assignment_id: str) -> AssignmentInfo:
    info = services().store.assignment(assignment_id)
    if info is None:
        raise NotFoundError(f"there is no assignment {assignment_id!r}")
    return info


@bp.get("")
@operation(
    "List the assignments that workers can grade",
    responses={200: AssignmentList},
    tags=("assignments",),
)
def index() -> Response:
    items = [info.summary() for info in services().store.assignments()]
    return json_response(AssignmentList(items=items))


@bp.get("/<assignment_id>")
@operation(
    "An assignment's functions, points and visible cases",
    responses={200: AssignmentDetail},
    errors=(404,),
    tags=("assignments",),
)
def get(assignment_id: str) -> Response:
    info = _assignment(assignment_id)
    starter = {
        fmt: url_for("assignments.starter", assignment_id=info.id, format=fmt)
        for fmt in STARTER_TYPES
    }
    detail = AssignmentDetail.model_validate(
        {**info.model_dump(exclude={"starter_py", "starter_ipynb"}), "starter": starter}
    )
    return json_response(detail)


@bp.get("/<assignment_id>/starter")
@operation(
    "The starter file to fill in (.py, or .ipynb with format=ipynb)",
    query=StarterQuery,
    responses={200: "text/x-python"},
    errors=(404, 422),
    tags=("assignments",),
)
def starter(assignment_id: str) -> Response:
    query = StarterQuery.model_validate(request.args.to_dict())
    info = _assignment(assignment_id)
    text = info.starter_py if query.format == "py" else info.starter_ipynb
    filename = f"{info.id}.{query.format}"
    return Response(
        text,
        mimetype=STARTER_TYPES[query.format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
