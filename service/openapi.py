"""Generate the OpenAPI 3.1 document from the route table and the pydantic models.

Each view declares its contract with :func:`operation` (summary, query/body models,
responses); :func:`build_document` walks the app's URL map and turns those declarations
into paths, with every model's JSON Schema under ``components.schemas``. Nothing is
written by hand, so the document cannot drift from the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from service.models import Problem

REF = "#/components/schemas/{model}"
ERROR_TEXT = {
    400: "Malformed request",
    401: "Missing or unknown API key",
    403: "Not allowed for this key",
    404: "Not found (or outside the key's course scope)",
    409: "Not finished yet",
    413: "File too large",
    415: "Unsupported content type",
    422: "Invalid request",
    429: "Rate limit or submission cap reached (see Retry-After)",
    503: "Redis unreachable, or no worker has published the assignments yet (see Retry-After)",
}


@dataclass(frozen=True)
class Operation:
    """What one view accepts and answers, for the generated document."""

    summary: str
    # Per status: a model (JSON), a tuple of models (one of them), or a media type.
    responses: dict[int, type[BaseModel] | tuple[type[BaseModel], ...] | str]
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    form: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    public: bool = False
    tags: tuple[str, ...] = field(default=())


def operation(summary: str, **kwargs: Any):
    """Declare a view's contract (see :class:`Operation`); the view itself is unchanged."""

    def mark(view):
        view.openapi = Operation(summary=summary, **kwargs)
        return view

    return mark


def _models(ops: list[Operation]) -> list[tuple[type[BaseModel], str]]:
    found: dict[type[BaseModel], str] = {Problem: "serialization"}
    for op in ops:
        for model in (op.body, op.form):
            if model is not None:
                found[model] = "validation"
        for answer in op.responses.values():
            for model in answer if isinstance(answer, tuple) else (answer,):
                if isinstance(model, type):
                    found[model] = "serialization"
    return list(found.items())


def _parameters(path: str, query: type[BaseModel] | None, defs: dict) -> list[dict]:
    """Return the path and query parameters; schemas they refer to are added to ``defs``."""
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", path)
    ]
    if query is not None:
        schema = query.model_json_schema(ref_template=REF)
        defs.update(schema.get("$defs", {}))
        for name, prop in schema.get("properties", {}).items():
            param = {"name": name, "in": "query", "schema": prop}
            param["required"] = name in schema.get("required", [])
            params.append(param)
    return params


def _content(answer, refs: dict) -> dict:
    if isinstance(answer, str):  # a media type: JSON documents are objects, the rest text
        kind = "object" if answer == "application/json" else "string"
        return {answer: {"schema": {"type": kind}}}
    if isinstance(answer, tuple):
        return {"application/json": {"schema": {"oneOf": [refs[model] for model in answer]}}}
    return {"application/json": {"schema": refs[answer]}}


def _operation_object(path: str, op: Operation, refs: dict, defs: dict) -> dict:
    obj: dict[str, Any] = {"summary": op.summary, "parameters": _parameters(path, op.query, defs)}
    if op.tags:
        obj["tags"] = list(op.tags)
    content = {}
    if op.body is not None:
        content["application/json"] = {"schema": refs[op.body]}
    if op.form is not None:
        content["multipart/form-data"] = {"schema": refs[op.form]}
    if content:
        obj["requestBody"] = {"required": True, "content": content}
    responses = {
        str(code): {"description": "OK", "content": _content(answer, refs)}
        for code, answer in op.responses.items()
    }
    codes = set(op.errors) | (set() if op.public else {401, 429, 503})
    problem = {"application/problem+json": {"schema": refs[Problem]}}
    for code in sorted(codes):
        responses[str(code)] = {"description": ERROR_TEXT.get(code, "Error"), "content": problem}
    obj["responses"] = responses
    if not op.public:
        obj["security"] = [{"bearerAuth": []}]
    return obj


def build_document(app: Flask, title: str, version: str) -> dict:
    """Return the OpenAPI 3.1 document of every view of ``app`` declared with operation()."""
    routes = []
    for rule in app.url_map.iter_rules():
        op = getattr(app.view_functions.get(rule.endpoint), "openapi", None)
        if op is not None:
            path = re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"{\1}", rule.rule)
            routes.append((path, sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}), op))
    refs, schemas = models_json_schema(_models([op for _, _, op in routes]), ref_template=REF)
    refs = {model: ref for (model, _mode), ref in refs.items()}
    defs = dict(schemas.get("$defs", {}))
    paths: dict[str, dict] = {}
    for path, methods, op in sorted(routes, key=lambda r: r[0]):
        for method in methods:
            paths.setdefault(path, {})[method.lower()] = _operation_object(path, op, refs, defs)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": defs,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
