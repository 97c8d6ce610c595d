"""The tool's own RSA key set: the key that signs client assertions and deep-linking
responses, and the retired keys still published so that tokens signed just before a
rotation still verify at the platform.

The first key is generated at first use (the first launch, JWKS request or passback) and
kept in Redis, so every web and worker process signs with the same key. ``autograder lti
rotate-key`` retires the current key and makes a new one; a retired key stays in the JWKS
for :data:`RETIRED_KEPT` (platforms cache a tool's JWKS for minutes to hours) and is then
dropped. The private key is kept as PEM in Redis, like the webhook secrets: whoever can
read this Redis can act as the tool.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta

import redis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from pydantic import BaseModel

from common.records import KEYS, utcnow

RETIRED_KEPT = timedelta(days=7)
KEY_BITS = 2048
ALGORITHM = "RS256"


class ToolKey(BaseModel):
    """One RSA key pair of the tool."""

    kid: str
    private_pem: str
    created_at: datetime
    retired_at: datetime | None = None

    def public_jwk(self) -> dict[str, str]:
        """Return the public half as a JWK (kid, alg RS256, use sig)."""
        private = serialization.load_pem_private_key(self.private_pem.encode(), password=None)
        jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
        return {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}


def _generate(now: datetime) -> ToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return ToolKey(kid=f"{now:%Y%m%d}-{secrets.token_hex(4)}", private_pem=pem, created_at=now)


def all_keys(client: redis.Redis) -> list[ToolKey]:
    """Return every stored key, oldest first."""
    keys = [ToolKey.model_validate_json(t) for t in client.hvals(KEYS.lti_tool_keys)]
    return sorted(keys, key=lambda k: k.created_at)


def current_key(client: redis.Redis) -> ToolKey:
    """Return the signing key, generating the first one if there is none yet.

    Two processes starting together may both generate one: the newest unretired key wins
    for both of them, since each reads the set again after writing its own.
    """
    live = [k for k in all_keys(client) if k.retired_at is None]
    if not live:
        key = _generate(utcnow())
        client.hset(KEYS.lti_tool_keys, key.kid, key.model_dump_json())
        live = [k for k in all_keys(client) if k.retired_at is None]
    return max(live, key=lambda k: (k.created_at, k.kid))


def rotate(client: redis.Redis, now: datetime | None = None) -> ToolKey:
    """Retire the current key(s), make a new one, drop keys retired too long ago."""
    now = now or utcnow()
    new = _generate(now)
    pipe = client.pipeline(transaction=True)
    for key in all_keys(client):
        if key.retired_at is None:
            pipe.hset(
                KEYS.lti_tool_keys,
                key.kid,
                key.model_copy(update={"retired_at": now}).model_dump_json(),
            )
        elif now - key.retired_at > RETIRED_KEPT:
            pipe.hdel(KEYS.lti_tool_keys, key.kid)
    pipe.hset(KEYS.lti_tool_keys, new.kid, new.model_dump_json())
    pipe.execute()
    return new


def jwks(client: redis.Redis, now: datetime | None = None) -> dict[str, list[dict[str, str]]]:
    """Return the public JWKS: the current key and keys retired less than RETIRED_KEPT ago."""
    now = now or utcnow()
    current_key(client)
    published = [
        k for k in all_keys(client) if k.retired_at is None or now - k.retired_at <= RETIRED_KEPT
    ]
    return {"keys": [k.public_jwk() for k in reversed(published)]}
