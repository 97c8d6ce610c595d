"""Bearer authentication: who is calling, with which role and course scope."""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, g, request

from common.records import KEYS
from service.context import services
from service.errors import AuthenticationError, PermissionDeniedError
from service.keys import ALL_COURSES, ApiKey, hash_secret

ENV_ADMIN_ID = "env-admin"


def bearer_token() -> str | None:
    """Return the token of an ``Authorization: Bearer <token>`` header, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def key_fingerprint() -> str | None:
    """Return a stable id of the presented key (its hash prefix) for rate limiting, or None."""
    token = bearer_token()
    return hash_secret(token)[:24] if token else None


def authenticate() -> ApiKey:
    """Return the caller's key; AuthenticationError if none or unknown."""
    token = bearer_token()
    if token is None:
        raise AuthenticationError("send an API key as 'Authorization: Bearer <key>'")
    key = key_of(token)
    if key is None:
        raise AuthenticationError("this API key is not known (revoked, or mistyped)")
    return key


def key_of(token: str) -> ApiKey | None:
    """Return the record of the API key ``token`` (AUTOGRADER_ADMIN_KEY included), or None."""
    ctx = services()
    admin = ctx.settings.admin_key
    if admin is not None:
        # Compare digests, not the strings: constant time whatever the lengths.
        expected = hashlib.sha256(admin.get_secret_value().encode()).digest()
        if hmac.compare_digest(hashlib.sha256(token.encode()).digest(), expected):
            return ApiKey(
                id=ENV_ADMIN_ID, role="admin", course=ALL_COURSES, created_at=ctx.started_at
            )
    return ctx.keys.lookup(token)


def key_exists(key_id: str) -> bool:
    """True while the key ``key_id`` is live (not revoked; the env admin key still set)."""
    ctx = services()
    if key_id == ENV_ADMIN_ID:
        return ctx.settings.admin_key is not None
    return bool(ctx.redis.hexists(KEYS.api_keys, key_id))


def known_key() -> ApiKey | None:
    """Return the caller's key if it authenticates, else None; looked up once a request
    (the rate limiter asks first, the blueprint's check after)."""
    if "known_key" not in g:
        try:
            g.known_key = authenticate()
        except AuthenticationError:
            g.known_key = None
    return g.known_key


def require_key(bp: Blueprint) -> None:
    """Make every route of ``bp`` require a valid key, available as :func:`caller`."""

    @bp.before_request
    def _authenticate() -> None:
        g.api_key = known_key() or authenticate()  # authenticate() raises, saying why


def caller() -> ApiKey:
    """Return the authenticated key of this request."""
    return g.api_key


def require_admin() -> ApiKey:
    """Return the caller's key if it is an admin key; PermissionDeniedError otherwise."""
    key = caller()
    if key.role != "admin":
        raise PermissionDeniedError("this needs an admin key")
    return key
