"""A small HTTP client for the load generator that talks only to 127.0.0.1.

Standard library only (one keep-alive ``http.client`` connection per thread), so the
generator measures the service rather than a client library. Any other host is refused
before a socket opens: the load generator must never send a burst anywhere but here.
"""

from __future__ import annotations

import http.client
import json
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK = "127.0.0.1"


class NotLoopbackError(ValueError):
    """The URL does not point at 127.0.0.1."""


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, headers we care about, parsed JSON body (or None)."""

    status: int
    body: object
    retry_after: float | None = None


def loopback_base(url: str) -> tuple[str, int]:
    """Return (host, port) of ``url``; NotLoopbackError unless it is http://127.0.0.1:port."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname != LOOPBACK or parts.port is None:
        raise NotLoopbackError(f"refusing {url!r}: only http://{LOOPBACK}:<port> is allowed")
    return LOOPBACK, parts.port


def multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    """Encode ``fields`` and one file as multipart/form-data; return (body, content type)."""
    boundary = f"bench{secrets.token_hex(12)}"
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    body = "".join(parts).encode() + head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class Client:
    """Thread-safe: each thread gets its own keep-alive connection to the service."""

    def __init__(self, url: str, key: str, timeout_s: float = 60.0) -> None:
        self.host, self.port = loopback_base(url)
        self.key, self.timeout_s = key, timeout_s
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
            self._local.conn = conn
        return conn

    def request(self, method: str, path: str, body: bytes | None = None, ctype: str = "") -> Reply:
        """Send one request (reconnecting once if a kept-alive connection went stale)."""
        headers = {"Authorization": f"Bearer {self.key}"}
        if ctype:
            headers["Content-Type"] = ctype
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                raw = response.read()
                break
            except (ConnectionError, http.client.HTTPException):
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        retry = response.getheader("Retry-After")
        return Reply(response.status, parsed, float(retry) if retry else None)

    def submit(self, fields: dict[str, str], filename: str, data: bytes) -> Reply:
        """POST a submission as multipart/form-data."""
        body, ctype = multipart(fields, filename, data)
        return self.request("POST", "/api/v1/submissions", body, ctype)

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def wait_ready(self, timeout_s: float) -> bool:
        """Poll /readyz until it answers 200; False if it does not within ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if self.get("/readyz").status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.5)
        return False
