"""Rate limits (flask-limiter on Redis): per API key on every API route, per student on submit.

A page visitor with a session (a student from an LTI launch, signed-in staff) has a bucket
of their own rather than their address's: a class in one lab shares one NAT address, and
would otherwise share one budget. The student page's uploads have the per-student limit.

Both answer 429 problem+json with Retry-After. The per-student submission cap is not a rate
(it never resets) and lives in the store (service/store.py).
"""

from __future__ import annotations

import math
import time

from flask import Flask, Response, request
from flask_limiter import Limiter, RateLimitExceeded

from common.settings import Settings
from service.auth import key_fingerprint, known_key
from service.errors import problem
from service.web.sessions import visitor_id

# Blueprints whose routes no limit applies to (probes and docs must answer under load).
EXEMPT = ("health", "metrics", "docs")


def _caller_identity() -> str:
    # Only a key that authenticates has a bucket of its own. Every junk token would
    # otherwise get a fresh one, and a flood of failed authentication would never be
    # limited: failures count against the client's address instead.
    fingerprint = key_fingerprint() if known_key() is not None else None
    return fingerprint or visitor_id() or f"ip:{request.remote_addr}"


def _student_id() -> str | None:
    if request.mimetype == "application/json":
        body = request.get_json(silent=True)
        value = body.get("student_id") if isinstance(body, dict) else None
    else:
        value = request.form.get("student_id")
    return value if isinstance(value, str) and value else None


def _student_identity() -> str:
    return f"{_caller_identity()}:student:{_student_id()}"


def install_limits(app: Flask, settings: Settings) -> Limiter | None:
    """Attach the rate limits to ``app``; None if they are turned off."""
    if not settings.rate_limits_enabled:
        return None
    timeout = settings.redis_timeout_s
    limiter = Limiter(
        key_func=_caller_identity,
        application_limits=[settings.rate_limit_per_key],  # one budget across all routes
        storage_uri=settings.redis_url,
        storage_options={"socket_connect_timeout": timeout, "socket_timeout": timeout},
        strategy="fixed-window",
        key_prefix="ag",
        # Redis errors are not swallowed: they reach the 503 handler, like every outage.
        swallow_errors=False,
    )
    limiter.init_app(app)
    for name in EXEMPT:
        limiter.exempt(app.blueprints[name])
    limiter.limit(
        settings.rate_limit_per_student,
        key_func=_student_identity,
        methods=["POST"],
        exempt_when=lambda: _student_id() is None,
    )(app.blueprints["submissions"])
    if "student" in app.blueprints:  # the student page's uploads (LTI), per student
        limiter.limit(settings.rate_limit_per_student, methods=["POST"])(app.blueprints["student"])

    def on_rate_limited(exc: RateLimitExceeded) -> Response:
        current = limiter.current_limit
        wait = max(1, math.ceil(current.reset_at - time.time())) if current else 1
        response = problem(
            429,
            "rate-limited",
            "Too many requests",
            f"rate limit of {exc.description} exceeded; retry in {wait} s",
        )
        response.headers["Retry-After"] = str(wait)
        return response

    app.register_error_handler(RateLimitExceeded, on_rate_limited)
    return limiter
