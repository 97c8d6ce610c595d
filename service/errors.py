"""Every error the API answers is an RFC 9457 problem (application/problem+json).

Domain errors are raised anywhere in the service as :class:`ProblemError` subclasses and
turned into HTTP responses only here, at the edge. Werkzeug's HTTP errors, pydantic
validation errors, Redis outages and unexpected exceptions get problems too; no response
ever carries a stack trace. The web pages (issues 13, 14: blueprints registered with
:func:`serve_pages`, and paths under :data:`PAGE_PREFIXES`) get the same errors as a short
HTML page (templates/error.html) instead of problem+json.
"""

from __future__ import annotations

import logging
import math

import redis
from flask import Blueprint, Flask, Response, json, render_template, request
from kombu.exceptions import OperationalError as BrokerError
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE = "application/problem+json"
PAGE_PREFIXES = ("/lti/", "/staff", "/student")  # a 404 there has no blueprint to ask
_PAGE_BLUEPRINTS: set[str] = set()
log = logging.getLogger(__name__)


def serve_pages(bp: Blueprint) -> Blueprint:
    """Mark ``bp`` as serving HTML pages: its errors are answered as an HTML page."""
    _PAGE_BLUEPRINTS.add(bp.name)
    return bp


def is_page_request() -> bool:
    """True when this request is for a web page rather than the JSON API."""
    if request.blueprint is not None:
        return request.blueprint in _PAGE_BLUEPRINTS
    return request.path.startswith(PAGE_PREFIXES)


class ProblemError(Exception):
    """A request the service refuses, with the HTTP status and problem type to answer."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


class InvalidSubmissionError(ProblemError):
    status, slug, title = 422, "invalid-submission", "The submission cannot be accepted"


class UnlistedAssignmentError(ProblemError):
    status, slug, title = 422, "unknown-assignment", "No such assignment"


class PayloadTooLargeError(ProblemError):
    status, slug, title = 413, "too-large", "The submission is too large"


class UnsupportedMediaTypeError(ProblemError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported request body"


class AuthenticationError(ProblemError):
    status, slug, title = 401, "unauthenticated", "A valid API key is required"


class SignInRequiredError(ProblemError):
    status, slug, title = 401, "sign-in-required", "Please sign in"


class PermissionDeniedError(ProblemError):
    status, slug, title = 403, "forbidden", "This API key may not do that"


class DeadlinePassedError(ProblemError):
    status, slug, title = 403, "deadline-passed", "The due date has passed"


class NotFoundError(ProblemError):
    status, slug, title = 404, "not-found", "Not found"


class NotFinishedError(ProblemError):
    status, slug, title = 409, "not-finished", "The submission has not finished grading"


class CatalogUnknownError(ProblemError):
    status, slug, title = 503, "catalog-unknown", "Not ready to grade yet"


class SubmissionCapError(ProblemError):
    status, slug, title = 429, "submission-cap", "Submission cap reached"


def problem(status: int, slug: str, title: str, detail: str, **extra) -> Response:
    """Build a problem+json response (an HTML page for a page request); ``extra`` members
    are added to the body."""
    if is_page_request():
        page = render_template("error.html", status=status, title=title, detail=detail)
        return Response(page, status=status, mimetype="text/html")
    body = {
        "type": f"urn:autograder:problem:{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        **extra,
    }
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)


def _on_problem(exc: ProblemError) -> Response:
    response = problem(exc.status, exc.slug, exc.title, exc.detail, **exc.extra)
    response.headers.update(exc.headers)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="autograder"'
    return response


def _on_http(exc: HTTPException) -> Response:
    slug = (exc.name or "error").lower().replace(" ", "-")
    response = problem(exc.code or 500, slug, exc.name, exc.description or exc.name)
    if exc.code == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _on_validation(exc: ValidationError) -> Response:
    # Only location, message and type: the rejected input may be a student's whole file.
    errors = [
        {"loc": [str(part) for part in err["loc"]], "msg": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False, include_input=False, include_context=False)
    ]
    detail = "; ".join(f"{'.'.join(e['loc']) or 'body'}: {e['msg']}" for e in errors)
    return problem(422, "validation-error", "Invalid request", detail, errors=errors)


def unavailable(retry_after_s: int) -> Response:
    """Return the 503 answered while Redis (store and broker) cannot be reached."""
    response = problem(
        503,
        "unavailable",
        "Service unavailable",
        "The submission store cannot be reached; nothing was accepted. Try again shortly.",
    )
    response.headers["Retry-After"] = str(max(1, math.ceil(retry_after_s)))
    return response


def register_error_handlers(app: Flask, retry_after_s: int) -> None:
    """Install the handlers that turn every exception into a problem response."""

    def on_outage(exc: Exception) -> Response:
        log.warning("Redis unreachable: %s", exc)
        return unavailable(retry_after_s)

    def on_unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem(500, "internal-error", "Internal server error", "Something went wrong.")

    app.register_error_handler(ProblemError, _on_problem)
    app.register_error_handler(HTTPException, _on_http)
    app.register_error_handler(ValidationError, _on_validation)
    app.register_error_handler(redis.ConnectionError, on_outage)
    app.register_error_handler(redis.TimeoutError, on_outage)
    app.register_error_handler(BrokerError, on_outage)
    app.register_error_handler(Exception, on_unexpected)
