"""The web pages' shared machinery: session cookies, CSRF, templates and static files.

Pages are server-rendered (Jinja, ``service/templates``) with a little JavaScript from
``service/static`` (never a CDN). Sessions are Flask's signed cookies, made to work inside
an LMS's iframe (``SameSite=None; Secure``; Chromium accepts Secure cookies from
``http://localhost`` and ``127.0.0.1``, which the tests use). Every form is protected by
Flask-WTF's CSRF token, checked on the page blueprints only (:func:`protect_forms`): the
JSON API authenticates with bearer keys and has no cookies to forge.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask
from flask_wtf.csrf import CSRFProtect

from common.settings import Settings
from service.web.secret import install_secret

csrf = CSRFProtect()
STATIC_URL = "/static"


def install_web(app: Flask, settings: Settings) -> None:
    """Configure sessions, CSRF and static files of ``app`` (no I/O here)."""
    app.config.update(
        SESSION_COOKIE_NAME="autograder_session",
        SESSION_COOKIE_SAMESITE="None",  # the LMS shows our pages in a cross-site iframe
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        WTF_CSRF_CHECK_DEFAULT=False,  # checked per page blueprint, not on the JSON API
        WTF_CSRF_TIME_LIMIT=int(settings.session_hours * 3600),
        WTF_CSRF_SSL_STRICT=False,  # the Referer of a form inside an LMS iframe is the LMS
    )
    install_secret(app, settings)
    csrf.init_app(app)
    app.register_blueprint(
        Blueprint("static_files", __name__, static_folder="../static", static_url_path=STATIC_URL)
    )


def protect_forms(bp: Blueprint) -> Blueprint:
    """Check the CSRF token of every POST/PUT/PATCH/DELETE to ``bp``'s routes (400 if bad)."""

    @bp.before_request
    def _check_csrf() -> None:
        csrf.protect()

    return bp
