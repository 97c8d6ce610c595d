"""Sign and verify webhook bodies with HMAC-SHA256 over a timestamp and the raw body.

Both directions use the same scheme: the LMS signs the webhooks it sends us, and the worker
signs the grade callbacks it sends the LMS. The header reads

    X-Autograder-Signature: t=1718000000,v1=5f0c...e9

where ``v1`` is the hex HMAC-SHA256, keyed with the integration key's shared secret, of the
bytes ``f"{t}.".encode() + raw_body``. Putting the timestamp under the MAC lets the receiver
refuse old messages; the tolerance window bounds how long a captured request stays usable.
Replay protection within the window needs state (Redis) and lives with the receiver.

This module is pure: no I/O, no clock unless none is passed in, no project imports.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

SIGNATURE_HEADER = "X-Autograder-Signature"
KEY_ID_HEADER = "X-Autograder-Key-Id"
DEFAULT_TOLERANCE_S = 300
SCHEME = "v1"
_MAX_HEADER_CHARS = 1024  # several v1 entries (secret rotation) fit; anything longer is junk


class SignatureError(ValueError):
    """A signature header is missing, malformed, stale or does not match the body.

    ``reason`` is a short machine-readable word ('missing', 'malformed', 'expired',
    'mismatch'); the message is a sentence safe to show the sender.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class VerifiedSignature:
    """What a successful verification learned: the signed timestamp and the matching MAC."""

    timestamp: int  # unix seconds, as signed
    signature: str  # the v1 hex digest that matched; the replay-cache key


def compute_signature(secret: str | bytes, timestamp: int, body: bytes) -> str:
    """Return the hex HMAC-SHA256 of ``f"{timestamp}.".encode() + body`` under ``secret``."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str | bytes, body: bytes, timestamp: int | None = None) -> str:
    """Return the ``X-Autograder-Signature`` header value for ``body`` signed at ``timestamp``.

    ``timestamp`` is unix seconds; the current time when None.
    """
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},{SCHEME}={compute_signature(secret, t, body)}"


def parse_header(header: str | None) -> tuple[int, tuple[str, ...]]:
    """Split a signature header into its timestamp and its ``v1`` digests.

    Unknown schemes are ignored (so a future ``v2`` can be sent alongside); several ``v1``
    entries are allowed (so a sender can sign with an old and a new secret while rotating).
    Raises :class:`SignatureError` ('missing' or 'malformed').
    """
    if not header:
        raise SignatureError("missing", f"The {SIGNATURE_HEADER} header is missing.")
    if len(header) > _MAX_HEADER_CHARS:
        raise SignatureError("malformed", f"The {SIGNATURE_HEADER} header is too long.")
    timestamps: list[str] = []
    digests: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError("malformed", f"Expected 't=<unix>,v1=<hex>', got {part!r}.")
        if name == "t":
            timestamps.append(value)
        elif name == SCHEME:
            digests.append(value.lower())
    if len(timestamps) != 1 or not timestamps[0].isascii() or not timestamps[0].isdigit():
        raise SignatureError("malformed", "Expected exactly one 't=<unix seconds>' entry.")
    if not digests or not all(_is_hex_digest(d) for d in digests):
        raise SignatureError("malformed", "Expected a 'v1=<64 hex digits>' entry.")
    return int(timestamps[0]), tuple(digests)


def verify(
    secret: str | bytes,
    body: bytes,
    header: str | None,
    *,
    now: float | None = None,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> VerifiedSignature:
    """Check ``header`` against ``body``; return the verified timestamp and digest.

    The timestamp must lie within ``tolerance_s`` seconds of ``now`` in either direction
    (a sender's clock may run ahead). Digests are compared in constant time. Raises
    :class:`SignatureError` with reason 'missing', 'malformed', 'expired' or 'mismatch'.
    """
    timestamp, digests = parse_header(header)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        raise SignatureError(
            "expired",
            f"The signature timestamp is {int(current - timestamp)} s from our clock; "
            f"at most {tolerance_s} s is accepted. Sign each delivery when you send it.",
        )
    expected = compute_signature(secret, timestamp, body)
    # Compare against every candidate (no early exit) so timing does not tell which matched.
    matched = [d for d in digests if hmac.compare_digest(expected, d)]
    if not matched:
        raise SignatureError("mismatch", "The signature does not match the body.")
    return VerifiedSignature(timestamp=timestamp, signature=matched[0])


def _is_hex_digest(value: str) -> bool:
    """Return True if ``value`` looks like a SHA-256 hex digest (64 hex digits)."""
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)
