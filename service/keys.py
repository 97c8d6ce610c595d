"""API keys: created once and shown once, stored only as a SHA-256 hash, with role and scope.

A key is 32 random bytes (URL-safe base64) behind an ``agk_`` prefix, so hashing it with
SHA-256 (no salt, no stretching) is enough: it cannot be guessed from its hash. The record
under ``ag:apikey:<hash>`` holds the key's id, role and course scope ('*' = every course).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Literal

import redis
from pydantic import BaseModel, Field

from common.lms import LMS_KEYS, new_webhook_secret
from common.records import KEYS, utcnow

Role = Literal["admin", "integration"]
ALL_COURSES = "*"


class ApiKey(BaseModel):
    """What a key may do: its role and the course it is scoped to."""

    id: str = Field(description="Public id, e.g. to revoke the key; not a secret.")
    role: Role
    course: str = Field(description="The course it acts for; '*' (admins only): every course.")
    name: str = ""
    created_at: datetime

    def can_see(self, course: str) -> bool:
        """True if this key's scope covers ``course``."""
        return self.course in (ALL_COURSES, course)


def hash_secret(secret: str) -> str:
    """Return the hex SHA-256 of a key, as stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyStore:
    """Create, look up, list and revoke API keys in Redis."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def create(
        self, role: Role, course: str, name: str = "", secret: str | None = None
    ) -> tuple[str, ApiKey]:
        """Store a new key and return (the key itself, its record); only the hash is kept.

        ``secret`` registers a given key (AUTOGRADER_ADMIN_KEY) instead of drawing one.
        """
        if role == "integration" and course == ALL_COURSES:
            raise ValueError("an integration key acts for one course, not '*'")
        secret = secret or f"agk_{secrets.token_urlsafe(32)}"
        key = ApiKey(
            id=secrets.token_hex(6), role=role, course=course, name=name, created_at=utcnow()
        )
        digest = hash_secret(secret)
        pipe = self.client.pipeline(transaction=True)
        pipe.set(KEYS.api_key(digest), key.model_dump_json())
        pipe.hset(KEYS.api_keys, key.id, digest)
        pipe.hset(LMS_KEYS.webhook_secrets, key.id, new_webhook_secret())  # signs LMS traffic
        pipe.execute()
        return secret, key

    def lookup(self, secret: str) -> ApiKey | None:
        """Return the record of ``secret``, or None if it is not a (live) key."""
        text = self.client.get(KEYS.api_key(hash_secret(secret)))
        return ApiKey.model_validate_json(text) if text else None

    def all(self) -> list[ApiKey]:
        """Return every key's record, oldest first."""
        digests = list(self.client.hgetall(KEYS.api_keys).values())
        texts = self.client.mget([KEYS.api_key(d) for d in digests]) if digests else []
        keys = [ApiKey.model_validate_json(text) for text in texts if text]
        return sorted(keys, key=lambda k: k.created_at)

    def revoke(self, key_id: str) -> bool:
        """Delete key ``key_id``; False if there is none."""
        digest = self.client.hget(KEYS.api_keys, key_id)
        if digest is None:
            return False
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(KEYS.api_key(digest))
        pipe.hdel(KEYS.api_keys, key_id)
        pipe.hdel(LMS_KEYS.webhook_secrets, key_id)
        pipe.execute()
        return True

    def has_admin(self) -> bool:
        """True if an admin key is stored (serve creates one on first start otherwise)."""
        return any(key.role == "admin" for key in self.all())
