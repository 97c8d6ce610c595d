"""Talking to a platform's AGS: an access token by the client-credentials grant with a JWT
client assertion signed by the tool's key (cached in Redis until shortly before it
expires), the line item (given, found, or created), and the score POST.

Every failure is a :class:`PlatformError` carrying whether another try may help.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt
import redis

from common.callback_urls import CallbackURLError
from common.lti import claims as c
from common.lti.launches import LaunchContext, save_launch
from common.lti.registry import Registration
from common.lti.toolkeys import ALGORITHM, current_key
from common.records import KEYS, utcnow
from worker.ags_http import send
from worker.callbacks import RETRY_STATUSES, CallbackConfig
from worker.netguard import NetworkError, Reply

ASSERTION_TTL = timedelta(minutes=5)
TOKEN_MARGIN_S = 60  # a cached token is dropped this long before the platform's expiry


class PlatformError(Exception):
    """A step failed; ``retry`` says whether a later try may succeed."""

    def __init__(self, message: str, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


def request(method: str, url: str, config: CallbackConfig, body=None, headers=None) -> Reply:
    """Send one request under the callback policy; PlatformError unless it got a 2xx."""
    try:
        reply = send(
            method,
            url,
            body,
            headers or {},
            config.policy,
            resolve=config.resolve,
            timeout_s=config.timeout_s,
        )
    except CallbackURLError as exc:
        raise PlatformError(f"refused: {exc}", retry=exc.reason == "unresolvable") from None
    except NetworkError as exc:
        raise PlatformError(str(exc) or "no answer in time", retry=True) from None
    if 200 <= reply.status < 300:
        return reply
    excerpt = reply.body[:200].decode("utf-8", "replace").strip()
    retry = reply.status >= 500 or reply.status in RETRY_STATUSES or reply.status == 401
    raise PlatformError(f"{method} {url}: HTTP {reply.status} {excerpt}".strip(), retry=retry)


def client_assertion(client: redis.Redis, registration: Registration) -> str:
    """The JWT that authenticates the tool at the token endpoint (RFC 7523), RS256."""
    now, key = utcnow(), current_key(client)
    claims = {
        "iss": registration.client_id,
        "sub": registration.client_id,
        "aud": registration.token_url,
        "iat": int(now.timestamp()),
        "exp": int((now + ASSERTION_TTL).timestamp()),
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode(claims, key.private_pem, algorithm=ALGORITHM, headers={"kid": key.kid})


def access_token(
    client: redis.Redis, registration: Registration, scopes: list[str], config: CallbackConfig
) -> str:
    """Return a cached access token for ``scopes`` or get a new one."""
    cache = f"{KEYS.lti_token(registration.id)}:{' '.join(sorted(scopes))}"
    cached = client.get(cache)
    if cached:
        return cached
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": c.ASSERTION_TYPE,
        "client_assertion": client_assertion(client, registration),
        "scope": " ".join(scopes),
    }
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    reply = request("POST", registration.token_url, config, urlencode(form).encode(), headers)
    try:
        answer = json.loads(reply.body)
        token, expires_in = str(answer["access_token"]), int(answer.get("expires_in", 3600))
    except (ValueError, KeyError, TypeError):
        raise PlatformError("the token endpoint's answer has no access_token", retry=True) from None
    ttl = expires_in - TOKEN_MARGIN_S if expires_in > 2 * TOKEN_MARGIN_S else expires_in // 2
    if ttl > 0:
        client.set(cache, token, ex=ttl)
    return token


def forget_tokens(client: redis.Redis, registration: Registration) -> None:
    """Drop the cached tokens of ``registration`` (the platform refused one)."""
    for key in client.scan_iter(f"{KEYS.lti_token(registration.id)}:*"):
        client.delete(key)


def with_path_suffix(url: str, suffix: str) -> str:
    """``url`` with ``suffix`` added to its path, before any query ('/scores')."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix))


def line_item(
    client: redis.Redis,
    context: LaunchContext,
    token: str,
    label: str,
    score_maximum: float,
    config: CallbackConfig,
) -> str:
    """Return the line item URL: the launch's, else one found or created in the container."""
    if context.lineitem:
        return context.lineitem
    if not context.lineitems or c.SCOPE_LINEITEM not in context.scopes:
        raise PlatformError("the launch gave no line item and may not create one", retry=False)
    auth = {"Authorization": f"Bearer {token}"}
    if context.resource_link_id:
        separator = "&" if "?" in context.lineitems else "?"
        query = urlencode({"resource_link_id": context.resource_link_id})
        reply = request(
            "GET",
            f"{context.lineitems}{separator}{query}",
            config,
            headers={**auth, "Accept": c.LINEITEMS_MEDIA_TYPE},
        )
        found = [i for i in json.loads(reply.body or b"[]") if isinstance(i, dict) and i.get("id")]
        if found:
            return _remember(client, context, str(found[0]["id"]))
    item = {
        "scoreMaximum": score_maximum,
        "label": label,
        "resourceId": context.assignment,
        "tag": "autograder",
    }
    if context.resource_link_id:
        item["resourceLinkId"] = context.resource_link_id
    reply = request(
        "POST",
        context.lineitems,
        config,
        json.dumps(item).encode(),
        {**auth, "Content-Type": c.LINEITEM_MEDIA_TYPE},
    )
    try:
        return _remember(client, context, str(json.loads(reply.body)["id"]))
    except (ValueError, KeyError, TypeError):
        raise PlatformError("the created line item has no id", retry=True) from None


def _remember(client: redis.Redis, context: LaunchContext, url: str) -> str:
    save_launch(client, context.model_copy(update={"lineitem": url}))
    return url
