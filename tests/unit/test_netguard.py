"""Callback URLs: which are refused, and that the connection goes to the checked address."""

from __future__ import annotations

import http.server
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.callback_urls import (
    CallbackPolicy,
    CallbackURLError,
    CheckedURL,
    address_allowed,
    check_url,
)
from worker.netguard import MAX_RESPONSE_BYTES, NetworkError, check_and_post, post

PUBLIC = "93.184.216.34"
DEFAULT = CallbackPolicy()


def fixed(*addresses: str):
    """Return a resolver that answers ``addresses`` and records each lookup."""
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return list(addresses)

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


# --- the URL itself ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://lms.example.edu/cb", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("gopher://lms.example.edu:6379/_INFO", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("https://user:pw@lms.example.edu/cb", "userinfo"),
        ("https://user@lms.example.edu/cb", "userinfo"),
        ("https://lms.example.edu@127.0.0.1/cb", "userinfo"),
        ("", "invalid"),
        ("https:///cb", "invalid"),
        ("https://lms.example.edu:99999/cb", "invalid"),
        ("https://lms.example.edu/a b", "invalid"),
        ("https://lms.exa_mple.edu/cb", "invalid"),
        ("https://lms.example.edu/" + "a" * 3000, "invalid"),
    ],
)
def test_urls_of_the_wrong_shape_are_refused_with_a_reason(url: str, reason: str) -> None:
    resolve = fixed(PUBLIC)
    with pytest.raises(CallbackURLError) as info:
        check_url(url, DEFAULT, resolve)
    assert info.value.reason == reason
    assert resolve.calls == []  # refused before any DNS lookup


def test_a_public_https_url_is_pinned_to_its_resolved_address() -> None:
    checked = check_url("https://LMS.Example.EDU./grades/cb?x=1#frag", DEFAULT, fixed(PUBLIC))
    assert checked == CheckedURL(
        url="https://LMS.Example.EDU./grades/cb?x=1#frag",
        scheme="https",
        host="lms.example.edu",
        port=443,
        target="/grades/cb?x=1",
        address=PUBLIC,
    )


def test_an_international_host_name_is_checked_in_its_ascii_form() -> None:
    policy = CallbackPolicy.build(allowed_hosts=["xn--bcher-kva.example"])
    assert check_url("http://bücher.example:8080", policy, fixed(PUBLIC)).host == (
        "xn--bcher-kva.example"
    )


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("lms.example.edu", True),
        ("LMS.example.edu", True),
        ("canvas.uni.edu", True),  # under *.uni.edu
        ("a.b.uni.edu", True),
        ("uni.edu", False),  # the pattern names subdomains only
        ("evil-uni.edu", False),
        ("lms.example.edu.evil.com", False),
        ("other.example.edu", False),
    ],
)
def test_the_host_allow_list_takes_names_and_subdomain_patterns(host: str, allowed: bool) -> None:
    policy = CallbackPolicy.build(allowed_hosts=["lms.example.edu", "*.uni.edu"])
    if allowed:
        assert check_url(f"https://{host}/cb", policy, fixed(PUBLIC)).address == PUBLIC
    else:
        with pytest.raises(CallbackURLError) as info:
            check_url(f"https://{host}/cb", policy, fixed(PUBLIC))
        assert info.value.reason == "host_not_allowed"


# --- the addresses it resolves to ------------------------------------------------------------

REFUSED_BY_DEFAULT = [
    "127.0.0.1",
    "127.8.9.10",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "169.254.169.254",  # cloud metadata
    "0.0.0.0",
    "0.1.2.3",
    "224.0.0.1",
    "255.255.255.255",
    "240.0.0.1",
    "192.0.2.10",  # documentation
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "fec0::1",  # deprecated site-local
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "2002:7f00:1::",  # 6to4 around 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 around 10.0.0.1
    "2001:db8::1",  # documentation
]


@pytest.mark.parametrize("address", REFUSED_BY_DEFAULT)
def test_non_public_addresses_are_refused_by_default(address: str) -> None:
    with pytest.raises(CallbackURLError) as info:
        check_url("https://lms.example.edu/cb", DEFAULT, fixed(address))
    assert info.value.reason == "address_not_allowed"
    assert str(info.value) == (  # never the address: it would map the private network
        "lms.example.edu resolves to a non-public address; callbacks go to public addresses only."
    )
    assert address_allowed(ipaddress.ip_address(address), DEFAULT) is False


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed_by_default(address: str) -> None:
    assert address_allowed(ipaddress.ip_address(address), DEFAULT) is True


def test_ip_literal_hosts_are_checked_without_a_lookup() -> None:
    resolve = fixed(PUBLIC)
    for url in ("http://127.0.0.1:6379/", "http://[::1]/", "http://[::ffff:7f00:1]/"):
        with pytest.raises(CallbackURLError):
            check_url(url, DEFAULT, resolve)
    assert resolve.calls == []


def test_a_decimal_ip_spelling_of_loopback_is_refused() -> None:
    with pytest.raises(CallbackURLError) as info:
        check_url("http://2130706433/", DEFAULT)  # the system resolver reads it as 127.0.0.1
    assert info.value.reason == "address_not_allowed"


def test_a_name_with_one_private_address_among_public_ones_is_refused() -> None:
    with pytest.raises(CallbackURLError) as info:
        check_url("https://lms.example.edu/cb", DEFAULT, fixed(PUBLIC, "127.0.0.1"))
    assert info.value.reason == "address_not_allowed"


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("::1", True),
        ("fd00::5", True),
        ("::ffff:192.168.0.7", True),
        ("169.254.169.254", False),  # link-local stays closed
        ("224.0.0.1", False),
        ("0.0.0.0", False),
        ("240.0.0.1", False),
    ],
)
def test_allow_private_opens_private_and_loopback_only(address: str, allowed: bool) -> None:
    policy = CallbackPolicy.build(allow_private=True)
    assert address_allowed(ipaddress.ip_address(address), policy) is allowed


def test_allowed_networks_open_exactly_the_named_blocks() -> None:
    policy = CallbackPolicy.build(allowed_networks=["127.0.0.1/32", "169.254.169.254"])
    assert address_allowed(ipaddress.ip_address("127.0.0.1"), policy)
    assert address_allowed(ipaddress.ip_address("169.254.169.254"), policy)
    assert not address_allowed(ipaddress.ip_address("127.0.0.2"), policy)
    assert not address_allowed(ipaddress.ip_address("10.0.0.1"), policy)


@pytest.mark.parametrize("failure", [socket.gaierror(-2, "Name or service not known"), None])
def test_a_name_that_does_not_resolve_is_unresolvable(failure: OSError | None) -> None:
    def resolve(host: str, port: int) -> list[str]:
        if failure is not None:
            raise failure
        return []

    with pytest.raises(CallbackURLError) as info:
        check_url("https://lms.example.edu/cb", DEFAULT, resolve)
    assert info.value.reason == "unresolvable"


# --- the connection ------------------------------------------------------------------------


class Receiver(http.server.ThreadingHTTPServer):
    """A loopback HTTP server that records requests and answers with a scripted reply."""

    daemon_threads = True

    def __init__(self, address: str = "127.0.0.1", status: int = 204, body: bytes = b""):
        super().__init__((address, 0), _Handler)
        self.status, self.body = status, body
        self.requests: list[tuple[str, dict[str, str], bytes]] = []

    @property
    def port(self) -> int:
        return self.server_address[1]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.requests.append((self.path, dict(self.headers), body))
        self.send_response(self.server.status)
        if self.server.status in (301, 302, 307, 308):
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean


@pytest.fixture
def serve():
    """Start Receivers on background threads; shut them down after the test."""
    started: list[Receiver] = []

    def start(receiver: Receiver) -> Receiver:
        threading.Thread(target=receiver.serve_forever, args=(0.05,), daemon=True).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.shutdown()
        receiver.server_close()


LOOPBACK_ONLY = CallbackPolicy.build(allowed_networks=["127.0.0.1/32"])


def test_the_request_goes_to_the_checked_address_with_the_host_name_in_host(serve) -> None:
    receiver = serve(Receiver())
    resolve = fixed("127.0.0.1")  # lms.example.test exists in no real DNS
    url = f"http://lms.example.test:{receiver.port}/cb?course=CS5242"
    reply = check_and_post(url, b'{"a": 1}', {"X-Test": "yes"}, LOOPBACK_ONLY, resolve=resolve)
    assert reply.status == 204
    assert resolve.calls == ["lms.example.test"]  # one lookup, at check time only
    [(path, headers, body)] = receiver.requests
    assert (path, body) == ("/cb?course=CS5242", b'{"a": 1}')
    assert headers["Host"] == f"lms.example.test:{receiver.port}"
    assert headers["X-Test"] == "yes"


def test_a_rebound_name_cannot_redirect_the_pinned_connection(serve) -> None:
    # "localhost" now resolves to 127.0.0.1, where nothing listens on this port; the check
    # pinned 127.0.0.2, so the request must arrive there and only there.
    receiver = serve(Receiver(address="127.0.0.2"))
    checked = CheckedURL(
        url="", scheme="http", host="localhost", port=receiver.port, target="/", address="127.0.0.2"
    )
    assert post(checked, b"{}", {}).status == 204
    assert len(receiver.requests) == 1


def test_redirects_are_returned_not_followed(serve) -> None:
    receiver = serve(Receiver(status=302))
    checked = check_url(f"http://127.0.0.1:{receiver.port}/cb", LOOPBACK_ONLY)
    assert post(checked, b"{}", {}).status == 302
    assert len(receiver.requests) == 1


def test_the_response_body_read_is_capped(serve) -> None:
    receiver = serve(Receiver(status=500, body=b"x" * (4 * MAX_RESPONSE_BYTES)))
    checked = check_url(f"http://127.0.0.1:{receiver.port}/", LOOPBACK_ONLY)
    assert len(post(checked, b"{}", {}).body) == MAX_RESPONSE_BYTES


def test_a_refused_connection_is_a_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        with pytest.raises(NetworkError):
            post(check_url(f"http://127.0.0.1:{port}/", LOOPBACK_ONLY), b"{}", {})


def test_a_receiver_that_never_answers_times_out_as_a_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)  # the kernel accepts the connection; nobody ever replies
        checked = check_url(f"http://127.0.0.1:{sock.getsockname()[1]}/", LOOPBACK_ONLY)
        with pytest.raises(NetworkError, match="timed out"):
            post(checked, b"{}", {}, timeout_s=0.2)


# --- TLS to a pinned address ----------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A self-signed certificate for lms.example.test (needs the openssl command)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=lms.example.test", "-addext", "subjectAltName=DNS:lms.example.test"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    yield cert, key


@pytest.mark.parametrize(("host", "verified"), [("lms.example.test", True), ("x.test", False)])
def test_tls_checks_the_certificate_against_the_host_name_not_the_address(
    serve, certificate: tuple[Path, Path], host: str, verified: bool
) -> None:
    cert, key = certificate
    receiver = Receiver()
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    receiver.socket = server_context.wrap_socket(receiver.socket, server_side=True)
    serve(receiver)
    client_context = ssl.create_default_context(cafile=str(cert))
    url = f"https://{host}:{receiver.port}/cb"
    send = lambda: check_and_post(  # noqa: E731
        url, b"{}", {}, LOOPBACK_ONLY, resolve=fixed("127.0.0.1"), ssl_context=client_context
    )
    if verified:
        assert send().status == 204
        assert receiver.requests[0][1]["Host"] == f"lms.example.test:{receiver.port}"
    else:
        with pytest.raises(NetworkError, match="certificate"):
            send()
        assert receiver.requests == []
