"""POST to a callback URL at the address that was checked, and nowhere else.

:func:`common.callback_urls.check_url` resolves the host once and checks every address;
this module connects to that address (:attr:`CheckedURL.address`) with no second lookup,
so a name that re-binds to 127.0.0.1 between check and connect gains nothing. The Host
header, TLS SNI and the certificate check still use the host name. Redirects are not
followed (``http.client`` never follows them; a 3xx is just a status), no proxy from the
environment is used, timeouts are short and the response body read is capped.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass

from common.callback_urls import CallbackPolicy, CheckedURL, Resolver, check_url

DEFAULT_TIMEOUT_S = 5.0
MAX_RESPONSE_BYTES = 16 * 1024  # enough for an error message; a receiver cannot flood us


class NetworkError(OSError):
    """The request did not get an HTTP answer (refused, reset, timed out, TLS failed)."""


@dataclass(frozen=True)
class Reply:
    """A receiver's answer: the status and at most MAX_RESPONSE_BYTES of its body."""

    status: int
    body: bytes


class _PinnedSocket(http.client.HTTPConnection):
    """Opens its socket to ``pinned_address`` instead of resolving ``host`` again."""

    pinned_address: str = ""

    def connect(self) -> None:
        """Connect to the checked address (HTTPS wraps this socket, using ``host`` for TLS)."""
        if not self.pinned_address:
            raise NetworkError("no checked address to connect to")
        self.sock = socket.create_connection(
            (self.pinned_address, self.port), self.timeout, self.source_address
        )
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class PinnedHTTPConnection(_PinnedSocket):
    """Plain HTTP to a pinned address."""


class PinnedHTTPSConnection(http.client.HTTPSConnection, _PinnedSocket):
    """HTTPS to a pinned address: SNI and certificate hostname checks use ``host``.

    The method order puts :class:`_PinnedSocket` under ``HTTPSConnection``, so its
    ``connect`` opens the pinned TCP socket and then wraps it in TLS for ``host``.
    """


def open_connection(
    checked: CheckedURL,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    ssl_context: ssl.SSLContext | None = None,
) -> http.client.HTTPConnection:
    """Return an unopened connection to ``checked.host`` pinned to ``checked.address``."""
    connection: _PinnedSocket
    if checked.scheme == "https":
        context = ssl_context or ssl.create_default_context()
        connection = PinnedHTTPSConnection(
            checked.host, checked.port, timeout=timeout_s, context=context
        )
    else:
        connection = PinnedHTTPConnection(checked.host, checked.port, timeout=timeout_s)
    connection.pinned_address = checked.address
    return connection


def post(
    checked: CheckedURL,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    ssl_context: ssl.SSLContext | None = None,
) -> Reply:
    """POST ``body`` to ``checked`` and return the reply; raise NetworkError if none came.

    Any HTTP status is a reply (3xx included: redirects are not followed). ``timeout_s``
    bounds the connect and each read.
    """
    return send_request(
        checked, "POST", body, headers, timeout_s=timeout_s, ssl_context=ssl_context
    )


def send_request(
    checked: CheckedURL,
    method: str,
    body: bytes | None,
    headers: Mapping[str, str],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    ssl_context: ssl.SSLContext | None = None,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> Reply:
    """Send one ``method`` request to ``checked`` (pinned, no redirects) and return the
    reply, its body cut at ``max_bytes``; raise NetworkError if no answer came."""
    connection = open_connection(checked, timeout_s, ssl_context)
    try:
        connection.request(method, checked.target, body=body, headers=dict(headers))
        response = connection.getresponse()
        return Reply(status=response.status, body=response.read(max_bytes))
    except (OSError, http.client.HTTPException) as exc:
        raise NetworkError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        connection.close()


def check_and_post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    policy: CallbackPolicy,
    *,
    resolve: Resolver | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    ssl_context: ssl.SSLContext | None = None,
) -> Reply:
    """Check ``url`` now (one DNS lookup) and POST to the address that passed.

    Raises :class:`common.callback_urls.CallbackURLError` if the URL is refused, and
    :class:`NetworkError` if the receiver did not answer.
    """
    checked = check_url(url, policy, resolve)
    return post(checked, body, headers, timeout_s=timeout_s, ssl_context=ssl_context)
