"""The OIDC dance of an LTI 1.3 launch: state and nonce.

At /lti/login we make a state and a nonce, keep both in Redis for :data:`STATE_TTL_S`,
and bind the state to the browser with a cookie (``SameSite=None; Secure``, so that it
comes back on the platform's cross-site form_post). At /lti/launch the form's state must
equal the cookie's and still be in Redis (it is taken out: one launch per login), the
id_token's nonce must be the one made for that state, and a nonce is accepted once only
(kept for :data:`NONCE_TTL_S`, longer than any id_token lives).
"""

from __future__ import annotations

import hashlib
import json
import secrets

import redis
from flask import Response, request

from common.records import KEYS
from service.lti.id_tokens import LaunchError

STATE_COOKIE = "autograder_lti_state"
STATE_TTL_S = 600
NONCE_TTL_S = 24 * 3600


def begin(client: redis.Redis, registration_id: str) -> tuple[str, str]:
    """Store a new (state, nonce) pair for a login; return it."""
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    value = json.dumps({"nonce": nonce, "registration": registration_id})
    client.set(KEYS.lti_state(state), value, ex=STATE_TTL_S)
    return state, nonce


def bind_to_browser(response: Response, state: str) -> None:
    """Set the cookie that ties ``state`` to this browser."""
    response.set_cookie(
        STATE_COOKIE,
        state,
        max_age=STATE_TTL_S,
        path="/lti/",
        secure=True,
        httponly=True,
        samesite="None",
    )


def _nonce_key(issuer: str, nonce: str) -> str:
    return KEYS.lti_nonce(hashlib.sha256(f"{issuer}\n{nonce}".encode()).hexdigest()[:40])


def check_unused(client: redis.Redis, issuer: str, nonce: str) -> None:
    """Refuse a nonce that was already used (a replayed id_token)."""
    if client.exists(_nonce_key(issuer, nonce)):
        raise LaunchError("this launch was already used; open the assignment again from the LMS")


def finish(client: redis.Redis, registration_id: str, issuer: str, nonce: str) -> None:
    """Check the form's state against the browser and the login; use up state and nonce."""
    state = request.form.get("state", "")
    if not state or not secrets.compare_digest(state, request.cookies.get(STATE_COOKIE, "")):
        raise LaunchError(
            "this launch's state does not match this browser (were cookies blocked?); "
            "open the assignment again from the LMS"
        )
    stored = client.getdel(KEYS.lti_state(state))
    if stored is None:
        raise LaunchError("this login has expired or was already used; open the assignment again")
    login = json.loads(stored)
    if login["nonce"] != nonce or login["registration"] != registration_id:
        raise LaunchError("the id_token does not belong to this login")
    if not client.set(_nonce_key(issuer, nonce), "1", nx=True, ex=NONCE_TTL_S):
        raise LaunchError("this launch was already used; open the assignment again from the LMS")
