"""The platforms' public keys: one cached PyJWKClient per JWKS URL, fetched only after the
URL passes the callback rules (common.callback_urls: the same SSRF policy and switch).

PyJWKClient caches the key set and fetches it again when a token names a kid it does not
hold (a platform that rotated its keys), at most once per REFETCH_COOLDOWN_S; it does not
follow redirects. The check runs
before every fetch, so a name that turned private since registration is refused then.
"""

from __future__ import annotations

import threading
from typing import Any

from jwt import PyJWKClient

from common.callback_urls import CallbackPolicy, check_url

JWKS_LIFESPAN_S = 300  # how long a fetched key set is trusted before it is fetched again
FETCH_TIMEOUT_S = 5
# After a fetch, a token with an unknown kid makes the next fetch wait this long, so that
# forged kids cannot make us hammer the platform; a platform's new key works after it.
REFETCH_COOLDOWN_S = 10.0


class CheckedJWKClient(PyJWKClient):
    """A PyJWKClient whose every fetch is checked against ``policy`` first."""

    def __init__(self, uri: str, policy: CallbackPolicy) -> None:
        super().__init__(uri, cache_keys=True, lifespan=JWKS_LIFESPAN_S, timeout=FETCH_TIMEOUT_S)
        self.policy = policy
        self.cooldown_duration = REFETCH_COOLDOWN_S
        self.fetches = 0  # how many times the set was fetched (tests read it)

    def fetch_data(self) -> Any:
        """Check the URL (CallbackURLError if refused), then fetch the key set."""
        check_url(self.uri, self.policy)
        self.fetches += 1
        return super().fetch_data()


_clients: dict[tuple[str, CallbackPolicy], CheckedJWKClient] = {}
_lock = threading.Lock()


def jwk_client(uri: str, policy: CallbackPolicy) -> CheckedJWKClient:
    """Return this process's client (and cache) for the key set at ``uri``."""
    with _lock:
        client = _clients.get((uri, policy))
        if client is None:
            client = _clients[(uri, policy)] = CheckedJWKClient(uri, policy)
        return client
