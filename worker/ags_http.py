"""HTTP for the grade passback: any method, to the address that was checked and nowhere
else (worker/netguard.py's pinned connections), no redirects, bounded reads."""

from __future__ import annotations

from collections.abc import Mapping

from common.callback_urls import CallbackPolicy, Resolver, check_url
from worker.netguard import Reply, send_request

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

    Raises worker.netguard.NetworkError when no HTTP answer came; any status is a Reply.
    """
    checked = check_url(url, policy, resolve)
    return send_request(
        checked, method, body, headers, timeout_s=timeout_s, max_bytes=MAX_BODY_BYTES
    )
