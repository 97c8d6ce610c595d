"""GET /openapi.json (generated) and GET /docs (a plain HTML list of the operations)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from markupsafe import escape

from service.openapi import build_document, operation

bp = Blueprint("docs", __name__)

TITLE = "Autograder API"
VERSION = "1"


def document() -> dict:
    """Return the app's OpenAPI document, built once per app."""
    cache = current_app.extensions.setdefault("autograder.openapi", {})
    if "doc" not in cache:
        cache["doc"] = build_document(current_app, TITLE, VERSION)
    return cache["doc"]


@bp.get("/openapi.json")
@operation("This API's OpenAPI 3.1 document", responses={200: "application/json"}, public=True)
def openapi_json() -> Response:
    return jsonify(document())


def _row(method: str, path: str, op: dict) -> str:
    params = ", ".join(p["name"] for p in op.get("parameters", []) if p["in"] == "query")
    codes = ", ".join(op["responses"])
    auth = "Bearer key" if op.get("security") else "none"
    return (
        f"<tr><td><code>{escape(method.upper())}</code></td><td><code>{escape(path)}</code></td>"
        f"<td>{escape(op['summary'])}</td><td>{escape(params)}</td><td>{escape(codes)}</td>"
        f"<td>{auth}</td></tr>"
    )


@bp.get("/docs")
@operation("This page: the operations of the API", responses={200: "text/html"}, public=True)
def docs_page() -> Response:
    doc = document()
    rows = "\n".join(
        _row(method, path, op)
        for path, methods in doc["paths"].items()
        for method, op in methods.items()
    )
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{TITLE}</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:.3em .8em;text-align:left;
vertical-align:top;border-bottom:1px solid #ddd}}</style></head>
<body><h1>{TITLE}</h1>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1; request and
response schemas under <code>components.schemas</code>). Errors are
<code>application/problem+json</code> (RFC 9457).</p>
<table><tr><th>Method</th><th>Path</th><th>What</th><th>Query</th><th>Answers</th>
<th>Auth</th></tr>
{rows}
</table></body></html>"""
    return Response(html, mimetype="text/html")
