"""Platform registrations: one deployment of one LMS (issuer, client id, deployment id)
serves one course. Made by ``autograder lti add-platform``; read at every launch and by
the grade passback. Stored as JSON in the hash ``KEYS.lti_platforms`` by registration id.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import redis
from pydantic import BaseModel, Field

from common.callback_urls import CallbackPolicy, check_url
from common.records import KEYS, utcnow

COURSE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"  # as service/models.py NAME


class Registration(BaseModel):
    """One platform deployment this tool trusts, and the course it serves."""

    id: str = Field(description="Short hash of issuer, client id and deployment id.")
    issuer: str = Field(min_length=1, max_length=2048)
    client_id: str = Field(min_length=1, max_length=512)
    deployment_id: str = Field(min_length=1, max_length=512)
    auth_url: str = Field(description="The platform's OIDC authorization endpoint.")
    token_url: str = Field(description="The platform's OAuth 2 token endpoint (AGS).")
    jwks_url: str = Field(description="The platform's public keys (JWKS).")
    course: str = Field(pattern=COURSE)
    created_at: datetime

    @property
    def api_key_id(self) -> str:
        """The id submissions of this registration's launches carry as their key id."""
        return f"lti:{self.id}"


def registration_id(issuer: str, client_id: str, deployment_id: str) -> str:
    """Return the stable id of a (issuer, client id, deployment id) triple."""
    text = "\n".join((issuer, client_id, deployment_id))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def new_registration(
    issuer: str,
    client_id: str,
    deployment_id: str,
    auth_url: str,
    token_url: str,
    jwks_url: str,
    course: str,
) -> Registration:
    """Return a registration (not stored yet; pydantic checks the field shapes)."""
    return Registration(
        id=registration_id(issuer, client_id, deployment_id),
        issuer=issuer,
        client_id=client_id,
        deployment_id=deployment_id,
        auth_url=auth_url,
        token_url=token_url,
        jwks_url=jwks_url,
        course=course,
        created_at=utcnow(),
    )


def check_platform_urls(registration: Registration, policy: CallbackPolicy) -> None:
    """Check the three platform URLs with the callback rules (SSRF); CallbackURLError if not."""
    for url in (registration.auth_url, registration.token_url, registration.jwks_url):
        check_url(url, policy)


def save(client: redis.Redis, registration: Registration) -> None:
    """Store ``registration`` (replacing one with the same id)."""
    client.hset(KEYS.lti_platforms, registration.id, registration.model_dump_json())


def get(client: redis.Redis, reg_id: str) -> Registration | None:
    """Return the registration ``reg_id``, or None."""
    text = client.hget(KEYS.lti_platforms, reg_id)
    return Registration.model_validate_json(text) if text else None


def all_registrations(client: redis.Redis) -> list[Registration]:
    """Return every registration, oldest first."""
    found = [Registration.model_validate_json(t) for t in client.hvals(KEYS.lti_platforms)]
    return sorted(found, key=lambda r: r.created_at)


def find(client: redis.Redis, issuer: str, client_id: str | None) -> list[Registration]:
    """Return the registrations of ``issuer`` (and ``client_id`` when given)."""
    return [
        r
        for r in all_registrations(client)
        if r.issuer == issuer and (client_id is None or r.client_id == client_id)
    ]


def remove(client: redis.Redis, reg_id: str) -> bool:
    """Remove a registration; True if there was one."""
    return bool(client.hdel(KEYS.lti_platforms, reg_id))
