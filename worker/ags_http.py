"""HTTP for the grade passback: any method, to the address that was checked and nowhere
else (worker/netguard.py's pinned connections), no redirects, bounded reads."""

from __future__ import annotations

import http.client
from collections.abc import Mapping

from common.callback_urls import CallbackPolicy, Resolver, check_url
from worker.netguard import NetworkError, Reply, open_connection

MAX_BODY_BYTES = 256 * 1024  # a token answer or a page of line items


def send(
    method: str,
    url: str,
    body: bytes | None,
    headers: Mapping[str, str],
    policy: CallbackPolicy,
    *,
    resolve: Resolver | None = None,
    timeout_s: float = 5.0,
) -> Reply:
    """Check ``url`` (CallbackURLError if refused) and send one request to it.

    Raises NetworkError when no HTTP answer came; any status is a Reply.
    """
    checked = check_url(url, policy, resolve)
    connection = open_connection(checked, timeout_s)
    try:
        connection.request(method, checked.target, body=body, headers=dict(headers))
        response = connection.getresponse()
        return Reply(status=response.status, body=response.read(MAX_BODY_BYTES))
    except (OSError, http.client.HTTPException) as exc:
        raise NetworkError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        connection.close()
