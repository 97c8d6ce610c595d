"""The key that signs session cookies and CSRF tokens.

AUTOGRADER_SECRET_KEY when set; otherwise a random 256-bit key made once and kept in
Redis (SET NX), so every API process (gunicorn workers, restarts) signs with the same key
and sessions survive a restart. Read when the first request opens its session, not in the
app factory, which does no I/O.
"""

from __future__ import annotations

import secrets

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from common.records import KEYS
from common.settings import Settings
from service.context import services
from service.errors import PAGE_PREFIXES


class _LazySecretSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, loading the shared secret before the first one."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not app.secret_key and not request.path.startswith(PAGE_PREFIXES):
            return None  # the JSON API has no sessions: it never waits on this Redis read
        if not app.secret_key:
            client = services().redis
            client.set(KEYS.web_secret, secrets.token_hex(32), nx=True)
            app.secret_key = client.get(KEYS.web_secret)
        return super().open_session(app, request)


def install_secret(app: Flask, settings: Settings) -> None:
    """Give ``app`` its secret key: now if configured, else when the first session opens."""
    if settings.secret_key is not None:
        app.secret_key = settings.secret_key.get_secret_value()
    else:
        app.session_interface = _LazySecretSessions()
