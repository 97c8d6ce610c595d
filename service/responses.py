"""JSON responses from pydantic models (the one way views answer with a body)."""

from __future__ import annotations

from flask import Response
from pydantic import BaseModel


def json_response(
    model: BaseModel, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """Return ``model`` serialised by pydantic as an application/json response."""
    return Response(
        model.model_dump_json(), status=status, headers=headers, mimetype="application/json"
    )
