"""Decide whether a callback URL may be called, and at which address.

A callback URL comes from an LMS, so calling it is a server-side request on someone else's
behalf: without care it reaches Redis on localhost or a cloud metadata service. The check
is the same when the API accepts a submission and when the worker delivers its grade (DNS
may have changed in between): http(s) only, no userinfo, the host on the allow-list (if
one is set), every address the name resolves to public unless allowed by the policy. The
caller then connects to :attr:`CheckedURL.address` and never resolves the name again.

Pure standard library, shared by the web side (422 on a bad URL) and the worker side.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# What allow_private opens: RFC 1918, shared address space (CGNAT), loopback, unique local.
# Link-local stays closed (169.254.169.254 is the cloud metadata service): name it in
# allowed_networks to open it.
_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "::1/128",
        "fc00::/7",
    )
)
_MAX_URL_CHARS = 2048


class CallbackURLError(ValueError):
    """A callback URL is not acceptable; ``reason`` says which rule it broke.

    Reasons: 'invalid', 'scheme', 'userinfo', 'host_not_allowed', 'unresolvable',
    'address_not_allowed'. Only 'unresolvable' may heal by itself (a DNS outage).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class CallbackPolicy:
    """Where callbacks may go.

    ``allowed_hosts``: host names ('lms.example.edu') or suffix patterns ('*.example.edu');
    empty means any host. ``allow_private``: also allow private (RFC 1918, unique local,
    shared 100.64/10) and loopback addresses, never link-local, multicast or reserved ones.
    ``allowed_networks``: CIDR blocks allowed whatever their kind (the only way to allow
    link-local, where metadata services live).
    """

    allowed_hosts: tuple[str, ...] = ()
    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def build(
        cls,
        allowed_hosts: Iterable[str] = (),
        allow_private: bool = False,
        allowed_networks: Iterable[str] = (),
    ) -> CallbackPolicy:
        """Return a policy from plain strings (settings values); bad CIDR raises ValueError."""
        hosts = tuple(h.strip().lower().rstrip(".") for h in allowed_hosts if h.strip())
        networks = tuple(ipaddress.ip_network(n.strip(), strict=False) for n in allowed_networks)
        return cls(hosts, allow_private, networks)


@dataclass(frozen=True)
class CheckedURL:
    """A URL that passed the policy, with the one address to connect to.

    ``host`` is the ASCII (IDNA) host name for the Host header, TLS SNI and certificate
    check; ``target`` the path and query to request; ``address`` the checked IP.
    """

    url: str
    scheme: str
    host: str
    port: int
    target: str
    address: str


def check_url(url: str, policy: CallbackPolicy, resolve: Resolver | None = None) -> CheckedURL:
    """Check ``url`` against ``policy`` and return it pinned to a checked address.

    Every address the host resolves to must be allowed (a name that answers with one public
    and one private address is refused), so a later lookup cannot pick a worse one.
    Raises :class:`CallbackURLError`.
    """
    scheme, host, port, target = _split(url)
    if policy.allowed_hosts and not _host_allowed(host, policy.allowed_hosts):
        raise CallbackURLError("host_not_allowed", f"Callbacks to {host} are not allowed.")
    addresses = _resolve_all(host, port, resolve or resolve_host)
    for address in addresses:
        if not address_allowed(address, policy):
            # Never the address itself: the answer would map the private network for anyone
            # who can register a callback (a name of theirs pointing at 10.0.0.0/8, ...).
            what = "is" if host == str(address) else "resolves to"
            raise CallbackURLError(
                "address_not_allowed",
                f"{host} {what} a non-public address; callbacks go to public addresses only.",
            )
    return CheckedURL(url, scheme, host, port, target, str(addresses[0]))


def address_allowed(address: IPAddress, policy: CallbackPolicy) -> bool:
    """Return True if ``policy`` lets callbacks connect to ``address``."""
    if any(address in net for net in policy.allowed_networks):
        return True
    inner = _embedded_ipv4(address)
    if inner is not None:
        return address_allowed(inner, policy)
    if policy.allow_private and any(address in net for net in _PRIVATE_NETWORKS):
        return True
    return _is_public(address)


def _is_public(address: IPAddress) -> bool:
    """Return True for a global unicast address (not reserved, site-local or special)."""
    special = (
        address.is_multicast
        or address.is_unspecified
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
    )
    # is_global is False for private, shared (100.64/10), documentation and similar ranges.
    return not special and address.is_global


def resolve_host(host: str, port: int) -> list[str]:
    """Return every TCP address ``host`` resolves to (the system resolver, one lookup)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def _split(url: str) -> tuple[str, str, int, str]:
    """Return (scheme, ASCII host, port, target) of ``url`` or raise CallbackURLError."""
    if not isinstance(url, str) or not url or len(url) > _MAX_URL_CHARS:
        raise CallbackURLError("invalid", f"A callback URL is 1 to {_MAX_URL_CHARS} characters.")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise CallbackURLError("invalid", "A callback URL may not contain spaces or controls.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise CallbackURLError("invalid", f"Not a valid URL: {exc}.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise CallbackURLError("scheme", f"A callback URL must be http or https, not {scheme!r}.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise CallbackURLError("userinfo", "A callback URL may not carry a user name or password.")
    host = _normalise_host(parts.hostname or "")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or (443 if scheme == "https" else 80), target


def _normalise_host(host: str) -> str:
    """Return ``host`` as lower-case ASCII (IDNA) without a trailing dot; check its shape."""
    host = host.rstrip(".")
    if not host:
        raise CallbackURLError("invalid", "A callback URL needs a host.")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise CallbackURLError("invalid", f"{host!r} is not a valid host name.") from None
    if len(ascii_host) > 253 or not all(_LABEL.match(x) for x in ascii_host.split(".")):
        raise CallbackURLError("invalid", f"{host!r} is not a valid host name.")
    return ascii_host


def _host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    """Return True if ``host`` equals an entry or is under a '*.suffix' entry."""
    for entry in allowed:
        if entry.startswith("*.") and host.endswith(entry[1:]):
            return True
        if host == entry:
            return True
    return False


def _resolve_all(host: str, port: int, resolve: Resolver) -> list[IPAddress]:
    """Return the addresses of ``host`` (itself if it is an IP literal), scope ids dropped."""
    try:
        names = [host] if _is_ip(host) else list(resolve(host, port))
        addresses = [ipaddress.ip_address(name.split("%", 1)[0]) for name in names]
    except (OSError, ValueError) as exc:
        raise CallbackURLError("unresolvable", f"Cannot resolve {host}: {exc}.") from None
    if not addresses:
        raise CallbackURLError("unresolvable", f"{host} has no address.")
    return addresses


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address inside an IPv4-mapped, 6to4 or NAT64 IPv6 address, if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None
