"""The app factory: settings in, a configured Flask app out; no I/O at import or here."""

from __future__ import annotations

import logging
import weakref
from contextlib import suppress

from flask import Flask, g

from common.records import utcnow
from common.settings import Settings
from service import assignments, deadletters, docs, exports, health, metrics, submissions, webhooks
from service.context import EXTENSION, Services
from service.course_api import bp as course_api_bp
from service.errors import register_error_handlers
from service.jsonbody import BoundedJSONProvider
from service.limits import install_limits
from service.lti import config as lti_config
from service.lti import deep_linking as lti_deep_linking
from service.lti import routes as lti_routes
from service.web import install_web, staff, student

# Room for a base64 notebook (4/3 of the file) and JSON escaping around the file cap.
BODY_OVERHEAD = 2.0


def create_app(settings: Settings | None = None) -> Flask:
    """Build the API app for ``settings`` (read from AUTOGRADER_* when None)."""
    settings = settings or Settings()
    app = Flask(__name__, static_folder=None)
    app.json = BoundedJSONProvider(app)  # a body nested too deep is a 400, not a 500
    app.config["MAX_CONTENT_LENGTH"] = int(settings.max_upload_bytes * BODY_OVERHEAD) + 65536
    app.json.sort_keys = False
    app.extensions[EXTENSION] = Services.build(settings)
    for module in (submissions, assignments, health, metrics, docs):
        app.register_blueprint(module.bp)
    for module in (webhooks, deadletters, exports):  # LMS integration (issue 5)
        app.register_blueprint(module.bp)
    app.register_blueprint(course_api_bp)  # settings and stats (issue 14)
    install_web(app, settings)
    app.register_blueprint(staff.bp)  # web pages (issues 13, 14)
    for module in (student, lti_routes, lti_deep_linking, lti_config):  # LTI 1.3 (issue 13)
        app.register_blueprint(module.bp)
    register_error_handlers(app, settings.unavailable_retry_after_s)
    limiter = install_limits(app, settings)
    closers = app.extensions[EXTENSION].closers()
    if limiter is not None and hasattr(limiter.storage, "storage"):  # limits' Redis client
        closers.append(limiter.storage.storage.close)
    # An app dropped before its process ends (tests make hundreds) closes its sockets
    # first: a weakref callback runs before the garbage's finalizers, so no socket is ever
    # left to be reclaimed unclosed.
    weakref.finalize(app, _close_all, closers)

    @app.before_request
    def _stamp() -> None:
        g.received_at = utcnow()

    logging.getLogger("service").setLevel(logging.INFO)
    return app


def _close_all(closers: list) -> None:
    for close in closers:
        with suppress(Exception):  # closing what may never have connected
            close()
