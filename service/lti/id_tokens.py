"""Validate a launch's id_token: which registration it is for, its RS256 signature against
the platform's JWKS, issuer, audience and azp, expiry, LTI version, message type and
deployment. The nonce and state are checked by the launch (service/lti/oidc.py), which
holds the browser's side of them.

PyJWT does the cryptography and the registered claims; this module only chooses what to
ask of it and turns each refusal into one sentence (:class:`LaunchError`, a 4xx page).
"""

from __future__ import annotations

from typing import Any

import jwt
import redis

from common.callback_urls import CallbackPolicy, CallbackURLError
from common.lti import claims as c
from common.lti.registry import Registration, find
from service.errors import ProblemError
from service.lti.platform_keys import jwk_client

LEEWAY_S = 30  # clock skew allowed between the platform and us
MESSAGE_TYPES = (c.RESOURCE_LINK_REQUEST, c.DEEP_LINKING_REQUEST)


class LaunchError(ProblemError):
    """A launch we refuse: answered as an HTML page with the sentence, nothing stored."""

    status, slug, title = 400, "bad-launch", "This launch cannot be accepted"


class UnknownPlatformError(LaunchError):
    status, title = 403, "This platform is not registered"


def _audiences(unverified: dict[str, Any]) -> list[str]:
    aud = unverified.get("aud")
    return [aud] if isinstance(aud, str) else [a for a in aud or [] if isinstance(a, str)]


def candidates(client: redis.Redis, token: str) -> tuple[list[Registration], str]:
    """Return the registrations the token's (unverified) issuer and audience name, and
    the client id among them."""
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise LaunchError("the id_token is not a JSON Web Token") from None
    issuer = unverified.get("iss")
    if not isinstance(issuer, str):
        raise LaunchError("the id_token names no issuer")
    for aud in _audiences(unverified):
        found = find(client, issuer, aud)
        if found:
            return found, aud
    raise UnknownPlatformError(f"no platform is registered for issuer {issuer!r} and this client")


def verify(token: str, registration: Registration, policy: CallbackPolicy) -> dict[str, Any]:
    """Return the verified claims of ``token`` for ``registration``; LaunchError if not."""
    try:
        key = jwk_client(registration.jwks_url, policy).get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            audience=registration.client_id,
            issuer=registration.issuer,
            leeway=LEEWAY_S,
            options={"require": ["exp", "iat", "iss", "aud", "nonce"]},
        )
    except CallbackURLError as exc:
        raise LaunchError(f"the platform's key set URL is refused: {exc}") from None
    except jwt.ExpiredSignatureError:
        raise LaunchError("the id_token has expired; open the assignment again") from None
    except jwt.InvalidAudienceError:
        raise LaunchError("the id_token is not addressed to this tool") from None
    except jwt.InvalidSignatureError:
        raise LaunchError("the id_token's signature does not verify") from None
    except jwt.PyJWKClientError as exc:
        raise LaunchError(f"the platform's signing key could not be found: {exc}") from None
    except jwt.PyJWTError as exc:
        raise LaunchError(f"the id_token is invalid: {exc}") from None
    auds = _audiences(claims)
    azp = claims.get("azp")
    if (len(auds) > 1 or azp is not None) and azp != registration.client_id:
        raise LaunchError("the id_token's azp is not this tool's client id")
    return claims


def check_lti_claims(claims: dict[str, Any]) -> str:
    """Check the LTI version and message type; return the message type."""
    if claims.get(c.VERSION) != c.LTI_VERSION:
        raise LaunchError(f"LTI version {claims.get(c.VERSION)!r} is not supported (1.3.0 is)")
    message_type = claims.get(c.MESSAGE_TYPE)
    if message_type not in MESSAGE_TYPES:
        raise LaunchError(f"message type {message_type!r} is not supported")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise LaunchError("the launch names no user (sub); anonymous launches are not supported")
    return message_type


def validated(
    client: redis.Redis, token: str, policy: CallbackPolicy
) -> tuple[Registration, dict[str, Any]]:
    """Return the registration and verified claims of a launch's id_token."""
    registrations, _ = candidates(client, token)
    claims = verify(token, registrations[0], policy)
    check_lti_claims(claims)
    deployment = claims.get(c.DEPLOYMENT_ID)
    for registration in registrations:
        if registration.deployment_id == deployment:
            if registration.jwks_url != registrations[0].jwks_url:
                claims = verify(token, registration, policy)
            return registration, claims
    raise UnknownPlatformError(f"deployment {deployment!r} of this platform is not registered")
